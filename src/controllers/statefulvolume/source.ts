// Where a new primary's data comes from: a Ready VolumeBackup, a ready
// VolumeSnapshot, or a claim to clone, always in the volume's own namespace.
// A source that is missing or not ready yet is a reason to wait, never an error
// that stops the reconciler: the user may be creating it right now.
import { statefulVolumeReasons as reasons } from '../../api/v1alpha1/reasons.js';
import { snapshotSource, type DataSourceRef } from './claim.js';

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

function notFound(kind: string, name: string): SourceDecision {
  return {
    kind: 'wait',
    reason: reasons.SourceNotFound,
    message: `${kind} ${name} does not exist in this namespace`,
  };
}

function notReady(message: string): SourceDecision {
  return { kind: 'wait', reason: reasons.SourceNotReady, message };
}

function restoreOf(snapshot: string, restoreSize: string | undefined): SourceDecision {
  return {
    kind: 'ready',
    dataSource: snapshotSource(snapshot),
    ...(restoreSize !== undefined ? { restoreSize } : {}),
  };
}

function fromBackup(name: string, found: SourceLookup['backup']): SourceDecision {
  if (found === undefined) return notFound('VolumeBackup', name);
  if (found.phase === 'Failed') {
    return {
      kind: 'invalid',
      reason: reasons.SourceFailed,
      message: `VolumeBackup ${name} failed; choose another backup in spec.source`,
    };
  }
  if (found.phase !== 'Ready' || found.volumeSnapshotName === undefined)
    return notReady(`VolumeBackup ${name} is ${found.phase ?? 'Pending'}, waiting for Ready`);
  return restoreOf(found.volumeSnapshotName, found.restoreSize);
}

function fromSnapshot(name: string, found: SourceLookup['snapshot']): SourceDecision {
  if (found === undefined) return notFound('VolumeSnapshot', name);
  if (found.readyToUse !== true) {
    // The CSI error field is not final by itself: snapshotters retry, so it is reported, not acted on.
    const why = found.error !== undefined ? ` (last error: ${found.error})` : '';
    return notReady(`VolumeSnapshot ${name} is not ready to use yet${why}`);
  }
  return restoreOf(name, found.restoreSize);
}

function fromClaim(name: string, found: SourceLookup['claim']): SourceDecision {
  if (found === undefined) return notFound('PersistentVolumeClaim', name);
  if (found.phase !== 'Bound')
    return notReady(`PersistentVolumeClaim ${name} is ${found.phase ?? 'Pending'}, waiting for Bound`);
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
        reason: reasons.SourceIsSelf,
        message: `spec.source.persistentVolumeClaimName names the volume's own claim ${ownClaim}`,
      };
    }
    return fromClaim(source.persistentVolumeClaimName, found.claim);
  }
  return { kind: 'none' };
}
