// Retention of VolumeBackupPolicies: tiers counted like restic and borg in the
// policy's time zone, maxAge, failed backups, and what is never deleted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationPattern } from '../../../src/api/v1alpha1/volumebackuppolicy.js';
import {
  isRetentionError,
  parseMaxAge,
  selectRetention,
  type BackupInfo,
  type BackupPhase,
  type BackupVerdict,
  type RetentionInput,
  type RetentionSettings,
} from '../../../src/controllers/volumebackuppolicy/retention.js';

// ---------------------------------------------------------------------------------------------
// Fixtures

interface Extra {
  volume?: string;
  onDemand?: boolean;
  held?: boolean;
  inUse?: boolean;
  failedAt?: string;
}

function backup(name: string, phase: BackupPhase, createdAt: string, extra: Extra = {}): BackupInfo {
  return {
    name,
    volume: extra.volume ?? 'data',
    phase,
    createdAt: new Date(createdAt),
    ...(phase === 'Ready' ? { readyAt: new Date(new Date(createdAt).getTime() + 60_000) } : {}),
    ...(extra.failedAt !== undefined ? { failedAt: new Date(extra.failedAt) } : {}),
    onDemand: extra.onDemand ?? false,
    held: extra.held ?? false,
    inUseByRestore: extra.inUse ?? false,
  };
}

const ready = (name: string, createdAt: string, extra?: Extra): BackupInfo =>
  backup(name, 'Ready', createdAt, extra);
const failed = (name: string, createdAt: string, extra?: Extra): BackupInfo =>
  backup(name, 'Failed', createdAt, extra);

/** A verdict in one line: "keep Last,Newest !NewestReady", "delete Expired", "ignore". */
function show(v: BackupVerdict): string {
  if (v.action === 'ignore') return 'ignore';
  if (v.action === 'delete') return `delete ${v.reason}`;
  const protectedBy = v.protectedBy.length > 0 ? ` !${v.protectedBy.join(',')}` : '';
  return `keep ${v.retainedBy.join(',')}${protectedBy}`.replace('keep  !', 'keep !');
}

function plan(input: RetentionInput): Record<string, string> {
  const result = selectRetention(input);
  if (isRetentionError(result)) throw new Error(result.message);
  assert.deepEqual(
    result.delete.map((d) => d.name),
    result.verdicts.filter((v) => v.action === 'delete').map((v) => v.name),
  );
  return Object.fromEntries(result.verdicts.map((v) => [v.name, show(v)]));
}

const NOW = new Date('2024-06-15T12:00:00Z');

/** Hourly backups h0 (newest) .. h{n-1}, one at the top of each hour before NOW. */
function hourlyBackups(n: number): BackupInfo[] {
  return Array.from({ length: n }, (_, i) =>
    ready(`h${i}`, new Date(NOW.getTime() - (i + 1) * 3_600_000).toISOString()),
  );
}

// ---------------------------------------------------------------------------------------------
// Tables

const cases: {
  name: string;
  backups: BackupInfo[];
  retention: RetentionSettings;
  timeZone?: string;
  now?: Date;
  failedRetentionSeconds?: number;
  want: Record<string, string>;
}[] = [
  {
    name: 'keepLast keeps the newest backups and deletes the rest',
    backups: hourlyBackups(5),
    retention: { keepLast: 3 },
    want: {
      h0: 'keep Last,Newest !NewestReady',
      h1: 'keep Last',
      h2: 'keep Last',
      h3: 'delete OutsideRetention',
      h4: 'delete OutsideRetention',
    },
  },
  {
    name: 'failed backups are not counted by keepLast, and only the newest keepFailed of them stay',
    backups: [
      ready('r1', '2024-06-15T11:00:00Z'),
      failed('f1', '2024-06-15T10:00:00Z'),
      ready('r2', '2024-06-15T09:00:00Z'),
      failed('f2', '2024-06-15T08:00:00Z'),
      ready('r3', '2024-06-15T07:00:00Z'),
      ready('r4', '2024-06-15T06:00:00Z'),
    ],
    retention: { keepLast: 3, keepFailed: 1 },
    failedRetentionSeconds: 0,
    want: {
      r1: 'keep Last,Newest !NewestReady',
      f1: 'keep Failed',
      r2: 'keep Last',
      f2: 'delete Failed',
      r3: 'keep Last',
      r4: 'delete OutsideRetention',
    },
  },
  {
    name: 'a failed backup stays for a day after it failed, then goes',
    backups: [
      ready('r1', '2024-06-15T11:00:00Z'),
      failed('recent', '2024-06-14T10:00:00Z', { failedAt: '2024-06-14T13:00:00Z' }),
      failed('old', '2024-06-14T09:00:00Z', { failedAt: '2024-06-14T10:00:00Z' }),
    ],
    retention: { keepLast: 1, keepFailed: 0 },
    want: { r1: 'keep Last,Newest !NewestReady', recent: 'keep Failed', old: 'delete Failed' },
  },
  {
    name: 'a volume whose recent backups all failed keeps its last good one, however old',
    backups: [
      failed('f1', '2024-06-15T11:00:00Z'),
      failed('f2', '2024-06-15T10:00:00Z'),
      failed('f3', '2024-06-15T09:00:00Z'),
      failed('f4', '2024-06-15T08:00:00Z'),
      ready('good', '2024-01-01T00:00:00Z'),
    ],
    retention: { keepDaily: 7, maxAge: '168h', keepFailed: 2 },
    failedRetentionSeconds: 0,
    want: {
      f1: 'keep Failed',
      f2: 'keep Failed',
      f3: 'delete Failed',
      f4: 'delete Failed',
      good: 'keep Newest !NewestReady',
    },
  },
  {
    name: 'with every tier at zero only the newest Ready backup survives',
    backups: hourlyBackups(4),
    retention: { keepLast: 0, keepHourly: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepYearly: 0 },
    want: {
      h0: 'keep Newest !NewestReady',
      h1: 'delete OutsideRetention',
      h2: 'delete OutsideRetention',
      h3: 'delete OutsideRetention',
    },
  },
  {
    name: 'maxAge deletes backups older than it even when a tier keeps them',
    backups: [
      ready('d0', '2024-06-15T01:00:00Z'),
      ready('d1', '2024-06-14T01:00:00Z'),
      ready('d2', '2024-06-13T01:00:00Z'),
      ready('d3', '2024-06-12T01:00:00Z'),
      ready('d4', '2024-06-11T01:00:00Z'),
    ],
    retention: { keepDaily: 7, maxAge: '72h' },
    want: {
      d0: 'keep Daily,Newest !NewestReady',
      d1: 'keep Daily',
      d2: 'keep Daily',
      d3: 'delete Expired',
      d4: 'delete Expired',
    },
  },
  {
    name: 'a backup exactly maxAge old is not older than maxAge and stays',
    backups: [ready('new', '2024-06-15T11:00:00Z'), ready('edge', '2024-06-14T12:00:00Z')],
    retention: { keepLast: 5, maxAge: '24h' },
    want: { new: 'keep Last,Newest !NewestReady', edge: 'keep Last' },
  },
  {
    name: 'a maxAge shorter than every backup’s age still leaves the newest Ready backup',
    backups: hourlyBackups(3),
    retention: { keepLast: 10, maxAge: '30m' },
    want: { h0: 'keep Newest !NewestReady', h1: 'delete Expired', h2: 'delete Expired' },
  },
  {
    name: 'one backup counts for several tiers at once',
    backups: [
      ready('now', '2024-06-15T11:00:00Z'),
      ready('earlier', '2024-06-15T10:00:00Z'),
      ready('yesterday', '2024-06-14T10:00:00Z'),
      ready('last-week', '2024-06-08T10:00:00Z'),
      ready('last-month', '2024-05-20T10:00:00Z'),
    ],
    retention: { keepLast: 1, keepDaily: 2, keepWeekly: 2, keepMonthly: 2, keepYearly: 1 },
    want: {
      now: 'keep Last,Daily,Weekly,Monthly,Yearly,Newest !NewestReady',
      earlier: 'delete OutsideRetention',
      yesterday: 'keep Daily',
      'last-week': 'keep Weekly',
      'last-month': 'keep Monthly',
    },
  },
  {
    name: 'a tier counts distinct buckets that have backups, not calendar days back from now',
    backups: [
      ready('mon', '2024-06-10T10:00:00Z'),
      ready('thu', '2024-06-06T10:00:00Z'),
      ready('jan', '2024-01-06T10:00:00Z'),
    ],
    retention: { keepDaily: 3 },
    want: { mon: 'keep Daily,Newest !NewestReady', thu: 'keep Daily', jan: 'keep Daily' },
  },
  {
    name: 'daily buckets are days in the policy’s time zone: 23:30 and 00:30 in Berlin are two days',
    backups: [
      ready('after-midnight', '2024-05-01T22:30:00Z'), // 2 May 00:30 CEST
      ready('before-midnight', '2024-05-01T21:30:00Z'), // 1 May 23:30 CEST
      ready('noon', '2024-05-01T10:00:00Z'), // 1 May 12:00 CEST
    ],
    retention: { keepDaily: 2 },
    timeZone: 'Europe/Berlin',
    now: new Date('2024-05-02T12:00:00Z'),
    want: {
      'after-midnight': 'keep Daily,Newest !NewestReady',
      'before-midnight': 'keep Daily',
      noon: 'delete OutsideRetention',
    },
  },
  {
    name: 'the same backups in UTC fall on one day, so keepDaily 2 keeps only the newest of it',
    backups: [
      ready('after-midnight', '2024-05-01T22:30:00Z'),
      ready('before-midnight', '2024-05-01T21:30:00Z'),
      ready('noon', '2024-05-01T10:00:00Z'),
    ],
    retention: { keepDaily: 2 },
    timeZone: 'UTC',
    now: new Date('2024-05-02T12:00:00Z'),
    want: {
      'after-midnight': 'keep Daily,Newest !NewestReady',
      'before-midnight': 'delete OutsideRetention',
      noon: 'delete OutsideRetention',
    },
  },
  {
    name: 'hourly buckets in the repeated hour of autumn in Berlin are the two real hours',
    backups: [
      ready('cet-late', '2024-10-27T01:50:00Z'), // 02:50 CET
      ready('cet-early', '2024-10-27T01:10:00Z'), // 02:10 CET
      ready('cest-late', '2024-10-27T00:50:00Z'), // 02:50 CEST
      ready('cest-early', '2024-10-27T00:10:00Z'), // 02:10 CEST
    ],
    retention: { keepHourly: 2 },
    timeZone: 'Europe/Berlin',
    now: new Date('2024-10-27T02:00:00Z'),
    want: {
      'cet-late': 'keep Hourly,Newest !NewestReady',
      'cet-early': 'delete OutsideRetention',
      'cest-late': 'keep Hourly',
      'cest-early': 'delete OutsideRetention',
    },
  },
  {
    name: 'the 23-hour spring-forward day in New York is one daily bucket',
    backups: [
      ready('mar11', '2024-03-11T04:30:00Z'), // 11 March 00:30 EDT
      ready('mar10-late', '2024-03-11T03:30:00Z'), // 10 March 23:30 EDT
      ready('mar10-early', '2024-03-10T05:30:00Z'), // 10 March 00:30 EST
      ready('mar9', '2024-03-10T04:30:00Z'), // 9 March 23:30 EST
    ],
    retention: { keepDaily: 3 },
    timeZone: 'America/New_York',
    now: new Date('2024-03-11T12:00:00Z'),
    want: {
      mar11: 'keep Daily,Newest !NewestReady',
      'mar10-late': 'keep Daily',
      'mar10-early': 'delete OutsideRetention',
      mar9: 'keep Daily',
    },
  },
  {
    name: 'weekly buckets are ISO weeks in the policy’s zone: Sunday 23:30 and Monday 00:30 in Tokyo differ',
    backups: [
      ready('monday', '2024-01-07T15:30:00Z'), // Monday 8 January 00:30 JST, week 2
      ready('sunday', '2024-01-07T14:30:00Z'), // Sunday 7 January 23:30 JST, week 1
      ready('new-year', '2024-01-01T00:00:00Z'), // Monday 1 January 09:00 JST, week 1
    ],
    retention: { keepWeekly: 2 },
    timeZone: 'Asia/Tokyo',
    now: new Date('2024-01-08T00:00:00Z'),
    want: {
      monday: 'keep Weekly,Newest !NewestReady',
      sunday: 'keep Weekly',
      'new-year': 'delete OutsideRetention',
    },
  },
  {
    name: 'monthly and yearly tiers keep the newest backup of each month and year in the zone',
    backups: [
      ready('feb', '2024-02-10T00:00:00Z'),
      ready('jan-end', '2024-01-31T23:30:00Z'), // 1 February 00:30 in Berlin
      ready('jan', '2024-01-20T00:00:00Z'),
      ready('dec', '2023-12-31T22:30:00Z'), // 31 December 23:30 in Berlin
      ready('dec-early', '2023-12-01T00:00:00Z'),
    ],
    retention: { keepMonthly: 3, keepYearly: 2 },
    timeZone: 'Europe/Berlin',
    now: new Date('2024-02-11T00:00:00Z'),
    want: {
      feb: 'keep Monthly,Yearly,Newest !NewestReady',
      'jan-end': 'delete OutsideRetention',
      jan: 'keep Monthly',
      dec: 'keep Monthly,Yearly',
      'dec-early': 'delete OutsideRetention',
    },
  },
  {
    name: 'several volumes are pruned independently, each keeping its own newest backup',
    backups: [
      ready('a1', '2024-06-15T11:00:00Z', { volume: 'a' }),
      ready('b1', '2024-06-15T10:30:00Z', { volume: 'b' }),
      ready('a2', '2024-06-15T10:00:00Z', { volume: 'a' }),
      ready('b2', '2024-06-15T09:30:00Z', { volume: 'b' }),
      ready('c1', '2024-01-01T00:00:00Z', { volume: 'c' }),
    ],
    retention: { keepLast: 1, maxAge: '720h' },
    want: {
      a1: 'keep Last,Newest !NewestReady',
      b1: 'keep Last,Newest !NewestReady',
      a2: 'delete OutsideRetention',
      b2: 'delete OutsideRetention',
      c1: 'keep Newest !NewestReady',
    },
  },
  {
    name: 'on-demand, held and in-use backups are never deleted, and say why',
    backups: [
      ready('newest', '2024-06-15T11:00:00Z'),
      ready('by-hand', '2023-01-01T00:00:00Z', { onDemand: true }),
      ready('held', '2023-01-02T00:00:00Z', { held: true }),
      ready('restoring', '2023-01-03T00:00:00Z', { inUse: true }),
      failed('failed-by-hand', '2023-01-04T00:00:00Z', { onDemand: true }),
      failed('failed-held', '2023-01-05T00:00:00Z', { held: true }),
      ready('plain', '2023-01-06T00:00:00Z'),
    ],
    retention: { keepLast: 1, maxAge: '1h', keepFailed: 0 },
    failedRetentionSeconds: 0,
    want: {
      newest: 'keep Last,Newest !NewestReady',
      'by-hand': 'keep !OnDemand',
      held: 'keep !Held',
      restoring: 'keep !InUse',
      'failed-by-hand': 'keep !OnDemand',
      'failed-held': 'keep !Held',
      plain: 'delete Expired',
    },
  },
  {
    name: 'on-demand backups do not count towards the tiers',
    backups: [
      ready('by-hand', '2024-06-15T11:30:00Z', { onDemand: true }),
      ready('p1', '2024-06-15T11:00:00Z'),
      ready('p2', '2024-06-15T10:00:00Z'),
      ready('p3', '2024-06-15T09:00:00Z'),
    ],
    retention: { keepLast: 2 },
    want: {
      'by-hand': 'keep !OnDemand',
      p1: 'keep Last,Newest !NewestReady',
      p2: 'keep Last',
      p3: 'delete OutsideRetention',
    },
  },
  {
    name: 'held backups count towards the tiers like any other backup of the policy',
    backups: [
      ready('p1', '2024-06-15T11:00:00Z'),
      ready('p2', '2024-06-15T10:00:00Z', { held: true }),
      ready('p3', '2024-06-15T09:00:00Z'),
    ],
    retention: { keepLast: 2 },
    want: { p1: 'keep Last,Newest !NewestReady', p2: 'keep Last !Held', p3: 'delete OutsideRetention' },
  },
  {
    name: 'pending and in-progress backups are never touched and do not count',
    backups: [
      backup('pending', 'Pending', '2024-06-15T11:30:00Z'),
      backup('running', 'InProgress', '2023-06-15T11:00:00Z'),
      ready('r1', '2024-06-15T10:00:00Z'),
      ready('r2', '2024-06-15T09:00:00Z'),
    ],
    retention: { keepLast: 1, maxAge: '1h' },
    want: {
      pending: 'keep !NotFinished',
      running: 'keep !NotFinished',
      r1: 'keep Newest !NewestReady',
      r2: 'delete Expired',
    },
  },
  {
    name: 'a backup already being deleted is ignored and is not the newest',
    backups: [
      backup('going', 'Deleting', '2024-06-15T11:30:00Z'),
      ready('r1', '2024-06-15T10:00:00Z'),
      ready('r2', '2024-06-15T09:00:00Z'),
    ],
    retention: { keepLast: 1 },
    want: { going: 'ignore', r1: 'keep Last,Newest !NewestReady', r2: 'delete OutsideRetention' },
  },
  {
    name: 'the newest Ready backup that is also held and expired gives every reason',
    backups: [ready('only', '2020-01-01T00:00:00Z', { held: true, inUse: true })],
    retention: { keepLast: 3, maxAge: '24h' },
    want: { only: 'keep Newest !Held,InUse,NewestReady' },
  },
  {
    name: 'backups taken at the same instant are ordered by name, so the plan is stable',
    backups: [ready('b', '2024-06-15T11:00:00Z'), ready('a', '2024-06-15T11:00:00Z')],
    retention: { keepLast: 1 },
    want: { b: 'keep Last,Newest !NewestReady', a: 'delete OutsideRetention' },
  },
];

for (const c of cases) {
  test(c.name, () => {
    const got = plan({
      backups: c.backups,
      retention: c.retention,
      timeZone: c.timeZone ?? 'UTC',
      now: c.now ?? NOW,
      ...(c.failedRetentionSeconds !== undefined ? { failedRetentionSeconds: c.failedRetentionSeconds } : {}),
    });
    assert.deepEqual(got, c.want);
  });
}

test('keepFailed defaults to 3, as in the CRD', () => {
  const backups = [
    ready('r', '2024-06-15T11:00:00Z'),
    ...[1, 2, 3, 4].map((i) => failed(`f${i}`, `2024-06-1${i}T00:00:00Z`)),
  ];
  const got = plan({
    backups,
    retention: { keepLast: 1 },
    timeZone: 'UTC',
    now: NOW,
    failedRetentionSeconds: 0,
  });
  assert.deepEqual(got, {
    r: 'keep Last,Newest !NewestReady',
    f1: 'delete Failed',
    f2: 'keep Failed',
    f3: 'keep Failed',
    f4: 'keep Failed',
  });
});

// ---------------------------------------------------------------------------------------------
// maxAge and invalid input

const durations: { name: string; value: string; ms?: number; says?: RegExp }[] = [
  { name: 'hours alone are a duration', value: '720h', ms: 720 * 3_600_000 },
  { name: 'hours and minutes are a duration', value: '36h30m', ms: (36 * 60 + 30) * 60_000 },
  { name: 'hours, minutes and seconds are a duration', value: '1h2m3s', ms: 3_723_000 },
  { name: 'seconds alone are a duration', value: '90s', ms: 90_000 },
  {
    name: 'days are refused with the hours to write instead',
    value: '30d',
    says: /days are not a unit, write 720h/,
  },
  { name: 'zero is refused', value: '0s', says: /longer than zero/ },
  { name: 'units out of order are refused', value: '30m1h', says: /not a duration such as 720h/ },
  { name: 'an empty string is refused', value: '', says: /not a duration/ },
  { name: 'a bare number is refused', value: '3600', says: /not a duration/ },
  { name: 'fractions are refused', value: '1.5h', says: /not a duration/ },
];

for (const c of durations) {
  test(`maxAge: ${c.name}`, () => {
    const got = parseMaxAge(c.value);
    const schema = new RegExp(durationPattern);
    if (c.ms !== undefined) {
      assert.equal(got, c.ms);
      assert.match(c.value, schema, 'the CRD accepts what the operator accepts');
      return;
    }
    assert.ok(typeof got === 'object', 'expected an error');
    assert.equal(got.field, 'spec.retention.maxAge');
    assert.match(got.message, c.says ?? /./);
    assert.ok(got.message.startsWith('spec.retention.maxAge: '));
    // The CRD refuses these two by minLength and by a CEL rule rather than by the pattern.
    if (c.value !== '0s' && c.value !== '') {
      assert.doesNotMatch(c.value, schema, 'the CRD refuses what the operator refuses');
    }
  });
}

test('an invalid maxAge refuses to plan instead of deleting anything', () => {
  const result = selectRetention({
    backups: hourlyBackups(3),
    retention: { keepLast: 1, maxAge: '30d' },
    timeZone: 'UTC',
    now: NOW,
  });
  assert.ok(isRetentionError(result));
  assert.equal(result.field, 'spec.retention.maxAge');
});

test('an unknown time zone refuses to plan, naming spec.timeZone', () => {
  const result = selectRetention({
    backups: hourlyBackups(3),
    retention: { keepDaily: 1 },
    timeZone: 'Nowhere/Else',
    now: NOW,
  });
  assert.ok(isRetentionError(result));
  assert.equal(result.field, 'spec.timeZone');
  assert.equal(result.reason, 'UnknownTimeZone');
});

// ---------------------------------------------------------------------------------------------
// Invariants on random histories

/** mulberry32: a small seeded generator, so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const zones = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Pacific/Apia',
];
const phases: BackupPhase[] = [
  'Ready',
  'Ready',
  'Ready',
  'Ready',
  'Failed',
  'Failed',
  'Pending',
  'InProgress',
  'Deleting',
];

function randomInput(seed: number): RetentionInput {
  const rnd = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const maybe = (n: number): number | undefined => (rnd() < 0.3 ? undefined : Math.floor(rnd() * n));
  const now = Date.UTC(2024, 0, 1) + Math.floor(rnd() * 730) * 86_400_000;
  const spanMs = pick([6 * 3_600_000, 3 * 86_400_000, 60 * 86_400_000, 800 * 86_400_000]);
  const volumes = ['a', 'b', 'c'].slice(0, 1 + Math.floor(rnd() * 3));
  const backups: BackupInfo[] = Array.from({ length: Math.floor(rnd() * 40) }, (_, i) => {
    // Some backups share an instant, as several made by one run can.
    const createdAt = new Date(now - Math.floor((rnd() * spanMs) / 60_000) * 60_000);
    const phase = pick(phases);
    return {
      name: `b${i}`,
      volume: pick(volumes),
      phase,
      createdAt,
      ...(phase === 'Failed' && rnd() < 0.5 ? { failedAt: new Date(createdAt.getTime() + 3_600_000) } : {}),
      onDemand: rnd() < 0.1,
      held: rnd() < 0.1,
      inUseByRestore: rnd() < 0.05,
    };
  });
  const maxAgeHours = maybe(2000);
  const retention: RetentionSettings = {
    keepLast: maybe(5),
    keepHourly: maybe(5),
    keepDaily: maybe(5),
    keepWeekly: maybe(4),
    keepMonthly: maybe(4),
    keepYearly: maybe(3),
    keepFailed: maybe(4),
    ...(maxAgeHours !== undefined && maxAgeHours > 0 ? { maxAge: `${maxAgeHours}h` } : {}),
  };
  const grace = maybe(200_000);
  return {
    backups,
    retention,
    timeZone: pick(zones),
    now: new Date(now),
    ...(grace !== undefined ? { failedRetentionSeconds: grace } : {}),
  };
}

function newestReadyOf(
  backups: readonly BackupInfo[],
  volume: string,
  policyOnly: boolean,
): BackupInfo | undefined {
  return backups
    .filter((b) => b.volume === volume && b.phase === 'Ready' && !(policyOnly && b.onDemand))
    .sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime() || (x.name < y.name ? 1 : -1))[0];
}

type Verdicts = ReadonlyMap<BackupInfo, BackupVerdict>;

function checkNewest(seed: number, input: RetentionInput, verdictOf: Verdicts): void {
  for (const volume of new Set(input.backups.map((b) => b.volume))) {
    const newest = newestReadyOf(input.backups, volume, false);
    if (newest !== undefined) {
      assert.notEqual(
        verdictOf.get(newest)?.action,
        'delete',
        `seed ${seed}: newest Ready of ${volume} deleted`,
      );
    }
    const newestOfPolicy = newestReadyOf(input.backups, volume, true);
    if (newestOfPolicy === undefined) continue;
    const v = verdictOf.get(newestOfPolicy);
    assert.ok(
      v?.action === 'keep' && v.retainedBy.includes('Newest'),
      `seed ${seed}: Newest missing on ${volume}`,
    );
  }
}

function checkBackup(seed: number, input: RetentionInput, b: BackupInfo, v: BackupVerdict): void {
  assert.equal(v.name, b.name, `seed ${seed}: verdicts out of order`);
  const isProtected =
    b.onDemand || b.held || b.inUseByRestore || b.phase === 'Pending' || b.phase === 'InProgress';
  if (isProtected) assert.notEqual(v.action, 'delete', `seed ${seed}: protected ${b.name} deleted`);
  if (b.phase === 'Deleting') assert.equal(v.action, 'ignore', `seed ${seed}`);
  if (v.action !== 'delete') return;
  assert.equal(
    b.phase,
    v.reason === 'Failed' ? 'Failed' : 'Ready',
    `seed ${seed}: ${v.reason} on ${b.phase}`,
  );
  if (v.reason === 'Expired') {
    const maxAge = parseMaxAge(input.retention.maxAge ?? '');
    assert.ok(
      typeof maxAge === 'number' && input.now.getTime() - b.createdAt.getTime() > maxAge,
      `seed ${seed}`,
    );
  }
}

function checkTierCounts(seed: number, input: RetentionInput, verdicts: readonly BackupVerdict[]): void {
  const r = input.retention;
  const counts = [
    ['Last', r.keepLast],
    ['Hourly', r.keepHourly],
    ['Daily', r.keepDaily],
    ['Weekly', r.keepWeekly],
    ['Monthly', r.keepMonthly],
    ['Yearly', r.keepYearly],
  ] as const;
  for (const volume of new Set(input.backups.map((b) => b.volume))) {
    for (const [tier, n] of counts) {
      const kept = verdicts.filter(
        (v) => v.volume === volume && v.action === 'keep' && v.retainedBy.includes(tier),
      );
      assert.ok(
        kept.length <= (n ?? 0),
        `seed ${seed}: ${tier} keeps ${kept.length} > ${n ?? 0} on ${volume}`,
      );
    }
  }
}

test('on 1000 random histories the newest Ready backup of every volume survives and nothing protected is deleted', () => {
  for (let seed = 1; seed <= 1000; seed++) {
    const input = randomInput(seed);
    const result = selectRetention(input);
    assert.ok(!isRetentionError(result), `seed ${seed}`);
    assert.equal(result.verdicts.length, input.backups.length, `seed ${seed}`);
    const verdictOf = new Map(input.backups.map((b, i) => [b, result.verdicts[i]!]));
    checkNewest(seed, input, verdictOf);
    for (const [b, v] of verdictOf) checkBackup(seed, input, b, v);
    checkTierCounts(seed, input, result.verdicts);
    // Planning again once the deletions are done deletes nothing more.
    const left = input.backups.filter((b) => verdictOf.get(b)?.action !== 'delete');
    const again = selectRetention({ ...input, backups: left });
    assert.ok(!isRetentionError(again));
    assert.deepEqual(
      again.delete.map((d) => d.name),
      [],
      `seed ${seed}: a second pass deletes more`,
    );
  }
});
