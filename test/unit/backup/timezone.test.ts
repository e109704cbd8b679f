// The wall-clock arithmetic under schedules and retention buckets, on the
// zones whose rules are the least regular.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isTimeZone,
  isoWeek,
  localTime,
  resolveWallTime,
} from '../../../src/controllers/volumebackuppolicy/timezone.js';

const wall = (s: string): number => Date.parse(`${s}:00Z`);
const iso = (t: number): string => new Date(t).toISOString().replace(':00.000Z', 'Z');

const walls: { name: string; timeZone: string; wall: string; instants: string[]; gapEnd?: string }[] = [
  {
    name: 'an ordinary summer time in Berlin is one instant',
    timeZone: 'Europe/Berlin',
    wall: '2024-06-01T12:00',
    instants: ['2024-06-01T10:00Z'],
  },
  {
    name: '02:30 on the spring-forward day in Berlin does not exist, and the gap ends at 01:00 UTC',
    timeZone: 'Europe/Berlin',
    wall: '2024-03-31T02:30',
    instants: [],
    gapEnd: '2024-03-31T01:00Z',
  },
  {
    name: '02:30 on the fall-back day in Berlin happens twice, an hour apart',
    timeZone: 'Europe/Berlin',
    wall: '2024-10-27T02:30',
    instants: ['2024-10-27T00:30Z', '2024-10-27T01:30Z'],
  },
  {
    name: '01:30 on the fall-back day in New York happens twice',
    timeZone: 'America/New_York',
    wall: '2024-11-03T01:30',
    instants: ['2024-11-03T05:30Z', '2024-11-03T06:30Z'],
  },
  {
    name: 'Lord Howe Island moves its clock by half an hour',
    timeZone: 'Australia/Lord_Howe',
    wall: '2024-10-06T02:15',
    instants: [],
    gapEnd: '2024-10-05T15:30Z',
  },
  {
    name: 'Samoa skipped 30 December 2011 entirely',
    timeZone: 'Pacific/Apia',
    wall: '2011-12-30T12:00',
    instants: [],
    gapEnd: '2011-12-30T10:00Z',
  },
];

for (const c of walls) {
  test(c.name, () => {
    const r = resolveWallTime(c.timeZone, wall(c.wall));
    assert.deepEqual(r.instants.map(iso), c.instants);
    assert.equal(r.gapEnd === undefined ? undefined : iso(r.gapEnd), c.gapEnd);
  });
}

const weeks: { name: string; date: [number, number, number]; want: { year: number; week: number } }[] = [
  {
    name: '30 December 2024 is in the first ISO week of 2025',
    date: [2024, 12, 30],
    want: { year: 2025, week: 1 },
  },
  {
    name: '1 January 2021 is in the last ISO week of 2020',
    date: [2021, 1, 1],
    want: { year: 2020, week: 53 },
  },
  { name: '31 December 2026 is in week 53 of 2026', date: [2026, 12, 31], want: { year: 2026, week: 53 } },
  { name: 'a Sunday ends its ISO week', date: [2024, 1, 7], want: { year: 2024, week: 1 } },
  { name: 'a Monday starts the next ISO week', date: [2024, 1, 8], want: { year: 2024, week: 2 } },
];

for (const c of weeks) {
  test(c.name, () => {
    assert.deepEqual(isoWeek(...c.date), c.want);
  });
}

test('UTC, Etc/UTC and aliases are time zones; Local, blanks and unknown names are not', () => {
  for (const zone of ['UTC', 'Etc/UTC', 'Europe/Berlin', 'US/Eastern', 'Asia/Kolkata', 'Etc/GMT+5']) {
    assert.ok(isTimeZone(zone), zone);
  }
  for (const zone of ['Local', '', ' UTC', 'Europe/Atlantis', 'Mars/Olympus_Mons']) {
    assert.ok(!isTimeZone(zone), zone);
  }
});

test('the local time of an instant carries its offset, including half-hour offsets', () => {
  assert.deepEqual(localTime('Asia/Kolkata', Date.parse('2024-01-01T00:00:00Z')), {
    year: 2024,
    month: 1,
    day: 1,
    hour: 5,
    minute: 30,
    second: 0,
    offsetMs: 19_800_000,
  });
});
