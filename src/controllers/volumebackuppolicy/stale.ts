// When a volume's backups are older than its policy's schedule allows: the
// rule behind the policy's Stale condition. One missed or failed run is
// tolerated; two in a row are not.
import { defaultBackupDeadlineSeconds } from '../../api/v1alpha1/vocabulary.js';
import { previousRun, type ParsedSchedule } from './schedule.js';

export interface StaleInput {
  readonly schedule: ParsedSchedule;
  readonly now: Date;
  /** When the newest Ready backup of the volume was taken (its creation), if it has one. */
  readonly lastSuccessfulTime?: Date;
  /**
   * Since when the policy backs the volume up: the later of the policy's and the StatefulVolume's
   * creation, so that a volume added to an old policy is not stale before its first runs.
   */
  readonly since: Date;
  /**
   * How long after its scheduled time a run's backup may still become Ready.
   * Pass spec.backupDeadlineSeconds plus spec.jitterSeconds.
   */
  readonly graceSeconds?: number;
}

/**
 * The time the newest Ready backup must be taken at or after, or undefined
 * while no backup can be expected yet. It is the earlier of the two latest
 * runs whose grace is over: a backup older than that means two runs in a row
 * produced nothing, roughly two schedule intervals plus the grace.
 */
export function staleThreshold(input: StaleInput): Date | undefined {
  const before = runBeforeLastDue(input.schedule, input.now, input.graceSeconds);
  if (before === undefined || before.getTime() < input.since.getTime()) return undefined;
  return before;
}

/** The earlier of the two latest runs whose grace is over; the same for every volume of a policy. */
function runBeforeLastDue(
  schedule: ParsedSchedule,
  now: Date,
  graceSeconds: number | undefined,
): Date | undefined {
  const grace = (graceSeconds ?? defaultBackupDeadlineSeconds) * 1000;
  const due = previousRun(schedule, new Date(now.getTime() - grace));
  if (due === undefined) return undefined;
  return previousRun(schedule, new Date(due.getTime() - 1));
}

/** Whether the volume's newest Ready backup is older than the schedule allows. */
export function isStale(input: StaleInput): boolean {
  return staleCheck(input)(input);
}

/**
 * isStale for many volumes of one policy: the schedule is walked once, not
 * once per volume on every pass.
 */
export function staleCheck(
  policy: Pick<StaleInput, 'schedule' | 'now' | 'graceSeconds'>,
): (volume: Pick<StaleInput, 'since' | 'lastSuccessfulTime'>) => boolean {
  const before = runBeforeLastDue(policy.schedule, policy.now, policy.graceSeconds);
  return (volume) => {
    if (before === undefined || before.getTime() < volume.since.getTime()) return false;
    const last = volume.lastSuccessfulTime;
    return last === undefined || last.getTime() < before.getTime();
  };
}
