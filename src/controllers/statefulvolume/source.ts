// Where a new primary's data comes from: a Ready VolumeBackup, a ready
// VolumeSnapshot, or a claim to clone, always in the volume's own namespace.
// A source that is missing or not ready yet is a reason to wait, never an error
// that stops the reconciler: the user may be creating it right now.
import type { DataSourceRef } from './claim.js';

export interface SourceSpec {
  readonly volumeBackupName?: string;
  readonly volumeSnapshotName?: string;
  readonly persistentVolumeClaimName?: string;
}

/** What the cache holds for the named source, reduced to what the decision needs. */
export interface SourceLookup {
  readonly backup?: {
    readonly phase?: string;
    readonly volumeSnapshotName?: string;
    readonly restoreSize?: string;
  };
  readonly snapshot?: {
    readonly readyToUse?: boolean;
    readonly restoreSize?: string;
    readonly error?: string;
  };
  readonly claim?: { readonly phase?: string; readonly storageClassName?: string };
}

export type SourceDecision =
  | { readonly kind: 'none' }
  | { readonly kind: 'ready'; readonly dataSource: DataSourceRef; readonly restoreSize?: string }
  | { readonly kind: 'wait'; readonly reason: string; readonly message: string }
  | { readonly kind: 'invalid'; readonly reason: string; readonly message: string };

const snapshotGroup = 'snapshot.storage.k8s.io';

function fromBackup(name: string, found: SourceLookup['backup']): SourceDecision {
  if (found === undefined) {
    return {
      kind: 'wait',
      reason: 'SourceNotFound',
      message: `VolumeBackup ${name} does not exist in this namespace`,
    };
  }
  if (found.phase === 'Failed') {
    return {
      kind: 'invalid',
      reason: 'SourceFailed',
      message: `VolumeBackup ${name} failed; choose another backup in spec.source`,
    };
  }
  if (found.phase !== 'Ready' || found.volumeSnapshotName === undefined) {
    return {
      kind: 'wait',
      reason: 'SourceNotReady',
      message: `VolumeBackup ${name} is ${found.phase ?? 'Pending'}, waiting for Ready`,
    };
  }
  return {
    kind: 'ready',
    dataSource: { apiGroup: snapshotGroup, kind: 'VolumeSnapshot', name: found.volumeSnapshotName },
    ...(found.restoreSize !== undefined ? { restoreSize: found.restoreSize } : {}),
  };
}

function fromSnapshot(name: string, found: SourceLookup['snapshot']): SourceDecision {
  if (found === undefined) {
    return {
      kind: 'wait',
      reason: 'SourceNotFound',
      message: `VolumeSnapshot ${name} does not exist in this namespace`,
    };
  }
  if (found.readyToUse !== true) {
    // The CSI error field is not final by itself: snapshotters retry, so it is reported, not acted on.
    const why = found.error !== undefined ? ` (last error: ${found.error})` : '';
    return {
      kind: 'wait',
      reason: 'SourceNotReady',
      message: `VolumeSnapshot ${name} is not ready to use yet${why}`,
    };
  }
  return {
    kind: 'ready',
    dataSource: { apiGroup: snapshotGroup, kind: 'VolumeSnapshot', name },
    ...(found.restoreSize !== undefined ? { restoreSize: found.restoreSize } : {}),
  };
}

function fromClaim(name: string, found: SourceLookup['claim']): SourceDecision {
  if (found === undefined) {
    return {
      kind: 'wait',
      reason: 'SourceNotFound',
      message: `PersistentVolumeClaim ${name} does not exist in this namespace`,
    };
  }
  if (found.phase !== 'Bound') {
    return {
      kind: 'wait',
      reason: 'SourceNotReady',
      message: `PersistentVolumeClaim ${name} is ${found.phase ?? 'Pending'}, waiting for Bound`,
    };
  }
  return { kind: 'ready', dataSource: { kind: 'PersistentVolumeClaim', name } };
}

export function decideSource(
  source: SourceSpec | undefined,
  found: SourceLookup,
  ownClaim: string,
): SourceDecision {
  if (source === undefined) return { kind: 'none' };
  if (source.volumeBackupName !== undefined) return fromBackup(source.volumeBackupName, found.backup);
  if (source.volumeSnapshotName !== undefined) return fromSnapshot(source.volumeSnapshotName, found.snapshot);
  if (source.persistentVolumeClaimName !== undefined) {
    if (source.persistentVolumeClaimName === ownClaim) {
      return {
        kind: 'invalid',
        reason: 'SourceIsSelf',
        message: `spec.source.persistentVolumeClaimName names the volume's own claim ${ownClaim}`,
      };
    }
    return fromClaim(source.persistentVolumeClaimName, found.claim);
  }
  return { kind: 'none' };
}
