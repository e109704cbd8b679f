// The pure decisions before a snapshot is taken: the claim to snapshot, the
// backup's turn among the backups of its volume, and the snapshot class.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compareBackups,
  inFlightBlocker,
  type SiblingBackup,
} from '../../../src/controllers/volumebackup/inflight.js';
import { decideClass, requestedClass } from '../../../src/controllers/volumebackup/snapshot-class.js';
import {
  decideSource,
  type ClaimShape,
  type VolumeShape,
} from '../../../src/controllers/volumebackup/source.js';

const sourceCases: {
  name: string;
  volume: VolumeShape | undefined;
  claim: ClaimShape | undefined;
  want: string;
}[] = [
  {
    name: 'a missing volume is waited for',
    volume: undefined,
    claim: undefined,
    want: 'wait:VolumeNotFound',
  },
  {
    name: 'a volume whose claim does not exist yet is waited for',
    volume: { metadata: { name: 'db' }, spec: {} },
    claim: undefined,
    want: 'wait:VolumeNotBound',
  },
  {
    name: 'a volume whose claim is Pending is waited for',
    volume: { metadata: { name: 'db' }, spec: {} },
    claim: { metadata: {}, status: { phase: 'Pending' } },
    want: 'wait:VolumeNotBound',
  },
  {
    name: 'a claim being deleted is not snapshotted',
    volume: { metadata: { name: 'db' }, spec: {} },
    claim: { metadata: { deletionTimestamp: '2026-11-23T10:00:00Z' }, status: { phase: 'Bound' } },
    want: 'wait:VolumeNotBound',
  },
  {
    name: 'a Bound claim named like the volume is snapshotted',
    volume: { metadata: { name: 'db' }, spec: {} },
    claim: { metadata: {}, status: { phase: 'Bound' } },
    want: 'ready:db',
  },
  {
    name: "the volume's spec.claimName names its claim",
    volume: { metadata: { name: 'db' }, spec: { claimName: 'data-db-0' } },
    claim: { metadata: {}, status: { phase: 'Bound' } },
    want: 'ready:data-db-0',
  },
  {
    name: 'the claim the volume reports in its status wins over its spec',
    volume: { metadata: { name: 'db' }, spec: { claimName: 'data-db-0' }, status: { claimName: 'promoted' } },
    claim: { metadata: {}, status: { phase: 'Bound' } },
    want: 'ready:promoted',
  },
];

for (const c of sourceCases) {
  test(c.name, () => {
    const d = decideSource('db', c.volume, c.claim);
    assert.equal(d.kind === 'ready' ? `ready:${d.claimName}` : `wait:${d.reason}`, c.want);
    if (d.kind === 'wait') assert.match(d.message, /db/);
  });
}

const t0 = '2026-11-23T10:00:00Z';
const t1 = '2026-11-23T10:00:01Z';
const me: SiblingBackup = { name: 'db-b', creationTimestamp: t1, phase: 'Pending' };

const orderCases: {
  name: string;
  self?: SiblingBackup;
  siblings: SiblingBackup[];
  want: string | undefined;
}[] = [
  { name: 'a backup alone starts', siblings: [], want: undefined },
  {
    name: 'a backup waits while another of the volume is InProgress, whatever their order',
    siblings: [{ name: 'db-z', creationTimestamp: '2026-11-23T10:00:05Z', phase: 'InProgress' }],
    want: 'db-z',
  },
  {
    name: 'a backup waits while another has a snapshot that is not ready, before its status says so',
    siblings: [
      { name: 'db-z', creationTimestamp: '2026-11-23T10:00:05Z', phase: 'Pending', snapshotPending: true },
    ],
    want: 'db-z',
  },
  {
    name: 'an earlier pending backup goes first',
    siblings: [{ name: 'db-c', creationTimestamp: t0, phase: 'Pending' }],
    want: 'db-c',
  },
  {
    name: 'a backup created in the same second goes first when its name sorts first',
    siblings: [{ name: 'db-a', creationTimestamp: t1 }],
    want: 'db-a',
  },
  {
    name: 'a backup created in the same second waits when its name sorts after',
    siblings: [{ name: 'db-c', creationTimestamp: t1 }],
    want: undefined,
  },
  {
    name: 'a later pending backup does not hold an earlier one back',
    siblings: [{ name: 'db-a', creationTimestamp: '2026-11-23T10:00:09Z', phase: 'Pending' }],
    want: undefined,
  },
  {
    name: 'finished backups never hold a backup back',
    siblings: [
      { name: 'db-a', creationTimestamp: t0, phase: 'Ready' },
      { name: 'db-c', creationTimestamp: t0, phase: 'Failed', snapshotPending: true },
    ],
    want: undefined,
  },
  {
    name: 'a backup being deleted does not hold the others back',
    siblings: [{ name: 'db-a', creationTimestamp: t0, phase: 'InProgress', deleting: true }],
    want: undefined,
  },
  {
    name: 'an earlier backup waiting for its own missing class does not hold the others back',
    siblings: [{ name: 'db-a', creationTimestamp: t0, phase: 'Pending', waitsOnOwnClass: true }],
    want: undefined,
  },
  {
    name: 'of several in flight, the earliest is named',
    siblings: [
      { name: 'db-y', creationTimestamp: '2026-11-23T10:00:07Z', phase: 'InProgress' },
      { name: 'db-x', creationTimestamp: '2026-11-23T10:00:06Z', phase: 'InProgress' },
    ],
    want: 'db-x',
  },
  {
    name: 'the backup itself in the list is ignored',
    siblings: [{ ...me, phase: 'InProgress' }],
    want: undefined,
  },
];

for (const c of orderCases) {
  test(c.name, () => {
    assert.equal(inFlightBlocker(c.self ?? me, c.siblings), c.want);
  });
}

test('backups sort by creation time, then name, a missing time last', () => {
  const list: SiblingBackup[] = [
    { name: 'b', creationTimestamp: t1 },
    { name: 'z' },
    { name: 'a', creationTimestamp: t1 },
    { name: 'c', creationTimestamp: t0 },
  ];
  assert.deepEqual(
    [...list].sort(compareBackups).map((b) => b.name),
    ['c', 'a', 'b', 'z'],
  );
});

test("the backup's own class wins over its policy's", () => {
  assert.deepEqual(requestedClass('fast', { name: 'nightly', className: 'slow' }), {
    className: 'fast',
    from: 'spec.volumeSnapshotClassName',
  });
});

test("the policy's class is used when the backup names none", () => {
  assert.deepEqual(requestedClass(undefined, { name: 'nightly', className: 'slow' }), {
    className: 'slow',
    from: 'VolumeBackupPolicy nightly',
  });
});

test("with no class anywhere the field stays unset for the driver's default", () => {
  assert.equal(requestedClass(undefined, { name: 'nightly' }), undefined);
  assert.deepEqual(decideClass(undefined, false), { kind: 'ready' });
});

test('a named class that exists is used', () => {
  assert.deepEqual(decideClass({ className: 'fast', from: 'x' }, true), { kind: 'ready', className: 'fast' });
});

test('a named class that does not exist is waited for, saying where the name came from', () => {
  const d = decideClass({ className: 'fast', from: 'VolumeBackupPolicy nightly' }, false);
  assert.ok(d.kind === 'wait');
  assert.equal(d.reason, 'SnapshotClassNotFound');
  assert.match(d.message, /fast \(from VolumeBackupPolicy nightly\)/);
});
