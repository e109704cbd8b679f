// The status a pass writes and the Events its transitions deserve.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VolumeBackup, VolumeBackupStatus } from '../../../src/api/v1alpha1/types.generated.js';
import { volumeBackupReasons as reasons } from '../../../src/api/v1alpha1/reasons.js';
import type { Verdict } from '../../../src/controllers/volumebackup/progress.js';
import { computeStatus, eventsFor, shouldWriteStatus } from '../../../src/controllers/volumebackup/status.js';
import { volumeBackup } from '../../support/builders.js';

const now = new Date('2026-11-23T10:00:30.123Z');

/** Backup db-1 of volume db at generation 1, with the status a pass wrote before. */
const backup = (status?: VolumeBackupStatus): VolumeBackup =>
  volumeBackup('prod', 'db-1', 'db', { metadata: { generation: 1 }, status });

const inProgress: Verdict = {
  phase: 'InProgress',
  reason: reasons.SnapshotInProgress,
  message: 'Waiting.',
  requeueAfterMs: 1000,
};
const ready: Verdict = { phase: 'Ready', message: 'Ready.', restoreSize: '1Gi' };
const failed: Verdict = { phase: 'Failed', reason: reasons.DeadlineExceeded, message: 'Too slow.' };
const facts = { volumeSnapshotName: 'db-1', sourceClaimName: 'db', startedAt: '2026-11-23T10:00:00Z' };

test('a started backup records its snapshot, claim and start, with a Ready=False condition', () => {
  const s = computeStatus(backup(), inProgress, facts, now);
  assert.equal(s.phase, 'InProgress');
  assert.equal(s.volumeSnapshotName, 'db-1');
  assert.equal(s.sourceClaimName, 'db');
  assert.equal(s.startedAt, '2026-11-23T10:00:00Z');
  assert.equal(s.observedGeneration, 1);
  assert.deepEqual(s.conditions, [
    {
      type: 'Ready',
      status: 'False',
      observedGeneration: 1,
      lastTransitionTime: '2026-11-23T10:00:30Z',
      reason: 'SnapshotInProgress',
      message: 'Waiting.',
    },
  ]);
});

test('readyAt is when the operator first saw the snapshot ready, and never moves after', () => {
  const first = computeStatus(backup(computeStatus(backup(), inProgress, facts, now)), ready, facts, now);
  assert.equal(first.readyAt, '2026-11-23T10:00:30Z');
  assert.equal(first.restoreSize, '1Gi');
  const condition = first.conditions?.[0];
  assert.ok(condition !== undefined);
  assert.equal(condition.reason, 'SnapshotReady');
  assert.equal(condition.status, 'True');
  const later = computeStatus(backup(first), ready, {}, new Date('2026-11-24T00:00:00Z'));
  assert.equal(later.readyAt, '2026-11-23T10:00:30Z');
  assert.deepEqual(later, first, 'a converged backup writes nothing');
});

test('a failure records the error and keeps what the backup had recorded', () => {
  const started = computeStatus(backup(), inProgress, facts, now);
  const s = computeStatus(backup(started), failed, {}, now);
  assert.deepEqual(s.error, { reason: 'DeadlineExceeded', message: 'Too slow.' });
  assert.equal(s.volumeSnapshotName, 'db-1');
  assert.equal(s.conditions?.[0]?.reason, 'DeadlineExceeded');
});

const pending = (reason: string): VolumeBackupStatus => ({
  phase: 'Pending',
  conditions: [{ type: 'Ready', status: 'False', reason, message: `${reason}.`, lastTransitionTime: 'x' }],
});

const eventCases: { name: string; before?: VolumeBackupStatus; after: VolumeBackupStatus; want: string[] }[] =
  [
    {
      name: 'requesting the snapshot is announced',
      before: pending(reasons.VolumeNotBound),
      after: { phase: 'InProgress', startedAt: 'x', volumeSnapshotName: 'db-1', sourceClaimName: 'db' },
      want: ['Normal/BackupStarted'],
    },
    {
      name: 'an adopted snapshot that is already ready is announced as started and ready',
      before: undefined,
      after: { phase: 'Ready', startedAt: 'x' },
      want: ['Normal/BackupStarted', 'Normal/BackupReady'],
    },
    {
      name: 'becoming Ready is announced once',
      before: { phase: 'InProgress', startedAt: 'x' },
      after: { phase: 'Ready', startedAt: 'x' },
      want: ['Normal/BackupReady'],
    },
    {
      name: 'staying Ready is not',
      before: { phase: 'Ready', startedAt: 'x' },
      after: { phase: 'Ready', startedAt: 'x' },
      want: [],
    },
    {
      name: 'failing is a Warning',
      before: { phase: 'InProgress', startedAt: 'x' },
      after: { phase: 'Failed', startedAt: 'x', error: { reason: 'DeadlineExceeded', message: 'm' } },
      want: ['Warning/BackupFailed'],
    },
    {
      name: 'a missing volume is a Warning the first time only',
      before: undefined,
      after: pending(reasons.VolumeNotFound),
      want: ['Warning/VolumeNotFound'],
    },
    {
      name: 'still missing is not repeated',
      before: pending(reasons.VolumeNotFound),
      after: pending(reasons.VolumeNotFound),
      want: [],
    },
    {
      name: 'a missing snapshot class is a Warning',
      before: pending(reasons.VolumeNotBound),
      after: pending(reasons.SnapshotClassNotFound),
      want: ['Warning/SnapshotClassNotFound'],
    },
    {
      name: 'waiting for the claim to bind or for another backup is routine and silent',
      before: undefined,
      after: pending(reasons.WaitingForInFlightBackup),
      want: [],
    },
  ];

for (const c of eventCases) {
  test(c.name, () => {
    assert.deepEqual(
      eventsFor(c.before, c.after).map((e) => `${e.type}/${e.reason}`),
      c.want,
    );
  });
}

test('a policy’s backup keeps its Warnings and leaves its Normal Events to the policy', () => {
  const shown = (before: VolumeBackupStatus | undefined, after: VolumeBackupStatus): string[] =>
    eventsFor(before, after, true).map((e) => `${e.type}/${e.reason}`);
  assert.deepEqual(shown(undefined, { phase: 'Ready', startedAt: 'x' }), []);
  assert.deepEqual(
    shown(
      { phase: 'InProgress', startedAt: 'x' },
      { phase: 'Failed', startedAt: 'x', error: { reason: 'DeadlineExceeded', message: 'm' } },
    ),
    ['Warning/BackupFailed'],
  );
  assert.deepEqual(shown(undefined, pending(reasons.VolumeNotFound)), ['Warning/VolumeNotFound']);
});

const started: VolumeBackupStatus = { phase: 'InProgress', startedAt: 'x', volumeSnapshotName: 'db-1' };
const writeCases: {
  name: string;
  before?: VolumeBackupStatus;
  after: VolumeBackupStatus;
  want: boolean;
}[] = [
  { name: 'nothing changed', before: started, after: { ...started }, want: false },
  { name: 'first status of a backup that started', after: started, want: true },
  {
    name: 'a backup with no status that only waits for a snapshot slot stays queued without one',
    after: pending(reasons.WaitingForSnapshotSlot),
    want: false,
  },
  {
    name: 'a backup that waited for its volume and now waits for a slot says so',
    before: pending(reasons.VolumeNotBound),
    after: pending(reasons.WaitingForSnapshotSlot),
    want: true,
  },
  { name: 'waiting for the volume is shown', after: pending(reasons.VolumeNotBound), want: true },
  { name: 'a phase change', before: started, after: { ...started, phase: 'Ready' }, want: true },
];

for (const c of writeCases) {
  test(`status write: ${c.name}`, () => {
    assert.equal(shouldWriteStatus(c.before, c.after), c.want);
  });
}
