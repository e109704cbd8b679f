// Schedules of VolumeBackupPolicies: parsing, the runs in a time zone across
// daylight-saving jumps and month ends, and the decision a reconcile acts on.
// Every time is given in UTC; the comments say what the local clock shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CronExpressionParser } from 'cron-parser';
import {
  MAX_COUNTED_MISSED_RUNS,
  MAX_REQUEUE_MS,
  countRuns,
  decide,
  isScheduleError,
  nextRun,
  parseSchedule,
  previousRun,
  type ScheduleDecision,
  type ScheduleInput,
} from '../../../src/controllers/volumebackuppolicy/schedule.js';
import { schedule } from '../../support/schedule.js';

const at = (iso: string): Date => new Date(iso);
const iso = (d: Date): string => d.toISOString().replace(':00.000Z', 'Z');

// ---------------------------------------------------------------------------------------------
// Parsing

const validSchedules: { name: string; expression: string; timeZone?: string; cron: string }[] = [
  { name: 'a plain 5-field expression is accepted as written', expression: '30 1 * * *', cron: '30 1 * * *' },
  {
    name: 'the @midnight macro, which cron-parser lacks, is expanded',
    expression: '@midnight',
    cron: '0 0 * * *',
  },
  { name: 'the @annually macro is the same as @yearly', expression: '@annually', cron: '0 0 1 1 *' },
  { name: 'several spaces between fields are read as one', expression: '0  2  *  *  *', cron: '0 2 * * *' },
  {
    name: 'day and month names in any case are accepted',
    expression: '0 2 * JAN-mar Mon-FRI',
    cron: '0 2 * JAN-mar Mon-FRI',
  },
  {
    name: 'Etc/UTC is a known zone even though it is not a canonical name',
    expression: '@daily',
    timeZone: 'Etc/UTC',
    cron: '0 0 * * *',
  },
  { name: 'a day that exists only in leap years is accepted', expression: '0 0 29 2 *', cron: '0 0 29 2 *' },
  {
    name: 'a day of month that February lacks is accepted with a weekday, since either may match',
    expression: '0 0 31 2 1',
    cron: '0 0 31 2 1',
  },
];

for (const c of validSchedules) {
  test(c.name, () => {
    const s = parseSchedule(c.expression, c.timeZone ?? 'UTC');
    assert.ok(!isScheduleError(s), isScheduleError(s) ? s.message : '');
    assert.equal(s.cron, c.cron);
  });
}

const invalidSchedules: {
  name: string;
  expression: string;
  timeZone?: string;
  field: string;
  reason: string;
  says: RegExp;
}[] = [
  {
    name: 'a 6-field expression with seconds is refused',
    expression: '0 30 1 * * *',
    field: 'spec.schedule',
    reason: 'InvalidSchedule',
    says: /6 fields; seconds are not supported/,
  },
  {
    name: 'L for the last day of the month is refused, as 5-field cron has no L',
    expression: '0 0 L * *',
    field: 'spec.schedule',
    reason: 'InvalidSchedule',
    says: /uses "L"/,
  },
  {
    name: 'a question mark is refused',
    expression: '0 0 ? * *',
    field: 'spec.schedule',
    reason: 'InvalidSchedule',
    says: /uses "\?"/,
  },
  {
    name: 'an nth weekday with # is refused',
    expression: '0 0 * * 1#2',
    field: 'spec.schedule',
    reason: 'InvalidSchedule',
    says: /uses "#"/,
  },
  {
    name: 'a hashed H field is refused',
    expression: 'H 2 * * *',
    field: 'spec.schedule',
    reason: 'InvalidSchedule',
    says: /uses "H"/,
  },
  {
    name: 'an unknown macro is refused with the list of known ones',
    expression: '@every',
    field: 'spec.schedule',
    reason: 'InvalidSchedule',
    says: /use one of @yearly, .*@hourly/,
  },
  {
    name: 'a time zone prefix is refused in favour of spec.timeZone',
    expression: 'CRON_TZ=UTC 0 0 * * *',
    field: 'spec.schedule',
    reason: 'InvalidSchedule',
    says: /set spec.timeZone/,
  },
  {
    name: 'an empty schedule is refused',
    expression: '',
    field: 'spec.schedule',
    reason: 'InvalidSchedule',
    says: /is empty/,
  },
  {
    name: 'a minute out of range is refused',
    expression: '60 * * * *',
    field: 'spec.schedule',
    reason: 'InvalidSchedule',
    says: /minute 0-59/,
  },
  {
    name: 'a reversed range is refused',
    expression: '0 0 * * 5-1',
    field: 'spec.schedule',
    reason: 'InvalidSchedule',
    says: /cannot be read: .*5-1/,
  },
  {
    name: 'a step of zero is refused',
    expression: '*/0 * * * *',
    field: 'spec.schedule',
    reason: 'InvalidSchedule',
    says: /cannot be read/,
  },
  {
    name: '31 February never fires and is refused',
    expression: '0 0 31 2 *',
    field: 'spec.schedule',
    reason: 'InvalidSchedule',
    says: /never fires/,
  },
  {
    name: 'days that April and February both lack never fire and are refused',
    expression: '0 0 31 2,4 *',
    field: 'spec.schedule',
    reason: 'InvalidSchedule',
    says: /never fires/,
  },
  {
    name: 'an unknown time zone is refused, naming spec.timeZone',
    expression: '@daily',
    timeZone: 'Mars/Olympus_Mons',
    field: 'spec.timeZone',
    reason: 'UnknownTimeZone',
    says: /spec.timeZone: "Mars\/Olympus_Mons"/,
  },
  {
    name: 'Local is not a time zone',
    expression: '@daily',
    timeZone: 'Local',
    field: 'spec.timeZone',
    reason: 'UnknownTimeZone',
    says: /IANA name/,
  },
  {
    name: 'an empty time zone is refused',
    expression: '@daily',
    timeZone: '',
    field: 'spec.timeZone',
    reason: 'UnknownTimeZone',
    says: /spec.timeZone/,
  },
];

for (const c of invalidSchedules) {
  test(c.name, () => {
    const s = parseSchedule(c.expression, c.timeZone ?? 'UTC');
    assert.ok(isScheduleError(s), 'expected an error');
    assert.equal(s.field, c.field);
    assert.equal(s.reason, c.reason);
    assert.match(s.message, c.says);
    assert.ok(s.message.startsWith(`${c.field}: `), s.message);
  });
}

// ---------------------------------------------------------------------------------------------
// Runs

const runCases: { name: string; expression: string; timeZone: string; after: string; want: string[] }[] = [
  {
    name: 'a daily 02:30 run in Berlin moves to 03:00 on the day the clocks spring forward over it',
    expression: '30 2 * * *',
    timeZone: 'Europe/Berlin',
    after: '2024-03-30T00:00Z',
    // 02:30 CET, 03:00 CEST (02:30 does not exist), 02:30 CEST
    want: ['2024-03-30T01:30Z', '2024-03-31T01:00Z', '2024-04-01T00:30Z'],
  },
  {
    name: 'a daily 02:30 run in Berlin happens once, at the first 02:30, on the day the clocks fall back',
    expression: '30 2 * * *',
    timeZone: 'Europe/Berlin',
    after: '2024-10-26T00:00Z',
    // 02:30 CEST, 02:30 CEST (not again at 02:30 CET), 02:30 CET
    want: ['2024-10-26T00:30Z', '2024-10-27T00:30Z', '2024-10-28T01:30Z'],
  },
  {
    name: 'a daily 02:30 run in New York moves to 03:00 EDT on the day the clocks spring forward',
    expression: '30 2 * * *',
    timeZone: 'America/New_York',
    after: '2024-03-09T00:00Z',
    want: ['2024-03-09T07:30Z', '2024-03-10T07:00Z', '2024-03-11T06:30Z'],
  },
  {
    name: 'a daily 01:30 run in New York happens once, at 01:30 EDT, on the day the clocks fall back',
    expression: '30 1 * * *',
    timeZone: 'America/New_York',
    after: '2024-11-02T00:00Z',
    want: ['2024-11-02T05:30Z', '2024-11-03T05:30Z', '2024-11-04T06:30Z'],
  },
  {
    name: 'an hourly run in Berlin runs once per real hour across the spring-forward gap',
    expression: '@hourly',
    timeZone: 'Europe/Berlin',
    after: '2024-03-30T23:30Z',
    // 01:00 CET, 03:00 CEST, 04:00 CEST: an hour apart each
    want: ['2024-03-31T00:00Z', '2024-03-31T01:00Z', '2024-03-31T02:00Z'],
  },
  {
    name: 'an hourly run in Berlin runs in both real hours that the local clock shows as 02:00 in autumn',
    expression: '0 * * * *',
    timeZone: 'Europe/Berlin',
    after: '2024-10-26T22:30Z',
    // 01:00 CEST, 02:00 CEST, 02:00 CET, 03:00 CET
    want: ['2024-10-26T23:00Z', '2024-10-27T00:00Z', '2024-10-27T01:00Z', '2024-10-27T02:00Z'],
  },
  {
    name: 'an hourly run in New York runs in both real hours that the local clock shows as 01:00 in autumn',
    expression: '0 * * * *',
    timeZone: 'America/New_York',
    after: '2024-11-03T03:30Z',
    want: ['2024-11-03T04:00Z', '2024-11-03T05:00Z', '2024-11-03T06:00Z', '2024-11-03T07:00Z'],
  },
  {
    name: 'an hourly run in New York skips no real hour when the clocks spring forward',
    expression: '0 * * * *',
    timeZone: 'America/New_York',
    after: '2024-03-10T05:30Z',
    // 01:00 EST, 03:00 EDT, 04:00 EDT
    want: ['2024-03-10T06:00Z', '2024-03-10T07:00Z', '2024-03-10T08:00Z'],
  },
  {
    name: 'a run at half past every hour gets no extra run at 03:00 when 02:30 is skipped',
    expression: '30 * * * *',
    timeZone: 'Europe/Berlin',
    after: '2024-03-31T00:00Z',
    // 01:30 CET, 03:30 CEST
    want: ['2024-03-31T00:30Z', '2024-03-31T01:30Z'],
  },
  {
    name: 'a wildcard minute inside the skipped hour does not run that day, as in Vixie cron',
    expression: '*/30 2 * * *',
    timeZone: 'Europe/Berlin',
    after: '2024-03-30T01:45Z',
    want: ['2024-04-01T00:00Z', '2024-04-01T00:30Z'],
  },
  {
    name: 'two fixed times inside the skipped hour become one run at 03:00',
    expression: '0,30 2 * * *',
    timeZone: 'Europe/Berlin',
    after: '2024-03-30T12:00Z',
    want: ['2024-03-31T01:00Z', '2024-04-01T00:00Z'],
  },
  {
    name: 'a fixed range of hours runs its repeated hour only once in autumn',
    expression: '0 1-3 * * *',
    timeZone: 'Europe/Berlin',
    after: '2024-10-26T12:00Z',
    // 01:00 CEST, 02:00 CEST, 03:00 CET
    want: ['2024-10-26T23:00Z', '2024-10-27T00:00Z', '2024-10-27T02:00Z'],
  },
  {
    name: 'a run every 15 minutes keeps its real spacing through the repeated hour',
    expression: '*/15 * * * *',
    timeZone: 'Europe/Berlin',
    after: '2024-10-27T00:40Z',
    want: ['2024-10-27T00:45Z', '2024-10-27T01:00Z', '2024-10-27T01:15Z'],
  },
  {
    name: 'a midnight run in Santiago moves to 01:00 on the day midnight does not exist',
    expression: '@daily',
    timeZone: 'America/Santiago',
    after: '2024-09-07T00:00Z',
    want: ['2024-09-07T04:00Z', '2024-09-08T04:00Z', '2024-09-09T03:00Z'],
  },
  {
    name: 'the 31st of each month skips the months that have 30 days or fewer',
    expression: '0 0 31 * *',
    timeZone: 'UTC',
    after: '2024-01-01T00:00Z',
    want: [
      '2024-01-31T00:00Z',
      '2024-03-31T00:00Z',
      '2024-05-31T00:00Z',
      '2024-07-31T00:00Z',
      '2024-08-31T00:00Z',
      '2024-10-31T00:00Z',
      '2024-12-31T00:00Z',
    ],
  },
  {
    name: 'the 30th of each month skips February',
    expression: '0 0 30 * *',
    timeZone: 'UTC',
    after: '2024-01-30T00:00Z',
    want: ['2024-03-30T00:00Z', '2024-04-30T00:00Z'],
  },
  {
    name: 'the 29th of February runs in leap years only',
    expression: '0 0 29 2 *',
    timeZone: 'UTC',
    after: '2023-01-01T00:00Z',
    want: ['2024-02-29T00:00Z', '2028-02-29T00:00Z'],
  },
  {
    name: 'the 29th of February waits eight years across 2100, which is not a leap year',
    expression: '0 0 29 2 *',
    timeZone: 'UTC',
    after: '2096-03-01T00:00Z',
    want: ['2104-02-29T00:00Z'],
  },
  {
    name: '@yearly runs at local midnight on the first of January',
    expression: '@yearly',
    timeZone: 'Europe/Berlin',
    after: '2024-06-01T00:00Z',
    want: ['2024-12-31T23:00Z', '2025-12-31T23:00Z'],
  },
  {
    name: '@monthly follows New York across the change to summer time',
    expression: '@monthly',
    timeZone: 'America/New_York',
    after: '2024-01-15T00:00Z',
    want: ['2024-02-01T05:00Z', '2024-03-01T05:00Z', '2024-04-01T04:00Z'],
  },
  {
    name: '@weekly runs at midnight on Sundays',
    expression: '@weekly',
    timeZone: 'UTC',
    after: '2024-01-01T00:00Z',
    want: ['2024-01-07T00:00Z', '2024-01-14T00:00Z'],
  },
  {
    name: 'Sunday written as 7 is Sunday',
    expression: '0 0 * * 7',
    timeZone: 'UTC',
    after: '2024-01-01T00:00Z',
    want: ['2024-01-07T00:00Z', '2024-01-14T00:00Z'],
  },
  {
    name: 'a day of month and a day of week both given match either, as in Vixie cron',
    expression: '0 0 13 * 5',
    timeZone: 'UTC',
    after: '2024-09-07T00:00Z',
    // Friday 13, Friday 20, Friday 27, Friday 4 October, Friday 11, Sunday 13
    want: [
      '2024-09-13T00:00Z',
      '2024-09-20T00:00Z',
      '2024-09-27T00:00Z',
      '2024-10-04T00:00Z',
      '2024-10-11T00:00Z',
      '2024-10-13T00:00Z',
    ],
  },
  {
    name: 'a day of month starting with * and a day of week must both match, as in Vixie cron',
    expression: '0 0 */2 * 1',
    timeZone: 'UTC',
    after: '2024-01-01T00:00Z',
    // Mondays on odd days: 15, 29 January, 5 February
    want: ['2024-01-15T00:00Z', '2024-01-29T00:00Z', '2024-02-05T00:00Z'],
  },
  {
    name: 'a step from a start value runs from that value to the end of the field',
    expression: '5/15 * * * *',
    timeZone: 'UTC',
    after: '2024-01-01T00:00Z',
    want: [
      '2024-01-01T00:05Z',
      '2024-01-01T00:20Z',
      '2024-01-01T00:35Z',
      '2024-01-01T00:50Z',
      '2024-01-01T01:05Z',
    ],
  },
];

for (const c of runCases) {
  test(c.name, () => {
    const s = schedule(c.expression, c.timeZone);
    const forward: string[] = [];
    let t = at(c.after);
    for (const _ of c.want) {
      t = nextRun(s, t);
      forward.push(iso(t));
    }
    assert.deepEqual(forward, c.want);
    // Walking back from the last run finds the same runs: catch-up decisions use previousRun.
    const backward: string[] = [];
    let b: Date | undefined = t;
    for (let i = 0; i < c.want.length && b !== undefined; i++) {
      backward.unshift(iso(b));
      b = previousRun(s, new Date(b.getTime() - 1));
    }
    assert.deepEqual(backward, c.want);
  });
}

test('in UTC the runs are the ones cron-parser computes, for expressions both read the same way', () => {
  const expressions = [
    '*/7 * * * *',
    '0 */5 * * *',
    '15 3 1,15 * *',
    '0 0 * * mon-fri',
    '30 6 * jan,jul *',
    '0 0 1 */3 *',
    '5/15 * * * *',
    '0 12 13 * 5',
    '0 0 31 * *',
    '@weekly',
  ];
  for (const e of expressions) {
    const s = schedule(e);
    const theirs = CronExpressionParser.parse(s.cron, { tz: 'UTC', currentDate: at('2023-12-30T22:00:00Z') });
    let t = at('2023-12-30T22:00:00Z');
    for (let i = 0; i < 300; i++) {
      t = nextRun(s, t);
      assert.equal(t.toISOString(), theirs.next().toDate().toISOString(), `${e}, run ${i}`);
    }
  }
});

test('a run exactly at the given time is not the next run but is the previous one', () => {
  const s = schedule('0 * * * *');
  assert.equal(iso(nextRun(s, at('2024-01-01T10:00:00Z'))), '2024-01-01T11:00Z');
  assert.equal(
    iso(previousRun(s, at('2024-01-01T10:00:00Z')) ?? at('1970-01-01T00:00:00Z')),
    '2024-01-01T10:00Z',
  );
});

test('counting the runs of a long span stops at the limit and says the count is a lower bound', () => {
  const s = schedule('* * * * *');
  const started = performance.now();
  const counted = countRuns(s, at('2023-01-01T00:00:00Z'), at('2025-01-01T00:00:00Z'));
  assert.deepEqual(counted, { count: MAX_COUNTED_MISSED_RUNS, exact: false });
  assert.ok(performance.now() - started < 1000, 'counting must not walk every minute of two years');
});

test('counting the runs of a day in autumn counts the repeated hour twice for an hourly schedule', () => {
  const s = schedule('@hourly', 'Europe/Berlin');
  // Local midnight to local midnight on 27 October 2024 is 25 real hours.
  assert.deepEqual(countRuns(s, at('2024-10-26T21:59:00Z'), at('2024-10-27T22:59:00Z')), {
    count: 25,
    exact: true,
  });
  // And 23 on 31 March 2024.
  assert.deepEqual(countRuns(s, at('2024-03-30T22:59:00Z'), at('2024-03-31T21:59:00Z')), {
    count: 23,
    exact: true,
  });
});

// ---------------------------------------------------------------------------------------------
// Decisions

const hourly = schedule('0 * * * *');
const created = at('2024-01-01T00:00:00Z');

type Want = Record<string, string | number | boolean>;

function view(d: ScheduleDecision, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = (d as unknown as Record<string, unknown>)[k];
    out[k] = v instanceof Date ? iso(v) : v;
  }
  return out;
}

const decideCases: { name: string; input: Partial<ScheduleInput> & { now: Date }; want: Want }[] = [
  {
    name: 'a policy created after the latest tick waits for the next one',
    input: { creationTime: at('2024-01-01T10:20:00Z'), now: at('2024-01-01T10:30:00Z') },
    want: { kind: 'wait', next: '2024-01-01T11:00Z', requeueAfterMs: MAX_REQUEUE_MS },
  },
  {
    name: 'the requeue delay is the time left to the next tick when that is under five minutes',
    input: { lastScheduleTime: at('2024-01-01T10:00:00Z'), now: at('2024-01-01T10:57:00Z') },
    want: { kind: 'wait', requeueAfterMs: 3 * 60_000 },
  },
  {
    name: 'a tick that has just passed is run, and the next tick is reported',
    input: { lastScheduleTime: at('2024-01-01T10:00:00Z'), now: at('2024-01-01T11:00:05Z') },
    want: {
      kind: 'run',
      scheduledTime: '2024-01-01T11:00Z',
      lastScheduleTime: '2024-01-01T11:00Z',
      missedCount: 0,
      missedCountExact: true,
      latenessMs: 5000,
      next: '2024-01-01T12:00Z',
      requeueAfterMs: MAX_REQUEUE_MS,
    },
  },
  {
    name: 'a tick recorded in status is not run again after a restart',
    input: { lastScheduleTime: at('2024-01-01T11:00:00Z'), now: at('2024-01-01T11:30:00Z') },
    want: { kind: 'wait', next: '2024-01-01T12:00Z' },
  },
  {
    name: 'many missed ticks give one run, for the latest of them',
    input: { lastScheduleTime: at('2024-01-01T06:00:00Z'), now: at('2024-01-01T11:10:00Z') },
    want: { kind: 'run', scheduledTime: '2024-01-01T11:00Z', missedCount: 4, missedCountExact: true },
  },
  {
    name: 'without a lastScheduleTime, ticks are counted from the creation of the policy',
    input: { creationTime: at('2024-01-01T08:30:00Z'), now: at('2024-01-01T11:10:00Z') },
    want: { kind: 'run', scheduledTime: '2024-01-01T11:00Z', missedCount: 2 },
  },
  {
    name: 'a late tick still within the starting deadline is run',
    input: {
      lastScheduleTime: at('2024-01-01T06:00:00Z'),
      now: at('2024-01-01T11:04:59Z'),
      startingDeadlineSeconds: 300,
    },
    want: { kind: 'run', scheduledTime: '2024-01-01T11:00Z', missedCount: 4 },
  },
  {
    name: 'a tick older than the starting deadline is skipped, and lastScheduleTime moves past it',
    input: {
      lastScheduleTime: at('2024-01-01T06:00:00Z'),
      now: at('2024-01-01T11:10:00Z'),
      startingDeadlineSeconds: 300,
    },
    want: {
      kind: 'skip',
      reason: 'DeadlineExceeded',
      missedTime: '2024-01-01T11:00Z',
      lastScheduleTime: '2024-01-01T11:00Z',
      missedCount: 5,
      next: '2024-01-01T12:00Z',
    },
  },
  {
    name: 'a skipped tick written to status is not reported again',
    input: {
      lastScheduleTime: at('2024-01-01T11:00:00Z'),
      now: at('2024-01-01T11:20:00Z'),
      startingDeadlineSeconds: 300,
    },
    want: { kind: 'wait', next: '2024-01-01T12:00Z' },
  },
  {
    name: 'a suspended policy neither runs nor skips, however much is due',
    input: { lastScheduleTime: at('2024-01-01T06:00:00Z'), now: at('2024-01-01T11:10:00Z'), suspend: true },
    want: { kind: 'suspended', next: '2024-01-01T12:00Z' },
  },
  {
    name: 'a resumed policy catches up once if the latest tick is within the deadline',
    input: {
      lastScheduleTime: at('2024-01-01T06:00:00Z'),
      now: at('2024-01-01T11:02:00Z'),
      startingDeadlineSeconds: 600,
      suspend: false,
    },
    want: { kind: 'run', scheduledTime: '2024-01-01T11:00Z' },
  },
  {
    name: 'a lastScheduleTime ahead of the clock (the clock stepped back) is not run again',
    input: { lastScheduleTime: at('2024-01-01T12:00:00Z'), now: at('2024-01-01T11:30:00Z') },
    want: { kind: 'wait', next: '2024-01-01T13:00Z' },
  },
  {
    name: 'a month-long outage of an hourly policy is counted exactly and caught up once',
    input: { lastScheduleTime: at('2024-01-01T00:00:00Z'), now: at('2024-01-31T00:00:30Z') },
    want: { kind: 'run', scheduledTime: '2024-01-31T00:00Z', missedCount: 719, missedCountExact: true },
  },
];

for (const c of decideCases) {
  test(c.name, () => {
    const d = decide({ schedule: hourly, creationTime: created, suspend: false, ...c.input });
    assert.deepEqual(view(d, Object.keys(c.want)), c.want);
  });
}

const zonedDecisions: {
  name: string;
  expression: string;
  timeZone: string;
  input: Partial<ScheduleInput> & { now: Date };
  want: Want;
}[] = [
  {
    name: 'the daily Berlin 02:30 run is due at 03:00 CEST on the spring-forward day',
    expression: '30 2 * * *',
    timeZone: 'Europe/Berlin',
    input: { lastScheduleTime: at('2024-03-30T01:30:00Z'), now: at('2024-03-31T01:00:10Z') },
    want: { kind: 'run', scheduledTime: '2024-03-31T01:00Z', missedCount: 0, next: '2024-04-01T00:30Z' },
  },
  {
    name: 'the daily Berlin 02:30 run is not run again at the second 02:30 in autumn',
    expression: '30 2 * * *',
    timeZone: 'Europe/Berlin',
    input: { lastScheduleTime: at('2024-10-27T00:30:00Z'), now: at('2024-10-27T01:30:10Z') },
    want: { kind: 'wait', next: '2024-10-28T01:30Z' },
  },
  {
    name: 'the daily New York 01:30 run is not run again at 01:30 EST in autumn',
    expression: '30 1 * * *',
    timeZone: 'America/New_York',
    input: { lastScheduleTime: at('2024-11-03T05:30:00Z'), now: at('2024-11-03T06:30:10Z') },
    want: { kind: 'wait', next: '2024-11-04T06:30Z' },
  },
  {
    name: 'the hourly New York run is due again in the repeated hour in autumn',
    expression: '@hourly',
    timeZone: 'America/New_York',
    input: { lastScheduleTime: at('2024-11-03T05:00:00Z'), now: at('2024-11-03T06:00:10Z') },
    want: { kind: 'run', scheduledTime: '2024-11-03T06:00Z' },
  },
];

for (const c of zonedDecisions) {
  test(c.name, () => {
    const d = decide({
      schedule: schedule(c.expression, c.timeZone),
      creationTime: created,
      suspend: false,
      ...c.input,
    });
    assert.deepEqual(view(d, Object.keys(c.want)), c.want);
  });
}

test('a year-long outage of an every-minute policy runs once, counts at most 1000 missed ticks, and is quick', () => {
  const started = performance.now();
  const d = decide({
    schedule: schedule('* * * * *', 'Europe/Berlin'),
    creationTime: created,
    lastScheduleTime: at('2024-01-01T00:00:00Z'),
    now: at('2025-01-01T00:00:30Z'),
    suspend: false,
  });
  assert.ok(performance.now() - started < 1000, 'the decision must not walk 500,000 ticks');
  assert.deepEqual(view(d, ['kind', 'scheduledTime', 'missedCount', 'missedCountExact']), {
    kind: 'run',
    scheduledTime: '2025-01-01T00:00Z',
    missedCount: MAX_COUNTED_MISSED_RUNS - 1,
    missedCountExact: false,
  });
});

test('the same inputs give the same decision, as a restarted operator needs', () => {
  const input: ScheduleInput = {
    schedule: schedule('17 */3 * * *', 'America/New_York'),
    creationTime: created,
    lastScheduleTime: at('2024-05-01T00:17:00Z'),
    now: at('2024-05-03T12:00:00Z'),
    startingDeadlineSeconds: 7200,
    suspend: false,
  };
  assert.deepEqual(decide(input), decide({ ...input }));
});
