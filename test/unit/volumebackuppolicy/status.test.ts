// The policy's status and its Ready condition, computed from the persisted
// status, the backups and what the pass did.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readyCondition } from '../../../src/controllers/volumebackuppolicy/ready.js';
import { hourly } from '../../support/schedule.js';
import {
  computeStatus,
  newestSuccessfulRun,
  volumeStatus,
  type StatusInput,
} from '../../../src/controllers/volumebackuppolicy/status.js';
import { backup, policy, volume } from './fixtures.js';

const run = '2024-01-02T10:00:00Z';
const now = new Date('2024-01-02T10:30:00Z');

function input(over: Partial<StatusInput> = {}): StatusInput {
  return {
    policy: policy(),
    now,
    schedule: hourly,
    tick: { kind: 'wait' },
    lastScheduleTime: new Date(run),
    nextScheduleTime: new Date('2024-01-02T11:00:00Z'),
    selection: { volumes: [volume('a')], missing: [] },
    backups: [],
    ...over,
  };
}

const readyCases: { name: string; input: StatusInput; status: string; reason: string; message?: RegExp }[] = [
  {
    name: 'an invalid schedule makes Ready False with the field named',
    input: input({
      tick: { kind: 'invalid', reason: 'InvalidSchedule', message: 'spec.schedule: "x" is bad' },
    }),
    status: 'False',
    reason: 'InvalidSchedule',
    message: /spec\.schedule/,
  },
  {
    name: 'a skipped run makes Ready False with reason MissedSchedule',
    input: input({ tick: { kind: 'skip', message: 'Skipped the run' } }),
    status: 'False',
    reason: 'MissedSchedule',
  },
  {
    name: 'a skip stays reported while no later run has happened',
    input: input({
      policy: policy(
        {},
        {
          lastScheduleTime: run,
          conditions: [
            {
              type: 'Ready',
              status: 'False',
              reason: 'MissedSchedule',
              message: 'Skipped',
              lastTransitionTime: run,
            },
          ],
        },
      ),
    }),
    status: 'False',
    reason: 'MissedSchedule',
    message: /Skipped/,
  },
  {
    name: 'a later run replaces the reported skip',
    input: input({
      policy: policy(
        {},
        {
          lastScheduleTime: '2024-01-02T09:00:00Z',
          conditions: [
            {
              type: 'Ready',
              status: 'False',
              reason: 'MissedSchedule',
              message: 'Skipped',
              lastTransitionTime: run,
            },
          ],
        },
      ),
      backups: [backup('a-1', { policy: 'nightly', run, phase: 'Ready' })],
    }),
    status: 'True',
    reason: 'LastRunSucceeded',
  },
  {
    name: 'a named volume that does not exist is reported by name',
    input: input({ selection: { volumes: [volume('a')], missing: ['gone'] } }),
    status: 'False',
    reason: 'VolumeNotFound',
    message: /gone/,
  },
  {
    name: 'before the first run the policy is Ready and says when it runs',
    input: input({ lastScheduleTime: undefined }),
    status: 'True',
    reason: 'Scheduled',
    message: /2024-01-02T11:00:00Z/,
  },
  {
    name: 'a failed backup of the last run makes Ready False',
    input: input({ backups: [backup('a-1', { policy: 'nightly', run, phase: 'Failed' })] }),
    status: 'False',
    reason: 'BackupFailed',
    message: /a-1/,
  },
  {
    name: 'backups of the last run still in progress keep Ready True',
    input: input({ backups: [backup('a-1', { policy: 'nightly', run, phase: 'InProgress' })] }),
    status: 'True',
    reason: 'RunInProgress',
  },
  {
    name: 'a volume skipped as busy is named in the message',
    input: input({
      tick: {
        kind: 'run',
        scheduledTime: new Date(run),
        complete: true,
        outcomes: [{ kind: 'busy', volume: 'a', inFlight: 'a-old' }],
      },
      backups: [backup('a-old', { policy: 'nightly', run: '2024-01-02T09:00:00Z', phase: 'InProgress' })],
    }),
    status: 'True',
    reason: 'LastRunSucceeded',
    message: /a \(a-old in progress\)/,
  },
  {
    name: 'a run still waiting for jitter reports its progress',
    input: input({
      tick: {
        kind: 'run',
        scheduledTime: new Date(run),
        complete: false,
        outcomes: [
          { kind: 'created', volume: 'a', name: 'a-1' },
          { kind: 'later', volume: 'b', dueAt: now },
        ],
      },
    }),
    status: 'True',
    reason: 'RunInProgress',
    message: /1 of 2 volumes/,
  },
  {
    name: 'a retention rule the operator cannot read makes Ready False',
    input: input({ retentionError: 'spec.retention.maxAge: "5d" is not a duration' }),
    status: 'False',
    reason: 'InvalidRetention',
  },
];

for (const c of readyCases) {
  test(c.name, () => {
    const got = readyCondition(c.input);
    assert.equal(got.status, c.status);
    assert.equal(got.reason, c.reason);
    if (c.message !== undefined) assert.match(got.message, c.message);
  });
}

test('the newest run whose backups are all Ready is the last successful one', () => {
  const got = newestSuccessfulRun([
    backup('a-9', { policy: 'nightly', run: '2024-01-02T09:00:00Z', phase: 'Ready' }),
    backup('b-9', { policy: 'nightly', run: '2024-01-02T09:00:00Z', phase: 'Ready' }),
    backup('a-10', { policy: 'nightly', run, phase: 'Ready' }),
    backup('b-10', { policy: 'nightly', run, phase: 'Failed' }),
  ]);
  assert.equal(got?.toISOString(), '2024-01-02T09:00:00.000Z');
});

test('per volume, the newest backup and the newest Ready one are reported', () => {
  const got = volumeStatus('a', [
    backup('a-9', { policy: 'nightly', startedAt: '2024-01-02T09:00:00Z', phase: 'Ready' }),
    backup('a-10', { policy: 'nightly', startedAt: '2024-01-02T10:00:00Z', phase: 'InProgress' }),
    backup('b-10', { volume: 'b', policy: 'nightly', startedAt: '2024-01-02T10:00:00Z', phase: 'Ready' }),
  ]);
  assert.deepEqual(got, {
    name: 'a',
    readyBackups: 1,
    lastBackup: 'a-10',
    lastSuccessfulTime: '2024-01-02T09:00:00Z',
  });
});

test('status carries the schedule times, counts, observedGeneration and three conditions', () => {
  const i = input({
    backups: [
      backup('a-10', { policy: 'nightly', run, startedAt: run, phase: 'Ready' }),
      backup('a-9', { policy: 'nightly', startedAt: '2024-01-02T09:00:00Z', phase: 'Failed' }),
      backup('a-8', { policy: 'nightly', startedAt: '2024-01-02T08:00:00Z' }),
    ],
  });
  const s = computeStatus(i, readyCondition(i));
  assert.equal(s.lastScheduleTime, run);
  assert.equal(s.nextScheduleTime, '2024-01-02T11:00:00Z');
  assert.equal(s.lastSuccessfulTime, run);
  assert.deepEqual(s.counts, { ready: 1, failed: 1, inProgress: 1 });
  assert.equal(s.observedGeneration, 3);
  assert.equal(s.phase, 'Active');
  assert.deepEqual(
    s.conditions?.map((c) => [c.type, c.status, c.observedGeneration]),
    [
      ['Ready', 'True', 3],
      ['Suspended', 'False', 3],
      ['Stale', 'False', 3],
    ],
  );
});

test('a volume without a Ready backup for two runs makes the policy Stale', () => {
  const late = new Date('2024-01-02T14:30:00Z');
  const i = input({
    now: late,
    backups: [backup('a-9', { policy: 'nightly', startedAt: '2024-01-02T09:00:00Z', phase: 'Ready' })],
  });
  const s = computeStatus(i, readyCondition(i));
  assert.equal(s.phase, 'Stale');
  const stale = s.conditions?.find((c) => c.type === 'Stale');
  assert.equal(stale?.status, 'True');
  assert.match(stale.message ?? '', /\ba\b/);
});

test('a suspended policy reports Suspended and no next run', () => {
  const i = input({ tick: { kind: 'suspended' }, nextScheduleTime: undefined });
  const s = computeStatus(i, readyCondition(i));
  assert.equal(s.phase, 'Suspended');
  assert.equal(s.nextScheduleTime, undefined);
  assert.equal(s.conditions?.find((c) => c.type === 'Suspended')?.status, 'True');
});

test('a condition that did not flip keeps its lastTransitionTime', () => {
  const first = computeStatus(input(), readyCondition(input()));
  const again = input({ now: new Date('2024-01-02T10:45:00Z'), policy: policy({}, first) });
  const second = computeStatus(again, readyCondition(again));
  assert.deepEqual(second.conditions, first.conditions);
});
