// Step 7: the policy's status, written once and only when decideStatusWrite
// says so, the Events for what it says for the first time, and when to look
// again.
import type { VolumeBackupPolicyStatus } from '../../api/v1alpha1/types.generated.js';
import { objectKey } from '../../kube/wire.js';
import type { ApiWriter, CacheWriter, Clock, Recorder } from '../../runtime/capabilities.js';
import type { ConditionUpdate } from '../../runtime/conditions.js';
import { done, requeueAfter, type Result } from '../../runtime/result.js';
import { writeStatus } from '../../runtime/status.js';
import type { World } from './observe.js';
import type { Retained } from './prune.js';
import { readyCondition } from './ready.js';
import { MAX_REQUEUE_MS, type ScheduleError } from './schedule.js';
import { computeStatus, type StatusInput } from './status.js';
import { decideStatusWrite, type StatusWrites } from './status-write.js';
import type { TickResult } from './tick.js';
import { volumeBackupPolicyReasons as reasons } from '../../api/v1alpha1/reasons.js';
import { volumeBackupPolicyType, type Policy } from './types.js';

/** What writing the status uses: it writes the status and tells of it in Events. */
export interface ReportDeps {
  readonly client: ApiWriter;
  readonly cache: CacheWriter;
  readonly recorder: Recorder;
  readonly clock: Clock;
  readonly statusWrites: StatusWrites;
}

export function passStatus(
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

export function nextPass(result: TickResult, kept: Retained, progressDue: number | undefined): Result {
  // Deletions left by the per-pass cap follow a second later.
  const cap = kept.more === true ? 1_000 : MAX_REQUEUE_MS;
  return requeueAfter(Math.min(result.requeueAfterMs ?? MAX_REQUEUE_MS, cap, progressDue ?? MAX_REQUEUE_MS));
}

/** A spec the operator cannot use: reported in status and an Event, then nothing until it changes. */
export async function reportInvalid(
  deps: ReportDeps,
  policy: Policy,
  world: World,
  error: ScheduleError,
): Promise<Result> {
  deps.recorder.warning(policy, error.reason, error.message);
  const persisted = policy.status?.lastScheduleTime;
  await writeWhenDue(deps, {
    policy,
    selection: world.selection,
    now: deps.clock.now(),
    tick: { kind: 'invalid', reason: error.reason, message: error.message },
    backups: world.own,
    ...(persisted !== undefined ? { lastScheduleTime: new Date(persisted) } : {}),
  });
  return done;
}

/**
 * Writes the status when decideStatusWrite says so. Returns when to look again
 * for progress held back, if any.
 */
export async function writeWhenDue(deps: ReportDeps, input: StatusInput): Promise<number | undefined> {
  const ready = readyCondition(input);
  const status = computeStatus(input, ready);
  const key = objectKey(input.policy);
  const now = deps.clock.now().getTime();
  const decision = decideStatusWrite(input.policy.status, status, deps.statusWrites.lastWrite(key), now);
  if (decision.kind === 'later') return decision.afterMs;
  if (decision.kind === 'none') return undefined;
  await writeStatus(deps.client, volumeBackupPolicyType, input.policy, status, deps.cache);
  deps.statusWrites.wrote(key, now);
  announceWritten(deps, input, status, ready);
  return undefined;
}

/** Events for what the status just written says for the first time. */
function announceWritten(
  deps: { recorder: Recorder },
  input: StatusInput,
  status: VolumeBackupPolicyStatus,
  ready: ConditionUpdate,
): void {
  const previous = input.policy.status;
  const was = previous?.conditions?.find((c) => c.type === ready.type);
  // A volume named in spec but absent is a typo or a deletion: said once, when it starts.
  if (ready.reason === reasons.VolumeNotFound && was?.reason !== reasons.VolumeNotFound)
    deps.recorder.warning(input.policy, reasons.VolumeNotFound, ready.message);
  // One Normal Event per run that finished well, in place of one per backup.
  if (
    ready.reason === reasons.LastRunSucceeded &&
    status.lastSuccessfulTime !== undefined &&
    status.lastSuccessfulTime !== previous?.lastSuccessfulTime
  )
    deps.recorder.normal(input.policy, reasons.RunSucceeded, ready.message);
}
