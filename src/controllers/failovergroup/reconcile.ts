// One pass over a FailoverGroup: observe, fence what failed, release what
// recovered, write status, and come back when a suspect node's detection
// window ends.
import type {
  FailoverGroup,
  FailoverGroupStatus,
  FailoverRecord,
} from '../../api/v1alpha1/types.generated.js';
import type { Logger } from 'pino';
import type { ApiClient, CacheReader } from '../../runtime/capabilities.js';
import type { ReconcileRequest } from '../../runtime/controller.js';
import type { Manager } from '../../runtime/manager.js';
import { done, requeueAfter, soonest, type Result } from '../../runtime/result.js';
import { writeStatus } from '../../runtime/status.js';
import { fencingRefusalReasons } from './consent.js';
import { fenceFailedNodes, type FencingContext } from './fence-step.js';
import { clearFencingWaiting, recordFencingWaiting } from './fencing-metric.js';
import { ensureFinalizer, finalizeGroup } from './finalize-step.js';
import type { Heartbeats } from './heartbeats.js';
import { observeGroup, type GroupView } from './observe.js';
import { failoverGroupType } from './types.js';
import { computeStatus, movesZone } from './status.js';
import { releaseRecoveredNodes } from './unfence-step.js';
import { handleSwitchover } from './switch-step.js';
import { handleZoneLoss, type ZoneOutcome } from './zone-step.js';

/** How often a group with a node that is not well looks for its recovery. */
const recoveryCheckSeconds = 5;

export async function reconcileFailoverGroup(
  mgr: Manager,
  heartbeats: Heartbeats,
  fencing: FencingContext,
  req: ReconcileRequest,
): Promise<Result> {
  const found = mgr.cache.get<FailoverGroup>(failoverGroupType, req.namespace, req.name);
  const ref = { namespace: req.namespace ?? '', name: req.name };
  if (found === undefined) {
    clearFencingWaiting(mgr.metrics, ref);
    return done;
  }
  // Deleted: finish the promotions it started and lift its taints before letting go.
  if (found.metadata.deletionTimestamp !== undefined) {
    clearFencingWaiting(mgr.metrics, ref);
    return finalizeGroup(mgr, found);
  }
  const fg = await ensureFinalizer(mgr, found);
  const now = mgr.clock.now();

  const view = observeGroup(mgr, heartbeats, fg, now);
  const fenced = await fenceFailedNodes(mgr, fg, view, now, fencing);
  recordFencingWaiting(mgr.metrics, ref, fenced.refused ?? []);
  const zone = await zoneStep(mgr, fg, view, fenced.started, now);
  const released = await releaseRecoveredNodes(mgr, fg, view);
  const status = computeStatus({ fg, view, fenced, released, now, zone });
  const { written } = await writeStatus(mgr.client, failoverGroupType, fg, status, mgr.cache);
  if (written) {
    recordMetrics(mgr, fg, status, fenced.fenced.length);
    announce(mgr, fg, status);
    announcePromotions(mgr, fg, zone);
  }

  if (zone.busy === true) return requeueAfter(1_000);
  const look = nextLook(view, status, fg.spec.nodeFailure?.detectionSeconds ?? 15);
  // A refused promotion is looked at again: a person may annotate, a zone may come back.
  const later = zone.lookAfterMs ?? (zone.refusal !== undefined ? 15_000 : undefined);
  return later === undefined ? look : soonest(look, requeueAfter(later));
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

// Events for what changed between the status read and the one written.
function announce(mgr: Manager, fg: FailoverGroup, status: FailoverGroupStatus): void {
  announceZoneLoss(mgr, fg, status);
  announceMove(mgr, fg, status);
  announceCompletion(mgr, fg, status);
  announceMissingWorkload(mgr, fg, status);
  announceFencingRefusal(mgr, fg, status);
  const degraded = status.conditions?.find((c) => c.type === 'Degraded');
  const was = fg.status?.conditions?.find((c) => c.type === 'Degraded');
  if (degraded === undefined || !refusalReasons.has(degraded.reason)) return;
  if (degraded.reason !== was?.reason)
    mgr.recorder.warning(fg, 'PromotionRefused', `${degraded.reason}: ${degraded.message}`);
}

/** Records added (a restore asked for) and records dropped because their volume finished, once status says so. */
function announcePromotions(mgr: Manager, fg: FailoverGroup, zone: ZoneOutcome): void {
  const before = new Set((fg.status?.promotions ?? []).map((p) => `${p.volume.uid ?? ''}@${p.startedAt}`));
  for (const p of zone.promotions ?? []) {
    if (p.restoreFrom === undefined || before.has(`${p.volume.uid ?? ''}@${p.startedAt}`)) continue;
    mgr.recorder.normal(
      fg,
      'RestoringFromBackup',
      `no standby of ${p.volume.name} in ${p.zone}: its StatefulVolume restores one there from backup ` +
        `${p.restoreFrom}, then promotes it`,
    );
  }
  for (const p of zone.promoted ?? [])
    mgr.recorder.normal(
      fg,
      'StandbyPromoted',
      `claim ${p.oldClaim?.name ?? p.volume.name} of StatefulVolume ${p.volume.name} now uses the standby's volume ` +
        `in ${p.zone}; the old primary's volume is kept (Retain)`,
    );
}

// A group whose workload is not there protects nothing: said once, when it starts.
function announceMissingWorkload(mgr: Manager, fg: FailoverGroup, status: FailoverGroupStatus): void {
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  const was = fg.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.reason !== 'WorkloadNotFound' || was?.reason === 'WorkloadNotFound') return;
  mgr.recorder.warning(
    fg,
    'WorkloadNotFound',
    `${ready.message ?? ''}; nothing is protected until it exists`,
  );
}

const fencingRefusals = new Set<string>(Object.values(fencingRefusalReasons));

// A failed node the operator may not fence: said once per reason, with what would let it.
function announceFencingRefusal(mgr: Manager, fg: FailoverGroup, status: FailoverGroupStatus): void {
  const degraded = status.conditions?.find((c) => c.type === 'Degraded');
  const was = fg.status?.conditions?.find((c) => c.type === 'Degraded');
  if (degraded === undefined || !fencingRefusals.has(degraded.reason) || degraded.reason === was?.reason)
    return;
  mgr.recorder.warning(fg, degraded.reason, degraded.message ?? '');
}

function announceZoneLoss(mgr: Manager, fg: FailoverGroup, status: FailoverGroupStatus): void {
  const last = status.lastFailover;
  const before = fg.status?.lastFailover;
  if (last?.reason !== 'ZoneFailure' || last.completedAt !== undefined) return;
  if (before?.reason === 'ZoneFailure' && before.startedAt === last.startedAt) return;
  const window = last.dataLossWindowSeconds;
  mgr.recorder.warning(
    fg,
    'ZoneLost',
    `zone ${last.fromZone ?? ''} has no Ready node; promoting the standbys in ${last.toZone ?? ''} ` +
      `(data loss window ${window !== undefined ? `${String(window)} s` : 'unknown'})`,
  );
}

/** A move (failback or asked for) this pass began. */
function begunMove(fg: FailoverGroup, status: FailoverGroupStatus): FailoverRecord | undefined {
  const last = status.lastFailover;
  if (last === undefined || last.completedAt !== undefined) return undefined;
  if (last.reason !== 'Failback' && last.reason !== 'Manual') return undefined;
  return fg.status?.lastFailover?.startedAt === last.startedAt ? undefined : last;
}

function announceMove(mgr: Manager, fg: FailoverGroup, status: FailoverGroupStatus): void {
  const last = begunMove(fg, status);
  if (last === undefined) return;
  const why = last.reason === 'Failback' ? 'back to the preferred zone' : 'as the promote annotation asks';
  mgr.recorder.normal(
    fg,
    last.reason === 'Failback' ? 'FailbackStarted' : 'MoveStarted',
    `moving from ${last.fromZone ?? ''} to ${last.toZone ?? ''} ${why}; taking a fresh backup of each volume first`,
  );
}

function announceCompletion(mgr: Manager, fg: FailoverGroup, status: FailoverGroupStatus): void {
  const last = status.lastFailover;
  const before = fg.status?.lastFailover;
  if (last?.completedAt === undefined) return;
  if (before?.completedAt !== undefined && before.startedAt === last.startedAt) return;
  const where = movesZone(last) ? `: running in ${last.toZone ?? ''}` : '';
  mgr.recorder.normal(
    fg,
    'FailoverComplete',
    `${last.reason ?? 'NodeFailure'} failover complete in ${String(last.recoverySeconds ?? 0)} s${where}`,
  );
}

const refusalReasons = new Set([
  'PromotionRefused',
  'NoHealthyZone',
  'NoStandby',
  'DataLossTooLarge',
  'ManualPromotion',
  'VolumeMissing',
  'VolumeTaken',
  'ClaimReplaced',
  'TargetZoneUnhealthy',
  'UnknownZone',
  'MoveBackupFailed',
]);

// Counted only after the status write succeeded, so a retried pass cannot count twice.
function recordMetrics(
  mgr: Manager,
  fg: FailoverGroup,
  status: FailoverGroupStatus,
  fencedNow: number,
): void {
  if (fencedNow > 0) mgr.metrics.nodesFenced.inc(fencedNow);
  const last = status.lastFailover;
  const before = fg.status?.lastFailover;
  if (
    last?.completedAt !== undefined &&
    before?.completedAt === undefined &&
    last.recoverySeconds !== undefined
  )
    mgr.metrics.failoverRecovery.observe({ reason: last.reason ?? 'NodeFailure' }, last.recoverySeconds);
}

// Silence produces no events, so the group's nodes are looked at again when
// silence alone could change a verdict (a renewal before then only makes the
// look a quiet pass); a failover in progress is watched closely.
/**
 * When to look again. A node that is not Healthy, or one the group fenced,
 * recovers through Lease renewals, which wake no group (and Node heartbeats no
 * longer do either): such a group looks again every few seconds, so a node
 * that came back is released and the group turns Healthy without waiting for
 * some unrelated event. A group whose nodes are all well is left alone.
 */
export function nextLook(
  view: Pick<GroupView, 'report' | 'verdictChangeSeconds' | 'groupNodes'>,
  status: Pick<FailoverGroupStatus, 'phase' | 'fencedNodes'>,
  detectionSeconds: number,
): Result {
  if (status.phase === 'FailingOver') return requeueAfter(1_000);
  const waits = view.verdictChangeSeconds !== undefined ? [view.verdictChangeSeconds] : [];
  if (view.report.kind === 'Unsure') waits.push(detectionSeconds);
  const unwell = view.report.nodes.some((n) => n.state !== 'Healthy' && view.groupNodes.has(n.name));
  if (unwell || (status.fencedNodes ?? []).length > 0)
    waits.push(Math.min(detectionSeconds, recoveryCheckSeconds));
  if (waits.length === 0) return done;
  return requeueAfter(Math.max(500, Math.min(...waits) * 1000 + 250));
}
