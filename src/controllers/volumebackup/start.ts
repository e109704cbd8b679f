// Step: a backup that is neither Ready nor Failed. Before its snapshot is
// requested it waits for what it needs, in the order below, each wait judged
// against its deadline; once the snapshot exists (or existed) only the
// snapshot is tracked, since the volume may have moved on since.
import type { VolumeBackup } from '../../api/v1alpha1/types.generated.js';
import type { ApiClient, CacheReader } from '../../runtime/capabilities.js';
import { createSnapshot, lookupSnapshot, startedBefore } from './ensure-snapshot.js';
import { findBlocker } from './inflight.js';
import { volumeBackupReasons as reasons } from '../../api/v1alpha1/reasons.js';
import { judgeWaiting, remainingMs, type Reason } from './progress.js';
import { resolveSnapshotClass } from './snapshot-class.js';
import type { SnapshotSlots } from './slots.js';
import { resolveSource } from './source.js';
import { deadlineOfBackup, track, type Pass } from './track.js';

export async function startOrTrack(
  deps: { cache: CacheReader; client: ApiClient },
  slots: SnapshotSlots,
  backup: VolumeBackup,
  now: Date,
): Promise<Pass> {
  const found = await lookupSnapshot(deps, backup);
  if (found.kind !== 'absent' || startedBefore(backup)) return track(backup, found, now);
  // The volume's primary claim, Bound.
  const source = resolveSource(deps, backup);
  if (source.kind === 'wait') return waiting(backup, source, now);
  // Its turn: one backup of a volume in flight at a time.
  const blocker = findBlocker(deps, backup);
  if (blocker !== undefined) {
    const message = `Waiting for VolumeBackup ${blocker} of the same volume to finish first.`;
    return waiting(backup, { reason: reasons.WaitingForInFlightBackup, message }, now);
  }
  // The snapshot class, if one is named.
  const snapshotClass = await resolveSnapshotClass(deps, backup);
  if (snapshotClass.kind === 'wait') return waiting(backup, snapshotClass, now);
  if (remainingMs(deadlineOfBackup(backup, undefined), now) <= 0) {
    const message = 'everything it needed became available only after its deadline';
    return waiting(backup, { reason: reasons.DeadlineExceeded, message }, now);
  }
  // A slot among the snapshots in progress, so a large run reaches the snapshot controller gradually.
  const slot = slots.admit(backup);
  if (!slot.admitted) {
    // No count of the snapshots in progress: it moves with every snapshot and would rewrite the status.
    const message =
      `Waiting for a snapshot slot: the operator runs at most ${String(slot.limit)} snapshots at a time ` +
      '(--backup-max-in-flight) and starts the waiting ones oldest first.';
    return waiting(backup, { reason: reasons.WaitingForSnapshotSlot, message }, now);
  }
  // The snapshot, created or adopted, then tracked.
  const made = await createSnapshot(deps, backup, source.claimName, snapshotClass.className);
  return track(backup, made, now);
}

function waiting(backup: VolumeBackup, wait: { reason: Reason; message: string }, now: Date): Pass {
  const deadline = deadlineOfBackup(backup, undefined);
  return { verdict: judgeWaiting(wait, deadline, backup.spec.deadlineSeconds, now), facts: {} };
}
