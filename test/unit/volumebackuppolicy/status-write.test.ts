// When the policy's status is written: decisive changes at once, progress at most every interval.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VolumeBackupPolicyStatus } from '../../../src/api/v1alpha1/types.generated.js';
import {
  decideStatusWrite,
  progressWriteIntervalMs,
  type StatusWrite,
} from '../../../src/controllers/volumebackuppolicy/status-write.js';

const t0 = Date.parse('2026-12-07T10:00:00Z');

const running: VolumeBackupPolicyStatus = {
  phase: 'Active',
  observedGeneration: 1,
  lastScheduleTime: '2026-12-07T10:00:00Z',
  nextScheduleTime: '2026-12-08T10:00:00Z',
  conditions: [
    {
      type: 'Ready',
      status: 'True',
      reason: 'RunInProgress',
      message: 'Waiting for 200 backup(s) of the run of 2026-12-07T10:00:00Z to become Ready.',
      lastTransitionTime: '2026-12-07T10:00:01Z',
      observedGeneration: 1,
    },
  ],
  volumes: [{ name: 'a', lastBackup: 'a-1', readyBackups: 0 }],
  counts: { ready: 0, failed: 0, inProgress: 200 },
};

const progressed: VolumeBackupPolicyStatus = {
  ...running,
  conditions: running.conditions?.map((c) => ({
    ...c,
    message: 'Waiting for 150 backup(s) of the run of 2026-12-07T10:00:00Z to become Ready.',
  })),
  volumes: [{ name: 'a', lastBackup: 'a-1', readyBackups: 1, lastSuccessfulTime: '2026-12-07T10:00:00Z' }],
  counts: { ready: 50, failed: 0, inProgress: 150 },
};

const cases: {
  name: string;
  before?: VolumeBackupPolicyStatus;
  after: VolumeBackupPolicyStatus;
  lastWrite?: number;
  now?: number;
  want: StatusWrite;
}[] = [
  { name: 'nothing changed', before: running, after: { ...running }, lastWrite: t0, want: { kind: 'none' } },
  { name: 'the first status', after: running, want: { kind: 'now' } },
  {
    name: 'progress right after a write waits for the interval',
    before: running,
    after: progressed,
    lastWrite: t0,
    now: t0 + 60_000,
    want: { kind: 'later', afterMs: progressWriteIntervalMs - 60_000 },
  },
  {
    name: 'progress once the interval has passed',
    before: running,
    after: progressed,
    lastWrite: t0,
    now: t0 + progressWriteIntervalMs,
    want: { kind: 'now' },
  },
  {
    name: 'progress when the last write is unknown (a restart)',
    before: running,
    after: progressed,
    want: { kind: 'now' },
  },
  {
    name: 'the run finishing: the Ready reason and lastSuccessfulTime move',
    before: running,
    after: {
      ...progressed,
      lastSuccessfulTime: '2026-12-07T10:00:00Z',
      conditions: progressed.conditions?.map((c) => ({ ...c, reason: 'LastRunSucceeded' })),
    },
    lastWrite: t0,
    want: { kind: 'now' },
  },
  {
    name: 'a new run: the schedule times move',
    before: running,
    after: { ...running, nextScheduleTime: '2026-12-09T10:00:00Z' },
    lastWrite: t0,
    want: { kind: 'now' },
  },
  {
    name: 'a condition flips',
    before: running,
    after: {
      ...running,
      conditions: running.conditions?.map((c) => ({ ...c, status: 'False', reason: 'BackupFailed' })),
    },
    lastWrite: t0,
    want: { kind: 'now' },
  },
  {
    name: 'a new generation',
    before: running,
    after: { ...running, observedGeneration: 2 },
    lastWrite: t0,
    want: { kind: 'now' },
  },
  {
    name: 'a volume joins the selection',
    before: running,
    after: { ...running, volumes: [...(running.volumes ?? []), { name: 'b', readyBackups: 0 }] },
    lastWrite: t0,
    want: { kind: 'now' },
  },
];

for (const c of cases) {
  test(c.name, () => {
    assert.deepEqual(decideStatusWrite(c.before, c.after, c.lastWrite, c.now ?? t0 + 1_000), c.want);
  });
}
