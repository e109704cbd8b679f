// When a group looks again without an event to wake it. Silence produces no
// events, so the group's nodes are looked at again when silence alone could
// change a verdict (a renewal before then only makes the look a quiet pass);
// a failover in progress is watched closely.
import type { FailoverGroup, FailoverGroupStatus } from '../../api/v1alpha1/types.generated.js';
import { done, requeueAfter, soonest, type Result } from '../../runtime/result.js';
import type { GroupView } from './observe.js';
import type { ZoneOutcome } from './zone-step.js';

/** How often a group with a node that is not well looks for its recovery. */
const recoveryCheckSeconds = 5;

/** A zone step under way first, then the nodes' next look, then a wait the zone step asked for. */
export function lookAgain(
  fg: FailoverGroup,
  view: GroupView,
  status: FailoverGroupStatus,
  zone: ZoneOutcome,
): Result {
  if (zone.busy === true) return requeueAfter(1_000);
  const look = nextLook(view, status, fg.spec.nodeFailure?.detectionSeconds ?? 15);
  // A refused promotion is looked at again: a person may annotate, a zone may come back.
  const later = zone.lookAfterMs ?? (zone.refusal !== undefined ? 15_000 : undefined);
  return later === undefined ? look : soonest(look, requeueAfter(later));
}

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
