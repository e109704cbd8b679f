// The VolumeBackupPolicy controller's own series, on the manager's registry.
import { Counter, Gauge, Histogram } from 'prom-client';
import { metricSet, ownPrefix } from '../../observability/metrics.js';

export const volumeBackupPolicyMetrics = metricSet((registry) => ({
  /** Filled at scrape time from the bounds the policy passes record (max-age.ts). */
  backupMaxAge: new Gauge({
    name: `${ownPrefix}volumebackup_max_age_seconds`,
    help:
      'The largest age the newest Ready VolumeBackup of a StatefulVolume may have under the schedules of ' +
      'the VolumeBackupPolicies that cover it.',
    labelNames: ['namespace', 'volume'] as const,
    registers: [registry],
  }),
  scheduleLateness: new Histogram({
    name: `${ownPrefix}volumebackuppolicy_schedule_lateness_seconds`,
    help: 'Seconds from a run’s scheduled time to the pass that created its first VolumeBackup.',
    labelNames: ['namespace', 'policy'] as const,
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  }),
  missedRuns: new Counter({
    name: `${ownPrefix}volumebackuppolicy_missed_runs_total`,
    help: 'Scheduled runs skipped because they were later than startingDeadlineSeconds.',
    labelNames: ['namespace', 'policy'] as const,
    registers: [registry],
  }),
}));

export type VolumeBackupPolicyMetrics = ReturnType<typeof volumeBackupPolicyMetrics>;
