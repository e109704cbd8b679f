// What a StatefulVolume does with data, against the real CSI driver and
// snapshot controller: restore from a backup (bytes compared), wait for a
// source that is not there yet, standbys seeded empty and then refilled from
// the newest Ready backup in their zones, expansion, and following the pod.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { CoreV1Api, StorageV1Api, type V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { StatefulVolume, VolumeBackup } from '../../../src/api/v1alpha1/types.generated.js';
import { registerStatefulVolume } from '../../../src/controllers/statefulvolume/controller.js';
import { registerVolumeBackup } from '../../../src/controllers/volumebackup/controller.js';
import { statefulVolumeType, volumeBackupType } from '../../../src/controllers/kinds.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { coreTypes } from '../../../src/kube/resource.js';
import type { KubeObject, Stored } from '../../../src/kube/wire.js';
import {
  createPodOn,
  createSnapshot,
  immediateStorageClassName,
  waitPodRunning,
  waitSnapshotReady,
  zoneOfVolume,
} from '../../support/claims.js';
import { statefulVolume, volumeBackup } from '../../support/builders.js';
import { loadTestKubeConfig } from '../../support/kube.js';
import { operatorInNamespace } from '../../support/operator.js';
import { readChecksum, writeRandomBytes } from '../../support/volumes.js';
import { eventually } from '../../support/wait.js';

const MiB = 1024 * 1024;
type Claim = Stored<V1PersistentVolumeClaim>;
type Event = KubeObject & { reason?: string; type?: string; involvedObject?: { name?: string } };

function setup(t: TestContext, prefix: string): Promise<{ ns: string; client: KubeClient }> {
  return operatorInNamespace(t, prefix, (mgr) => {
    registerStatefulVolume(mgr, { concurrency: 2 });
    registerVolumeBackup(mgr, { concurrency: 2 });
  });
}

function condition(v: StatefulVolume, type: string): { status: string; reason: string } | undefined {
  return v.status?.conditions?.find((c) => c.type === type);
}

async function waitVolume(
  client: KubeClient,
  ns: string,
  name: string,
  what: string,
  check: (v: StatefulVolume) => boolean,
): Promise<StatefulVolume> {
  return eventually(
    `${name}: ${what}`,
    async () => {
      const v = await client.get<StatefulVolume>(statefulVolumeType, ns, name);
      return check(v) ? v : false;
    },
    { timeoutMs: 120_000 },
  );
}

const provisioned = (v: StatefulVolume): boolean => condition(v, 'Provisioned')?.status === 'True';

async function readyBackup(
  client: KubeClient,
  ns: string,
  name: string,
  volumeName: string,
): Promise<VolumeBackup> {
  await client.create<VolumeBackup>(volumeBackupType, volumeBackup(ns, name, volumeName));
  return eventually(
    `backup ${name} Ready`,
    async () => {
      const b = await client.get<VolumeBackup>(volumeBackupType, ns, name);
      return b.status?.phase === 'Ready' ? b : false;
    },
    { timeoutMs: 120_000 },
  );
}

async function warnings(client: KubeClient, ns: string, object: string): Promise<string[]> {
  const events = await client.list<Event>(coreTypes.event, ns);
  return events.items
    .filter((e) => e.involvedObject?.name === object && e.type === 'Warning')
    .map((e) => e.reason ?? '');
}

test('a StatefulVolume restored from a Ready VolumeBackup holds the bytes the backup was taken of', async (t) => {
  const { ns, client } = await setup(t, 'sv-restore');
  const kc = loadTestKubeConfig();
  await client.create(statefulVolumeType, statefulVolume(ns, 'src'));
  await waitVolume(client, ns, 'src', 'provisioned', provisioned);
  const written = await writeRandomBytes(kc, ns, 'src', 4 * MiB);
  const backup = await readyBackup(client, ns, 'before-change', 'src');
  // Writes after the backup must not reach the restore.
  await writeRandomBytes(kc, ns, 'src', 1 * MiB);

  await client.create(
    statefulVolumeType,
    statefulVolume(ns, 'copy', { spec: { source: { volumeBackupName: 'before-change' } } }),
  );
  await waitVolume(client, ns, 'copy', 'provisioned', provisioned);
  const claim = await client.get<Claim>(coreTypes.persistentVolumeClaim, ns, 'copy');
  assert.equal(claim.spec?.dataSource?.kind, 'VolumeSnapshot');
  assert.equal(claim.spec.dataSource.name, backup.status?.volumeSnapshotName);
  assert.equal(await readChecksum(kc, ns, 'copy'), written);
});

test('a StatefulVolume whose source backup does not exist yet waits with a reason, then restores', async (t) => {
  const { ns, client } = await setup(t, 'sv-wait-source');
  const kc = loadTestKubeConfig();
  await client.create(
    statefulVolumeType,
    statefulVolume(ns, 'early', { spec: { source: { volumeBackupName: 'later' } } }),
  );
  const waiting = await waitVolume(
    client,
    ns,
    'early',
    'waiting for its source',
    (v) => v.status?.phase === 'Pending',
  );
  assert.equal(condition(waiting, 'Ready')?.reason, 'SourceNotFound');
  await eventually('a SourceNotFound Event', async () =>
    (await warnings(client, ns, 'early')).includes('SourceNotFound'),
  );
  const none = await client.list<Claim>(coreTypes.persistentVolumeClaim, ns);
  assert.deepEqual(
    none.items.map((c) => c.metadata.name),
    [],
    'no claim is made before the source exists',
  );

  await client.create(statefulVolumeType, statefulVolume(ns, 'origin'));
  await waitVolume(client, ns, 'origin', 'provisioned', provisioned);
  const written = await writeRandomBytes(kc, ns, 'origin', 2 * MiB);
  await readyBackup(client, ns, 'later', 'origin');
  await waitVolume(client, ns, 'early', 'restored', provisioned);
  assert.equal(await readChecksum(kc, ns, 'early'), written);
  const events = await warnings(client, ns, 'early');
  assert.equal(events.filter((r) => r === 'SourceNotFound').length, 1, 'the problem was reported once');
});

function standbys(claims: readonly Claim[]): Claim[] {
  return claims.filter((c) => c.metadata.labels?.['storage.stateful.dev/role'] === 'standby');
}

test('standbys are made empty in the other zones, then refilled from the newest Ready backup', async (t) => {
  const { ns, client } = await setup(t, 'sv-standby');
  const kc = loadTestKubeConfig();
  const zones = ['zone-a', 'zone-b', 'zone-c'];
  await client.create(
    statefulVolumeType,
    statefulVolume(ns, 'db', { spec: { placement: { replicas: 3, zones } } }),
  );
  const seeded = await waitVolume(
    client,
    ns,
    'db',
    'standbys seeded empty',
    (v) =>
      condition(v, 'ReplicasInSync')?.reason === 'SeededEmpty' && (v.status?.replicas?.length ?? 0) === 3,
  );
  assert.equal(seeded.status?.primary?.zone, 'zone-a');
  assert.deepEqual(
    seeded.status.replicas?.map((r) => [r.role, r.zone]),
    [
      ['Primary', 'zone-a'],
      ['Standby', 'zone-b'],
      ['Standby', 'zone-c'],
    ],
  );
  const empty = standbys((await client.list<Claim>(coreTypes.persistentVolumeClaim, ns)).items);
  assert.deepEqual(
    empty.map((c) => c.metadata.labels?.['storage.stateful.dev/source-backup']),
    ['none', 'none'],
  );

  const written = await writeRandomBytes(kc, ns, 'db', 3 * MiB);
  await readyBackup(client, ns, 'db-1', 'db');
  const synced = await waitVolume(
    client,
    ns,
    'db',
    'standbys in sync',
    (v) => condition(v, 'ReplicasInSync')?.status === 'True',
  );
  assert.deepEqual(
    synced.status?.replicas?.map((r) => r.phase),
    ['InSync', 'InSync', 'InSync'],
  );
  assert.equal(synced.status.phase, 'Ready');
  const refilled = await eventually('the empty standbys are gone', async () => {
    const list = standbys((await client.list<Claim>(coreTypes.persistentVolumeClaim, ns)).items);
    return list.length === 2 && list.every((c) => c.metadata.deletionTimestamp === undefined) ? list : false;
  });
  const core = kc.makeApiClient(CoreV1Api);
  for (const claim of refilled) {
    const name = claim.metadata.name ?? '';
    assert.equal(claim.metadata.labels?.['storage.stateful.dev/source-backup'], 'db-1');
    assert.ok(claim.metadata.ownerReferences?.some((o) => o.kind === 'StatefulVolume' && o.name === 'db'));
    const pv = await core.readPersistentVolume({ name: claim.spec?.volumeName ?? '' });
    assert.deepEqual(
      zoneOfVolume(pv),
      [claim.metadata.labels['storage.stateful.dev/zone']],
      `${name} lives in its zone`,
    );
    assert.equal(await readChecksum(kc, ns, name), written, `${name} holds the backup's bytes`);
  }
});

test('growing spec.size expands the claim and status reports the new capacity', async (t) => {
  const { ns, client } = await setup(t, 'sv-expand');
  await client.create(statefulVolumeType, statefulVolume(ns, 'grow'));
  await waitVolume(client, ns, 'grow', 'provisioned', provisioned);
  await client.patch(statefulVolumeType, ns, 'grow', { spec: { size: '2Gi' } }, { type: 'merge' });
  const grown = await waitVolume(client, ns, 'grow', 'at 2Gi', (v) => v.status?.capacity === '2Gi');
  assert.equal(condition(grown, 'Resizing')?.status, 'False');
  assert.equal(grown.status?.observedGeneration, grown.metadata.generation);
  const claim = await client.get<Claim>(coreTypes.persistentVolumeClaim, ns, 'grow');
  assert.equal(claim.spec?.resources?.requests?.storage, '2Gi');
  const events = await client.list<Event>(coreTypes.event, ns);
  assert.ok(events.items.some((e) => e.reason === 'ClaimExpanding' && e.involvedObject?.name === 'grow'));
});

test('the pod that mounts the claim is followed, and its move to another node is counted', async (t) => {
  const { ns, client } = await setup(t, 'sv-follow');
  const kc = loadTestKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  await client.create(
    statefulVolumeType,
    statefulVolume(ns, 'data', { spec: { placement: { replicas: 1, zones: ['zone-b'] } } }),
  );
  await waitVolume(client, ns, 'data', 'provisioned', provisioned);
  const nodes = (await core.listNode({ labelSelector: 'topology.kubernetes.io/zone=zone-b' })).items
    .map((n) => n.metadata?.name ?? '')
    .sort();
  assert.ok(nodes.length >= 2, 'zone-b has two nodes');
  const [first = '', second = ''] = nodes;
  await createPodOn(kc, ns, 'app-1', first, ['data']);
  await waitPodRunning(kc, ns, 'app-1');
  const on = await waitVolume(
    client,
    ns,
    'data',
    'attached to app-1',
    (v) => v.status?.attachment?.pod === 'app-1',
  );
  assert.equal(on.status?.attachment?.node, first);
  assert.equal(on.status.attachment.zone, 'zone-b');
  assert.equal(on.status.attachment.moves, 0);
  assert.equal(condition(on, 'Attached')?.status, 'True');

  await core.deleteNamespacedPod({ namespace: ns, name: 'app-1', gracePeriodSeconds: 0 });
  await eventually('app-1 gone', async () =>
    core.readNamespacedPod({ namespace: ns, name: 'app-1' }).then(
      () => false,
      () => true,
    ),
  );
  await createPodOn(kc, ns, 'app-2', second, ['data']);
  await waitPodRunning(kc, ns, 'app-2');
  const moved = await waitVolume(
    client,
    ns,
    'data',
    'attached to app-2',
    (v) => v.status?.attachment?.pod === 'app-2',
  );
  assert.equal(moved.status?.attachment?.node, second);
  assert.equal(moved.status.attachment.moves, 1);
  assert.equal(moved.status.primary?.node, second);
});

test('a claim refused by a ResourceQuota fails the volume with QuotaExceeded, and is made once the quota allows', async (t) => {
  const { ns, client } = await setup(t, 'sv-quota');
  const core = loadTestKubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespacedResourceQuota({
    namespace: ns,
    body: { metadata: { name: 'storage' }, spec: { hard: { 'requests.storage': '1Gi' } } },
  });
  await client.create(statefulVolumeType, statefulVolume(ns, 'big', { spec: { size: '2Gi' } }));
  const refused = await waitVolume(client, ns, 'big', 'refused', (v) => v.status?.phase === 'Failed');
  assert.equal(condition(refused, 'Provisioned')?.reason, 'QuotaExceeded');
  await eventually('a QuotaExceeded Event', async () =>
    (await warnings(client, ns, 'big')).includes('QuotaExceeded'),
  );
  await core.patchNamespacedResourceQuota({
    namespace: ns,
    name: 'storage',
    body: [{ op: 'replace', path: '/spec/hard/requests.storage', value: '5Gi' }],
  });
  await waitVolume(client, ns, 'big', 'provisioned after the quota grew', provisioned);
});

test('a class that does not allow expansion leaves the claim as it is and says why', async (t) => {
  const { ns, client } = await setup(t, 'sv-noexpand');
  const kc = loadTestKubeConfig();
  const storage = kc.makeApiClient(StorageV1Api);
  const base = await storage.readStorageClass({ name: immediateStorageClassName });
  const className = `fixed-${ns}`;
  await storage.createStorageClass({
    body: {
      metadata: { name: className },
      provisioner: base.provisioner,
      ...(base.parameters !== undefined ? { parameters: base.parameters } : {}),
      volumeBindingMode: 'Immediate',
      allowVolumeExpansion: false,
    },
  });
  t.after(() => storage.deleteStorageClass({ name: className }).catch(() => undefined));
  await client.create(
    statefulVolumeType,
    statefulVolume(ns, 'fixed', { spec: { storageClassName: className } }),
  );
  await waitVolume(client, ns, 'fixed', 'provisioned', provisioned);
  await client.patch(statefulVolumeType, ns, 'fixed', { spec: { size: '2Gi' } }, { type: 'merge' });
  const blocked = await waitVolume(
    client,
    ns,
    'fixed',
    'refusing to expand',
    (v) => condition(v, 'Resizing')?.reason === 'ExpansionNotSupported',
  );
  assert.equal(blocked.status?.capacity, '1Gi');
  await eventually('an ExpansionNotSupported Event', async () =>
    (await warnings(client, ns, 'fixed')).includes('ExpansionNotSupported'),
  );
  const claim = await client.get<Claim>(coreTypes.persistentVolumeClaim, ns, 'fixed');
  assert.equal(claim.spec?.resources?.requests?.storage, '1Gi', 'the claim was not patched');
});

test('a StatefulVolume restored from a VolumeSnapshot, and one cloned from a claim, hold the source bytes', async (t) => {
  const { ns, client } = await setup(t, 'sv-sources');
  const kc = loadTestKubeConfig();
  await client.create(statefulVolumeType, statefulVolume(ns, 'origin'));
  await waitVolume(client, ns, 'origin', 'provisioned', provisioned);
  const written = await writeRandomBytes(kc, ns, 'origin', 2 * MiB);
  await createSnapshot(kc, ns, 'snap', 'origin');
  await waitSnapshotReady(kc, ns, 'snap');

  await client.create(
    statefulVolumeType,
    statefulVolume(ns, 'from-snapshot', { spec: { source: { volumeSnapshotName: 'snap' } } }),
  );
  await client.create(
    statefulVolumeType,
    statefulVolume(ns, 'clone', { spec: { source: { persistentVolumeClaimName: 'origin' } } }),
  );
  await waitVolume(client, ns, 'from-snapshot', 'provisioned', provisioned);
  await waitVolume(client, ns, 'clone', 'provisioned', provisioned);
  const snapClaim = await client.get<Claim>(coreTypes.persistentVolumeClaim, ns, 'from-snapshot');
  assert.equal(snapClaim.spec?.dataSource?.kind, 'VolumeSnapshot');
  const cloneClaim = await client.get<Claim>(coreTypes.persistentVolumeClaim, ns, 'clone');
  assert.equal(cloneClaim.spec?.dataSource?.kind, 'PersistentVolumeClaim');
  assert.equal(await readChecksum(kc, ns, 'from-snapshot'), written);
  assert.equal(await readChecksum(kc, ns, 'clone'), written);
});
