// A whole zone dies under a StatefulSet pod whose volume has a standby in the
// next zone. With promotion Automatic and a recent enough backup, the operator
// fences, rebinds the claim the pod mounts to the standby's volume, and the pod
// runs in the surviving zone on the backup's bytes; the old volume is kept.
// With a backup older than maxDataLossSeconds it refuses and touches nothing.
// The operator runs in its default fencing mode: the lost zone's nodes are
// confirmed shut down as a fencing agent would (shutDownTestZone).
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { annotations } from '../../../src/api/v1alpha1/vocabulary.js';
import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1PersistentVolumeClaim,
} from '@kubernetes/client-node';
import {
  type FailoverGroup,
  type StatefulVolume,
  type VolumeBackup,
} from '../../../src/api/v1alpha1/types.generated.js';
import { registerFailoverGroup } from '../../../src/controllers/failovergroup/controller.js';
import { outOfServiceTaint } from '../../../src/controllers/failovergroup/fence.js';
import { failoverGroupType, statefulVolumeType, volumeBackupType } from '../../../src/controllers/kinds.js';
import { registerStatefulVolume } from '../../../src/controllers/statefulvolume/controller.js';
import { registerVolumeBackup } from '../../../src/controllers/volumebackup/controller.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { storageClassName } from '../../support/claims.js';
import { nodesOfZone, requireOwnCluster, restoreTestZone, shutDownTestZone } from '../../support/control.js';
import { ensureCrds } from '../../support/crds.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';
import { startTestManager, clientFor } from '../../support/operator.js';
import { readChecksum, writeRandomBytes } from '../../support/volumes.js';
import { eventually } from '../../support/wait.js';
import { createDbStatefulSet, failoverGroupFor, runningDbPod, zoneOfNode } from '../../support/workload.js';

const zoneLabel = 'topology.kubernetes.io/zone';
const claimName = 'data-db-0';
const MiB = 1024 * 1024;

interface Bed {
  kc: KubeConfig;
  core: CoreV1Api;
  client: KubeClient;
  ns: string;
  written: string;
  oldPv: string;
  oldClaimUid: string;
  standbyClaim: string;
  standbyPv: string;
}

async function readClaim(
  core: CoreV1Api,
  ns: string,
  name: string,
): Promise<V1PersistentVolumeClaim | undefined> {
  return core.readNamespacedPersistentVolumeClaim({ namespace: ns, name }).catch(() => undefined);
}

async function pvZone(core: CoreV1Api, pv: string): Promise<string | undefined> {
  const v = await core.readPersistentVolume({ name: pv });
  for (const term of v.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [])
    for (const e of term.matchExpressions ?? []) if (e.key === zoneLabel) return e.values?.[0];
  return undefined;
}

async function standbyInZoneB(
  client: KubeClient,
  core: CoreV1Api,
  ns: string,
): Promise<V1PersistentVolumeClaim> {
  const standby = await eventually(
    'the standby in zone-b Bound, filled from the backup',
    async () => {
      const list = await core.listNamespacedPersistentVolumeClaim({
        namespace: ns,
        labelSelector: 'storage.stateful.dev/role=standby,storage.stateful.dev/zone=zone-b',
      });
      return (
        list.items.find(
          (c) =>
            c.status?.phase === 'Bound' &&
            c.metadata?.labels?.['storage.stateful.dev/source-backup'] === 'before-loss',
        ) ?? false
      );
    },
    { timeoutMs: 180_000 },
  );
  await eventually(
    'the StatefulVolume says the standby is InSync',
    async () =>
      (await client.get<StatefulVolume>(statefulVolumeType, ns, claimName)).status?.replicas?.some(
        (r) => r.zone === 'zone-b' && r.phase === 'InSync',
      ) === true,
    { timeoutMs: 60_000 },
  );
  return standby;
}

/** Volume with a primary in zone-a and a standby in zone-b filled from a Ready backup; the pod in zone-a. */
async function setup(
  t: TestContext,
  prefix: string,
  opts: { standby: boolean } = { standby: true },
): Promise<Bed> {
  const kc = loadTestKubeConfig();
  await ensureCrds(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const ns = await createTestNamespace(t, prefix);
  await startTestManager(t, {
    namespaces: [ns],
    register: (mgr) => {
      registerStatefulVolume(mgr, { concurrency: 2 });
      registerVolumeBackup(mgr, { concurrency: 2 });
      registerFailoverGroup(mgr, { concurrency: 2 });
    },
  });
  const client = clientFor(t);
  await client.create<StatefulVolume>(statefulVolumeType, {
    apiVersion: 'storage.stateful.dev/v1alpha1',
    kind: 'StatefulVolume',
    metadata: { name: claimName, namespace: ns, labels: { app: 'db' } },
    spec: {
      size: '1Gi',
      storageClassName,
      placement: { replicas: opts.standby ? 2 : 1, zones: ['zone-a', 'zone-b'] },
    },
  });
  const primary = await eventually(
    'the primary claim Bound',
    async () => {
      const c = await readClaim(core, ns, claimName);
      return c?.status?.phase === 'Bound' ? c : false;
    },
    { timeoutMs: 120_000 },
  );
  const oldPv = primary.spec?.volumeName ?? '';
  assert.equal(await pvZone(core, oldPv), 'zone-a', 'the primary starts in zone-a');
  const written = await writeRandomBytes(kc, ns, claimName, 2 * MiB);
  await client.create<VolumeBackup>(volumeBackupType, {
    apiVersion: 'storage.stateful.dev/v1alpha1',
    kind: 'VolumeBackup',
    metadata: { name: 'before-loss', namespace: ns },
    spec: { volumeName: claimName },
  });
  await eventually(
    'the backup Ready',
    async () =>
      (await client.get<VolumeBackup>(volumeBackupType, ns, 'before-loss')).status?.phase === 'Ready',
    { timeoutMs: 120_000 },
  );
  const standby = opts.standby ? await standbyInZoneB(client, core, ns) : undefined;
  await createDbStatefulSet(kc, ns);
  const pod = await eventually('db-0 Running', () => runningDbPod(core, ns), { timeoutMs: 120_000 });
  assert.equal(await zoneOfNode(core, pod.spec?.nodeName ?? ''), 'zone-a');
  return {
    kc,
    core,
    client,
    ns,
    written,
    oldPv,
    oldClaimUid: primary.metadata?.uid ?? '',
    standbyClaim: standby?.metadata?.name ?? '',
    standbyPv: standby?.spec?.volumeName ?? '',
  };
}

async function createGroup(
  bed: Bed,
  maxDataLossSeconds: number,
  promotion: 'Automatic' | 'Manual' = 'Automatic',
  failback: Pick<FailoverGroup['spec'], 'failback' | 'failbackDelaySeconds'> = {},
): Promise<() => Promise<FailoverGroup>> {
  const { client, ns } = bed;
  await client.create<FailoverGroup>(
    failoverGroupType,
    failoverGroupFor(ns, 5, {
      volumes: { selector: { matchLabels: { app: 'db' } } },
      zones: ['zone-a', 'zone-b'],
      zoneFailure: { promotion, maxDataLossSeconds },
      ...failback,
    }),
  );
  const read = (): Promise<FailoverGroup> => client.get<FailoverGroup>(failoverGroupType, ns, 'db');
  await eventually(
    'the group Healthy in zone-a',
    async () => {
      const s = (await read()).status;
      return s?.phase === 'Healthy' && s.activeZone === 'zone-a';
    },
    { timeoutMs: 60_000 },
  );
  return read;
}

async function restoreAndCheckTaints(core: CoreV1Api): Promise<void> {
  restoreTestZone('zone-a');
  await eventually(
    'no out-of-service taint left in zone-a',
    async () => {
      for (const node of nodesOfZone('zone-a')) {
        const n = await core.readNode({ name: node });
        const ready = n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
        if (!ready || (n.spec?.taints ?? []).some((x) => x.key === outOfServiceTaint.key)) return false;
      }
      return true;
    },
    { timeoutMs: 120_000 },
  );
}

/** Test cleanup: zone-a back, and the taints this namespace's group added removed even if it is gone. */
function cleanupZone(t: TestContext, core: CoreV1Api, ns: string): void {
  t.after(async () => {
    restoreTestZone('zone-a');
    for (const name of nodesOfZone('zone-a')) {
      const node = await core.readNode({ name });
      if (node.metadata?.annotations?.[annotations.fencedBy]?.startsWith(`${ns}/`) !== true) continue;
      await core.patchNode(
        {
          name,
          body: {
            metadata: { annotations: { [annotations.fencedBy]: null } },
            spec: { taints: (node.spec?.taints ?? []).filter((x) => x.key !== outOfServiceTaint.key) },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
  });
}

async function eventReasons(core: CoreV1Api, ns: string): Promise<string[]> {
  return (await core.listNamespacedEvent({ namespace: ns })).items
    .filter((e) => e.involvedObject.kind === 'FailoverGroup')
    .map((e) => e.reason ?? '');
}

async function assertPromotedClaim(bed: Bed): Promise<void> {
  const { core, ns } = bed;
  const claim = await readClaim(core, ns, claimName);
  assert.ok(claim?.metadata !== undefined && claim.spec !== undefined);
  assert.equal(claim.status?.phase, 'Bound');
  // Without a standby, the volume was restored for the promotion: any PV in zone-b.
  if (bed.standbyPv !== '')
    assert.equal(claim.spec.volumeName, bed.standbyPv, 'the claim now holds the standby’s volume');
  assert.equal(await pvZone(core, claim.spec.volumeName ?? ''), 'zone-b');
  const labels = claim.metadata.labels ?? {};
  assert.equal(labels['storage.stateful.dev/zone'], 'zone-b');
  assert.equal(labels['storage.stateful.dev/role'], 'primary');
  assert.equal(claim.metadata.annotations?.['storage.stateful.dev/previous-volume'], bed.oldPv);
  assert.notEqual(claim.metadata.uid, bed.oldClaimUid);
  assert.equal(await readChecksum(bed.kc, ns, claimName), bed.written, 'the backup’s bytes, unchanged');
}

/** Waits for the group FailedOver with a completed failover; on timeout shows the status seen last. */
async function waitFailedOver(
  t: TestContext,
  read: () => Promise<FailoverGroup>,
): Promise<NonNullable<FailoverGroup['status']>> {
  let seen: FailoverGroup['status'];
  try {
    return await eventually(
      'the group FailedOver in zone-b',
      async () => {
        seen = (await read()).status;
        return seen?.phase === 'FailedOver' && seen.lastFailover?.completedAt !== undefined ? seen : false;
      },
      { timeoutMs: 90_000 },
    );
  } catch (err) {
    t.diagnostic(`last status: ${JSON.stringify(seen)}`);
    throw err;
  }
}

function assertTimeline(status: NonNullable<FailoverGroup['status']>): void {
  const last = status.lastFailover;
  assert.equal(status.activeZone, 'zone-b');
  assert.equal(last?.reason, 'ZoneFailure');
  assert.equal(last.fromZone, 'zone-a');
  assert.equal(last.toZone, 'zone-b');
  assert.ok((last.dataLossWindowSeconds ?? -1) >= 0, 'a data loss window');
  for (const step of [
    'detectedAt',
    'fencedAt',
    'podsRescheduledAt',
    'volumesAttachedAt',
    'podsReadyAt',
  ] as const)
    assert.ok(last.timeline?.[step] !== undefined, `timeline.${step}`);
  assert.ok((last.recoverySeconds ?? 0) > 0);
}

test('zone loss: the standby in zone-b is promoted and the pod runs there on the backup’s bytes', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const bed = await setup(t, 'fog-zone');
  const { core, ns } = bed;
  const read = await createGroup(bed, 3600);
  cleanupZone(t, core, ns);

  await shutDownTestZone('zone-a');
  const failedAt = Date.now();
  const moved = await eventually(
    'db-0 Running in zone-b',
    async () => {
      const pod = await runningDbPod(core, ns);
      return pod !== false && (await zoneOfNode(core, pod.spec?.nodeName ?? '')) === 'zone-b' ? pod : false;
    },
    { timeoutMs: 240_000, intervalMs: 1000 },
  );
  const recovered = (Date.now() - failedAt) / 1000;
  await assertPromotedClaim(bed);

  const status = await waitFailedOver(t, read);
  assertTimeline(status);
  const last = status.lastFailover;
  const reasons = await eventReasons(core, ns);
  for (const r of ['ZoneLost', 'StandbyPromoted', 'FailoverComplete'])
    assert.ok(reasons.includes(r), `a ${r} Event (have ${reasons.join(', ')})`);
  t.diagnostic(
    `pod Running on ${moved.spec?.nodeName ?? ''} in zone-b ${recovered.toFixed(1)} s after zone-a died; ` +
      `recoverySeconds ${String(last?.recoverySeconds)}, dataLossWindowSeconds ` +
      `${String(last?.dataLossWindowSeconds)}; timeline ${JSON.stringify({ startedAt: last?.startedAt, ...last?.timeline })}`,
  );

  await restoreAndCheckTaints(core);
  const old = await core.readPersistentVolume({ name: bed.oldPv });
  assert.equal(old.spec?.persistentVolumeReclaimPolicy, 'Retain', 'the old primary’s volume is kept');
  assert.equal(old.metadata?.deletionTimestamp, undefined);
  // Failback is Manual: the group stays in zone-b.
  await new Promise((r) => setTimeout(r, 5_000));
  assert.equal((await read()).status?.activeZone, 'zone-b');
  assert.equal((await readClaim(core, ns, claimName))?.spec?.volumeName, bed.standbyPv);
});

test('zone loss with a backup older than maxDataLossSeconds: no promotion, nothing deleted', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const bed = await setup(t, 'fog-zone-refuse');
  const { core, ns } = bed;
  const read = await createGroup(bed, 1);
  cleanupZone(t, core, ns);

  await shutDownTestZone('zone-a');
  const status = await eventually(
    'a DataLossTooLarge condition',
    async () => {
      const s = (await read()).status;
      return s?.conditions?.some((c) => c.type === 'Degraded' && c.reason === 'DataLossTooLarge') === true
        ? s
        : false;
    },
    { timeoutMs: 180_000, intervalMs: 1000 },
  );
  const degraded = status.conditions?.find((c) => c.type === 'Degraded');
  assert.match(degraded?.message ?? '', /maxDataLossSeconds/);
  assert.ok((await eventReasons(core, ns)).includes('PromotionRefused'), 'a PromotionRefused Event');
  // Give it time to do something wrong.
  await new Promise((r) => setTimeout(r, 10_000));
  const claim = await readClaim(core, ns, claimName);
  assert.ok(claim?.metadata !== undefined);
  assert.equal(claim.metadata.uid, bed.oldClaimUid, 'the primary claim is the same object');
  assert.equal(claim.spec?.volumeName, bed.oldPv);
  assert.equal(claim.metadata.deletionTimestamp, undefined);
  const standby = await readClaim(core, ns, bed.standbyClaim);
  assert.equal(standby?.spec?.volumeName, bed.standbyPv, 'the standby is untouched');
  assert.equal(standby.metadata?.deletionTimestamp, undefined);
  for (const pv of [bed.oldPv, bed.standbyPv]) await core.readPersistentVolume({ name: pv });
  const sv = await bed.client.get<StatefulVolume>(statefulVolumeType, ns, claimName);
  assert.equal(sv.metadata.annotations?.['storage.stateful.dev/promotion'], undefined, 'no promotion begun');
  assert.equal(sv.status?.promotion, undefined, 'no promotion record taken');
  assert.equal((await read()).status?.promotions, undefined, 'no promotion recorded');
  assert.notEqual((await read()).status?.lastFailover?.reason, 'ZoneFailure');

  await restoreAndCheckTaints(core);
  await eventually(
    'the refusal cleared once zone-a is back',
    async () =>
      (await read()).status?.conditions?.some(
        (c) => c.type === 'Degraded' && c.reason === 'DataLossTooLarge',
      ) !== true,
    { timeoutMs: 120_000 },
  );
});

test('zone loss without a standby: a volume is restored in zone-b from the newest backup and promoted', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const bed = await setup(t, 'fog-zone-restore', { standby: false });
  const { core, ns } = bed;
  const read = await createGroup(bed, 3600);
  cleanupZone(t, core, ns);

  await shutDownTestZone('zone-a');
  await eventually(
    'db-0 Running in zone-b',
    async () => {
      const pod = await runningDbPod(core, ns);
      return pod !== false && (await zoneOfNode(core, pod.spec?.nodeName ?? '')) === 'zone-b' ? pod : false;
    },
    { timeoutMs: 240_000, intervalMs: 1000 },
  );
  await assertPromotedClaim(bed);
  const claim = await readClaim(core, ns, claimName);
  assert.equal(claim?.metadata?.annotations?.['storage.stateful.dev/promoted-from-backup'], 'before-loss');
  assertTimeline(await waitFailedOver(t, read));
  const reasons = await eventReasons(core, ns);
  for (const r of ['RestoringFromBackup', 'ZoneLost', 'StandbyPromoted', 'FailoverComplete'])
    assert.ok(reasons.includes(r), `a ${r} Event (have ${reasons.join(', ')})`);

  await restoreAndCheckTaints(core);
  const old = await core.readPersistentVolume({ name: bed.oldPv });
  assert.equal(old.spec?.persistentVolumeReclaimPolicy, 'Retain', 'the old primary’s volume is kept');
});

test('zone loss with Manual promotion waits for the promote annotation, then promotes', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const bed = await setup(t, 'fog-zone-manual');
  const { core, ns, client } = bed;
  const read = await createGroup(bed, 3600, 'Manual');
  cleanupZone(t, core, ns);

  await shutDownTestZone('zone-a');
  await eventually(
    'a ManualPromotion condition',
    async () =>
      (await read()).status?.conditions?.some(
        (c) => c.type === 'Degraded' && c.reason === 'ManualPromotion',
      ) === true,
    { timeoutMs: 180_000, intervalMs: 1000 },
  );
  await new Promise((r) => setTimeout(r, 5_000));
  assert.equal(
    (await readClaim(core, ns, claimName))?.metadata?.uid,
    bed.oldClaimUid,
    'nothing promoted yet',
  );

  await client.patch(failoverGroupType, ns, 'db', {
    metadata: { annotations: { 'storage.stateful.dev/promote': 'zone-b' } },
  });
  await eventually(
    'db-0 Running in zone-b',
    async () => {
      const pod = await runningDbPod(core, ns);
      return pod !== false && (await zoneOfNode(core, pod.spec?.nodeName ?? '')) === 'zone-b' ? pod : false;
    },
    { timeoutMs: 180_000, intervalMs: 1000 },
  );
  await assertPromotedClaim(bed);
  assertTimeline(await waitFailedOver(t, read));
  await eventually(
    'the promote annotation taken off once met',
    async () => (await read()).metadata.annotations?.['storage.stateful.dev/promote'] === undefined,
    { timeoutMs: 30_000 },
  );
  await restoreAndCheckTaints(core);
});

/** On failure: the claims, their volumes' zones, the backups and the volume's promotion, to see where it stopped. */
async function dumpVolumes(t: TestContext, bed: Bed): Promise<void> {
  const { core, ns } = bed;
  for (const c of (await core.listNamespacedPersistentVolumeClaim({ namespace: ns })).items) {
    const pv = c.spec?.volumeName;
    t.diagnostic(
      `claim ${c.metadata?.name ?? ''} ${c.status?.phase ?? ''} pv=${pv ?? '-'} zone=${pv !== undefined ? ((await pvZone(core, pv)) ?? '?') : '-'} ` +
        `deleting=${String(c.metadata?.deletionTimestamp !== undefined)} labels=${JSON.stringify(c.metadata?.labels)}`,
    );
  }
  for (const b of (await bed.client.list<VolumeBackup>(volumeBackupType, ns)).items)
    t.diagnostic(`backup ${b.metadata.name ?? ''} ${b.status?.phase ?? '-'}`);
  const sv = await bed.client.get<StatefulVolume>(statefulVolumeType, ns, claimName);
  t.diagnostic(
    `volume promotion ${JSON.stringify(sv.status?.promotion)} replicas ${JSON.stringify(sv.status?.replicas)}`,
  );
}

async function podZone(core: CoreV1Api, ns: string): Promise<string | false> {
  const pod = await runningDbPod(core, ns);
  return pod === false ? false : ((await zoneOfNode(core, pod.spec?.nodeName ?? '')) ?? false);
}

test('failback Automatic: once zone-a is back, a fresh backup moves the group home with the bytes written in zone-b', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const bed = await setup(t, 'fog-failback');
  const { core, ns } = bed;
  const read = await createGroup(bed, 3600, 'Automatic', { failback: 'Automatic', failbackDelaySeconds: 5 });
  cleanupZone(t, core, ns);

  await shutDownTestZone('zone-a');
  await eventually('db-0 Running in zone-b', async () => (await podZone(core, ns)) === 'zone-b', {
    timeoutMs: 240_000,
    intervalMs: 1000,
  });
  await waitFailedOver(t, read);
  // What the workload wrote while in zone-b must come home with it.
  const writtenInB = await writeRandomBytes(bed.kc, ns, claimName, 2 * MiB);

  await restoreAndCheckTaints(core);
  const backAt = Date.now();
  let seen: FailoverGroup['status'];
  try {
    seen = await eventually(
      'the group Healthy in zone-a after a failback',
      async () => {
        const s = (await read()).status;
        seen = s;
        const back = s?.lastFailover?.reason === 'Failback' && s.lastFailover.completedAt !== undefined;
        return back && s.phase === 'Healthy' && s.activeZone === 'zone-a' ? s : false;
      },
      { timeoutMs: 300_000, intervalMs: 1000 },
    );
  } catch (err) {
    t.diagnostic(`last status: ${JSON.stringify(seen)}`);
    await dumpVolumes(t, bed);
    throw err;
  }
  const last = seen.lastFailover;
  assert.equal(last?.fromZone, 'zone-b');
  assert.equal(last.toZone, 'zone-a');
  assert.ok((last.dataLossWindowSeconds ?? -1) >= 0, 'a data loss window');
  assert.equal(seen.history?.at(-1)?.reason, 'ZoneFailure', 'the zone failover stays in the history');
  assert.equal(await podZone(core, ns), 'zone-a');
  const claim = await readClaim(core, ns, claimName);
  assert.equal(await pvZone(core, claim?.spec?.volumeName ?? ''), 'zone-a');
  assert.notEqual(claim?.spec?.volumeName, bed.oldPv, 'a fresh copy, not the stale volume zone-a had');
  assert.equal(await readChecksum(bed.kc, ns, claimName), writtenInB, 'the bytes written in zone-b');
  const backups = await bed.client.list<VolumeBackup>(volumeBackupType, ns);
  assert.ok(
    backups.items.some((b) => b.metadata.labels?.['storage.stateful.dev/failover-group'] === 'db'),
    'the fresh backup is kept as a VolumeBackup',
  );
  const reasons = await eventReasons(core, ns);
  assert.ok(reasons.includes('FailbackStarted'), `a FailbackStarted Event (have ${reasons.join(', ')})`);
  for (const node of [...nodesOfZone('zone-a'), ...nodesOfZone('zone-b')]) {
    const n = await core.readNode({ name: node });
    assert.ok(
      !(n.spec?.taints ?? []).some((x) => x.key === outOfServiceTaint.key),
      `no taint left on ${node}`,
    );
  }
  t.diagnostic(
    `failback done ${((Date.now() - backAt) / 1000).toFixed(1)} s after zone-a came back; recoverySeconds ` +
      `${String(last.recoverySeconds)}, dataLossWindowSeconds ${String(last.dataLossWindowSeconds)}`,
  );
});
