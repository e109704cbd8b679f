// The VolumeBackup controller, run in-process against the test cluster with
// the real CSI driver and snapshot controller: a backup becomes a ready
// VolumeSnapshot of the volume's primary claim, owned by the backup, holding
// the volume's bytes; it waits for what it needs and fails at its deadline.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type {
  StatefulVolume,
  VolumeBackup,
  VolumeBackupPolicy,
} from '../../../src/api/v1alpha1/types.generated.js';
import { registerStatefulVolume } from '../../../src/controllers/statefulvolume/controller.js';
import { registerVolumeBackup } from '../../../src/controllers/volumebackup/controller.js';
import { labels } from '../../../src/api/v1alpha1/vocabulary.js';
import {
  statefulVolumeType,
  volumeBackupPolicyType,
  volumeBackupType,
  volumeSnapshotType,
  type VolumeSnapshot,
} from '../../../src/controllers/volumebackup/types.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { coreTypes } from '../../../src/kube/resource.js';
import type { KubeObject } from '../../../src/kube/wire.js';
import {
  createClaim,
  immediateStorageClassName,
  snapshotClassName,
  storageClassName,
  waitBound,
} from '../../support/claims.js';
import { statefulVolume, volumeBackup, volumeBackupPolicy } from '../../support/builders.js';
import { ensureCrds } from '../../support/crds.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';
import { startTestManager, clientFor, type RunningManager } from '../../support/operator.js';
import { readChecksum, writeRandomBytes } from '../../support/volumes.js';
import { eventually } from '../../support/wait.js';

const MiB = 1024 * 1024;
type Event = KubeObject & {
  reason?: string;
  type?: string;
  message?: string;
  involvedObject?: { name?: string };
};

function startManager(t: TestContext, ns: string): Promise<RunningManager> {
  return startTestManager(t, {
    namespaces: [ns],
    register: (mgr) => {
      registerStatefulVolume(mgr, { concurrency: 2 });
      registerVolumeBackup(mgr, { concurrency: 2 });
    },
  });
}

async function setup(
  t: TestContext,
  prefix: string,
  opts: { manager?: boolean } = {},
): Promise<{ ns: string; client: KubeClient }> {
  await ensureCrds(loadTestKubeConfig());
  const ns = await createTestNamespace(t, prefix);
  if (opts.manager !== false) await startManager(t, ns);
  const client = clientFor(t);
  return { ns, client };
}

function readyCondition(b: VolumeBackup): { status: string; reason: string; message?: string } | undefined {
  return b.status?.conditions?.find((c) => c.type === 'Ready');
}

async function waitBackup(
  client: KubeClient,
  ns: string,
  name: string,
  what: string,
  check: (b: VolumeBackup) => boolean,
): Promise<VolumeBackup> {
  return eventually(
    `VolumeBackup ${name} ${what}`,
    async () => {
      const b = await client.get<VolumeBackup>(volumeBackupType, ns, name);
      return check(b) ? b : false;
    },
    { timeoutMs: 60_000 },
  );
}

const isReady = (b: VolumeBackup): boolean => b.status?.phase === 'Ready';

/**
 * A StatefulVolume with its primary claim Bound. The claim is made here, before
 * the volume, so these tests do not hang on the StatefulVolume controller's
 * provisioning (its own suite covers that); that controller adopts the matching
 * claim, and the backup controller finds it by the volume's claim name either way.
 */
async function boundVolume(client: KubeClient, ns: string, name: string): Promise<void> {
  const kc = loadTestKubeConfig();
  await createClaim(kc, ns, name, { storageClassName: immediateStorageClassName });
  await waitBound(kc, ns, name);
  await client.create<StatefulVolume>(statefulVolumeType, statefulVolume(ns, name));
}

async function eventsOf(client: KubeClient, ns: string, name: string): Promise<Event[]> {
  const list = await client.list<Event>(coreTypes.event, ns);
  return list.items.filter((e) => e.involvedObject?.name === name);
}

async function waitEvent(client: KubeClient, ns: string, name: string, reason: string): Promise<Event> {
  return eventually(`a ${reason} Event on ${name}`, async () =>
    (await eventsOf(client, ns, name)).find((e) => e.reason === reason),
  );
}

async function snapshotsIn(client: KubeClient, ns: string): Promise<VolumeSnapshot[]> {
  return (await client.list<VolumeSnapshot>(volumeSnapshotType, ns)).items;
}

test('an on-demand backup of a bound volume becomes Ready with an owned snapshot holding its bytes', async (t) => {
  const { ns, client } = await setup(t, 'vbk-ready');
  const kc = loadTestKubeConfig();
  await boundVolume(client, ns, 'db');
  const written = await writeRandomBytes(kc, ns, 'db', 2 * MiB);
  const created = await client.create<VolumeBackup>(volumeBackupType, volumeBackup(ns, 'db-manual', 'db'));

  const ready = await waitBackup(client, ns, 'db-manual', 'is Ready', isReady);
  assert.equal(ready.status?.restoreSize, '1Gi');
  assert.equal(ready.status.volumeSnapshotName, 'db-manual');
  assert.equal(ready.status.sourceClaimName, 'db');
  assert.ok(ready.status.startedAt !== undefined && ready.status.readyAt !== undefined);
  assert.ok(Date.parse(ready.status.readyAt) >= Date.parse(ready.status.startedAt));
  assert.equal(ready.status.error, undefined);
  assert.equal(ready.status.observedGeneration, ready.metadata.generation);
  const condition = readyCondition(ready);
  assert.equal(condition?.status, 'True');
  assert.equal(condition.reason, 'SnapshotReady');
  assert.deepEqual(ready.metadata.finalizers, ['storage.stateful.dev/snapshot-protection']);
  assert.deepEqual(ready.spec, created.spec, 'the spec is never written');

  const snapshots = await snapshotsIn(client, ns);
  assert.equal(snapshots.length, 1);
  const snap = snapshots[0]!;
  assert.equal(snap.metadata.name, 'db-manual');
  assert.equal(snap.status?.readyToUse, true);
  assert.equal(snap.spec.source.persistentVolumeClaimName, 'db');
  // The operator left the class unset; the snapshot controller filled in the driver's default.
  assert.equal(snap.spec.volumeSnapshotClassName, snapshotClassName);
  const owner = snap.metadata.ownerReferences?.[0];
  assert.ok(owner !== undefined);
  assert.equal(owner.uid, created.metadata.uid);
  assert.equal(owner.kind, 'VolumeBackup');
  assert.equal(owner.controller, true);
  assert.equal(owner.blockOwnerDeletion, true);
  assert.deepEqual(snap.metadata.labels, {
    [labels.managedBy]: 'stateful-volume-operator',
    [labels.volume]: 'db',
    [labels.backup]: 'db-manual',
  });

  const started = await waitEvent(client, ns, 'db-manual', 'BackupStarted');
  assert.equal(started.type, 'Normal');
  const readyEvent = await waitEvent(client, ns, 'db-manual', 'BackupReady');
  assert.match(readyEvent.message ?? '', /restore size 1Gi/);

  // The backup holds the bytes of the moment it was taken, not later ones.
  await writeRandomBytes(kc, ns, 'db', MiB);
  await createClaim(kc, ns, 'restored', {
    storageClassName: immediateStorageClassName,
    dataSource: { kind: 'VolumeSnapshot', name: 'db-manual' },
  });
  await waitBound(kc, ns, 'restored');
  assert.equal(await readChecksum(kc, ns, 'restored'), written);
});

test('a backup of a missing volume waits with VolumeNotFound and becomes Ready once the volume exists', async (t) => {
  const { ns, client } = await setup(t, 'vbk-late');
  await client.create<VolumeBackup>(volumeBackupType, volumeBackup(ns, 'late-1', 'late'));

  const pending = await waitBackup(
    client,
    ns,
    'late-1',
    'waits for its volume',
    (b) => readyCondition(b)?.reason === 'VolumeNotFound',
  );
  assert.equal(pending.status?.phase, 'Pending');
  assert.equal(readyCondition(pending)?.status, 'False');
  assert.equal(pending.status.volumeSnapshotName, undefined);
  const warning = await waitEvent(client, ns, 'late-1', 'VolumeNotFound');
  assert.equal(warning.type, 'Warning');
  assert.deepEqual(await snapshotsIn(client, ns), []);

  await boundVolume(client, ns, 'late');
  const ready = await waitBackup(client, ns, 'late-1', 'is Ready', isReady);
  assert.equal(ready.status?.sourceClaimName, 'late');
  assert.equal(readyCondition(ready)?.reason, 'SnapshotReady');
});

test('a snapshot class that does not exist fails the backup at its deadline, with no snapshot taken', async (t) => {
  const { ns, client } = await setup(t, 'vbk-noclass');
  await boundVolume(client, ns, 'db');
  const created = await client.create<VolumeBackup>(
    volumeBackupType,
    volumeBackup(ns, 'db-noclass', 'db', {
      spec: {
        volumeSnapshotClassName: 'no-such-class',
        deadlineSeconds: 20,
      },
    }),
  );

  const waiting = await waitBackup(
    client,
    ns,
    'db-noclass',
    'waits for its class',
    (b) => readyCondition(b)?.reason === 'SnapshotClassNotFound',
  );
  assert.equal(waiting.status?.phase, 'Pending');
  assert.match(readyCondition(waiting)?.message ?? '', /no-such-class/);

  const failed = await waitBackup(client, ns, 'db-noclass', 'fails', (b) => b.status?.phase === 'Failed');
  assert.equal(failed.status?.error?.reason, 'DeadlineExceeded');
  assert.match(failed.status.error.message ?? '', /no-such-class/);
  assert.equal(readyCondition(failed)?.reason, 'DeadlineExceeded');
  const failedAt = Date.now();
  assert.ok(
    failedAt - Date.parse(created.metadata.creationTimestamp ?? '') >= 19_000,
    'not failed before its deadline',
  );
  const event = await waitEvent(client, ns, 'db-noclass', 'BackupFailed');
  assert.equal(event.type, 'Warning');
  // While the class is missing no snapshot is requested, so there is nothing to keep or delete.
  assert.deepEqual(await snapshotsIn(client, ns), []);
});

test('a backup naming the existing class uses it', async (t) => {
  const { ns, client } = await setup(t, 'vbk-class');
  await boundVolume(client, ns, 'db');
  await client.create<VolumeBackup>(
    volumeBackupType,
    volumeBackup(ns, 'db-class', 'db', { spec: { volumeSnapshotClassName: snapshotClassName } }),
  );
  await waitBackup(client, ns, 'db-class', 'is Ready', isReady);
  const snap = await client.get<VolumeSnapshot>(volumeSnapshotType, ns, 'db-class');
  assert.equal(snap.spec.volumeSnapshotClassName, snapshotClassName);
});

test('a manager started after another stopped adopts the snapshot it created', async (t) => {
  const { ns, client } = await setup(t, 'vbk-restart', { manager: false });
  const first = await startManager(t, ns);
  await boundVolume(client, ns, 'db');
  await client.create<VolumeBackup>(volumeBackupType, volumeBackup(ns, 'db-1', 'db'));
  const taken = await eventually(
    'the first manager creates the snapshot',
    async () => client.find<VolumeSnapshot>(volumeSnapshotType, ns, 'db-1'),
    { intervalMs: 20 },
  );
  await first.stop();

  await startManager(t, ns);
  const ready = await waitBackup(client, ns, 'db-1', 'is Ready', isReady);
  const snapshots = await snapshotsIn(client, ns);
  assert.deepEqual(
    snapshots.map((s) => s.metadata.name),
    ['db-1'],
  );
  assert.equal(snapshots[0]?.metadata.uid, taken.metadata.uid, 'the same snapshot, not a new one');
  assert.equal(snapshots[0]?.metadata.ownerReferences?.[0]?.uid, ready.metadata.uid);
  assert.equal(ready.status?.volumeSnapshotName, 'db-1');
});

test('a snapshot this backup owns but never recorded is adopted, started when it was created', async (t) => {
  const { ns, client } = await setup(t, 'vbk-adopt', { manager: false });
  // No StatefulVolume at all: the snapshot exists already, so the source is never looked at.
  const created = await client.create<VolumeBackup>(volumeBackupType, volumeBackup(ns, 'db-1', 'db'));
  await createClaim(loadTestKubeConfig(), ns, 'db', { storageClassName: immediateStorageClassName });
  await waitBound(loadTestKubeConfig(), ns, 'db');
  // What a pass that died between creating the snapshot and writing status leaves behind.
  const snap = await client.create<VolumeSnapshot>(volumeSnapshotType, {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshot',
    metadata: {
      name: 'db-1',
      namespace: ns,
      ownerReferences: [
        {
          apiVersion: 'storage.stateful.dev/v1alpha1',
          kind: 'VolumeBackup',
          name: 'db-1',
          uid: created.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { source: { persistentVolumeClaimName: 'db' } },
  });

  await startManager(t, ns);
  const ready = await waitBackup(client, ns, 'db-1', 'is Ready', isReady);
  assert.equal(ready.status?.startedAt, snap.metadata.creationTimestamp);
  assert.equal(ready.status?.sourceClaimName, 'db');
  assert.equal((await snapshotsIn(client, ns)).length, 1);
  const again = await client.get<VolumeSnapshot>(volumeSnapshotType, ns, 'db-1');
  assert.equal(again.metadata.uid, snap.metadata.uid);
});

test('a snapshot of the same name owned by nobody fails the backup and is never touched', async (t) => {
  const { ns, client } = await setup(t, 'vbk-taken');
  await boundVolume(client, ns, 'db');
  const foreign = await client.create<VolumeSnapshot>(volumeSnapshotType, {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshot',
    metadata: { name: 'db-1', namespace: ns },
    spec: { source: { persistentVolumeClaimName: 'db' } },
  });
  await client.create<VolumeBackup>(volumeBackupType, volumeBackup(ns, 'db-1', 'db'));

  const failed = await waitBackup(client, ns, 'db-1', 'fails', (b) => b.status?.phase === 'Failed');
  assert.equal(failed.status?.error?.reason, 'SnapshotNameTaken');
  assert.equal(failed.status.volumeSnapshotName, undefined);

  await client.delete(volumeBackupType, ns, 'db-1');
  await eventually(
    'the backup is gone',
    async () => (await client.find<VolumeBackup>(volumeBackupType, ns, 'db-1')) === undefined,
  );
  const kept = await client.get<VolumeSnapshot>(volumeSnapshotType, ns, 'db-1');
  assert.equal(kept.metadata.uid, foreign.metadata.uid);
  assert.equal(kept.metadata.deletionTimestamp, undefined);
  assert.equal(kept.metadata.ownerReferences, undefined);
});

test('deleting a backup deletes its snapshot', async (t) => {
  const { ns, client } = await setup(t, 'vbk-delete');
  await boundVolume(client, ns, 'db');
  await client.create<VolumeBackup>(volumeBackupType, volumeBackup(ns, 'db-1', 'db'));
  await waitBackup(client, ns, 'db-1', 'is Ready', isReady);

  await client.delete(volumeBackupType, ns, 'db-1');
  await eventually(
    'the backup is gone',
    async () => (await client.find<VolumeBackup>(volumeBackupType, ns, 'db-1')) === undefined,
  );
  await eventually('the snapshot is gone', async () => (await snapshotsIn(client, ns)).length === 0);
});

test('a backup whose snapshot a restore still reads from is kept until the restore is done', async (t) => {
  const { ns, client } = await setup(t, 'vbk-restore');
  const kc = loadTestKubeConfig();
  await boundVolume(client, ns, 'db');
  await client.create<VolumeBackup>(volumeBackupType, volumeBackup(ns, 'db-1', 'db'));
  await waitBackup(client, ns, 'db-1', 'is Ready', isReady);
  // WaitForFirstConsumer and no pod: the restored claim stays Pending, still needing the snapshot.
  await createClaim(kc, ns, 'restoring', {
    storageClassName,
    dataSource: { kind: 'VolumeSnapshot', name: 'db-1' },
  });

  await client.delete(volumeBackupType, ns, 'db-1');
  await waitEvent(client, ns, 'db-1', 'RestoreInProgress');
  const held = await waitBackup(client, ns, 'db-1', 'is Deleting', (b) => b.status?.phase === 'Deleting');
  assert.ok(held.metadata.deletionTimestamp !== undefined);
  const snap = await client.get<VolumeSnapshot>(volumeSnapshotType, ns, 'db-1');
  assert.equal(snap.metadata.deletionTimestamp, undefined);

  await client.delete(coreTypes.persistentVolumeClaim, ns, 'restoring');
  await eventually(
    'the backup is gone',
    async () => (await client.find<VolumeBackup>(volumeBackupType, ns, 'db-1')) === undefined,
  );
  await eventually('the snapshot is gone', async () => (await snapshotsIn(client, ns)).length === 0);
});

test('two backups of one volume run one after the other, in creation order', async (t) => {
  const { ns, client } = await setup(t, 'vbk-order');
  await boundVolume(client, ns, 'db');
  await Promise.all([
    client.create<VolumeBackup>(volumeBackupType, volumeBackup(ns, 'db-a', 'db')),
    client.create<VolumeBackup>(volumeBackupType, volumeBackup(ns, 'db-b', 'db')),
  ]);
  const a = await waitBackup(client, ns, 'db-a', 'is Ready', isReady);
  const b = await waitBackup(client, ns, 'db-b', 'is Ready', isReady);
  const [first, second] =
    Date.parse(a.status?.startedAt ?? '') <= Date.parse(b.status?.startedAt ?? '') ? [a, b] : [b, a];
  assert.ok(
    Date.parse(second.status?.startedAt ?? '') >= Date.parse(first.status?.readyAt ?? ''),
    `${second.metadata.name ?? ''} started (${second.status?.startedAt ?? ''}) before ${first.metadata.name ?? ''} was ready (${first.status?.readyAt ?? ''})`,
  );
});

test('a Ready backup whose snapshot is deleted becomes Failed with SnapshotLost and is not re-taken', async (t) => {
  const { ns, client } = await setup(t, 'vbk-lost');
  await boundVolume(client, ns, 'db');
  await client.create<VolumeBackup>(volumeBackupType, volumeBackup(ns, 'db-1', 'db'));
  const ready = await waitBackup(client, ns, 'db-1', 'is Ready', isReady);

  await client.delete(volumeSnapshotType, ns, 'db-1');
  const lost = await waitBackup(client, ns, 'db-1', 'fails', (b) => b.status?.phase === 'Failed');
  assert.equal(lost.status?.error?.reason, 'SnapshotLost');
  assert.equal(readyCondition(lost)?.status, 'False');
  assert.equal(lost.status.readyAt, ready.status?.readyAt, 'when it was ready stays on record');
  await eventually('the snapshot is gone', async () => (await snapshotsIn(client, ns)).length === 0);
  // The pass that saw it gone wrote Failed and the Event; it must not have taken a new one.
  await waitEvent(client, ns, 'db-1', 'BackupFailed');
  assert.deepEqual(await snapshotsIn(client, ns), []);
  assert.equal((await client.get<VolumeBackup>(volumeBackupType, ns, 'db-1')).status?.phase, 'Failed');
});

test("a backup made by a policy uses the policy's snapshot class", async (t) => {
  const { ns, client } = await setup(t, 'vbk-policy');
  await boundVolume(client, ns, 'db');
  await client.create<VolumeBackupPolicy>(
    volumeBackupPolicyType,
    volumeBackupPolicy(ns, 'nightly', {
      spec: { schedule: '@daily', volumes: ['db'], volumeSnapshotClassName: 'policy-class' },
    }),
  );
  await client.create<VolumeBackup>(
    volumeBackupType,
    volumeBackup(ns, 'db-nightly', 'db', { spec: { policyName: 'nightly' } }),
  );
  const waiting = await waitBackup(
    client,
    ns,
    'db-nightly',
    'waits for the class of its policy',
    (b) => readyCondition(b)?.reason === 'SnapshotClassNotFound',
  );
  assert.match(readyCondition(waiting)?.message ?? '', /policy-class \(from VolumeBackupPolicy nightly\)/);
  assert.deepEqual(await snapshotsIn(client, ns), []);
});
