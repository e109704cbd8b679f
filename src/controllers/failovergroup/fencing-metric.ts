// The failed nodes a group may not fence yet, as a gauge per reason: the
// numbers behind its Degraded condition, for an alert that a person has to
// confirm a shutdown or change the fencing policy. Set on every pass and
// removed when the reason clears or the group goes, so it never outlives its cause.
import { fencingRefusalReasons } from './consent.js';
import type { FencingRefusal } from './fence-step.js';
import type { FailoverGroupMetrics } from './metrics.js';

export interface GroupRef {
  readonly namespace: string;
  readonly name: string;
}

const reasons = Object.values(fencingRefusalReasons);

type WaitingGauge = Pick<FailoverGroupMetrics, 'fencingWaiting'>;

export function recordFencingWaiting(
  { fencingWaiting }: WaitingGauge,
  group: GroupRef,
  refused: readonly FencingRefusal[],
): void {
  for (const reason of reasons) {
    const labels = { namespace: group.namespace, failovergroup: group.name, reason };
    const count = refused.filter((r) => r.reason === reason).length;
    if (count > 0) fencingWaiting.set(labels, count);
    else fencingWaiting.remove(labels);
  }
}

export function clearFencingWaiting(metrics: WaitingGauge, group: GroupRef): void {
  recordFencingWaiting(metrics, group, []);
}
