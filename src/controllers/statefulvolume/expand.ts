// Step: the claim grows when spec.size grows. Kubernetes does the resizing
// (csi-resizer, then the kubelet for the filesystem); the operator raises the
// request once and reports progress from what the claim says, so a restart in
// the middle changes nothing.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { statefulVolumeReasons as reasons } from '../../api/v1alpha1/reasons.js';
import type { StatefulVolume } from '../../api/v1alpha1/types.generated.js';
import { errorMessage, isForbidden, isInvalid } from '../../kube/errors.js';
import { parseQuantity } from '../../kube/quantity.js';
import { coreTypes } from '../../kube/resource.js';
import type { Stored } from '../../kube/wire.js';
import type { ApiWriter, Recorder } from '../../runtime/capabilities.js';
import { expansionTarget, type VolumeShape } from './claim.js';
import type { ClassCheck } from './storage-class.js';

export type ResizeState =
  | { readonly kind: 'none' }
  | { readonly kind: 'resizing'; readonly message: string }
  | { readonly kind: 'blocked'; readonly reason: string; readonly message: string };

export type ResizeDecision = { readonly kind: 'patch'; readonly size: string } | ResizeState;

const failedResizeStatuses = new Set(['ControllerResizeInfeasible', 'NodeResizeInfeasible']);

function failedResize(claim: V1PersistentVolumeClaim): ResizeState | undefined {
  const failed = claim.status?.allocatedResourceStatuses?.storage;
  if (failed === undefined || !failedResizeStatuses.has(failed)) return undefined;
  const requested = claim.spec?.resources?.requests?.storage ?? '?';
  return {
    kind: 'blocked',
    reason: reasons.ResizeFailed,
    message: `the storage driver cannot expand the claim to ${requested} (${failed}); the data is untouched`,
  };
}

function fileSystemPending(claim: V1PersistentVolumeClaim): boolean {
  return claim.status?.conditions?.some((c) => c.type === 'FileSystemResizePending') === true;
}

function resizeProgress(claim: V1PersistentVolumeClaim): ResizeState {
  const failed = failedResize(claim);
  if (failed !== undefined) return failed;
  const requested = claim.spec?.resources?.requests?.storage ?? '0';
  const capacity = claim.status?.capacity?.storage ?? requested;
  if (parseQuantity(capacity) >= parseQuantity(requested)) return { kind: 'none' };
  const stage = fileSystemPending(claim)
    ? 'the filesystem grows when a pod mounts it'
    : 'the volume is being expanded';
  return { kind: 'resizing', message: `Expanding from ${capacity} to ${requested}: ${stage}.` };
}

/** What to do about the claim's size: raise the request, wait for it, or explain why not. */
export function decideResize(
  claim: V1PersistentVolumeClaim,
  vol: VolumeShape,
  cls: ClassCheck,
): ResizeDecision {
  if (claim.status?.phase !== 'Bound') return { kind: 'none' };
  const target = expansionTarget(claim, vol);
  if (target === undefined) return resizeProgress(claim);
  if (cls.kind === 'ok' && !cls.allowVolumeExpansion) {
    return {
      kind: 'blocked',
      reason: reasons.ExpansionNotSupported,
      message: `spec.size asks for ${target} but StorageClass ${cls.name ?? '(default)'} does not allow volume expansion; set allowVolumeExpansion: true on the class`,
    };
  }
  return { kind: 'patch', size: target };
}

export async function ensureSize(
  deps: { client: ApiWriter; recorder: Recorder },
  vol: StatefulVolume,
  claim: Stored<V1PersistentVolumeClaim>,
  cls: ClassCheck,
): Promise<ResizeState> {
  // The decision reads no timestamps, so the wire form stands in for the model type.
  const decision = decideResize(claim as V1PersistentVolumeClaim, vol, cls);
  if (decision.kind !== 'patch') return decision;
  const name = claim.metadata.name ?? '';
  try {
    await deps.client.patch(
      coreTypes.persistentVolumeClaim,
      claim.metadata.namespace,
      name,
      { spec: { resources: { requests: { storage: decision.size } } } },
      { type: 'merge' },
    );
  } catch (err) {
    // Quota and admission refusals are the user's to fix; anything else is retried.
    if (!isForbidden(err) && !isInvalid(err)) throw err;
    return { kind: 'blocked', reason: reasons.ResizeRefused, message: errorMessage(err) };
  }
  deps.recorder.normal(vol, reasons.ClaimExpanding, `Requested ${decision.size} for claim ${name}.`);
  const from = claim.status?.capacity?.storage ?? '?';
  return {
    kind: 'resizing',
    message: `Expanding from ${from} to ${decision.size}: the volume is being expanded.`,
  };
}
