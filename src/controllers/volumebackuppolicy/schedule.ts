// When a VolumeBackupPolicy runs. cron-parser reads the fields; the runs are
// computed here, day by day in the policy's time zone, because cron-parser 5
// moves a run in a spring-forward gap by a whole hour (02:30 becomes 03:30),
// disagrees between next() and prev() on both daylight-saving days, and reads
// `*/2` in a day field differently from Vixie cron and Kubernetes CronJobs.
// docs/backups.md describes the behaviour implemented here.
import { CronExpressionParser } from 'cron-parser';
import { volumeBackupPolicyReasons as reasons } from '../../api/v1alpha1/reasons.js';
import { expandSchedule, scheduleMacros } from '../../api/v1alpha1/schedule.js';
import { cronPattern } from '../../api/v1alpha1/volumebackuppolicy.js';
import {
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  calendarDate,
  dayResolver,
  isTimeZone,
  localDate,
  type ResolvedWallTime,
} from './timezone.js';

/** Reasons for the policy's Ready condition when the spec cannot be used. */
export const ScheduleReason = {
  InvalidSchedule: reasons.InvalidSchedule,
  UnknownTimeZone: reasons.UnknownTimeZone,
} as const;

export interface ScheduleError {
  readonly kind: 'invalid';
  readonly field: 'spec.schedule' | 'spec.timeZone';
  readonly reason: (typeof ScheduleReason)[keyof typeof ScheduleReason];
  /** Names the field, quotes the value and says what to write instead. */
  readonly message: string;
}

export interface ParsedSchedule {
  readonly kind: 'schedule';
  /** As written in spec.schedule. */
  readonly expression: string;
  /** Five fields, macros expanded. */
  readonly cron: string;
  readonly timeZone: string;
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: ReadonlySet<number>;
  /** 1 to 12. */
  readonly months: ReadonlySet<number>;
  /** 0 (Sunday) to 6; a 7 in the expression is Sunday. */
  readonly daysOfWeek: ReadonlySet<number>;
  /**
   * Whether the day-of-month and day-of-week fields start with `*`. As in
   * Vixie cron and Kubernetes, a day must match both fields when either
   * starts with `*`, and either field when neither does.
   */
  readonly dayOfMonthStar: boolean;
  readonly dayOfWeekStar: boolean;
  /**
   * Neither minute nor hour starts with `*`: the schedule names wall-clock
   * times, and the daylight-saving rules keep each such time to one run a day.
   */
  readonly fixedTime: boolean;
  /** Milliseconds after local midnight of each run of a matching day, ascending. */
  readonly timesOfDay: readonly number[];
}

/** Requeue at most this far ahead, so a lost timer or a clock step is corrected within minutes. */
export const MAX_REQUEUE_MS = 5 * MINUTE_MS;

/** Missed runs are counted up to this many; beyond it the count says "at least". */
export const MAX_COUNTED_MISSED_RUNS = 1000;

/** Days walked while counting missed runs, so a schedule that fires rarely cannot make counting slow. */
const MAX_COUNTED_DAYS = 3700;

/** The Gregorian calendar repeats every 400 years: a day pattern absent from them never occurs. */
const SEARCH_DAYS = 146_097;

const macroNames = Object.keys(scheduleMacros).join(', ');
const cronRegExp = new RegExp(cronPattern);

function invalidSchedule(expression: string, why: string): ScheduleError {
  return {
    kind: 'invalid',
    field: 'spec.schedule',
    reason: ScheduleReason.InvalidSchedule,
    message: `spec.schedule: "${expression}" ${why}`,
  };
}

/** Why an expression that does not match the schema's pattern was refused, in the user's terms. */
function patternHint(expression: string): string {
  const fields = expression.trim().split(/\s+/);
  if (expression.trim() === '')
    return 'is empty; write 5 fields such as "30 1 * * *" or a macro such as @daily';
  if (expression.startsWith('@')) return `is not a known macro; use one of ${macroNames}`;
  if (/^(CRON_)?TZ=/.test(expression)) return 'has a time zone prefix; set spec.timeZone instead';
  if (fields.length === 6) {
    return 'has 6 fields; seconds are not supported, write 5 fields: minute hour day-of-month month day-of-week';
  }
  if (fields.length !== 5)
    return `has ${fields.length} fields; write 5: minute hour day-of-month month day-of-week`;
  const special = /[LW#?H]/.exec(fields.map((f) => f.replace(/[a-z]{3}/gi, '')).join(' '));
  if (special !== null) return `uses "${special[0]}", which 5-field cron does not have`;
  if (/^\s|\s$|\t/.test(expression)) return 'must have single spaces between fields and none around them';
  return (
    'has a field out of range or malformed: minute 0-59, hour 0-23, day of month 1-31, month 1-12 or ' +
    'jan-dec, day of week 0-7 or sun-sat'
  );
}

interface Fields {
  minutes: number[];
  hours: number[];
  daysOfMonth: number[];
  months: number[];
  daysOfWeek: number[];
}

/** Numeric values, ascending: the runs of a day are built in order from them. */
function numbers(values: readonly (number | string)[]): number[] {
  return values.filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
}

/** The values of each field, or cron-parser's complaint (a reversed range, a step of 0). */
function fieldValues(fields: readonly string[]): Fields | string {
  const [minute, hour, dom, month, dow] = fields;
  // The month is parsed apart: cron-parser refuses a day of month that no listed month has
  // without saying so, and the check in parseSchedule can say it.
  const options = { currentDate: new Date(0) };
  try {
    const f = CronExpressionParser.parse(`${minute} ${hour} ${dom} * ${dow}`, options).fields;
    const m = CronExpressionParser.parse(`0 0 * ${month} *`, options).fields;
    return {
      minutes: numbers(f.minute.values),
      hours: numbers(f.hour.values),
      daysOfMonth: numbers(f.dayOfMonth.values),
      months: numbers(m.month.values),
      daysOfWeek: [...new Set(numbers(f.dayOfWeek.values).map((d) => d % 7))],
    };
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function dayMatches(s: ParsedSchedule, dayWall: number): boolean {
  const { month, day, weekday } = calendarDate(dayWall);
  if (!s.months.has(month)) return false;
  const dom = s.daysOfMonth.has(day);
  const dow = s.daysOfWeek.has(weekday);
  return s.dayOfMonthStar || s.dayOfWeekStar ? dom && dow : dom || dow;
}

function firesAtAll(s: ParsedSchedule): boolean {
  const start = Date.UTC(2000, 0, 1);
  for (let i = 0; i < SEARCH_DAYS; i++) if (dayMatches(s, start + i * DAY_MS)) return true;
  return false;
}

/**
 * Parses a schedule as the API server stored it: 5 fields or a macro, read in
 * an IANA time zone. Returns an error naming the field instead of throwing, so
 * the caller can put it in the Ready condition.
 */
export function parseSchedule(expression: string, timeZone: string): ParsedSchedule | ScheduleError {
  if (!cronRegExp.test(expression)) return invalidSchedule(expression, patternHint(expression));
  const cron = expandSchedule(expression).split(/ +/).join(' ');
  const fields = cron.split(' ');
  const values = fieldValues(fields);
  if (typeof values === 'string') return invalidSchedule(expression, `cannot be read: ${values}`);
  if (!isTimeZone(timeZone)) {
    return {
      kind: 'invalid',
      field: 'spec.timeZone',
      reason: ScheduleReason.UnknownTimeZone,
      message: `spec.timeZone: "${timeZone}" is not a time zone the operator knows; use an IANA name such as Europe/Berlin or UTC`,
    };
  }
  const star = (i: number): boolean => fields[i]?.startsWith('*') ?? false;
  const parsed: ParsedSchedule = {
    kind: 'schedule',
    expression,
    cron,
    timeZone,
    minutes: values.minutes,
    hours: values.hours,
    daysOfMonth: new Set(values.daysOfMonth),
    months: new Set(values.months),
    daysOfWeek: new Set(values.daysOfWeek),
    dayOfMonthStar: star(2),
    dayOfWeekStar: star(4),
    fixedTime: !star(0) && !star(1),
    timesOfDay: values.hours.flatMap((h) => values.minutes.map((m) => h * HOUR_MS + m * MINUTE_MS)),
  };
  if (!firesAtAll(parsed)) {
    return invalidSchedule(
      expression,
      'never fires: no month it names has that day; check day of month and month',
    );
  }
  return parsed;
}

export function isScheduleError(s: ParsedSchedule | ScheduleError): s is ScheduleError {
  return s.kind === 'invalid';
}

/**
 * The runs of one local day, ascending. In a spring-forward gap a fixed-time
 * run moves to the first instant after the gap and a wildcard run does not
 * happen; in a fall-back overlap a fixed-time run happens at the first of the
 * two instants and a wildcard run at both (Vixie cron's rule).
 */
function runsOnDay(s: ParsedSchedule, dayWall: number): readonly number[] {
  if (!dayMatches(s, dayWall)) return [];
  const resolver = dayResolver(s.timeZone, dayWall);
  const steady = resolver.steadyOffsetMs;
  if (steady !== undefined) return s.timesOfDay.map((t) => dayWall + t - steady);
  const runs = new Set<number>();
  for (const t of s.timesOfDay) for (const r of chosenInstants(s, resolver.resolve(dayWall + t))) runs.add(r);
  return [...runs].sort((a, b) => a - b);
}

function chosenInstants(s: ParsedSchedule, wall: ResolvedWallTime): readonly number[] {
  if (wall.gapEnd !== undefined) return s.fixedTime ? [wall.gapEnd] : [];
  return s.fixedTime ? wall.instants.slice(0, 1) : wall.instants;
}

/** The first run strictly after `after`. */
export function nextRun(schedule: ParsedSchedule, after: Date): Date {
  const t = after.getTime();
  // From the day before: a run moved out of a gap can land in the next local day.
  const first = localDate(schedule.timeZone, t) - DAY_MS;
  for (let i = 0; i <= SEARCH_DAYS; i++) {
    const found = runsOnDay(schedule, first + i * DAY_MS).find((r) => r > t);
    if (found !== undefined) return new Date(found);
  }
  // parseSchedule refuses schedules without a day in 400 years, so this is a bug, not bad input.
  throw new Error(`schedule "${schedule.cron}" has no run after ${after.toISOString()}`);
}

/** The last run at or before `atOrBefore`, or undefined when there is none in 400 years. */
export function previousRun(schedule: ParsedSchedule, atOrBefore: Date): Date | undefined {
  const t = atOrBefore.getTime();
  const last = localDate(schedule.timeZone, t) + DAY_MS;
  for (let i = 0; i <= SEARCH_DAYS; i++) {
    const runs = runsOnDay(schedule, last - i * DAY_MS);
    const found = runs.findLast((r) => r <= t);
    if (found !== undefined) return new Date(found);
  }
  return undefined;
}

export interface RunCount {
  readonly count: number;
  /** False when counting stopped at MAX_COUNTED_MISSED_RUNS runs or MAX_COUNTED_DAYS days: "at least count". */
  readonly exact: boolean;
}

/** The number of runs in (from, to], bounded in work whatever the schedule and the span. */
export function countRuns(schedule: ParsedSchedule, from: Date, to: Date): RunCount {
  const lo = from.getTime();
  const hi = to.getTime();
  const first = localDate(schedule.timeZone, lo) - DAY_MS;
  const days = Math.round((localDate(schedule.timeZone, hi) - first) / DAY_MS) + 2;
  let count = 0;
  let previous = -Infinity;
  for (let i = 0; i < days; i++) {
    if (i >= MAX_COUNTED_DAYS) return { count, exact: false };
    for (const r of runsOnDay(schedule, first + i * DAY_MS)) {
      // A run moved out of a gap can equal the next day's first run: it is one run.
      if (r <= lo || r > hi || r <= previous) continue;
      if (count === MAX_COUNTED_MISSED_RUNS) return { count, exact: false };
      count++;
      previous = r;
    }
  }
  return { count, exact: true };
}

export interface ScheduleInput {
  /** From parseSchedule; it carries the time zone. */
  readonly schedule: ParsedSchedule;
  readonly now: Date;
  /** status.lastScheduleTime: the latest run that was started or skipped. */
  readonly lastScheduleTime?: Date;
  /** metadata.creationTimestamp of the policy: runs before it are not missed. */
  readonly creationTime: Date;
  /** spec.startingDeadlineSeconds; unset means a missed run is caught up however late. */
  readonly startingDeadlineSeconds?: number;
  readonly suspend: boolean;
}

interface Missed {
  /** Runs that were due and will never happen; 0 for a run on time. */
  readonly missedCount: number;
  /** False when missedCount is a lower bound ("at least"). */
  readonly missedCountExact: boolean;
  /** Write this to status.lastScheduleTime, so the run is neither repeated nor reported again. */
  readonly lastScheduleTime: Date;
  /** How late the decision comes after the run's scheduled time, for the lateness metric. */
  readonly latenessMs: number;
  /** The next run: status.nextScheduleTime. */
  readonly next: Date;
  readonly requeueAfterMs: number;
}

export type ScheduleDecision =
  /** Back up now, naming the backups after scheduledTime so a repeated decision adopts them. */
  | ({ readonly kind: 'run'; readonly scheduledTime: Date } & Missed)
  /** The latest due run is older than the starting deadline: record a skip (Event, status), back up nothing. */
  | ({ readonly kind: 'skip'; readonly reason: 'DeadlineExceeded'; readonly missedTime: Date } & Missed)
  /** Nothing due: requeue. */
  | { readonly kind: 'wait'; readonly next: Date; readonly requeueAfterMs: number }
  /** spec.suspend: neither back up nor prune; the next spec change brings the policy back. */
  | { readonly kind: 'suspended'; readonly next: Date };

function requeueAfter(next: Date, now: Date): number {
  return Math.min(MAX_REQUEUE_MS, Math.max(1, next.getTime() - now.getTime()));
}

/**
 * What a reconcile of the policy does now. At most one run however many were
 * missed: the latest due one, and only while it is within the starting
 * deadline. Everything comes from the arguments (the persisted status, not
 * memory), so a restarted operator decides the same.
 */
export function decide(input: ScheduleInput): ScheduleDecision {
  const { schedule, now } = input;
  const since = input.lastScheduleTime ?? input.creationTime;
  // A lastScheduleTime ahead of now (the clock stepped back) must not run that time again.
  const next = nextRun(schedule, new Date(Math.max(now.getTime(), since.getTime())));
  if (input.suspend) return { kind: 'suspended', next };
  const due = previousRun(schedule, now);
  const requeueAfterMs = requeueAfter(next, now);
  if (due === undefined || due.getTime() <= since.getTime()) return { kind: 'wait', next, requeueAfterMs };
  const counted = countRuns(schedule, since, due);
  const latenessMs = now.getTime() - due.getTime();
  const common = { lastScheduleTime: due, latenessMs, next, requeueAfterMs, missedCountExact: counted.exact };
  const deadline = input.startingDeadlineSeconds;
  if (deadline !== undefined && latenessMs > deadline * 1000) {
    return {
      kind: 'skip',
      reason: 'DeadlineExceeded',
      missedTime: due,
      missedCount: Math.max(1, counted.count),
      ...common,
    };
  }
  return { kind: 'run', scheduledTime: due, missedCount: Math.max(0, counted.count - 1), ...common };
}
