// The VolumeSnapshot a backup asks for, whether a found one is its own, and
// which claims still restore from it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  restoresReading,
  snapshotSourceOf,
  type RestoringClaim,
} from '../../../src/controllers/volumebackup/restore.js';
import {
  desiredSnapshot,
  holderOf,
  ownedBy,
  snapshotState,
} from '../../../src/controllers/volumebackup/snapshot.js';
import type { VolumeSnapshot } from '../../../src/controllers/volumebackup/types.js';
import { volumeBackup } from '../../support/builders.js';

const backup = volumeBackup('prod', 'db-nightly-1', 'db', { metadata: { uid: 'uid-1' } });

function snapshot(owners: VolumeSnapshot['metadata']['ownerReferences']): VolumeSnapshot {
  return {
    metadata: { name: 'db-nightly-1', namespace: 'prod', ownerReferences: owners },
    spec: { source: { persistentVolumeClaimName: 'db' } },
  };
}

const ref = (
  uid: string,
  kind = 'VolumeBackup',
  controller = true,
): NonNullable<VolumeSnapshot['metadata']['ownerReferences']>[number] => ({
  apiVersion: 'storage.stateful.dev/v1alpha1',
  kind,
  name: 'db-nightly-1',
  uid,
  controller,
});

test('the snapshot is named like the backup, so a restarted pass finds it again', () => {
  const s = desiredSnapshot(backup, 'db', undefined);
  assert.equal(s.metadata.name, 'db-nightly-1');
  assert.equal(s.metadata.namespace, 'prod');
});

test('the snapshot is controlled by the backup and blocks its deletion', () => {
  const owner = desiredSnapshot(backup, 'db', undefined).metadata.ownerReferences?.[0];
  assert.deepEqual(owner, {
    apiVersion: 'storage.stateful.dev/v1alpha1',
    kind: 'VolumeBackup',
    name: 'db-nightly-1',
    uid: 'uid-1',
    controller: true,
    blockOwnerDeletion: true,
  });
});

test('the snapshot carries labels naming the operator, the volume and the backup', () => {
  assert.deepEqual(desiredSnapshot(backup, 'db', undefined).metadata.labels, {
    'app.kubernetes.io/managed-by': 'stateful-volume-operator',
    'storage.stateful.dev/volume': 'db',
    'storage.stateful.dev/backup': 'db-nightly-1',
  });
});

test('the snapshot copies the primary claim and names a class only when one was chosen', () => {
  assert.deepEqual(desiredSnapshot(backup, 'data-db-0', undefined).spec, {
    source: { persistentVolumeClaimName: 'data-db-0' },
  });
  assert.equal(desiredSnapshot(backup, 'db', 'fast').spec.volumeSnapshotClassName, 'fast');
});

test('a snapshot of a backup with a 253-character name carries label values of at most 63', () => {
  const long = {
    ...backup,
    metadata: { ...backup.metadata, name: 'b'.repeat(253) },
    spec: { volumeName: 'v'.repeat(253) },
  };
  for (const value of Object.values(desiredSnapshot(long, 'db', undefined).metadata.labels ?? {}))
    assert.ok(value.length <= 63, value);
});

const ownerCases: { name: string; owners: VolumeSnapshot['metadata']['ownerReferences']; want: boolean }[] = [
  { name: 'a snapshot controlled by this backup is its own', owners: [ref('uid-1')], want: true },
  { name: 'a snapshot with no owner is not its own', owners: undefined, want: false },
  {
    name: 'a snapshot of a namesake backup (another uid) is not its own',
    owners: [ref('uid-old')],
    want: false,
  },
  {
    name: 'a snapshot that merely lists the backup without controlling it is not its own',
    owners: [ref('uid-1', 'VolumeBackup', false)],
    want: false,
  },
];

for (const c of ownerCases) {
  test(c.name, () => {
    assert.equal(ownedBy(snapshot(c.owners), backup), c.want);
  });
}

test('a refusal names who holds the snapshot', () => {
  assert.equal(holderOf(snapshot([ref('uid-old')])), 'VolumeBackup db-nightly-1');
  assert.match(holderOf(snapshot(undefined)), /no owner/);
});

test("the snapshot's state keeps readiness, size and the error message", () => {
  const s = snapshot(undefined);
  s.status = { readyToUse: false, restoreSize: '1Gi', error: { message: 'boom', time: 'x' } };
  assert.deepEqual(snapshotState(s), { readyToUse: false, restoreSize: '1Gi', error: 'boom' });
  assert.deepEqual(snapshotState(snapshot(undefined)), {});
});

function claim(
  name: string,
  phase: string | undefined,
  source: { apiGroup?: string; kind: string; name: string; namespace?: string },
  opts: { ref?: boolean; deleting?: boolean } = {},
): RestoringClaim {
  return {
    metadata: {
      name,
      namespace: 'prod',
      ...(opts.deleting === true ? { deletionTimestamp: '2026-11-23T10:00:00Z' } : {}),
    },
    spec: opts.ref === true ? { dataSourceRef: source } : { dataSource: source },
    ...(phase !== undefined ? { status: { phase } } : {}),
  };
}

const snap = { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'db-nightly-1' };

const restoreCases: { name: string; claims: RestoringClaim[]; want: string[] }[] = [
  { name: 'no claim restoring means the snapshot may go', claims: [], want: [] },
  {
    name: 'a Pending claim restoring from the snapshot holds it',
    claims: [claim('r', 'Pending', snap)],
    want: ['r'],
  },
  { name: 'a claim with no status yet holds it', claims: [claim('r', undefined, snap)], want: ['r'] },
  {
    name: 'a claim restoring through dataSourceRef holds it too',
    claims: [claim('r', 'Pending', snap, { ref: true })],
    want: ['r'],
  },
  {
    name: 'a Bound claim has its data and no longer needs the snapshot',
    claims: [claim('r', 'Bound', snap)],
    want: [],
  },
  {
    name: 'a claim being deleted no longer needs the snapshot',
    claims: [claim('r', 'Pending', snap, { deleting: true })],
    want: [],
  },
  {
    name: 'a claim restoring from another snapshot does not hold this one',
    claims: [claim('r', 'Pending', { ...snap, name: 'other' })],
    want: [],
  },
  {
    name: 'a claim cloning a claim of the same name does not hold the snapshot',
    claims: [claim('r', 'Pending', { kind: 'PersistentVolumeClaim', name: 'db-nightly-1' })],
    want: [],
  },
  {
    name: 'a cross-namespace reference to a namesake elsewhere does not hold this one',
    claims: [claim('r', 'Pending', { ...snap, namespace: 'staging' }, { ref: true })],
    want: [],
  },
  {
    name: 'several restoring claims are listed in order',
    claims: [claim('z', 'Pending', snap), claim('a', 'Pending', snap), claim('m', 'Bound', snap)],
    want: ['a', 'z'],
  },
];

for (const c of restoreCases) {
  test(c.name, () => {
    assert.deepEqual(restoresReading('db-nightly-1', 'prod', c.claims), c.want);
  });
}

test('a claim restoring from a snapshot maps back to the backup of that name', () => {
  assert.equal(snapshotSourceOf(claim('r', 'Pending', snap)), 'db-nightly-1');
  assert.equal(snapshotSourceOf(claim('r', 'Pending', snap, { ref: true })), 'db-nightly-1');
  assert.equal(
    snapshotSourceOf(claim('r', 'Pending', { kind: 'PersistentVolumeClaim', name: 'x' })),
    undefined,
  );
});
