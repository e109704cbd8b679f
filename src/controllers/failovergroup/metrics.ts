// The FailoverGroup controller's own series, on the manager's registry.
import { Counter, Gauge, Histogram } from 'prom-client';
import { metricSet, ownPrefix } from '../../observability/metrics.js';

/** Failover reasons, created at zero so the first failover shows as an increase. */
const failoverReasons = ['NodeFailure', 'ZoneFailure', 'Failback', 'Manual'] as const;

export const failoverGroupMetrics = metricSet((registry) => {
  const failoverRecovery = new Histogram({
    name: `${ownPrefix}failover_recovery_seconds`,
    help: 'Seconds from the first silence of a failed node (or zone) until the group’s pods were Ready again.',
    labelNames: ['reason'] as const,
    buckets: [5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600],
    registers: [registry],
  });
  for (const reason of failoverReasons) failoverRecovery.zero({ reason });
  const nodesFenced = new Counter({
    name: `${ownPrefix}failover_nodes_fenced_total`,
    help: 'Nodes fenced (out-of-service taint added) by FailoverGroups.',
    registers: [registry],
  });
  const fencingWaiting = new Gauge({
    name: `${ownPrefix}failover_fencing_waiting`,
    help: 'Failed nodes of a FailoverGroup the operator may not fence (yet), by the reason of its Degraded condition.',
    labelNames: ['namespace', 'failovergroup', 'reason'] as const,
    registers: [registry],
  });
  return { failoverRecovery, nodesFenced, fencingWaiting };
});

export type FailoverGroupMetrics = ReturnType<typeof failoverGroupMetrics>;
