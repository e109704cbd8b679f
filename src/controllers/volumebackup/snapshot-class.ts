// Step: the VolumeSnapshotClass of the snapshot. The backup's own class wins,
// then its policy's; with neither the field stays unset and the snapshot
// controller picks the default class of the claim's CSI driver. A named class
// that does not exist is waited for (until the deadline), not guessed around:
// the user may be creating it, and another class may have another deletion
// policy.
import type { VolumeBackup, VolumeBackupPolicy } from '../../api/v1alpha1/types.generated.js';
import type { ApiReader, CacheReader } from '../../runtime/capabilities.js';
import { volumeBackupReasons as reasons } from '../../api/v1alpha1/reasons.js';
import { type Reason } from './progress.js';
import { volumeBackupPolicyType, volumeSnapshotClassType, type VolumeSnapshotClass } from './types.js';

export type ClassDecision =
  | { readonly kind: 'ready'; readonly className?: string }
  | { readonly kind: 'wait'; readonly reason: Reason; readonly message: string };

/** Which class is asked for, and by whom (for the message). */
export function requestedClass(
  backupClass: string | undefined,
  policy: { readonly name: string; readonly className?: string } | undefined,
): { readonly className: string; readonly from: string } | undefined {
  if (backupClass !== undefined) return { className: backupClass, from: 'spec.volumeSnapshotClassName' };
  if (policy?.className !== undefined)
    return { className: policy.className, from: `VolumeBackupPolicy ${policy.name}` };
  return undefined;
}

export function decideClass(
  requested: { readonly className: string; readonly from: string } | undefined,
  exists: boolean,
): ClassDecision {
  if (requested === undefined) return { kind: 'ready' };
  if (!exists) {
    return {
      kind: 'wait',
      reason: reasons.SnapshotClassNotFound,
      message: `VolumeSnapshotClass ${requested.className} (from ${requested.from}) does not exist; create it or name another class.`,
    };
  }
  return { kind: 'ready', className: requested.className };
}

/**
 * The policy is read with a GET, not from a cache: it is needed once per
 * backup, before the snapshot exists, and never again.
 */
async function policyClass(
  deps: { client: ApiReader },
  backup: VolumeBackup,
): Promise<{ name: string; className?: string } | undefined> {
  const name = backup.spec.policyName;
  if (name === undefined || backup.spec.volumeSnapshotClassName !== undefined) return undefined;
  const policy = await deps.client.find<VolumeBackupPolicy>(
    volumeBackupPolicyType,
    backup.metadata.namespace,
    name,
  );
  // A policy deleted since it made the backup leaves the driver's default class.
  const className = policy?.spec.volumeSnapshotClassName;
  return className !== undefined ? { name, className } : { name };
}

export async function resolveSnapshotClass(
  deps: { cache: CacheReader; client: ApiReader },
  backup: VolumeBackup,
): Promise<ClassDecision> {
  const requested = requestedClass(backup.spec.volumeSnapshotClassName, await policyClass(deps, backup));
  const exists =
    requested !== undefined &&
    deps.cache.get<VolumeSnapshotClass>(volumeSnapshotClassType, undefined, requested.className) !==
      undefined;
  return decideClass(requested, exists);
}
