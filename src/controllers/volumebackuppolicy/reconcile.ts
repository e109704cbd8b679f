// The VolumeBackupPolicy reconcile: its steps, in order, and one status write.
import type { StatefulVolume, VolumeBackupPolicyStatus } from '../../api/v1alpha1/types.generated.js';
import { objectKey } from '../../kube/wire.js';
import type { ConditionUpdate } from '../../runtime/conditions.js';
import type { ReconcileRequest } from '../../runtime/controller.js';
import type { Manager } from '../../runtime/manager.js';
import { done, requeueAfter, type Result } from '../../runtime/result.js';
import { writeStatus } from '../../runtime/status.js';
import { statefulVolumeType } from '../statefulvolume/types.js';
import { planRetention, prune } from './prune.js';
import { readyCondition } from './ready.js';
import { isRetentionError } from './retention.js';
import { maxBackupAgeSeconds } from './max-age.js';
import {
  MAX_REQUEUE_MS,
  isScheduleError,
  parseSchedule,
  type ParsedSchedule,
  type ScheduleError,
} from './schedule.js';
import { selectVolumes, type Selection } from './select.js';
import { computeStatus, type StatusInput } from './status.js';
import { decideStatusWrite } from './status-write.js';
import { tick, type TickDeps, type TickResult } from './tick.js';
import { reasons, volumeBackupPolicyType, volumeBackupType, type Backup, type Policy } from './types.js';

interface World {
  readonly volumes: readonly StatefulVolume[];
  readonly selection: Selection;
  /** Every VolumeBackup of the namespace, by name. */
  readonly existing: ReadonlyMap<string, Backup>;
  /** The policy's own backups (spec.policyName); on-demand ones are never among them. */
  readonly own: readonly Backup[];
}

/**
 * Named volumes the cache does not hold, read from the API server. Each kind
 * has its own watch, so a volume created just before its policy can reach the
 * cache after the policy does; calling it missing then would close the run
 * without its backup.
 */
async function readThrough(mgr: Manager, ns: string, missing: readonly string[]): Promise<StatefulVolume[]> {
  const found = await Promise.all(
    missing.map((name) => mgr.client.find<StatefulVolume>(statefulVolumeType, ns, name)),
  );
  return found.filter((v): v is StatefulVolume => v !== undefined);
}

async function observe(deps: TickDeps, policy: Policy): Promise<World> {
  const { mgr } = deps;
  const ns = policy.metadata.namespace ?? '';
  const cached = mgr.cache.list<StatefulVolume>(statefulVolumeType, ns);
  const late = await readThrough(mgr, ns, selectVolumes(policy.spec, cached).missing);
  const volumes = [...cached, ...late];
  const listed = mgr.cache.list<Backup>(volumeBackupType, ns);
  // A backup created a moment ago counts as in flight before the cache shows it.
  const existing = deps.recent.overlay(ns, new Map(listed.map((b) => [b.metadata.name ?? '', b])));
  return {
    volumes,
    selection: selectVolumes(policy.spec, volumes),
    existing,
    own: [...existing.values()].filter((b) => b.spec.policyName === policy.metadata.name),
  };
}

interface Retained {
  readonly left: readonly Backup[];
  /** More deletions are due than one pass may make. */
  readonly more?: boolean;
  readonly error?: string;
}

/** Step 6: retention, unless suspended. Returns the backups left and why retention could not run. */
async function retain(
  deps: TickDeps,
  policy: Policy,
  world: World,
  backups: readonly Backup[],
): Promise<Retained> {
  const plan = planRetention({
    policy,
    backups: world.own,
    volumes: world.volumes,
    now: deps.mgr.clock.now(),
    failedRetentionSeconds: deps.options.failedRetentionSeconds,
  });
  if (isRetentionError(plan)) return { left: backups, error: plan.message };
  const max = deps.options.maxDeletesPerPass;
  const deleted = new Set(await prune(deps.mgr, policy, plan, { byName: world.existing, max }));
  return { left: backups.filter((b) => !deleted.has(b.metadata.name ?? '')), more: plan.delete.length > max };
}

/** A spec the operator cannot use: reported in status and an Event, then nothing until it changes. */
async function reportInvalid(
  deps: TickDeps,
  policy: Policy,
  world: World,
  error: ScheduleError,
): Promise<Result> {
  deps.mgr.recorder.warning(policy, error.reason, error.message);
  const persisted = policy.status?.lastScheduleTime;
  await write(deps, {
    policy,
    selection: world.selection,
    now: deps.mgr.clock.now(),
    tick: { kind: 'invalid', reason: error.reason, message: error.message },
    backups: world.own,
    ...(persisted !== undefined ? { lastScheduleTime: new Date(persisted) } : {}),
  });
  return done;
}

function passStatus(
  base: Pick<StatusInput, 'policy' | 'selection' | 'now' | 'schedule'>,
  result: TickResult,
  kept: Retained,
): StatusInput {
  return {
    ...base,
    tick: result.report,
    backups: kept.left,
    ...(result.lastScheduleTime !== undefined ? { lastScheduleTime: result.lastScheduleTime } : {}),
    ...(result.nextScheduleTime !== undefined ? { nextScheduleTime: result.nextScheduleTime } : {}),
    ...(kept.error !== undefined ? { retentionError: kept.error } : {}),
  };
}

function nextPass(result: TickResult, kept: Retained, progressDue: number | undefined): Result {
  // Deletions left by the per-pass cap follow a second later.
  const cap = kept.more === true ? 1_000 : MAX_REQUEUE_MS;
  return requeueAfter(Math.min(result.requeueAfterMs ?? MAX_REQUEUE_MS, cap, progressDue ?? MAX_REQUEUE_MS));
}

/** A suspended policy promises nothing; otherwise its bound covers the volumes it selects now. */
function recordAgeBound(
  deps: TickDeps,
  key: string,
  policy: Policy,
  schedule: ParsedSchedule,
  selection: Selection,
): void {
  const seconds =
    policy.spec.suspend === true
      ? undefined
      : maxBackupAgeSeconds(schedule, policy.spec, deps.mgr.clock.now());
  if (seconds === undefined) {
    deps.ageBounds.delete(key);
    return;
  }
  const volumes = selection.volumes.map((v) => v.metadata.name ?? '');
  deps.ageBounds.set(key, { namespace: policy.metadata.namespace ?? '', volumes, seconds });
}

export async function reconcileVolumeBackupPolicy(deps: TickDeps, req: ReconcileRequest): Promise<Result> {
  const { mgr } = deps;
  // 1. Fetch and validate.
  const policy = mgr.cache.get<Policy>(volumeBackupPolicyType, req.namespace, req.name);
  if (policy === undefined || policy.metadata.deletionTimestamp !== undefined) {
    deps.ageBounds.delete(req.key);
    deps.statusWrites.forget(`${req.namespace}/${req.name}`);
    return done;
  }
  const schedule = parseSchedule(policy.spec.schedule, policy.spec.timeZone ?? 'UTC');
  // 2-3. The selected volumes and the backups already there.
  const world = await observe(deps, policy);
  if (isScheduleError(schedule)) {
    deps.ageBounds.delete(req.key);
    return reportInvalid(deps, policy, world, schedule);
  }
  recordAgeBound(deps, req.key, policy, schedule, world.selection);
  // 4-5. The schedule decision from the persisted status, and the run it asks for (suspended: none).
  const result = await tick(deps, policy, schedule, world);
  const backups = [...world.own, ...result.created.filter((b) => !world.existing.has(b.metadata.name ?? ''))];
  // 6. Retention, never while suspended.
  const kept: Retained =
    result.report.kind === 'suspended' ? { left: backups } : await retain(deps, policy, world, backups);
  // 7. Status, once; a failed creation is thrown only after it, so it retries with backoff.
  const base = { policy, selection: world.selection, now: mgr.clock.now(), schedule };
  const progressDue = await write(deps, passStatus(base, result, kept));
  if (result.error !== undefined) throw new Error(result.error);
  return nextPass(result, kept, progressDue);
}

/**
 * Writes the status when decideStatusWrite says so. Returns when to look again
 * for progress held back, if any.
 */
async function write(deps: TickDeps, input: StatusInput): Promise<number | undefined> {
  const { mgr } = deps;
  const ready = readyCondition(input);
  const status = computeStatus(input, ready);
  const key = objectKey(input.policy);
  const now = mgr.clock.now().getTime();
  const decision = decideStatusWrite(input.policy.status, status, deps.statusWrites.lastWrite(key), now);
  if (decision.kind === 'later') return decision.afterMs;
  if (decision.kind === 'none') return undefined;
  await writeStatus(mgr.client, volumeBackupPolicyType, input.policy, status, mgr.cache);
  deps.statusWrites.wrote(key, now);
  announceWritten(deps, input, status, ready);
  return undefined;
}

/** Events for what the status just written says for the first time. */
function announceWritten(
  deps: TickDeps,
  input: StatusInput,
  status: VolumeBackupPolicyStatus,
  ready: ConditionUpdate,
): void {
  const previous = input.policy.status;
  const was = previous?.conditions?.find((c) => c.type === ready.type);
  // A volume named in spec but absent is a typo or a deletion: said once, when it starts.
  if (ready.reason === reasons.VolumeNotFound && was?.reason !== reasons.VolumeNotFound)
    deps.mgr.recorder.warning(input.policy, reasons.VolumeNotFound, ready.message);
  // One Normal Event per run that finished well, in place of one per backup.
  if (
    ready.reason === reasons.LastRunSucceeded &&
    status.lastSuccessfulTime !== undefined &&
    status.lastSuccessfulTime !== previous?.lastSuccessfulTime
  )
    deps.mgr.recorder.normal(input.policy, reasons.RunSucceeded, ready.message);
}
