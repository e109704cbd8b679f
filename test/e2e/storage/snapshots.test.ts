// Snapshots, restores and clones that move real bytes: what a backup or a
// standby replica of the operator will rest on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createClaim,
  createPodOn,
  createSnapshot,
  immediateStorageClassName,
  waitBound,
  waitSnapshotReady,
  zoneOfVolume,
} from '../../support/claims.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';
import { readChecksum, writeRandomBytes } from '../../support/volumes.js';

const MiB = 1024 * 1024;

test('a snapshot becomes readyToUse and a claim restored from it has the same bytes', async (t) => {
  const kc = loadTestKubeConfig();
  const ns = await createTestNamespace(t, 'snap');
  await createClaim(kc, ns, 'source', { storageClassName: immediateStorageClassName });
  await waitBound(kc, ns, 'source');
  const written = await writeRandomBytes(kc, ns, 'source', 4 * MiB);

  await createSnapshot(kc, ns, 'backup', 'source');
  const snap = await waitSnapshotReady(kc, ns, 'backup');
  assert.equal(snap.status?.restoreSize, '1Gi');
  assert.ok(snap.status.boundVolumeSnapshotContentName, 'bound to a VolumeSnapshotContent');

  // Bytes written after the snapshot must not reach the restore.
  await writeRandomBytes(kc, ns, 'source', MiB);
  await createClaim(kc, ns, 'restored', {
    storageClassName: immediateStorageClassName,
    dataSource: { kind: 'VolumeSnapshot', name: 'backup' },
  });
  await waitBound(kc, ns, 'restored');
  assert.equal(await readChecksum(kc, ns, 'restored'), written);
});

test('a snapshot restores into another zone; a clone stays in its source zone', async (t) => {
  const kc = loadTestKubeConfig();
  const ns = await createTestNamespace(t, 'zones');
  await createClaim(kc, ns, 'primary');
  await createPodOn(kc, ns, 'primary', 'kwok-zone-a-1', ['primary']);
  const { volume: primary } = await waitBound(kc, ns, 'primary');
  assert.deepEqual(zoneOfVolume(primary), ['zone-a']);
  const written = await writeRandomBytes(kc, ns, 'primary', 2 * MiB);
  await createSnapshot(kc, ns, 'backup', 'primary');
  await waitSnapshotReady(kc, ns, 'backup');

  // The standby of a zone failover: restored from the backup for a pod in zone-c.
  await createClaim(kc, ns, 'standby', { dataSource: { kind: 'VolumeSnapshot', name: 'backup' } });
  await createPodOn(kc, ns, 'standby', 'kwok-zone-c-1', ['standby']);
  const { volume: standby } = await waitBound(kc, ns, 'standby');
  assert.deepEqual(zoneOfVolume(standby), ['zone-c']);
  assert.equal(await readChecksum(kc, ns, 'standby'), written);

  await createClaim(kc, ns, 'clone', {
    storageClassName: immediateStorageClassName,
    dataSource: { kind: 'PersistentVolumeClaim', name: 'primary' },
  });
  const { volume: clone } = await waitBound(kc, ns, 'clone');
  assert.deepEqual(zoneOfVolume(clone), ['zone-a']);
  assert.equal(await readChecksum(kc, ns, 'clone'), written);
});
