// A promotion recorded in a FailoverGroup's status is carried out by the
// StatefulVolume controller on its own claims: the claim the workload mounts
// ends up bound to the standby's volume with the standby's bytes, the old
// volume is kept (Retain). The group is deleted right after the record is
// written: its finalizer holds it until the volume reports Completed, so a
// deletion mid-promotion still finishes the promotion.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { FailoverGroup, StatefulVolume } from '../../../src/api/v1alpha1/types.generated.js';
import { registerFailoverGroup } from '../../../src/controllers/failovergroup/controller.js';
import { failoverGroupType, statefulVolumeType } from '../../../src/controllers/kinds.js';
import { registerStatefulVolume } from '../../../src/controllers/statefulvolume/controller.js';
import { coreTypes } from '../../../src/kube/resource.js';
import type { Stored } from '../../../src/kube/wire.js';
import { storageClassName } from '../../support/claims.js';
import { statefulVolume } from '../../support/builders.js';
import { ensureCrds } from '../../support/crds.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';
import { startTestManager, clientFor } from '../../support/operator.js';
import { promotingGroup, promotionRecordFrom } from '../../support/promotion.js';
import { readChecksum, writeRandomBytes } from '../../support/volumes.js';
import { eventually } from '../../support/wait.js';

const MiB = 1024 * 1024;
type Claim = Stored<V1PersistentVolumeClaim>;
type Volume = Stored<V1PersistentVolume>;

test('a FailoverGroup deleted right after recording a promotion is held until the volume finished the rebind', async (t) => {
  const kc = loadTestKubeConfig();
  await ensureCrds(kc);
  const ns = await createTestNamespace(t, 'promote');
  await startTestManager(t, {
    namespaces: [ns],
    register: (mgr) => {
      registerStatefulVolume(mgr, { concurrency: 2 });
      registerFailoverGroup(mgr, { concurrency: 2 });
    },
  });
  const client = clientFor(t);
  await client.create<StatefulVolume>(
    statefulVolumeType,
    statefulVolume(ns, 'data', {
      metadata: { labels: { app: 'db' } },
      spec: { storageClassName, placement: { replicas: 2, zones: ['zone-a', 'zone-b'] } },
    }),
  );
  const claims = await eventually(
    'the primary and the standby Bound',
    async () => {
      const list = (await client.list<Claim>(coreTypes.persistentVolumeClaim, ns)).items;
      const primary = list.find((c) => c.metadata.name === 'data' && c.status?.phase === 'Bound');
      const standby = list.find(
        (c) => c.metadata.labels?.['storage.stateful.dev/role'] === 'standby' && c.status?.phase === 'Bound',
      );
      return primary !== undefined && standby !== undefined ? { primary, standby } : false;
    },
    { timeoutMs: 120_000 },
  );
  const { primary, standby } = claims;
  const oldPv = await client.get<Volume>(
    coreTypes.persistentVolume,
    undefined,
    primary.spec?.volumeName ?? '',
  );
  const standbyPv = await client.get<Volume>(
    coreTypes.persistentVolume,
    undefined,
    standby.spec?.volumeName ?? '',
  );
  const standbySha = await writeRandomBytes(kc, ns, standby.metadata.name ?? '', MiB);
  const vol = await client.get<StatefulVolume>(statefulVolumeType, ns, 'data');

  await client.create<FailoverGroup>(failoverGroupType, promotingGroup(ns));
  await eventually(
    'the group holds its finalizer',
    async () =>
      ((await client.get<FailoverGroup>(failoverGroupType, ns, 'db')).metadata.finalizers ?? []).includes(
        'storage.stateful.dev/failover-cleanup',
      ),
    { timeoutMs: 30_000 },
  );
  const record = promotionRecordFrom(
    { volume: vol, oldClaim: primary, oldVolume: oldPv, standbyClaim: standby, standbyVolume: standbyPv },
    'Manual',
    standby.metadata.labels?.['storage.stateful.dev/zone'] ?? 'zone-b',
  );
  // The record as the group writes it (status subresource); retried over the group's own status writes.
  await eventually(
    'the record written to the group’s status',
    async () => {
      const fg = await client.get<FailoverGroup>(failoverGroupType, ns, 'db');
      await client.updateStatus<FailoverGroup>(failoverGroupType, {
        ...fg,
        status: { ...fg.status, promotions: [record] },
      });
      return true;
    },
    { timeoutMs: 30_000 },
  );
  await client.delete(failoverGroupType, ns, 'db');

  await eventually(
    'the group gone',
    async () => (await client.find(failoverGroupType, ns, 'db')) === undefined,
    {
      timeoutMs: 90_000,
    },
  );
  const after = await client.get<StatefulVolume>(statefulVolumeType, ns, 'data');
  assert.equal(after.status?.promotion?.phase, 'Completed', JSON.stringify(after.status?.promotion));
  const claim = await client.get<Claim>(coreTypes.persistentVolumeClaim, ns, 'data');
  assert.notEqual(claim.metadata.uid, primary.metadata.uid, 'a new claim of the same name');
  assert.equal(claim.spec?.volumeName, standbyPv.metadata.name, 'bound to the standby’s volume');
  assert.equal(claim.metadata.labels?.['storage.stateful.dev/zone'], record.zone);
  assert.equal(claim.metadata.annotations?.['storage.stateful.dev/previous-volume'], oldPv.metadata.name);
  assert.equal(await readChecksum(kc, ns, 'data'), standbySha, 'the standby’s bytes');
  const old = await client.get<Volume>(coreTypes.persistentVolume, undefined, oldPv.metadata.name ?? '');
  assert.equal(old.spec?.persistentVolumeReclaimPolicy, 'Retain', 'the old volume is kept');
  assert.equal(old.metadata.annotations?.['storage.stateful.dev/former-primary-of'], `${ns}/data`);
  assert.equal(
    await client.find(coreTypes.persistentVolumeClaim, ns, standby.metadata.name ?? ''),
    undefined,
  );
});
