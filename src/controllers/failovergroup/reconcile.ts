// One pass over a FailoverGroup: observe, fence what failed, release what
// recovered, write status, and come back when a suspect node's detection
// window ends.
import type { FailoverGroup, FailoverRecord } from '../../api/v1alpha1/types.generated.js';
import type { Logger } from 'pino';
import type { ApiClient, CacheReader } from '../../runtime/capabilities.js';
import type { ReconcileRequest } from '../../runtime/controller.js';
import type { Manager } from '../../runtime/manager.js';
import { done, type Result } from '../../runtime/result.js';
import { writeStatus } from '../../runtime/status.js';
import { announce } from './events.js';
import { fenceFailedNodes, type FencingContext } from './fence-step.js';
import { clearFencingWaiting, recordFencingWaiting } from './fencing-metric.js';
import { ensureFinalizer, finalizeGroup } from './finalize-step.js';
import type { Heartbeats } from './heartbeats.js';
import { observeGroup, type GroupView } from './observe.js';
import { failoverGroupMetrics } from './metrics.js';
import { recordMetrics } from './pass-metrics.js';
import { lookAgain } from './requeue.js';
import { failoverGroupType } from './types.js';
import { computeStatus } from './status.js';
import { releaseRecoveredNodes } from './unfence-step.js';
import { handleSwitchover } from './switch-step.js';
import { handleZoneLoss, type ZoneOutcome } from './zone-step.js';

export async function reconcileFailoverGroup(
  mgr: Manager,
  heartbeats: Heartbeats,
  fencing: FencingContext,
  req: ReconcileRequest,
): Promise<Result> {
  const found = mgr.cache.get<FailoverGroup>(failoverGroupType, req.namespace, req.name);
  const ref = { namespace: req.namespace ?? '', name: req.name };
  const metrics = failoverGroupMetrics(mgr.metrics);
  if (found === undefined) {
    clearFencingWaiting(metrics, ref);
    return done;
  }
  // Deleted: finish the promotions it started and lift its taints before letting go.
  if (found.metadata.deletionTimestamp !== undefined) {
    clearFencingWaiting(metrics, ref);
    return finalizeGroup(mgr, found);
  }
  const fg = await ensureFinalizer(mgr, found);
  const now = mgr.clock.now();

  const view = observeGroup(mgr, heartbeats, fg, now);
  const fenced = await fenceFailedNodes(mgr, fg, view, now, fencing);
  recordFencingWaiting(metrics, ref, fenced.refused ?? []);
  const zone = await zoneStep(mgr, fg, view, fenced.started, now);
  const released = await releaseRecoveredNodes(mgr, fg, view);
  const status = computeStatus({ fg, view, fenced, released, now, zone });
  const { written } = await writeStatus(mgr.client, failoverGroupType, fg, status, mgr.cache);
  if (written) {
    recordMetrics(metrics, fg, status, fenced.fenced.length);
    announce(mgr.recorder, fg, status, zone);
  }
  return lookAgain(fg, view, status, zone);
}

/** A lost zone first; a planned move (failback, or one a person asked for) only while none is lost. */
async function zoneStep(
  deps: { client: ApiClient; cache: CacheReader; log: Logger },
  fg: FailoverGroup,
  view: GroupView,
  started: readonly FailoverRecord[],
  now: Date,
): Promise<ZoneOutcome> {
  const current = started.at(-1) ?? fg.status?.lastFailover;
  const lost = await handleZoneLoss(deps, fg, view, current, now);
  const quiet = lost.record === undefined && lost.refusal === undefined && lost.busy !== true;
  return quiet ? handleSwitchover(deps, fg, view, current, now) : lost;
}
