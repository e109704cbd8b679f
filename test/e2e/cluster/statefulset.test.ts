// A StatefulSet with a volumeClaimTemplate on the simulated nodes: the real
// scheduler binds each claim to a volume in its zone and spreads the pods over
// zones; KWOK runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, StorageV1Api, type V1Pod } from '@kubernetes/client-node';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';
import { eventually } from '../../support/wait.js';
import { createDbStatefulSet } from '../../support/workload.js';

const zones = ['zone-a', 'zone-b', 'zone-c'];

test('a StatefulSet with a volumeClaimTemplate gets one Running pod per zone, each on a volume of its zone', async (t) => {
  const kc = loadTestKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const storage = kc.makeApiClient(StorageV1Api);
  const ns = await createTestNamespace(t, 'sts');
  const className = `static-${ns}`;
  await storage.createStorageClass({
    body: {
      metadata: { name: className },
      provisioner: 'kubernetes.io/no-provisioner',
      volumeBindingMode: 'WaitForFirstConsumer',
    },
  });
  t.after(() => storage.deleteStorageClass({ name: className }).catch(() => undefined));
  // Static volumes, one per zone, pinned by node affinity like a zonal disk.
  const pvNames = zones.map((z) => `${ns}-${z}`);
  for (const [i, zone] of zones.entries()) {
    await core.createPersistentVolume({
      body: {
        metadata: { name: pvNames[i] },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          storageClassName: className,
          persistentVolumeReclaimPolicy: 'Delete',
          hostPath: { path: `/tmp/${ns}/${zone}` },
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [zone] }],
                },
              ],
            },
          },
        },
      },
    });
  }
  t.after(async () => {
    for (const name of pvNames) await core.deletePersistentVolume({ name }).catch(() => undefined);
  });

  await createDbStatefulSet(kc, ns, { replicas: 3, storageClassName: className, spreadOverZones: true });

  const pods = await eventually(
    'three Running pods',
    async () => {
      const list = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=db' });
      const running = list.items.filter((p) => p.status?.phase === 'Running');
      return running.length === 3 ? running : undefined;
    },
    { timeoutMs: 120_000 },
  );

  const zoneOfNode = new Map<string, string>();
  for (const n of (await core.listNode()).items) {
    zoneOfNode.set(n.metadata?.name ?? '', n.metadata?.labels?.['topology.kubernetes.io/zone'] ?? '');
  }
  const podZone = (p: V1Pod): string => zoneOfNode.get(p.spec?.nodeName ?? '') ?? '';
  assert.deepEqual(pods.map(podZone).sort(), zones);

  for (const pod of pods) {
    const claimName = `data-${pod.metadata?.name ?? ''}`;
    const claim = await core.readNamespacedPersistentVolumeClaim({ namespace: ns, name: claimName });
    assert.equal(claim.status?.phase, 'Bound', `${claimName} is Bound`);
    assert.equal(
      claim.spec?.volumeName,
      `${ns}-${podZone(pod)}`,
      `${claimName} uses the volume of its pod's zone`,
    );
  }
});
