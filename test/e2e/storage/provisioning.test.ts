// Dynamic provisioning through the real csi-provisioner, zones through CSI
// topology, and attachment through the real attach/detach controller and
// csi-attacher, all against the test bed's CSI driver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, StorageV1Api } from '@kubernetes/client-node';
import { csiDriverName } from '../../cluster/storage.js';
import { createClaim, createPodOn, waitBound, waitPodRunning, zoneOfVolume } from '../../support/claims.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';
import { eventually } from '../../support/wait.js';

test('a claim on svo-csi is bound to a PV the provisioner made in the zone of the selected node', async (t) => {
  const kc = loadTestKubeConfig();
  const ns = await createTestNamespace(t, 'prov');
  await createClaim(kc, ns, 'data');
  await createPodOn(kc, ns, 'app', 'kwok-zone-b-1', ['data']);

  const { claim, volume } = await waitBound(kc, ns, 'data');
  assert.equal(claim.metadata?.annotations?.['volume.kubernetes.io/selected-node'], 'kwok-zone-b-1');
  assert.equal(volume.metadata?.annotations?.['pv.kubernetes.io/provisioned-by'], csiDriverName);
  assert.equal(volume.spec?.csi?.driver, csiDriverName);
  assert.deepEqual(volume.spec.capacity, { storage: '1Gi' });
  assert.deepEqual(zoneOfVolume(volume), ['zone-b'], 'PV node affinity names the zone of the selected node');
  await waitPodRunning(kc, ns, 'app');
});

test('Immediate binding with allowedTopologies provisions in the allowed zone', async (t) => {
  const kc = loadTestKubeConfig();
  const storage = kc.makeApiClient(StorageV1Api);
  const ns = await createTestNamespace(t, 'topo');
  const className = `zone-c-${ns}`;
  await storage.createStorageClass({
    body: {
      metadata: { name: className },
      provisioner: csiDriverName,
      volumeBindingMode: 'Immediate',
      allowedTopologies: [
        { matchLabelExpressions: [{ key: 'topology.kubernetes.io/zone', values: ['zone-c'] }] },
      ],
    },
  });
  t.after(() => storage.deleteStorageClass({ name: className }).catch(() => undefined));
  await createClaim(kc, ns, 'data', { storageClassName: className });
  const { volume } = await waitBound(kc, ns, 'data');
  assert.deepEqual(zoneOfVolume(volume), ['zone-c']);
});

test('a pod on a node gets its volume attached through a VolumeAttachment, detached when it goes', async (t) => {
  const kc = loadTestKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const storage = kc.makeApiClient(StorageV1Api);
  const ns = await createTestNamespace(t, 'attach');
  const node = 'kwok-zone-a-2';
  await createClaim(kc, ns, 'data');
  await createPodOn(kc, ns, 'app', node, ['data']);
  const { volume } = await waitBound(kc, ns, 'data');
  const pvName = volume.metadata?.name ?? '';
  const unique = `kubernetes.io/csi/${csiDriverName}^${volume.spec?.csi?.volumeHandle ?? ''}`;

  const attachment = await eventually('an attached VolumeAttachment for the PV', async () => {
    const list = await storage.listVolumeAttachment();
    const va = list.items.find((a) => a.spec.source.persistentVolumeName === pvName);
    return va?.status?.attached === true ? va : undefined;
  });
  assert.equal(attachment.spec.attacher, csiDriverName);
  assert.equal(attachment.spec.nodeName, node);
  await eventually('the node to list the volume as attached and in use', async () => {
    const n = await core.readNode({ name: node });
    const attached = (n.status?.volumesAttached ?? []).some((v) => v.name === unique);
    const inUse = (n.status?.volumesInUse ?? []).includes(unique);
    return attached && inUse;
  });

  await core.deleteNamespacedPod({ namespace: ns, name: 'app' });
  await eventually(
    'the VolumeAttachment to be removed after the pod is gone',
    async () => {
      const list = await storage.listVolumeAttachment();
      return !list.items.some((a) => a.spec.source.persistentVolumeName === pvName);
    },
    { timeoutMs: 90_000 },
  );
});
