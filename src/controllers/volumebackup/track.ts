// Step: what the backup's snapshot says. Tracked until it is ready or the
// deadline passes; after that only its survival is observed, since a Ready
// backup is a fact and a lost snapshot is never re-created.
import type { VolumeBackup } from '../../api/v1alpha1/types.generated.js';
import type { ApiReader, CacheReader } from '../../runtime/capabilities.js';
import { rfc3339 } from '../../runtime/clock.js';
import { done, requeueAfter, type Result } from '../../runtime/result.js';
import { lookupSnapshot, startedBefore, type SnapshotLookup } from './ensure-snapshot.js';
import {
  deadlineOf,
  judgeReadyBackup,
  judgeSnapshot,
  lostInProgress,
  nameTaken,
  type Verdict,
} from './progress.js';
import { holderOf, snapshotNameOf, snapshotState } from './snapshot.js';
import type { Facts } from './status.js';
import type { VolumeSnapshot } from './types.js';

/** What one pass concluded: the verdict, and the facts about the snapshot to record. */
export interface Pass {
  readonly verdict: Verdict;
  readonly facts: Facts;
}

/** Looked at again by the verdict's deadline or poll; a verdict without one waits for an event. */
export function requeueOf(pass: Pass): Result {
  return 'requeueAfterMs' in pass.verdict ? requeueAfter(pass.verdict.requeueAfterMs) : done;
}

export function deadlineOfBackup(backup: VolumeBackup, startedAt: string | undefined): Date | undefined {
  return deadlineOf(startedAt, backup.metadata.creationTimestamp, backup.spec.deadlineSeconds);
}

export async function observeReady(
  deps: { cache: CacheReader; client: ApiReader },
  backup: VolumeBackup,
): Promise<Pass> {
  const found = await lookupSnapshot(deps, backup);
  const name = backup.status?.volumeSnapshotName ?? snapshotNameOf(backup);
  const snapshot =
    found.kind === 'owned'
      ? {
          ...snapshotState(found.snapshot),
          deleting: found.snapshot.metadata.deletionTimestamp !== undefined,
        }
      : undefined;
  return { verdict: judgeReadyBackup(name, snapshot, backup.status?.restoreSize), facts: {} };
}

/** When the snapshot was requested: recorded, or now for ours, or its creation for an adopted one. */
function startedAtOf(backup: VolumeBackup, snapshot: VolumeSnapshot, createdNow: boolean, now: Date): string {
  const recorded = backup.status?.startedAt;
  if (recorded !== undefined) return recorded;
  if (createdNow) return rfc3339(now);
  // Adopted after a restart: it was requested when it was created, not now.
  return snapshot.metadata.creationTimestamp ?? rfc3339(now);
}

export function track(backup: VolumeBackup, found: SnapshotLookup, now: Date): Pass {
  const name = backup.status?.volumeSnapshotName ?? snapshotNameOf(backup);
  if (found.kind === 'absent') return { verdict: lostInProgress(name), facts: {} };
  if (found.kind === 'foreign') {
    // Ours was replaced by a namesake after it was requested: ours is lost, theirs is not touched.
    const verdict = startedBefore(backup) ? lostInProgress(name) : nameTaken(name, holderOf(found.snapshot));
    return { verdict, facts: {} };
  }
  const snapshot = found.snapshot;
  if (snapshot.metadata.deletionTimestamp !== undefined) return { verdict: lostInProgress(name), facts: {} };
  const startedAt = startedAtOf(backup, found.snapshot, found.created === true, now);
  const claim = snapshot.spec.source.persistentVolumeClaimName;
  const facts: Facts = {
    volumeSnapshotName: snapshot.metadata.name ?? name,
    startedAt,
    ...(claim !== undefined ? { sourceClaimName: claim } : {}),
  };
  const deadline = deadlineOfBackup(backup, startedAt);
  const verdict = judgeSnapshot(
    facts.volumeSnapshotName ?? name,
    snapshotState(snapshot),
    deadline,
    backup.spec.deadlineSeconds,
    now,
  );
  return { verdict, facts };
}
