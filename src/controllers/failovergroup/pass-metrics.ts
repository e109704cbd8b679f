// What a pass counts once its status write succeeded, so a retried pass cannot
// count twice: the nodes it fenced, and the recovery time of a failover it
// saw complete.
import type { FailoverGroup, FailoverGroupStatus } from '../../api/v1alpha1/types.generated.js';
import type { FailoverGroupMetrics } from './metrics.js';

export function recordMetrics(
  metrics: Pick<FailoverGroupMetrics, 'nodesFenced' | 'failoverRecovery'>,
  fg: FailoverGroup,
  status: FailoverGroupStatus,
  fencedNow: number,
): void {
  if (fencedNow > 0) metrics.nodesFenced.inc(fencedNow);
  const last = status.lastFailover;
  const before = fg.status?.lastFailover;
  if (
    last?.completedAt !== undefined &&
    before?.completedAt === undefined &&
    last.recoverySeconds !== undefined
  )
    metrics.failoverRecovery.observe({ reason: last.reason ?? 'NodeFailure' }, last.recoverySeconds);
}
