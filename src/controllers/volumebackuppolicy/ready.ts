// The policy's Ready condition: the spec is usable and the last run went
// well. Pure, and decided from the persisted status and the backups, so a
// skipped run stays reported until the next run replaces it.
import { volumeBackupPolicyConditions as types } from '../../api/v1alpha1/types.generated.js';
import { rfc3339 } from '../../runtime/clock.js';
import { findCondition, type ConditionUpdate } from '../../runtime/conditions.js';
import type { RunOutcome } from './run.js';
import { names, type StatusInput } from './status.js';
import { annotations } from '../../api/v1alpha1/vocabulary.js';
import { volumeBackupPolicyReasons as reasons } from '../../api/v1alpha1/reasons.js';
import type { Backup } from './types.js';

function notReady(reason: string, message: string): ConditionUpdate {
  return { type: types.Ready, status: 'False', reason, message };
}

function ready(reason: string, message: string): ConditionUpdate {
  return { type: types.Ready, status: 'True', reason, message };
}

/** A skip is reported until a later run moves status.lastScheduleTime on. */
function keptSkip(input: StatusInput): ConditionUpdate | undefined {
  const previous = findCondition(input.policy.status?.conditions, types.Ready);
  if (previous?.reason !== reasons.MissedSchedule) return undefined;
  const persisted = input.policy.status?.lastScheduleTime;
  const now = input.lastScheduleTime === undefined ? undefined : rfc3339(input.lastScheduleTime);
  return persisted === now ? notReady(reasons.MissedSchedule, previous.message ?? '') : undefined;
}

function busyNote(outcomes: readonly RunOutcome[]): string {
  const busy = outcomes.flatMap((o) =>
    o.kind === 'busy' ? [`${o.volume} (${o.inFlight} in progress)`] : [],
  );
  return busy.length === 0 ? '' : ` Skipped for this run, a backup still in progress: ${names(busy)}.`;
}

function runningNow(input: StatusInput): ConditionUpdate | undefined {
  const tick = input.tick;
  if (tick.kind !== 'run' || tick.complete) return undefined;
  const made = tick.outcomes.filter((o) => o.kind === 'created' || o.kind === 'present').length;
  return ready(
    reasons.RunInProgress,
    `Creating the backups of the run of ${rfc3339(tick.scheduledTime)}: ${made} of ${tick.outcomes.length} volumes so far.` +
      busyNote(tick.outcomes),
  );
}

function ofRun(backups: readonly Backup[], run: string): Backup[] {
  return backups.filter((b) => b.metadata.annotations?.[annotations.scheduledTime] === run);
}

function inFlightOf(input: StatusInput, volume: string, run: string): string | undefined {
  const busy = input.backups.find(
    (b) =>
      b.spec.volumeName === volume &&
      b.metadata.annotations?.[annotations.scheduledTime] !== run &&
      (b.status?.phase === undefined || b.status.phase === 'Pending' || b.status.phase === 'InProgress'),
  );
  return busy?.metadata.name;
}

/**
 * Selected volumes the last run made no backup for, and why when it is known.
 * Read from the backups rather than from what this pass did, so the message
 * stays the same on the passes after the run.
 */
function gapNote(input: StatusInput, run: string, backups: readonly Backup[]): string {
  const covered = new Set(backups.map((b) => b.spec.volumeName));
  const without = input.selection.volumes
    .map((v) => v.metadata.name ?? '')
    .filter((n) => !covered.has(n))
    .map((n) => {
      const busy = inFlightOf(input, n, run);
      return busy === undefined ? n : `${n} (${busy} in progress)`;
    });
  return without.length > 0 ? ` No backup of this run for ${names(without)}.` : '';
}

function lastRun(input: StatusInput): ConditionUpdate {
  const last = input.lastScheduleTime;
  const next =
    input.nextScheduleTime === undefined ? '' : ` The next run is at ${rfc3339(input.nextScheduleTime)}.`;
  if (last === undefined) return ready(reasons.Scheduled, `Waiting for the first run.${next}`);
  const run = rfc3339(last);
  const backups = ofRun(input.backups, run);
  const gap = gapNote(input, run, backups);
  const failed = backups.filter((b) => b.status?.phase === 'Failed');
  if (failed.length > 0) {
    const first = failed[0]?.status?.error?.message ?? 'see the VolumeBackup';
    return notReady(
      reasons.BackupFailed,
      `${failed.length} backup(s) of the run of ${run} failed: ${names(failed.map((b) => b.metadata.name ?? ''))} (${first}).${gap}`,
    );
  }
  const pending = backups.filter((b) => b.status?.phase !== 'Ready');
  if (pending.length > 0)
    return ready(
      reasons.RunInProgress,
      `Waiting for ${pending.length} backup(s) of the run of ${run} to become Ready.${gap}${next}`,
    );
  return ready(
    reasons.LastRunSucceeded,
    `The run of ${run} finished: its ${backups.length} backup(s) are Ready.${gap}${next}`,
  );
}

/** Ready, in order of what a person must fix first. */
export function readyCondition(input: StatusInput): ConditionUpdate {
  const tick = input.tick;
  if (tick.kind === 'invalid') return notReady(tick.reason, tick.message);
  if (input.retentionError !== undefined) return notReady(reasons.InvalidRetention, input.retentionError);
  if (tick.kind === 'suspended')
    return ready(reasons.Suspended, 'spec.suspend is true: no backups are made or pruned.');
  if (tick.kind === 'skip') return notReady(reasons.MissedSchedule, tick.message);
  const skip = keptSkip(input);
  if (skip !== undefined) return skip;
  if (input.selection.missing.length > 0) {
    return notReady(
      reasons.VolumeNotFound,
      `spec.volumes names ${names(input.selection.missing)}, which do not exist in namespace ${input.policy.metadata.namespace ?? ''}; the other volumes are backed up.`,
    );
  }
  return runningNow(input) ?? lastRun(input);
}
