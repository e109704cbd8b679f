// The verdicts of a backup's progress: from its snapshot's state and the clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { volumeBackupReasons as reasons } from '../../../src/api/v1alpha1/reasons.js';
import {
  deadlineOf,
  judgeReadyBackup,
  judgeSnapshot,
  judgeWaiting,
  remainingMs,
  waitingPollMs,
  type SnapshotState,
  type Verdict,
} from '../../../src/controllers/volumebackup/progress.js';

const created = '2026-11-23T10:00:00Z';
const at = (s: number): Date => new Date(Date.parse(created) + s * 1000);

function summary(v: Verdict): string {
  if (v.phase === 'Ready') return `Ready${v.restoreSize !== undefined ? `:${v.restoreSize}` : ''}`;
  return `${v.phase}:${v.reason}`;
}

test('the deadline counts from when the snapshot was requested', () => {
  assert.deepEqual(deadlineOf('2026-11-23T10:05:00Z', created, 60), new Date('2026-11-23T10:06:00Z'));
});

test('the deadline counts from creation when the backup never started', () => {
  assert.deepEqual(deadlineOf(undefined, created, 60), new Date('2026-11-23T10:01:00Z'));
});

test('the deadline defaults to an hour', () => {
  assert.deepEqual(deadlineOf(undefined, created, undefined), new Date('2026-11-23T11:00:00Z'));
});

test('a backup without any timestamp has no deadline and waits forever', () => {
  assert.equal(deadlineOf(undefined, undefined, 60), undefined);
  assert.equal(remainingMs(undefined, at(0)), Number.POSITIVE_INFINITY);
});

test('the time left never goes below zero', () => {
  assert.equal(remainingMs(at(10), at(20)), 0);
  assert.equal(remainingMs(at(20), at(10)), 10_000);
});

const snapshotCases: {
  name: string;
  snapshot: SnapshotState;
  now: number;
  want: string;
  requeueMs?: number;
  message?: RegExp;
}[] = [
  {
    name: 'a snapshot ready to use makes the backup Ready with its restore size',
    snapshot: { readyToUse: true, restoreSize: '10Gi' },
    now: 30,
    want: 'Ready:10Gi',
  },
  {
    name: 'a ready snapshot wins over a deadline passed in the same instant',
    snapshot: { readyToUse: true, restoreSize: '1Gi' },
    now: 600,
    want: 'Ready:1Gi',
  },
  {
    name: 'a snapshot not ready yet keeps the backup in progress until the deadline',
    snapshot: { readyToUse: false },
    now: 100,
    want: 'InProgress:SnapshotInProgress',
    requeueMs: 500_000,
  },
  {
    name: 'a snapshot with no status yet is in progress',
    snapshot: {},
    now: 0,
    want: 'InProgress:SnapshotInProgress',
    requeueMs: 600_000,
  },
  {
    name: 'a snapshot error is reported but is not final, since snapshotters retry',
    snapshot: { readyToUse: false, error: 'rpc error: code = Unavailable' },
    now: 100,
    want: 'InProgress:SnapshotInProgress',
    message: /last error: rpc error: code = Unavailable/,
  },
  {
    name: 'a snapshot not ready at the deadline fails the backup',
    snapshot: { readyToUse: false },
    now: 600,
    want: 'Failed:DeadlineExceeded',
    message: /not ready within 600 s/,
  },
  {
    name: 'a snapshot error seen at the deadline is quoted in the failure',
    snapshot: { readyToUse: false, error: 'disk full' },
    now: 601,
    want: 'Failed:DeadlineExceeded',
    message: /last error: disk full/,
  },
];

for (const c of snapshotCases) {
  test(c.name, () => {
    const v = judgeSnapshot('vs', c.snapshot, at(600), 600, at(c.now));
    assert.equal(summary(v), c.want);
    if (c.requeueMs !== undefined) assert.equal('requeueAfterMs' in v ? v.requeueAfterMs : -1, c.requeueMs);
    if (c.message !== undefined) assert.match(v.message, c.message);
  });
}

const waitCases: { name: string; now: number; want: string; requeueMs?: number }[] = [
  {
    name: 'a waiting backup polls no more often than every 30 s',
    now: 0,
    want: 'Pending:VolumeNotBound',
    requeueMs: waitingPollMs,
  },
  {
    name: 'a waiting backup looks again exactly at its deadline when that comes first',
    now: 590,
    want: 'Pending:VolumeNotBound',
    requeueMs: 10_000,
  },
  { name: 'a backup still waiting at its deadline fails', now: 600, want: 'Failed:DeadlineExceeded' },
];

for (const c of waitCases) {
  test(c.name, () => {
    const wait = { reason: reasons.VolumeNotBound, message: 'claim db is Pending' };
    const v = judgeWaiting(wait, at(600), 600, at(c.now));
    assert.equal(summary(v), c.want);
    if (c.requeueMs !== undefined) assert.equal('requeueAfterMs' in v ? v.requeueAfterMs : -1, c.requeueMs);
    if (v.phase === 'Failed') assert.match(v.message, /did not start within 600 s: claim db is Pending/);
  });
}

const readyCases: {
  name: string;
  snapshot: (SnapshotState & { deleting?: boolean }) | undefined;
  want: string;
}[] = [
  {
    name: 'a Ready backup whose snapshot is still there stays Ready',
    snapshot: { readyToUse: true, restoreSize: '1Gi' },
    want: 'Ready:1Gi',
  },
  {
    name: 'a Ready backup keeps its recorded size when the snapshot stops reporting one',
    snapshot: { readyToUse: true },
    want: 'Ready:5Gi',
  },
  {
    name: 'a Ready backup whose snapshot is gone becomes Failed',
    snapshot: undefined,
    want: 'Failed:SnapshotLost',
  },
  {
    name: 'a Ready backup whose snapshot is being deleted becomes Failed',
    snapshot: { readyToUse: true, deleting: true },
    want: 'Failed:SnapshotLost',
  },
];

for (const c of readyCases) {
  test(c.name, () => {
    assert.equal(summary(judgeReadyBackup('vs', c.snapshot, '5Gi')), c.want);
  });
}

test('the Ready message is the same whether judged while tracking or afterwards, so status does not churn', () => {
  const tracked = judgeSnapshot('vs', { readyToUse: true, restoreSize: '1Gi' }, at(600), 600, at(1));
  const observed = judgeReadyBackup('vs', { readyToUse: true, restoreSize: '1Gi' }, '1Gi');
  assert.equal(tracked.message, observed.message);
});
