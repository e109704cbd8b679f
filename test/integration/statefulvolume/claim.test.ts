// The StatefulVolume controller, run in-process against the test cluster:
// it creates and owns the primary claim, adopts a matching one, and refuses a
// mismatching one with a condition and a Warning Event.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test, type TestContext } from 'node:test';
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { StatefulVolume } from '../../../src/api/v1alpha1/types.generated.js';
import { labels } from '../../../src/api/v1alpha1/vocabulary.js';
import { registerStatefulVolume } from '../../../src/controllers/statefulvolume/controller.js';
import { statefulVolumeType } from '../../../src/controllers/statefulvolume/types.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { coreTypes } from '../../../src/kube/resource.js';
import type { KubeObject, Stored } from '../../../src/kube/wire.js';
import { createClaim, immediateStorageClassName } from '../../support/claims.js';
import { statefulVolume } from '../../support/builders.js';
import { loadTestKubeConfig } from '../../support/kube.js';
import { metricValue, operatorInNamespace, type RunningManager } from '../../support/operator.js';
import { eventually } from '../../support/wait.js';

type Claim = Stored<V1PersistentVolumeClaim>;

/** Volumes as an Argo CD application tracks them; the claims must not take that label on. */
const trackedByArgo = { metadata: { labels: { 'argocd.argoproj.io/instance': 'app' } } };

function setup(
  t: TestContext,
  prefix: string,
): Promise<{ ns: string; client: KubeClient; running: RunningManager }> {
  return operatorInNamespace(t, prefix, (mgr) => {
    registerStatefulVolume(mgr, { concurrency: 2 });
  });
}

function conditionOf(vol: StatefulVolume, type: string): { status: string; reason: string } | undefined {
  return vol.status?.conditions?.find((c) => c.type === type);
}

test('a new StatefulVolume gets an owned, labelled claim and reports it bound', async (t) => {
  const { ns, client } = await setup(t, 'sv-create');
  const created = await client.create<StatefulVolume>(
    statefulVolumeType,
    statefulVolume(ns, 'db', trackedByArgo),
  );

  const ready = await eventually('the volume is Ready', async () => {
    const vol = await client.get<StatefulVolume>(statefulVolumeType, ns, 'db');
    return conditionOf(vol, 'Ready')?.status === 'True' ? vol : false;
  });
  const claim = await client.get<Claim>(coreTypes.persistentVolumeClaim, ns, 'db');
  const owner = claim.metadata.ownerReferences?.[0];
  assert.equal(owner?.uid, created.metadata.uid);
  assert.equal(owner?.controller, true);
  assert.equal(claim.metadata.labels?.[labels.volume], 'db');
  assert.equal(claim.metadata.labels['argocd.argoproj.io/instance'], undefined);
  assert.equal(ready.status?.phase, 'Ready');
  assert.equal(ready.status.claimName, 'db');
  assert.equal(ready.status.capacity, '1Gi');
  assert.equal(ready.status.observedGeneration, ready.metadata.generation);
  assert.equal(conditionOf(ready, 'Provisioned')?.reason, 'ClaimBound');
  assert.deepEqual(created.spec, (await client.get<StatefulVolume>(statefulVolumeType, ns, 'db')).spec);
});

test('a matching claim that already exists is adopted', async (t) => {
  const { ns, client } = await setup(t, 'sv-adopt');
  await createClaim(loadTestKubeConfig(), ns, 'data-db-0', {
    size: '1Gi',
    storageClassName: immediateStorageClassName,
  });
  const vol = await client.create<StatefulVolume>(
    statefulVolumeType,
    statefulVolume(ns, 'data-db-0', trackedByArgo),
  );
  await eventually('the claim is adopted', async () => {
    const claim = await client.get<Claim>(coreTypes.persistentVolumeClaim, ns, 'data-db-0');
    return claim.metadata.ownerReferences?.some((o) => o.uid === vol.metadata.uid) === true;
  });
});

test('a claim of another class is refused with a condition and a Warning Event', async (t) => {
  const { ns, client } = await setup(t, 'sv-refuse');
  await createClaim(loadTestKubeConfig(), ns, 'other');
  await client.create<StatefulVolume>(statefulVolumeType, statefulVolume(ns, 'other', trackedByArgo));

  const refused = await eventually('the volume reports the refusal', async () => {
    const vol = await client.get<StatefulVolume>(statefulVolumeType, ns, 'other');
    return conditionOf(vol, 'Provisioned')?.reason === 'AdoptionRefused' ? vol : false;
  });
  assert.equal(refused.status?.phase, 'Failed');
  assert.equal(conditionOf(refused, 'Ready')?.status, 'False');
  await eventually('an AdoptionRefused Event', async () => {
    const events = await client.list<KubeObject & { reason?: string; type?: string }>(coreTypes.event, ns);
    return events.items.some((e) => e.reason === 'AdoptionRefused' && e.type === 'Warning');
  });
  const claim = await client.get<Claim>(coreTypes.persistentVolumeClaim, ns, 'other');
  assert.equal(claim.metadata.ownerReferences, undefined);
});

async function readyVolume(client: KubeClient, vol: StatefulVolume): Promise<StatefulVolume> {
  const ns = vol.metadata.namespace ?? '';
  const name = vol.metadata.name ?? '';
  await client.create<StatefulVolume>(statefulVolumeType, vol);
  return eventually(`${name} is Ready`, async () => {
    const got = await client.get<StatefulVolume>(statefulVolumeType, ns, name);
    return conditionOf(got, 'Ready')?.status === 'True' ? got : false;
  });
}

test('deleting a Retain volume keeps its claim, released and labelled', async (t) => {
  const { ns, client } = await setup(t, 'sv-retain');
  const vol = await readyVolume(client, statefulVolume(ns, 'keep', trackedByArgo));
  assert.deepEqual(vol.metadata.finalizers, ['storage.stateful.dev/claim-protection']);
  await client.delete(statefulVolumeType, ns, 'keep');

  await eventually('the volume is gone', async () => {
    const gone = await client.find<StatefulVolume>(statefulVolumeType, ns, 'keep');
    return gone === undefined;
  });
  const claim = await client.get<Claim>(coreTypes.persistentVolumeClaim, ns, 'keep');
  assert.equal(claim.metadata.deletionTimestamp, undefined);
  assert.equal(claim.metadata.ownerReferences, undefined);
  assert.equal(claim.metadata.labels?.[labels.released], 'keep');
  assert.equal(claim.status?.phase, 'Bound');
});

test('deleting a Delete volume deletes its claim', async (t) => {
  const { ns, client } = await setup(t, 'sv-delete');
  await readyVolume(
    client,
    statefulVolume(ns, 'drop', { ...trackedByArgo, spec: { reclaimPolicy: 'Delete' } }),
  );
  await client.delete(statefulVolumeType, ns, 'drop');

  await eventually('the claim is gone or going', async () => {
    const claim = await client.find<Claim>(coreTypes.persistentVolumeClaim, ns, 'drop');
    return claim === undefined || claim.metadata.deletionTimestamp !== undefined;
  });
  await eventually('the volume is gone', async () => {
    const gone = await client.find<StatefulVolume>(statefulVolumeType, ns, 'drop');
    return gone === undefined;
  });
});

async function writes(running: RunningManager): Promise<number> {
  const text = await running.metrics();
  return ['POST', 'PUT', 'PATCH', 'DELETE']
    .map((method) => metricValue(text, 'rest_client_requests_total', { method }))
    .reduce((a, b) => a + b, 0);
}

test('a Ready volume costs no more API writes', async (t) => {
  const { ns, client, running } = await setup(t, 'sv-idle');
  await readyVolume(client, statefulVolume(ns, 'idle', trackedByArgo));
  await sleep(1000);
  const before = await writes(running);
  assert.ok(before > 0, 'the metric counts the writes that made the volume');
  // A no-op change of the volume's labels makes the controller reconcile again.
  await client.patch(statefulVolumeType, ns, 'idle', { metadata: { labels: { touched: 'yes' } } });
  await sleep(3000);
  assert.equal(await writes(running), before);
});
