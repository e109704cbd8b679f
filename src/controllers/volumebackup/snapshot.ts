// The VolumeSnapshot a backup wants, and whether one found under its name is
// its own. Pure: ensure-snapshot.ts applies what these decide.
import { volumeBackupResource } from '../../api/v1alpha1/types.generated.js';
import { labelValue } from '../../kube/names.js';
import type { SnapshotState } from './progress.js';
import { labels, managerName } from '../../api/v1alpha1/vocabulary.js';
import { snapshotApiGroup, type VolumeSnapshot } from './types.js';

/** The fields of a VolumeBackup this module reads. */
export interface BackupShape {
  readonly metadata: { readonly name?: string; readonly namespace?: string; readonly uid?: string };
  readonly spec: { readonly volumeName: string };
}

/**
 * The snapshot is named like the backup, so a pass that created it and died
 * before writing status finds it again instead of taking a second one.
 */
export function snapshotNameOf(backup: BackupShape): string {
  return backup.metadata.name ?? '';
}

export function desiredSnapshot(
  backup: BackupShape,
  claimName: string,
  className: string | undefined,
): VolumeSnapshot {
  const name = snapshotNameOf(backup);
  return {
    apiVersion: `${snapshotApiGroup}/v1`,
    kind: 'VolumeSnapshot',
    metadata: {
      name,
      namespace: backup.metadata.namespace ?? '',
      labels: {
        [labels.managedBy]: managerName,
        [labels.volume]: labelValue(backup.spec.volumeName),
        [labels.backup]: labelValue(backup.metadata.name ?? ''),
      },
      ownerReferences: [
        {
          apiVersion: volumeBackupResource.apiVersion,
          kind: volumeBackupResource.kind,
          name: backup.metadata.name ?? '',
          uid: backup.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      source: { persistentVolumeClaimName: claimName },
      ...(className !== undefined ? { volumeSnapshotClassName: className } : {}),
    },
  };
}

/** True when the snapshot's controlling owner is this backup (by uid, so a namesake never counts). */
export function ownedBy(snapshot: VolumeSnapshot, backup: BackupShape): boolean {
  return (
    snapshot.metadata.ownerReferences?.some(
      (o) => o.controller === true && o.kind === volumeBackupResource.kind && o.uid === backup.metadata.uid,
    ) === true
  );
}

export function snapshotState(snapshot: VolumeSnapshot): SnapshotState {
  const s = snapshot.status;
  return {
    ...(s?.readyToUse !== undefined ? { readyToUse: s.readyToUse } : {}),
    ...(s?.restoreSize !== undefined ? { restoreSize: s.restoreSize } : {}),
    ...(s?.error?.message !== undefined ? { error: s.error.message } : {}),
  };
}

/** Who holds the name, for the refusal message. */
export function holderOf(snapshot: VolumeSnapshot): string {
  const owner = snapshot.metadata.ownerReferences?.find((o) => o.controller === true);
  return owner !== undefined ? `${owner.kind} ${owner.name}` : 'no owner (created by someone else)';
}
