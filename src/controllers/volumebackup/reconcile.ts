// The VolumeBackup reconcile: its steps, in order, and one status write.
import type { VolumeBackup, VolumeBackupStatus } from '../../api/v1alpha1/types.generated.js';
import type { ReconcileRequest } from '../../runtime/controller.js';
import type { Manager } from '../../runtime/manager.js';
import { done, requeueAfter, type Result } from '../../runtime/result.js';
import { writeStatus } from '../../runtime/status.js';
import { createSnapshot, lookupSnapshot, startedBefore } from './ensure-snapshot.js';
import { ensureFinalizer, finalize } from './finalizer.js';
import { findBlocker } from './inflight.js';
import { judgeWaiting, reasons, remainingMs, type Reason } from './progress.js';
import { resolveSnapshotClass } from './snapshot-class.js';
import type { SnapshotSlots } from './slots.js';
import { resolveSource } from './source.js';
import { computeStatus, eventsFor, shouldWriteStatus } from './status.js';
import { deadlineOfBackup, observeReady, track, type Pass } from './track.js';
import { volumeBackupType } from './types.js';

export async function reconcileVolumeBackup(
  mgr: Manager,
  slots: SnapshotSlots,
  req: ReconcileRequest,
): Promise<Result> {
  // 1. Fetch; a backup being deleted lets go of its snapshot, unless a restore still reads from it.
  const found = mgr.cache.get<VolumeBackup>(volumeBackupType, req.namespace, req.name);
  if (found === undefined || found.metadata.deletionTimestamp !== undefined) {
    // A backup going away holds no snapshot slot and waits for none.
    slots.release({ metadata: { namespace: req.namespace, name: req.name } });
    return found === undefined ? done : finalize(mgr, found);
  }
  const backup = await ensureFinalizer(mgr, found);
  const now = mgr.clock.now();
  // 2. A Ready or Failed backup is a fact: only its snapshot's survival is observed.
  // 3–7. Otherwise: start it when its volume, turn and class allow, then track its snapshot.
  const phase = backup.status?.phase;
  const pass =
    phase === 'Failed'
      ? undefined
      : phase === 'Ready'
        ? await observeReady(mgr, backup)
        : await startOrTrack(mgr, slots, backup, now);
  if (pass === undefined) return done;
  if (pass.verdict.phase === 'Ready' || pass.verdict.phase === 'Failed') slots.release(backup);
  // 8. Status, written once and only when it changed; Events for the transitions it records.
  const status = computeStatus(backup, pass.verdict, pass.facts, now);
  if (!shouldWriteStatus(backup.status, status)) return requeueOf(pass);
  await writeStatus(mgr.client, volumeBackupType, backup, status, mgr.cache);
  recordTransitions(mgr, backup, status);
  return requeueOf(pass);
}

function recordTransitions(mgr: Manager, backup: VolumeBackup, status: VolumeBackupStatus): void {
  const policyMade = backup.spec.policyName !== undefined && backup.spec.policyName !== '';
  for (const e of eventsFor(backup.status, status, policyMade))
    mgr.recorder.record(backup, e.type, e.reason, e.message);
}

function requeueOf(pass: Pass): Result {
  return 'requeueAfterMs' in pass.verdict ? requeueAfter(pass.verdict.requeueAfterMs) : done;
}

async function startOrTrack(
  mgr: Manager,
  slots: SnapshotSlots,
  backup: VolumeBackup,
  now: Date,
): Promise<Pass> {
  // Once a snapshot exists (or existed) only it matters: the volume may have moved on since.
  const found = await lookupSnapshot(mgr, backup);
  if (found.kind !== 'absent' || startedBefore(backup)) return track(backup, found, now);
  // 3. The volume's primary claim, Bound.
  const source = resolveSource(mgr, backup);
  if (source.kind === 'wait') return waiting(backup, source, now);
  // 4. Its turn: one backup of a volume in flight at a time.
  const blocker = findBlocker(mgr, backup);
  if (blocker !== undefined) {
    const message = `Waiting for VolumeBackup ${blocker} of the same volume to finish first.`;
    return waiting(backup, { reason: reasons.WaitingForInFlightBackup, message }, now);
  }
  // 5. The snapshot class, if one is named.
  const snapshotClass = await resolveSnapshotClass(mgr, backup);
  if (snapshotClass.kind === 'wait') return waiting(backup, snapshotClass, now);
  if (remainingMs(deadlineOfBackup(backup, undefined), now) <= 0) {
    const message = 'everything it needed became available only after its deadline';
    return waiting(backup, { reason: reasons.DeadlineExceeded, message }, now);
  }
  // 6. A slot among the snapshots in progress, so a large run reaches the snapshot controller gradually.
  const slot = slots.admit(backup);
  if (!slot.admitted) {
    // No count of the snapshots in progress: it moves with every snapshot and would rewrite the status.
    const message =
      `Waiting for a snapshot slot: the operator runs at most ${String(slot.limit)} snapshots at a time ` +
      '(--backup-max-in-flight) and starts the waiting ones oldest first.';
    return waiting(backup, { reason: reasons.WaitingForSnapshotSlot, message }, now);
  }
  // 7–8. The snapshot, created or adopted, then tracked.
  const made = await createSnapshot(mgr, backup, source.claimName, snapshotClass.className);
  return track(backup, made, now);
}

function waiting(backup: VolumeBackup, wait: { reason: Reason; message: string }, now: Date): Pass {
  const deadline = deadlineOfBackup(backup, undefined);
  return { verdict: judgeWaiting(wait, deadline, backup.spec.deadlineSeconds, now), facts: {} };
}
