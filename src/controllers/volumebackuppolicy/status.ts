// Step: the status this pass observed, written once by the reconcile. Pure:
// everything comes from the policy, the backups in the cache and what the
// pass did, so a restarted operator computes the same status.
import type {
  PolicyVolumeStatus,
  StatefulVolume,
  VolumeBackupPolicyPhase,
  VolumeBackupPolicyStatus,
} from '../../api/v1alpha1/types.generated.js';
import { volumeBackupPolicyConditions as types } from '../../api/v1alpha1/types.generated.js';
import { rfc3339 } from '../../runtime/clock.js';
import { setCondition, type Condition, type ConditionUpdate } from '../../runtime/conditions.js';
import { takenAt } from './prune.js';
import type { RunOutcome } from './run.js';
import type { ParsedSchedule } from './schedule.js';
import type { Selection } from './select.js';
import { staleCheck } from './stale.js';
import { annotations, defaultBackupDeadlineSeconds } from '../../api/v1alpha1/vocabulary.js';
import { volumeBackupPolicyReasons as reasons } from '../../api/v1alpha1/reasons.js';
import type { Backup, Policy } from './types.js';

/** status.volumes is bounded by the schema; the rest are counted but not listed. */
export const MAX_LISTED_VOLUMES = 256;
const MAX_NAMES_IN_MESSAGE = 10;

/** What this pass did with the schedule. */
export type TickReport =
  | { readonly kind: 'invalid'; readonly reason: string; readonly message: string }
  | { readonly kind: 'suspended' }
  | { readonly kind: 'wait' }
  | { readonly kind: 'skip'; readonly message: string }
  | {
      readonly kind: 'run';
      readonly scheduledTime: Date;
      readonly outcomes: readonly RunOutcome[];
      readonly complete: boolean;
    };

export interface StatusInput {
  readonly policy: Policy;
  readonly now: Date;
  readonly schedule?: ParsedSchedule;
  readonly tick: TickReport;
  /** To persist: the latest run started (completely) or skipped. */
  readonly lastScheduleTime?: Date;
  readonly nextScheduleTime?: Date;
  readonly selection: Selection;
  /** The policy's backups still there after pruning. */
  readonly backups: readonly Backup[];
  /** Why retention could not be applied, if it could not. */
  readonly retentionError?: string;
}

export function names(list: readonly string[]): string {
  const shown = list.slice(0, MAX_NAMES_IN_MESSAGE).join(', ');
  return list.length > MAX_NAMES_IN_MESSAGE
    ? `${shown} and ${list.length - MAX_NAMES_IN_MESSAGE} more`
    : shown;
}

const unfinished = (b: Backup): boolean =>
  b.status?.phase === undefined || b.status.phase === 'Pending' || b.status.phase === 'InProgress';

function live(backups: readonly Backup[]): Backup[] {
  return backups.filter((b) => b.metadata.deletionTimestamp === undefined && b.status?.phase !== 'Deleting');
}

function runOf(b: Backup): string | undefined {
  return b.metadata.annotations?.[annotations.scheduledTime];
}

/** The scheduled time of the newest run whose backups are all Ready. */
export function newestSuccessfulRun(backups: readonly Backup[]): Date | undefined {
  const runs = new Map<string, boolean>();
  for (const b of live(backups)) {
    const run = runOf(b);
    if (run !== undefined) runs.set(run, (runs.get(run) ?? true) && b.status?.phase === 'Ready');
  }
  const times = [...runs].flatMap(([t, ok]) => (ok ? [new Date(t).getTime()] : [])).filter(Number.isFinite);
  return times.length === 0 ? undefined : new Date(Math.max(...times));
}

function latest(a: string | undefined, b: Date | undefined): string | undefined {
  if (b === undefined) return a;
  if (a === undefined || new Date(a).getTime() < b.getTime()) return rfc3339(b);
  return a;
}

function newestBy(backups: readonly Backup[]): Backup | undefined {
  return [...backups].sort((a, b) => takenAt(b).getTime() - takenAt(a).getTime())[0];
}

export function volumeStatus(volume: string, backups: readonly Backup[]): PolicyVolumeStatus {
  return statusOfVolume(
    volume,
    live(backups).filter((b) => b.spec.volumeName === volume),
  );
}

/** The status of one volume from its own live backups. */
function statusOfVolume(volume: string, own: readonly Backup[]): PolicyVolumeStatus {
  const ready = own.filter((b) => b.status?.phase === 'Ready');
  const status: PolicyVolumeStatus = { name: volume, readyBackups: ready.length };
  const newest = newestBy(own)?.metadata.name;
  if (newest !== undefined) status.lastBackup = newest;
  const newestReady = newestBy(ready);
  if (newestReady !== undefined) status.lastSuccessfulTime = rfc3339(takenAt(newestReady));
  return status;
}

/**
 * Each volume's status, from the backups grouped by volume once: every change
 * of a backup wakes the policy, and filtering all backups for each volume on
 * every pass grew with volumes times backups.
 */
function volumeStatuses(backups: readonly Backup[]): (volume: string) => PolicyVolumeStatus {
  const byVolume = new Map<string, Backup[]>();
  for (const b of live(backups)) {
    const list = byVolume.get(b.spec.volumeName);
    if (list === undefined) byVolume.set(b.spec.volumeName, [b]);
    else list.push(b);
  }
  const memo = new Map<string, PolicyVolumeStatus>();
  return (volume) => {
    let status = memo.get(volume);
    if (status === undefined) {
      status = statusOfVolume(volume, byVolume.get(volume) ?? []);
      memo.set(volume, status);
    }
    return status;
  };
}

function counts(backups: readonly Backup[]): NonNullable<VolumeBackupPolicyStatus['counts']> {
  const all = live(backups);
  return {
    ready: all.filter((b) => b.status?.phase === 'Ready').length,
    failed: all.filter((b) => b.status?.phase === 'Failed').length,
    inProgress: all.filter(unfinished).length,
  };
}

function staleVolumes(
  input: StatusInput,
  schedule: ParsedSchedule,
  statusOf: (volume: string) => PolicyVolumeStatus,
): string[] {
  const spec = input.policy.spec;
  const policyCreated = new Date(input.policy.metadata.creationTimestamp ?? 0).getTime();
  const grace = (spec.backupDeadlineSeconds ?? defaultBackupDeadlineSeconds) + (spec.jitterSeconds ?? 0);
  const stale = staleCheck({ schedule, now: input.now, graceSeconds: grace });
  return input.selection.volumes.flatMap((v: StatefulVolume) => {
    const name = v.metadata.name ?? '';
    const last = statusOf(name).lastSuccessfulTime;
    const since = new Date(Math.max(policyCreated, new Date(v.metadata.creationTimestamp ?? 0).getTime()));
    return stale({ since, ...(last !== undefined ? { lastSuccessfulTime: new Date(last) } : {}) })
      ? [name]
      : [];
  });
}

function staleCondition(stale: readonly string[]): ConditionUpdate {
  if (stale.length === 0)
    return {
      type: types.Stale,
      status: 'False',
      reason: reasons.BackupsFresh,
      message: 'Every selected volume has a recent enough Ready backup.',
    };
  return {
    type: types.Stale,
    status: 'True',
    reason: reasons.BackupsStale,
    message:
      `The newest Ready backup of ${names(stale)} is older than two scheduled runs allow; ` +
      'check the Failed VolumeBackups of these volumes and their VolumeSnapshotClass.',
  };
}

function suspendedCondition(suspended: boolean): ConditionUpdate {
  return suspended
    ? {
        type: types.Suspended,
        status: 'True',
        reason: reasons.Suspended,
        message: 'spec.suspend is true: no backups are made and none are pruned.',
      }
    : { type: types.Suspended, status: 'False', reason: reasons.NotSuspended, message: 'Runs on schedule.' };
}

function phaseOf(input: StatusInput, stale: boolean): VolumeBackupPolicyPhase {
  if (input.tick.kind === 'invalid') return 'Invalid';
  if (input.tick.kind === 'suspended') return 'Suspended';
  if (stale) return 'Stale';
  return input.lastScheduleTime === undefined ? 'Pending' : 'Active';
}

function setAll(
  previous: readonly Condition[] | undefined,
  updates: readonly ConditionUpdate[],
  input: StatusInput,
): Condition[] {
  const gen = input.policy.metadata.generation;
  return updates.reduce<Condition[]>(
    (list, u) => setCondition(list, u, gen, input.now),
    [...(previous ?? [])],
  );
}

/** The status to write: schedule times, per-volume newest backups, counts and conditions. */
export function computeStatus(input: StatusInput, ready: ConditionUpdate): VolumeBackupPolicyStatus {
  const previous = input.policy.status;
  const updates: ConditionUpdate[] = [ready, suspendedCondition(input.tick.kind === 'suspended')];
  const statusOf = volumeStatuses(input.backups);
  const stale = input.schedule === undefined ? [] : staleVolumes(input, input.schedule, statusOf);
  if (input.schedule !== undefined) updates.push(staleCondition(stale));
  const status: VolumeBackupPolicyStatus = {
    phase: phaseOf(input, stale.length > 0),
    conditions: setAll(previous?.conditions, updates, input),
    volumes: input.selection.volumes
      .slice(0, MAX_LISTED_VOLUMES)
      .map((v) => ({ ...statusOf(v.metadata.name ?? '') })),
    counts: counts(input.backups),
  };
  const gen = input.policy.metadata.generation;
  if (gen !== undefined) status.observedGeneration = gen;
  if (input.lastScheduleTime !== undefined) status.lastScheduleTime = rfc3339(input.lastScheduleTime);
  if (input.nextScheduleTime !== undefined) status.nextScheduleTime = rfc3339(input.nextScheduleTime);
  const successful = latest(previous?.lastSuccessfulTime, newestSuccessfulRun(input.backups));
  if (successful !== undefined) status.lastSuccessfulTime = successful;
  return status;
}
