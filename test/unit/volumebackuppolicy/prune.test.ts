// How VolumeBackups become retention input, and what a pruning Event says.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  backupInfo,
  backupsInUse,
  describeRules,
  planRetention,
  pruneMessage,
  takenAt,
} from '../../../src/controllers/volumebackuppolicy/prune.js';
import { isRetentionError } from '../../../src/controllers/volumebackuppolicy/retention.js';
import { backup, policy, volume } from './fixtures.js';

test('a backup is dated by startedAt, else by its run, else by its creation', () => {
  assert.equal(
    takenAt(backup('x', { startedAt: '2024-01-02T10:00:05Z', run: '2024-01-02T10:00:00Z' })).toISOString(),
    '2024-01-02T10:00:05.000Z',
  );
  assert.equal(
    takenAt(backup('x', { run: '2024-01-02T10:00:00Z' })).toISOString(),
    '2024-01-02T10:00:00.000Z',
  );
  assert.equal(takenAt(backup('x')).toISOString(), '2024-01-01T00:00:00.000Z');
});

const infoCases: {
  name: string;
  b: ReturnType<typeof backup>;
  check: (i: ReturnType<typeof backupInfo>) => void;
}[] = [
  {
    name: 'a backup without a policy is on-demand',
    b: backup('x', { phase: 'Ready' }),
    check: (i) => {
      assert.equal(i.onDemand, true);
    },
  },
  {
    name: 'a backup without status is Pending',
    b: backup('x', { policy: 'nightly' }),
    check: (i) => {
      assert.equal(i.phase, 'Pending');
    },
  },
  {
    name: 'the hold annotation set to true holds a backup',
    b: backup('x', { policy: 'nightly', annotations: { 'storage.stateful.dev/hold': 'true' } }),
    check: (i) => {
      assert.equal(i.held, true);
    },
  },
  {
    name: 'a backup named as a restore source of an unprovisioned volume is in use',
    b: backup('restore-me', { policy: 'nightly', phase: 'Ready' }),
    check: (i) => {
      assert.equal(i.inUseByRestore, true);
    },
  },
];

const restoring = volume('r', {}, { spec: { size: '1Gi', source: { volumeBackupName: 'restore-me' } } });

for (const c of infoCases) {
  test(c.name, () => {
    c.check(backupInfo(c.b, backupsInUse([restoring])));
  });
}

test('a restore source stops being in use once the volume is provisioned', () => {
  const done = volume(
    'r',
    {},
    {
      spec: { size: '1Gi', source: { volumeBackupName: 'restore-me' } },
      status: {
        conditions: [
          {
            type: 'Provisioned',
            status: 'True',
            reason: 'ClaimBound',
            lastTransitionTime: '2024-01-01T00:00:00Z',
          },
        ],
      },
    },
  );
  assert.deepEqual([...backupsInUse([done])], []);
});

test('a standby replica being filled from a backup keeps that backup in use', () => {
  const v = volume(
    'r',
    {},
    { status: { replicas: [{ name: 'r-b', phase: 'Restoring', sourceBackup: 'fill-from' }] } },
  );
  assert.deepEqual([...backupsInUse([v])], ['fill-from']);
});

test('retention reads the policy’s rules and zone and keeps the newest Ready backup of each volume', () => {
  const plan = planRetention({
    policy: policy({ retention: { keepLast: 1 }, timeZone: 'Europe/Berlin' }),
    backups: [
      backup('a-1', { policy: 'nightly', phase: 'Ready', startedAt: '2024-01-02T08:00:00Z' }),
      backup('a-2', { policy: 'nightly', phase: 'Ready', startedAt: '2024-01-02T09:00:00Z' }),
      backup('a-3', { policy: 'nightly', phase: 'InProgress', startedAt: '2024-01-02T10:00:00Z' }),
    ],
    volumes: [],
    now: new Date('2024-01-02T10:30:00Z'),
  });
  assert.ok(!isRetentionError(plan));
  assert.deepEqual(
    plan.delete.map((d) => [d.name, d.reason]),
    [['a-1', 'OutsideRetention']],
  );
});

test('a policy stored without retention keeps the newest seven', () => {
  const backups = Array.from({ length: 9 }, (_, i) =>
    backup(`a-${i}`, { policy: 'nightly', phase: 'Ready', startedAt: `2024-01-02T0${i}:00:00Z` }),
  );
  const plan = planRetention({
    policy: policy(),
    backups,
    volumes: [],
    now: new Date('2024-01-02T10:00:00Z'),
  });
  assert.ok(!isRetentionError(plan));
  assert.deepEqual(
    plan.delete.map((d) => d.name),
    ['a-0', 'a-1'],
  );
});

test('the pruning message names the tier that no longer keeps the backup', () => {
  const b = backup('a-1', { policy: 'nightly', phase: 'Ready', startedAt: '2024-01-02T08:00:00Z' });
  const msg = pruneMessage({ action: 'delete', name: 'a-1', volume: 'a', reason: 'OutsideRetention' }, b, {
    keepLast: 2,
    keepDaily: 7,
  });
  assert.match(msg, /no retention tier keeps it any more \(keepLast 2, keepDaily 7\)\.$/);
  assert.equal(describeRules({}), 'no tier');
});
