// How old the newest Ready backup of a volume may be while its policies keep
// their schedules, exported per volume for an alert (time() minus the last
// success above it). Each policy pass records its own bound for the volumes it
// selects; a volume several policies cover gets the strictest bound.
import { defaultBackupDeadlineSeconds } from '../../api/v1alpha1/vocabulary.js';
import type { Metrics } from '../../observability/metrics.js';
import type { Clock } from '../../runtime/capabilities.js';
import { volumeBackupPolicyMetrics } from './metrics.js';
import { MAX_REQUEUE_MS, nextRun, previousRun, type ParsedSchedule } from './schedule.js';
import type { Selection } from './select.js';
import type { Policy } from './types.js';

/** Lateness of a run the operator's own rhythm allows: it re-checks every policy at least this often. */
export const LATENESS_ALLOWANCE_SECONDS = MAX_REQUEUE_MS / 1000;

/**
 * The largest age the newest Ready backup may reach unless a run that should
 * have succeeded by now did not: the longest interval between the runs around
 * `now` (the one due, the one before it and the next two), plus how long a
 * run's backup may take to become Ready (backupDeadlineSeconds + jitterSeconds,
 * as for the Stale condition) and the operator's lateness. The next intervals
 * count too, so the bound stays right until the next pass computes it again.
 * One failed or missed run is enough to exceed it.
 */
export function maxBackupAgeSeconds(
  schedule: ParsedSchedule,
  spec: Policy['spec'],
  now: Date,
): number | undefined {
  const grace = (spec.backupDeadlineSeconds ?? defaultBackupDeadlineSeconds) + (spec.jitterSeconds ?? 0);
  const due = previousRun(schedule, new Date(now.getTime() - grace * 1000));
  if (due === undefined) return undefined;
  // The run before counts as well: while a late run's backup is not Ready yet, the one before is the newest.
  const before = previousRun(schedule, new Date(due.getTime() - 1)) ?? due;
  const next = nextRun(schedule, due);
  const after = nextRun(schedule, next);
  const gaps = [
    due.getTime() - before.getTime(),
    next.getTime() - due.getTime(),
    after.getTime() - next.getTime(),
  ];
  const interval = Math.max(...gaps) / 1000;
  return interval + grace + LATENESS_ALLOWANCE_SECONDS;
}

interface PolicyBound {
  readonly namespace: string;
  readonly volumes: readonly string[];
  readonly seconds: number;
}

export interface VolumeBound {
  readonly namespace: string;
  readonly volume: string;
  readonly seconds: number;
}

/** The latest bound of each policy; a policy that is gone, suspended or invalid has none. */
export class BackupAgeBounds {
  private readonly byPolicy = new Map<string, PolicyBound>();

  set(policyKey: string, bound: PolicyBound): void {
    this.byPolicy.set(policyKey, bound);
  }

  delete(policyKey: string): void {
    this.byPolicy.delete(policyKey);
  }

  /** Per volume, the smallest bound of the policies that cover it. */
  perVolume(): VolumeBound[] {
    const min = new Map<string, VolumeBound>();
    for (const { namespace, volumes, seconds } of this.byPolicy.values()) {
      for (const volume of volumes) {
        const key = JSON.stringify([namespace, volume]);
        const known = min.get(key);
        if (known === undefined || seconds < known.seconds) min.set(key, { namespace, volume, seconds });
      }
    }
    return [...min.values()];
  }
}

/** A suspended policy promises nothing; otherwise its bound covers the volumes it selects now. */
export function recordAgeBound(
  deps: { clock: Clock; ageBounds: BackupAgeBounds },
  key: string,
  policy: Policy,
  schedule: ParsedSchedule,
  selection: Selection,
): void {
  const seconds =
    policy.spec.suspend === true ? undefined : maxBackupAgeSeconds(schedule, policy.spec, deps.clock.now());
  if (seconds === undefined) {
    deps.ageBounds.delete(key);
    return;
  }
  const volumes = selection.volumes.map((v) => v.metadata.name ?? '');
  deps.ageBounds.set(key, { namespace: policy.metadata.namespace ?? '', volumes, seconds });
}

/** Exports the bounds at each scrape; volumes no policy covers any more have no series. */
export function exportBackupAgeBounds(metrics: Metrics, bounds: BackupAgeBounds): void {
  const { backupMaxAge } = volumeBackupPolicyMetrics(metrics);
  metrics.onCollect(() => {
    backupMaxAge.reset();
    for (const b of bounds.perVolume())
      backupMaxAge.set({ namespace: b.namespace, volume: b.volume }, b.seconds);
  });
}
