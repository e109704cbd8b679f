// Planning one run: which volumes get a backup now, which were already done
// (adopted after a restart), which wait for their jitter and which are
// skipped because their previous backup is still in progress.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jitterSecondsFor } from '../../../src/controllers/volumebackuppolicy/naming.js';
import {
  desiredBackup,
  nextDue,
  planRun,
  runComplete,
  type RunInput,
  type RunOutcome,
} from '../../../src/controllers/volumebackuppolicy/run.js';
import type { Backup } from '../../../src/controllers/volumebackuppolicy/types.js';
import { backup, policy } from './fixtures.js';

const run = new Date('2026-11-23T01:00:00Z');

function input(over: Partial<RunInput> & { backups?: Backup[] } = {}): RunInput {
  const { backups = [], ...rest } = over;
  return {
    namespace: 'ns',
    policy: 'nightly',
    scheduledTime: run,
    jitterSeconds: 0,
    now: new Date(run.getTime() + 1_000),
    volumes: ['a'],
    existing: new Map(backups.map((b) => [b.metadata.name ?? '', b])),
    ...rest,
  };
}

const cases: { name: string; input: RunInput; want: string[] }[] = [
  {
    name: 'a volume without a backup of the run gets one created',
    input: input(),
    want: ['create a-nightly-202611230100'],
  },
  {
    name: 'a backup of the run made before a restart is adopted, not made again',
    input: input({ backups: [backup('a-nightly-202611230100', { policy: 'nightly' })] }),
    want: ['present a-nightly-202611230100'],
  },
  {
    name: 'a previous backup still Pending makes the volume skip this run',
    input: input({ backups: [backup('a-old', { policy: 'nightly', phase: 'Pending' })] }),
    want: ['busy a-old'],
  },
  {
    name: 'a previous backup the VolumeBackup controller has not seen yet counts as in progress',
    input: input({ backups: [backup('a-old', { policy: 'nightly' })] }),
    want: ['busy a-old'],
  },
  {
    name: 'a previous backup InProgress of the same volume blocks only that volume',
    input: input({
      volumes: ['a', 'b'],
      backups: [backup('a-old', { policy: 'nightly', phase: 'InProgress' })],
    }),
    want: ['busy a-old', 'create b-nightly-202611230100'],
  },
  {
    name: 'finished previous backups do not block a run',
    input: input({
      backups: [
        backup('a-ready', { policy: 'nightly', phase: 'Ready' }),
        backup('a-failed', { policy: 'nightly', phase: 'Failed' }),
      ],
    }),
    want: ['create a-nightly-202611230100'],
  },
  {
    name: 'an on-demand backup in progress does not block the policy',
    input: input({ backups: [backup('a-manual', { phase: 'InProgress' })] }),
    want: ['create a-nightly-202611230100'],
  },
  {
    name: 'another policy’s backup in progress does not block this policy',
    input: input({ backups: [backup('a-weekly', { policy: 'weekly', phase: 'InProgress' })] }),
    want: ['create a-nightly-202611230100'],
  },
  {
    name: 'an object of the name that belongs to something else is refused',
    input: input({ backups: [backup('a-nightly-202611230100', { policy: 'other' })] }),
    want: ['taken a-nightly-202611230100'],
  },
];

function describe(step: ReturnType<typeof planRun>[number]): string {
  switch (step.kind) {
    case 'create':
    case 'present':
    case 'taken':
      return `${step.kind} ${step.name}`;
    case 'busy':
      return `busy ${step.inFlight}`;
    case 'later':
      return `later ${step.dueAt.toISOString()}`;
  }
}

for (const c of cases) {
  test(c.name, () => {
    assert.deepEqual(planRun(c.input).map(describe), c.want);
  });
}

test('with jitter, a volume waits until scheduled time plus its own delay, then is created', () => {
  const volumes = Array.from({ length: 20 }, (_, i) => `vol-${i}`);
  const delays = volumes.map((v) => jitterSecondsFor('ns', 'nightly', v, 300));
  const at = new Date(run.getTime() + 150_000);
  const steps = planRun(input({ volumes, jitterSeconds: 300, now: at }));
  steps.forEach((s, i) => {
    const due = (delays[i] ?? 0) * 1000 <= 150_000;
    assert.equal(s.kind, due ? 'create' : 'later', `${volumes[i] ?? ''} with delay ${delays[i] ?? 0}`);
  });
  const later = steps.filter((s) => s.kind === 'later');
  assert.ok(later.length > 0 && later.length < 20, 'some wait, some go');
  const all = planRun(input({ volumes, jitterSeconds: 300, now: new Date(run.getTime() + 300_000) }));
  assert.ok(
    all.every((s) => s.kind === 'create'),
    'after the whole jitter window every volume goes',
  );
});

const completion: { name: string; outcomes: RunOutcome[]; complete: boolean }[] = [
  {
    name: 'a run whose volumes were created, adopted, refused or skipped as busy is complete',
    outcomes: [
      { kind: 'created', volume: 'a', name: 'x' },
      { kind: 'present', volume: 'b', name: 'y' },
      { kind: 'taken', volume: 'c', name: 'z', message: '' },
      { kind: 'busy', volume: 'd', inFlight: 'w' },
    ],
    complete: true,
  },
  {
    name: 'a run with a volume waiting for its jitter is not complete',
    outcomes: [{ kind: 'later', volume: 'a', dueAt: run }],
    complete: false,
  },
  {
    name: 'a run with creations left by the per-pass cap is not complete',
    outcomes: [{ kind: 'deferred', volume: 'a' }],
    complete: false,
  },
  {
    name: 'a run with a failed creation is not complete',
    outcomes: [{ kind: 'error', volume: 'a', name: 'x', error: new Error('boom') }],
    complete: false,
  },
  { name: 'a run with no selected volume is complete', outcomes: [], complete: true },
];

for (const c of completion) {
  test(c.name, () => {
    assert.equal(runComplete(c.outcomes), c.complete);
  });
}

test('the next pass is due at the earliest jittered volume', () => {
  const due = nextDue([
    { kind: 'later', volume: 'a', dueAt: new Date(run.getTime() + 30_000) },
    { kind: 'later', volume: 'b', dueAt: new Date(run.getTime() + 10_000) },
    { kind: 'created', volume: 'c', name: 'c' },
  ]);
  assert.equal(due?.getTime(), run.getTime() + 10_000);
  assert.equal(nextDue([]), undefined);
});

test('the desired backup carries labels, the run annotation and the policy’s settings, and no owner', () => {
  const b = desiredBackup(policy({ volumeSnapshotClassName: 'fast', backupDeadlineSeconds: 600 }), 'a', run);
  assert.equal(b.metadata.name, 'a-nightly-202611230100');
  assert.deepEqual(b.spec, {
    volumeName: 'a',
    policyName: 'nightly',
    volumeSnapshotClassName: 'fast',
    deadlineSeconds: 600,
  });
  assert.deepEqual(b.metadata.labels, {
    'storage.stateful.dev/policy': 'nightly',
    'storage.stateful.dev/volume': 'a',
    'app.kubernetes.io/managed-by': 'stateful-volume-operator',
  });
  assert.equal(b.metadata.annotations?.['storage.stateful.dev/scheduled-time'], '2026-11-23T01:00:00Z');
  // Deleting a policy must not garbage-collect the backups it made.
  assert.equal(b.metadata.ownerReferences, undefined);
  // The VolumeBackup controller's finalizer from the start: no update of each backup to add it.
  assert.deepEqual(b.metadata.finalizers, ['storage.stateful.dev/snapshot-protection']);
});
