// The Stale rule of a VolumeBackupPolicy: one missed run is tolerated, two in
// a row are not, and a backup still within its grace is not late yet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schedule } from '../../support/schedule.js';
import { isStale, staleThreshold } from '../../../src/controllers/volumebackuppolicy/stale.js';

const at = (iso: string): Date => new Date(iso);

const cases: {
  name: string;
  expression: string;
  timeZone?: string;
  now: string;
  last?: string;
  since?: string;
  graceSeconds?: number;
  stale: boolean;
  threshold?: string;
}[] = [
  {
    name: 'a volume backed up at the latest hourly tick is not stale',
    expression: '@hourly',
    now: '2024-01-02T10:30:00Z',
    last: '2024-01-02T10:00:00Z',
    graceSeconds: 600,
    stale: false,
    threshold: '2024-01-02T09:00:00.000Z',
  },
  {
    name: 'one missed hourly run is tolerated',
    expression: '@hourly',
    now: '2024-01-02T10:30:00Z',
    last: '2024-01-02T09:00:00Z',
    graceSeconds: 600,
    stale: false,
  },
  {
    name: 'two missed hourly runs in a row make the volume stale',
    expression: '@hourly',
    now: '2024-01-02T10:30:00Z',
    last: '2024-01-02T08:00:00Z',
    graceSeconds: 600,
    stale: true,
  },
  {
    name: 'a run still within its grace is not counted as missed yet',
    expression: '@hourly',
    now: '2024-01-02T10:05:00Z',
    last: '2024-01-02T08:00:00Z',
    graceSeconds: 600,
    stale: false,
    threshold: '2024-01-02T08:00:00.000Z',
  },
  {
    name: 'a backup taken late, by a catch-up run, counts from when it was taken',
    expression: '@daily',
    now: '2024-01-03T12:00:00Z',
    last: '2024-01-02T09:00:00Z',
    stale: false,
  },
  {
    name: 'a volume without any backup is not stale before two runs were due',
    expression: '@hourly',
    now: '2024-01-02T10:30:00Z',
    since: '2024-01-02T09:30:00Z',
    graceSeconds: 600,
    stale: false,
  },
  {
    name: 'a volume without any backup is stale once two runs were due',
    expression: '@hourly',
    now: '2024-01-02T11:30:00Z',
    since: '2024-01-02T09:30:00Z',
    graceSeconds: 600,
    stale: true,
  },
  {
    name: 'a weekday schedule is not stale over the weekend',
    expression: '0 2 * * 1-5',
    now: '2024-01-08T01:00:00Z', // Monday, before its run
    last: '2024-01-05T02:00:00Z', // Friday
    stale: false,
  },
  {
    name: 'a weekday schedule whose Monday run failed is not stale until Tuesday’s run fails too',
    expression: '0 2 * * 1-5',
    now: '2024-01-08T12:00:00Z',
    last: '2024-01-05T02:00:00Z',
    stale: false,
  },
  {
    name: 'a weekday schedule is stale once Monday’s and Tuesday’s runs both produced nothing',
    expression: '0 2 * * 1-5',
    now: '2024-01-09T12:00:00Z',
    last: '2024-01-05T02:00:00Z',
    stale: true,
  },
  {
    name: 'a daily Berlin backup taken at 03:00 on the spring-forward day counts for that day',
    expression: '30 2 * * *',
    timeZone: 'Europe/Berlin',
    now: '2024-04-01T12:00:00Z',
    last: '2024-03-31T01:00:00Z',
    stale: false,
    threshold: '2024-03-31T01:00:00.000Z',
  },
];

for (const c of cases) {
  test(c.name, () => {
    const input = {
      schedule: schedule(c.expression, c.timeZone),
      now: at(c.now),
      since: at(c.since ?? '2023-01-01T00:00:00Z'),
      ...(c.last !== undefined ? { lastSuccessfulTime: at(c.last) } : {}),
      ...(c.graceSeconds !== undefined ? { graceSeconds: c.graceSeconds } : {}),
    };
    assert.equal(isStale(input), c.stale);
    if (c.threshold !== undefined) assert.equal(staleThreshold(input)?.toISOString(), c.threshold);
  });
}
