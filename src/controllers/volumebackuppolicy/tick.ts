// Step: what the schedule asks for now, from the persisted status and the
// injected clock, and carrying it out: a run, a recorded skip, or nothing.
import { rfc3339 } from '../../runtime/clock.js';
import type { ApiClient, Clock, Recorder } from '../../runtime/capabilities.js';
import type { VolumeBackupPolicyMetrics } from './metrics.js';
import type { RecentCreations } from './recent.js';
import type { RunOutcome } from './run.js';
import {
  desiredBackup,
  executeRun,
  firstError,
  nextDue,
  planRun,
  runComplete,
  type CreationLimiter,
} from './run.js';
import { decide, type ParsedSchedule, type ScheduleDecision } from './schedule.js';
import type { Selection } from './select.js';
import { names, type TickReport } from './status.js';
import { volumeBackupPolicyReasons as reasons } from '../../api/v1alpha1/reasons.js';
import type { Backup, Policy, PolicyControllerOptions } from './types.js';

export interface TickResult {
  readonly report: TickReport;
  readonly lastScheduleTime?: Date;
  readonly nextScheduleTime?: Date;
  readonly requeueAfterMs?: number;
  /** Backups created in this pass, for the status (the cache has not seen them yet). */
  readonly created: readonly Backup[];
  /** A creation that failed: thrown after the status is written, so it retries with backoff. */
  readonly error?: string;
}

function date(value: string | undefined): Date | undefined {
  return value === undefined ? undefined : new Date(value);
}

/**
 * The schedule decision for the policy. A run's own jitter is not lateness:
 * the starting deadline is counted from the end of the jitter window.
 */
export function decideFor(policy: Policy, schedule: ParsedSchedule, now: Date): ScheduleDecision {
  const spec = policy.spec;
  const last = date(policy.status?.lastScheduleTime);
  const deadline = spec.startingDeadlineSeconds;
  return decide({
    schedule,
    now,
    creationTime: date(policy.metadata.creationTimestamp) ?? now,
    suspend: spec.suspend === true,
    ...(last !== undefined ? { lastScheduleTime: last } : {}),
    ...(deadline !== undefined ? { startingDeadlineSeconds: deadline + (spec.jitterSeconds ?? 0) } : {}),
  });
}

export function skipMessage(d: Extract<ScheduleDecision, { kind: 'skip' }>, policy: Policy): string {
  const count = `${d.missedCountExact ? '' : 'at least '}${d.missedCount}`;
  return (
    `Skipped the run of ${rfc3339(d.missedTime)}: ${Math.round(d.latenessMs / 1000)} s late, beyond ` +
    `spec.startingDeadlineSeconds ${policy.spec.startingDeadlineSeconds ?? 0}; ${count} run(s) missed. ` +
    `The next run is at ${rfc3339(d.next)}; raise startingDeadlineSeconds to catch up after longer outages.`
  );
}

/**
 * One BackupCreated Event per run, from the pass that completes it, rather than
 * one per pass: a large run takes several passes under the per-pass cap.
 */
function announce(
  deps: { recorder: Recorder },
  policy: Policy,
  d: Extract<ScheduleDecision, { kind: 'run' }>,
  outcomes: readonly RunOutcome[],
): void {
  const run = rfc3339(d.scheduledTime);
  const complete = runComplete(outcomes);
  const createdNow = outcomes.some((o) => o.kind === 'created');
  const ofRun = outcomes.flatMap((o) => (o.kind === 'created' || o.kind === 'present' ? [o.name] : []));
  if (complete && createdNow) {
    const late =
      d.missedCount > 0 ? ` (catching up; ${d.missedCount} earlier missed run(s) are not made up)` : '';
    deps.recorder.normal(
      policy,
      reasons.BackupCreated,
      `Created ${ofRun.length} VolumeBackup(s) for the run of ${run}${late}: ${names(ofRun)}.`,
    );
  }
  const busy = outcomes.flatMap((o) => (o.kind === 'busy' ? [`${o.volume} (${o.inFlight})`] : []));
  if (complete && busy.length > 0)
    deps.recorder.normal(
      policy,
      reasons.BackupSkipped,
      `No backup of ${names(busy)} for the run of ${run}: the previous backup is still in progress.`,
    );
  for (const o of outcomes)
    if (o.kind === 'taken') deps.recorder.warning(policy, reasons.BackupNameTaken, o.message);
  const failed = firstError(outcomes);
  if (failed !== undefined)
    deps.recorder.warning(policy, reasons.BackupCreateFailed, `${failed}; retrying with backoff.`);
}

function runRequeue(d: { requeueAfterMs: number }, outcomes: readonly RunOutcome[], now: Date): number {
  let ms = d.requeueAfterMs;
  const due = nextDue(outcomes);
  if (due !== undefined) ms = Math.min(ms, Math.max(1, due.getTime() - now.getTime()));
  // The per-pass cap left creations for the next pass.
  if (outcomes.some((o) => o.kind === 'deferred')) ms = Math.min(ms, 1_000);
  return ms;
}

function metricLabels(policy: Policy): { namespace: string; policy: string } {
  return { namespace: policy.metadata.namespace ?? '', policy: policy.metadata.name ?? '' };
}

/** What a tick uses: it creates VolumeBackups and tells of them in Events and metrics. */
export interface TickDeps {
  readonly client: ApiClient;
  readonly recorder: Recorder;
  readonly clock: Clock;
  readonly metrics: Pick<VolumeBackupPolicyMetrics, 'missedRuns' | 'scheduleLateness'>;
  readonly limiter: CreationLimiter;
  readonly options: Pick<PolicyControllerOptions, 'maxCreatesPerPass'>;
  /** What this process created and its cache may not show yet. */
  readonly recent: RecentCreations;
}

async function run(
  deps: TickDeps,
  policy: Policy,
  d: Extract<ScheduleDecision, { kind: 'run' }>,
  world: { readonly selection: Selection; readonly existing: ReadonlyMap<string, Backup> },
): Promise<TickResult> {
  const now = deps.clock.now();
  const steps = planRun({
    namespace: policy.metadata.namespace ?? '',
    policy: policy.metadata.name ?? '',
    scheduledTime: d.scheduledTime,
    jitterSeconds: policy.spec.jitterSeconds ?? 0,
    now,
    volumes: world.selection.volumes.map((v) => v.metadata.name ?? ''),
    existing: world.existing,
  });
  const outcomes = await executeRun(deps, policy, {
    steps,
    scheduledTime: d.scheduledTime,
    maxCreates: deps.options.maxCreatesPerPass,
  });
  const created = createdBackups(policy, d.scheduledTime, outcomes);
  for (const b of created) deps.recent.record(b);
  announce(deps, policy, d, outcomes);
  // The run's first creations: later passes of a jittered run, or after a restart, find some present.
  if (outcomes.some((o) => o.kind === 'created') && !outcomes.some((o) => o.kind === 'present'))
    deps.metrics.scheduleLateness.observe(
      metricLabels(policy),
      (now.getTime() - d.scheduledTime.getTime()) / 1000,
    );
  const complete = runComplete(outcomes);
  // Until every volume is handled the run stays due, so the next pass (or process) finishes it.
  const last = complete ? d.lastScheduleTime : date(policy.status?.lastScheduleTime);
  const error = firstError(outcomes);
  return {
    report: { kind: 'run', scheduledTime: d.scheduledTime, outcomes, complete },
    ...(last !== undefined ? { lastScheduleTime: last } : {}),
    nextScheduleTime: d.next,
    requeueAfterMs: runRequeue(d, outcomes, now),
    created,
    ...(error !== undefined ? { error } : {}),
  };
}

function createdBackups(policy: Policy, scheduledTime: Date, outcomes: readonly RunOutcome[]): Backup[] {
  return outcomes.flatMap((o) =>
    o.kind === 'created' ? [desiredBackup(policy, o.volume, scheduledTime)] : [],
  );
}

/** Decides and acts: back up, record a skip, or wait. */
export async function tick(
  deps: TickDeps,
  policy: Policy,
  schedule: ParsedSchedule,
  world: { readonly selection: Selection; readonly existing: ReadonlyMap<string, Backup> },
): Promise<TickResult> {
  const d = decideFor(policy, schedule, deps.clock.now());
  const persisted = date(policy.status?.lastScheduleTime);
  const kept = persisted !== undefined ? { lastScheduleTime: persisted } : {};
  switch (d.kind) {
    case 'suspended':
      return { report: { kind: 'suspended' }, ...kept, created: [] };
    case 'wait':
      return {
        report: { kind: 'wait' },
        ...kept,
        nextScheduleTime: d.next,
        requeueAfterMs: d.requeueAfterMs,
        created: [],
      };
    case 'skip': {
      const message = skipMessage(d, policy);
      deps.recorder.warning(policy, reasons.MissedSchedule, message);
      deps.metrics.missedRuns.inc(metricLabels(policy), d.missedCount);
      return {
        report: { kind: 'skip', message },
        lastScheduleTime: d.lastScheduleTime,
        nextScheduleTime: d.next,
        requeueAfterMs: d.requeueAfterMs,
        created: [],
      };
    }
    case 'run':
      return run(deps, policy, d, world);
  }
}
