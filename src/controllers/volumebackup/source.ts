// Step: the claim to snapshot. It is the StatefulVolume's primary claim, and it
// must exist and be Bound: a snapshot of an unbound claim would wait in the
// snapshot controller with no deadline of ours to stop it.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { StatefulVolume, VolumeBackup } from '../../api/v1alpha1/types.generated.js';
import { coreTypes } from '../../kube/resource.js';
import type { Stored } from '../../kube/wire.js';
import type { CacheReader } from '../../runtime/capabilities.js';
import { volumeBackupReasons as reasons } from '../../api/v1alpha1/reasons.js';
import { type Reason } from './progress.js';
import { statefulVolumeType } from './types.js';

/** The fields of a StatefulVolume this step reads. */
export interface VolumeShape {
  readonly metadata: { readonly name?: string; readonly deletionTimestamp?: string };
  readonly spec: { readonly claimName?: string };
  readonly status?: { readonly claimName?: string };
}

/** The fields of a claim this step reads. */
export interface ClaimShape {
  readonly metadata: { readonly deletionTimestamp?: string };
  readonly status?: { readonly phase?: string };
}

export type SourceDecision =
  | { readonly kind: 'ready'; readonly claimName: string }
  | { readonly kind: 'wait'; readonly reason: Reason; readonly message: string };

/** The claim the workload mounts: what the volume reports, else what it asks for. */
export function primaryClaimName(vol: VolumeShape): string {
  return vol.status?.claimName ?? vol.spec.claimName ?? vol.metadata.name ?? '';
}

export function decideSource(
  volumeName: string,
  vol: VolumeShape | undefined,
  claim: ClaimShape | undefined,
): SourceDecision {
  if (vol === undefined) {
    return {
      kind: 'wait',
      reason: reasons.VolumeNotFound,
      message: `StatefulVolume ${volumeName} does not exist in this namespace; create it or fix spec.volumeName.`,
    };
  }
  const claimName = primaryClaimName(vol);
  if (claim === undefined) {
    return {
      kind: 'wait',
      reason: reasons.VolumeNotBound,
      message: `Waiting for claim ${claimName} of StatefulVolume ${volumeName} to be created.`,
    };
  }
  if (claim.metadata.deletionTimestamp !== undefined) {
    return {
      kind: 'wait',
      reason: reasons.VolumeNotBound,
      message: `Claim ${claimName} of StatefulVolume ${volumeName} is being deleted.`,
    };
  }
  if (claim.status?.phase !== 'Bound') {
    return {
      kind: 'wait',
      reason: reasons.VolumeNotBound,
      message: `Waiting for claim ${claimName} of StatefulVolume ${volumeName} to be Bound (it is ${claim.status?.phase ?? 'Pending'}).`,
    };
  }
  return { kind: 'ready', claimName };
}

/** Reads the volume and its primary claim from the cache and decides. */
export function resolveSource(deps: { cache: CacheReader }, backup: VolumeBackup): SourceDecision {
  const ns = backup.metadata.namespace;
  const volumeName = backup.spec.volumeName;
  const vol = deps.cache.get<StatefulVolume>(statefulVolumeType, ns, volumeName);
  const claim =
    vol === undefined
      ? undefined
      : deps.cache.get<Stored<V1PersistentVolumeClaim>>(
          coreTypes.persistentVolumeClaim,
          ns,
          primaryClaimName(vol),
        );
  return decideSource(volumeName, vol, claim);
}
