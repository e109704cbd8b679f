// Step: one backup of a volume in flight at a time. Snapshots of one volume
// taken in parallel compete for the same disk and tell nothing new; a fixed
// order (creationTimestamp, then name) also means two backups reconciled at
// the same moment never both decide to start.
import { volumeBackupConditions as types } from '../../api/v1alpha1/types.generated.js';
import type { VolumeBackup } from '../../api/v1alpha1/types.generated.js';
import type { CacheReader } from '../../runtime/capabilities.js';
import { volumeBackupReasons as reasons } from '../../api/v1alpha1/reasons.js';
import { ownedBy } from './snapshot.js';
import { volumeBackupType, volumeSnapshotType, type VolumeSnapshot } from './types.js';

/** A backup of the same volume, reduced to what the order needs. */
export interface SiblingBackup {
  readonly name: string;
  readonly creationTimestamp?: string;
  readonly phase?: string;
  /** Its snapshot exists and is not ready, whatever its status says yet. */
  readonly snapshotPending?: boolean;
  /** It waits for a snapshot class of its own, so it must not hold the others back. */
  readonly waitsOnOwnClass?: boolean;
  readonly deleting?: boolean;
}

const finished = new Set(['Ready', 'Failed']);

/** Earlier creationTimestamp first, then name; a missing timestamp sorts last. */
export function compareBackups(a: SiblingBackup, b: SiblingBackup): number {
  const ta = a.creationTimestamp !== undefined ? Date.parse(a.creationTimestamp) : Number.POSITIVE_INFINITY;
  const tb = b.creationTimestamp !== undefined ? Date.parse(b.creationTimestamp) : Number.POSITIVE_INFINITY;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function inFlight(b: SiblingBackup): boolean {
  return b.phase === 'InProgress' || b.snapshotPending === true;
}

/**
 * The backup this one must wait for, if any: one already in flight, else an
 * earlier one that has not finished and could start first.
 */
export function inFlightBlocker(self: SiblingBackup, siblings: readonly SiblingBackup[]): string | undefined {
  const open = siblings
    .filter((o) => o.name !== self.name && o.deleting !== true && !finished.has(o.phase ?? ''))
    .sort(compareBackups);
  const running = open.find(inFlight);
  if (running !== undefined) return running.name;
  return open.find((o) => o.waitsOnOwnClass !== true && compareBackups(o, self) < 0)?.name;
}

function snapshotPending(deps: { cache: CacheReader }, b: VolumeBackup): boolean {
  const name = b.status?.volumeSnapshotName ?? b.metadata.name ?? '';
  const snapshot = deps.cache.get<VolumeSnapshot>(volumeSnapshotType, b.metadata.namespace, name);
  return snapshot !== undefined && ownedBy(snapshot, b) && snapshot.status?.readyToUse !== true;
}

function siblingOf(deps: { cache: CacheReader }, b: VolumeBackup): SiblingBackup {
  const ready = b.status?.conditions?.find((c) => c.type === types.Ready);
  return {
    name: b.metadata.name ?? '',
    creationTimestamp: b.metadata.creationTimestamp,
    phase: b.status?.phase,
    snapshotPending: snapshotPending(deps, b),
    waitsOnOwnClass: ready?.reason === reasons.SnapshotClassNotFound,
    deleting: b.metadata.deletionTimestamp !== undefined,
  };
}

/** The other backups of the same volume, from the cache. */
export function siblingsOf(deps: { cache: CacheReader }, backup: VolumeBackup): VolumeBackup[] {
  return deps.cache.list<VolumeBackup>(
    volumeBackupType,
    backup.metadata.namespace,
    (b) => b.spec.volumeName === backup.spec.volumeName && b.metadata.uid !== backup.metadata.uid,
  );
}

export function findBlocker(deps: { cache: CacheReader }, backup: VolumeBackup): string | undefined {
  const self = siblingOf(deps, backup);
  return inFlightBlocker(
    self,
    siblingsOf(deps, backup).map((b) => siblingOf(deps, b)),
  );
}
