// The StatefulVolume reconcile: its steps, in order, and one status write.
import type { StatefulVolume } from '../../api/v1alpha1/types.generated.js';
import type { ReconcileRequest } from '../../runtime/controller.js';
import type { Manager } from '../../runtime/manager.js';
import { done, type Result } from '../../runtime/result.js';
import { writeStatus } from '../../runtime/status.js';
import { ensureClaim } from './ensure-claim.js';
import { ensureFinalizer, finalize } from './finalizer.js';
import { computeStatus, reasons } from './status.js';
import { statefulVolumeType } from './types.js';

export async function reconcileStatefulVolume(mgr: Manager, req: ReconcileRequest): Promise<Result> {
  // 1. Fetch; a volume being deleted releases or deletes its claim, then lets go.
  const found = mgr.cache.get<StatefulVolume>(statefulVolumeType, req.namespace, req.name);
  if (found === undefined) return done;
  if (found.metadata.deletionTimestamp !== undefined) {
    await finalize(mgr, found);
    return done;
  }
  const vol = await ensureFinalizer(mgr, found);
  // 2. The primary claim: created, adopted or refused.
  const outcome = await ensureClaim(mgr, vol);
  if (outcome.kind === 'refused') mgr.recorder.warning(vol, reasons.AdoptionRefused, outcome.message);
  // 3. Status, written once and only when it changed.
  await writeStatus(mgr.client, statefulVolumeType, vol, computeStatus(vol, outcome, mgr.clock.now()));
  return done;
}
