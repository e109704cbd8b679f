// When a StatefulVolume is looked at again with no event to wake it: what it
// waits for (an expansion, a rebind, a refused claim, a provisioner) writes
// nothing this controller watches, or nothing for a while.
import { done, requeueAfter, type Result } from '../../runtime/result.js';
import type { ClaimOutcome } from './ensure-claim.js';
import type { ResizeState } from './expand.js';
import type { PromotionOutcome } from './promote.js';
import type { PendingObservation } from './provisioning.js';
import type { StandbyOutcome } from './standbys.js';

/** While an expansion runs nothing may change on the watched objects for a while; look again. */
const resizePollMs = 15_000;
/** While a promotion is being carried out: the next step is usually a moment away. */
const promotionPollMs = 1_000;
/** How often a claim the API server refused (quota, admission) is tried again. */
const refusedRetryMs = 30_000;

export function nextLook(
  resize: ResizeState,
  claim: ClaimOutcome,
  standbys: StandbyOutcome,
  promotion: PromotionOutcome,
  pending: PendingObservation,
): Result {
  // A rebind in progress is looked at closely; the group waits on it.
  if (promotion.busy) return requeueAfter(promotionPollMs);
  if (promotion.retry) return requeueAfter(refusedRetryMs / 2);
  if (resize.kind === 'resizing') return requeueAfter(resizePollMs);
  // A quota raised or a policy relaxed sends no event to this controller: try again now and then.
  if (claim.kind === 'failed' || standbys.problem !== undefined) return requeueAfter(refusedRetryMs);
  // The provisioner's Events on a Pending claim wake nothing here either.
  return pending.recheckInMs !== undefined ? requeueAfter(Math.max(pending.recheckInMs, 1_000)) : done;
}
