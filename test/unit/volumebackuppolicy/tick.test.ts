// The schedule decision as the controller feeds it: from the persisted status,
// with the jitter window not counted as lateness.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hourly } from '../../support/schedule.js';
import { decideFor, skipMessage } from '../../../src/controllers/volumebackuppolicy/tick.js';
import { policy } from './fixtures.js';

const cases: {
  name: string;
  spec?: Parameters<typeof policy>[0];
  last?: string;
  now: string;
  kind: string;
  scheduled?: string;
}[] = [
  {
    name: 'a policy between two runs waits',
    last: '2024-01-02T10:00:00Z',
    now: '2024-01-02T10:30:00Z',
    kind: 'wait',
  },
  {
    name: 'a policy just past a run runs it',
    last: '2024-01-02T10:00:00Z',
    now: '2024-01-02T11:00:05Z',
    kind: 'run',
    scheduled: '2024-01-02T11:00:00.000Z',
  },
  {
    name: 'after two missed runs only the latest runs',
    last: '2024-01-02T08:00:00Z',
    now: '2024-01-02T10:01:00Z',
    kind: 'run',
    scheduled: '2024-01-02T10:00:00.000Z',
  },
  {
    name: 'a run later than the starting deadline is skipped',
    spec: { startingDeadlineSeconds: 60 },
    last: '2024-01-02T09:00:00Z',
    now: '2024-01-02T10:05:00Z',
    kind: 'skip',
  },
  {
    name: 'the jitter window is added to the starting deadline',
    spec: { startingDeadlineSeconds: 60, jitterSeconds: 600 },
    last: '2024-01-02T09:00:00Z',
    now: '2024-01-02T10:05:00Z',
    kind: 'run',
    scheduled: '2024-01-02T10:00:00.000Z',
  },
  {
    name: 'a suspended policy neither runs nor skips',
    spec: { suspend: true },
    last: '2024-01-02T09:00:00Z',
    now: '2024-01-02T10:05:00Z',
    kind: 'suspended',
  },
  {
    name: 'a new policy does not run for times before its creation',
    now: '2024-01-01T00:30:00Z',
    kind: 'wait',
  },
];

for (const c of cases) {
  test(c.name, () => {
    const p = policy(c.spec, c.last !== undefined ? { lastScheduleTime: c.last } : undefined);
    const d = decideFor(p, hourly, new Date(c.now));
    assert.equal(d.kind, c.kind);
    if (c.scheduled !== undefined && d.kind === 'run')
      assert.equal(d.scheduledTime.toISOString(), c.scheduled);
  });
}

test('the skip message names the deadline field, the count and the next run', () => {
  const p = policy({ startingDeadlineSeconds: 60 }, { lastScheduleTime: '2024-01-02T07:00:00Z' });
  const d = decideFor(p, hourly, new Date('2024-01-02T10:05:00Z'));
  assert.equal(d.kind, 'skip');
  const message = skipMessage(d, p);
  assert.match(message, /spec\.startingDeadlineSeconds 60/);
  assert.match(message, /3 run\(s\) missed/);
  assert.match(message, /next run is at 2024-01-02T11:00:00Z/);
});
