// The StatefulVolume reconcile: its steps, in order, and one status write.
// Every step reads the cache as it is now, so a pass after a restart or a
// missed event does the same as one woken by that event.
import type { StatefulVolume } from '../../api/v1alpha1/types.generated.js';
import type { ReconcileRequest } from '../../runtime/controller.js';
import type { Manager } from '../../runtime/manager.js';
import { done, type Result } from '../../runtime/result.js';
import { writeStatus } from '../../runtime/status.js';
import { ensureClaim } from './ensure-claim.js';
import { ensureSize, type ResizeState } from './expand.js';
import { ensureFinalizer, finalize } from './finalizer.js';
import { followConsumer } from './follow.js';
import { nextLook } from './next-look.js';
import { placeReplicas } from './place.js';
import { followPromotion } from './promote.js';
import type { ProvisioningFailures } from './provisioning.js';
import { resolveSource } from './resolve-source.js';
import { ensureStandbys } from './standbys.js';
import { computeStatus, newProblems } from './status.js';
import { checkStorageClass } from './storage-class.js';
import { statefulVolumeType } from './types.js';

export async function reconcileStatefulVolume(
  mgr: Manager,
  req: ReconcileRequest,
  failures: ProvisioningFailures,
): Promise<Result> {
  // 1. Fetch; a volume being deleted releases or deletes its claims, then lets go.
  const found = mgr.cache.get<StatefulVolume>(statefulVolumeType, req.namespace, req.name);
  if (found === undefined) return done;
  if (found.metadata.deletionTimestamp !== undefined) {
    await finalize(mgr, found);
    return done;
  }
  const vol = await ensureFinalizer(mgr, found);
  // 2. What the claims need: their class, their zones, the primary's source.
  const storageClass = checkStorageClass(mgr, vol);
  const placement = placeReplicas(mgr, vol);
  const source = resolveSource(mgr, vol);
  // 3. A FailoverGroup's promotion recorded for this volume is carried out here, on its own claims.
  const promotion = await followPromotion(mgr, vol, placement);
  // 4. The primary claim (not while it is being rebound), then its size.
  const claim = await ensureClaim(mgr, vol, { storageClass, placement, source, promoting: promotion.frozen });
  // The new claim's own watch event brings the next pass at once; its status says more than this one's.
  if (claim.kind === 'created') return done;
  const none: ResizeState = { kind: 'none' };
  const resize = claim.kind === 'present' ? await ensureSize(mgr, vol, claim.claim, storageClass) : none;
  // What a Pending claim waits for: its first pod, or a provisioner that may have refused it.
  const pending = await failures.observe(mgr, claim, storageClass);
  // 5. One standby per remaining zone, filled from the newest Ready backup; left as they are while promoting.
  const primaryBound = claim.kind === 'present' && claim.claim.status?.phase === 'Bound' && !promotion.frozen;
  const standbys = await ensureStandbys(mgr, vol, placement, primaryBound);
  // 6. The pod that mounts the primary, wherever it runs.
  const following = followConsumer(mgr, vol, placement);
  // 7. Status, written once and only when it changed; a Warning for each new problem.
  const status = computeStatus(
    vol,
    { claim, resize, placement, standbys, promotion, pending: pending.pending, ...following },
    mgr.clock.now(),
  );
  for (const p of newProblems(vol.status?.conditions, status.conditions ?? []))
    mgr.recorder.warning(vol, p.reason, p.message);
  await writeStatus(mgr.client, statefulVolumeType, vol, status, mgr.cache);
  // 8. Again later, for what wakes no watch: an expansion, a rebind, a refusal, a provisioner.
  return nextLook(resize, claim, standbys, promotion, pending);
}
