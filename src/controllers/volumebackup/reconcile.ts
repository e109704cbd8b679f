// The VolumeBackup reconcile: its steps, in order, and one status write.
import type { VolumeBackup } from '../../api/v1alpha1/types.generated.js';
import type { ReconcileRequest } from '../../runtime/controller.js';
import type { Manager } from '../../runtime/manager.js';
import { done, type Result } from '../../runtime/result.js';
import { writeStatus } from '../../runtime/status.js';
import { ensureFinalizer, finalize } from './finalizer.js';
import type { SnapshotSlots } from './slots.js';
import { startOrTrack } from './start.js';
import { computeStatus, eventsFor, madeByPolicy, shouldWriteStatus } from './status.js';
import { observeReady, requeueOf } from './track.js';
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
  // 2. A Failed backup is final. A Ready one is a fact: only its snapshot's survival is observed.
  const phase = backup.status?.phase;
  if (phase === 'Failed') return done;
  // 3. Any other waits for its volume's claim, its turn, its class and a slot, then its snapshot is tracked.
  const pass =
    phase === 'Ready' ? await observeReady(mgr, backup) : await startOrTrack(mgr, slots, backup, now);
  if (pass.verdict.phase === 'Ready' || pass.verdict.phase === 'Failed') slots.release(backup);
  // 4. Status, written once and only when it changed; Events for the transitions it records.
  const status = computeStatus(backup, pass.verdict, pass.facts, now);
  if (shouldWriteStatus(backup.status, status)) {
    await writeStatus(mgr.client, volumeBackupType, backup, status, mgr.cache);
    for (const e of eventsFor(backup.status, status, madeByPolicy(backup)))
      mgr.recorder.record(backup, e.type, e.reason, e.message);
  }
  return requeueOf(pass);
}
