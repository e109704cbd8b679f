// What a volume whose claim stays Pending says: the test bed's CSI driver
// refuses multi-writer access modes (as a zonal block-storage driver does), and
// the real external-provisioner reports that only as ProvisioningFailed Events
// on the claim; a claim of a WaitForFirstConsumer class waits for a pod.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test, type TestContext } from 'node:test';
import type { StatefulVolume } from '../../../src/api/v1alpha1/types.generated.js';
import { registerStatefulVolume } from '../../../src/controllers/statefulvolume/controller.js';
import { statefulVolumeType } from '../../../src/controllers/statefulvolume/types.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { coreTypes } from '../../../src/kube/resource.js';
import type { KubeObject } from '../../../src/kube/wire.js';
import { createPodOn, storageClassName } from '../../support/claims.js';
import { statefulVolume } from '../../support/builders.js';
import { loadTestKubeConfig } from '../../support/kube.js';
import { operatorInNamespace } from '../../support/operator.js';
import { eventually } from '../../support/wait.js';

type Event = KubeObject & {
  reason?: string;
  type?: string;
  message?: string;
  count?: number;
  involvedObject?: { kind?: string; name?: string };
};

function setup(t: TestContext, prefix: string): Promise<{ ns: string; client: KubeClient }> {
  return operatorInNamespace(t, prefix, (mgr) => {
    registerStatefulVolume(mgr, { concurrency: 2 });
  });
}

function readyOf(vol: StatefulVolume): { status: string; reason: string; message?: string } | undefined {
  return vol.status?.conditions?.find((c) => c.type === 'Ready');
}

async function volumeEvents(client: KubeClient, ns: string, name: string, reason: string): Promise<Event[]> {
  const list = await client.list<Event>(coreTypes.event, ns);
  return list.items.filter(
    (e) =>
      e.reason === reason && e.involvedObject?.kind === 'StatefulVolume' && e.involvedObject.name === name,
  );
}

test("a claim the provisioner refuses shows the provisioner's reason, with one Warning", async (t) => {
  const { ns, client } = await setup(t, 'sv-refused');
  // The driver serves single-node writers and many readers, never many writers.
  await client.create<StatefulVolume>(
    statefulVolumeType,
    statefulVolume(ns, 'shared', { spec: { accessModes: ['ReadWriteMany'] } }),
  );

  const refused = await eventually(
    'Ready=False with reason ProvisioningFailed',
    async () => {
      const vol = await client.get<StatefulVolume>(statefulVolumeType, ns, 'shared');
      return readyOf(vol)?.reason === 'ProvisioningFailed' ? vol : false;
    },
    { timeoutMs: 90_000 },
  );
  const ready = readyOf(refused);
  assert.equal(ready?.status, 'False');
  assert.match(ready.message ?? '', /claim shared .*MULTI_NODE_MULTI_WRITER is not supported/);
  assert.equal(refused.status?.phase, 'Provisioning');

  const warnings = await eventually('a ProvisioningFailed Warning on the volume', async () => {
    const found = await volumeEvents(client, ns, 'shared', 'ProvisioningFailed');
    return found.length > 0 ? found : false;
  });
  assert.equal(warnings[0]?.type, 'Warning');
  assert.match(warnings[0].message ?? '', /MULTI_NODE_MULTI_WRITER/);
  // The claim stays refused and the Events are read again; the same message is not recorded again.
  await sleep(35_000);
  const later = await volumeEvents(client, ns, 'shared', 'ProvisioningFailed');
  assert.deepEqual(
    later.map((e) => e.count ?? 1),
    [1],
  );
});

test('a volume of a WaitForFirstConsumer class says it waits for its first pod, then binds', async (t) => {
  const { ns, client } = await setup(t, 'sv-wffc');
  await client.create<StatefulVolume>(
    statefulVolumeType,
    statefulVolume(ns, 'lazy', { spec: { storageClassName } }),
  );

  const waiting = await eventually('Ready=False with reason WaitingForFirstConsumer', async () => {
    const vol = await client.get<StatefulVolume>(statefulVolumeType, ns, 'lazy');
    return readyOf(vol)?.reason === 'WaitingForFirstConsumer' ? vol : false;
  });
  assert.match(readyOf(waiting)?.message ?? '', /first pod that mounts it/);
  assert.deepEqual(await volumeEvents(client, ns, 'lazy', 'WaitingForFirstConsumer'), []);

  await createPodOn(loadTestKubeConfig(), ns, 'app', 'kwok-zone-a-1', ['lazy']);
  const bound = await eventually('the volume is Ready once a pod uses it', async () => {
    const vol = await client.get<StatefulVolume>(statefulVolumeType, ns, 'lazy');
    return readyOf(vol)?.status === 'True' ? vol : false;
  });
  assert.equal(bound.status?.primary?.zone, 'zone-a');
});
