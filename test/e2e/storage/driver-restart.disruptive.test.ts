// The CSI driver keeps its volumes and snapshots across a restart, as a real
// storage backend does when its controller pod is rescheduled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restartComponent } from '../../cluster/cluster.js';
import {
  createClaim,
  createSnapshot,
  immediateStorageClassName,
  waitBound,
  waitSnapshotReady,
} from '../../support/claims.js';
import { requireOwnCluster } from '../../support/control.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';
import { readChecksum, writeRandomBytes } from '../../support/volumes.js';

test('volumes and snapshots survive a restart of the CSI driver', async (t) => {
  const state = requireOwnCluster(t);
  if (state === undefined) return;
  const kc = loadTestKubeConfig();
  const ns = await createTestNamespace(t, 'restart');
  await createClaim(kc, ns, 'data', { storageClassName: immediateStorageClassName });
  await waitBound(kc, ns, 'data');
  const written = await writeRandomBytes(kc, ns, 'data', 1024 * 1024);
  await createSnapshot(kc, ns, 'before', 'data');
  await waitSnapshotReady(kc, ns, 'before');

  await restartComponent(state.runDir, 'csi-driver');

  assert.equal(await readChecksum(kc, ns, 'data'), written);
  // The sidecars reconnect by themselves; a new snapshot and a restore of the
  // old one prove the driver still knows both.
  await createSnapshot(kc, ns, 'after', 'data');
  await waitSnapshotReady(kc, ns, 'after');
  await createClaim(kc, ns, 'restored', {
    storageClassName: immediateStorageClassName,
    dataSource: { kind: 'VolumeSnapshot', name: 'before' },
  });
  await waitBound(kc, ns, 'restored');
  assert.equal(await readChecksum(kc, ns, 'restored'), written);
});
