// What node fencing has to undo: a volume in use on a node that dies stays
// attached there, even after its pod is force-deleted, until the node is
// marked out of service. This holds only because the test bed reports
// node.status.volumesInUse the way kubelets do (test/csi/volumes-in-use.ts);
// without it the attach/detach controller would detach at once and a
// failover test could pass without fencing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, PatchStrategy, setHeaderOptions, StorageV1Api } from '@kubernetes/client-node';
import { createClaim, createPodOn, waitBound, waitPodRunning } from '../../support/claims.js';
import { failTestNode, requireOwnCluster, restoreTestNode } from '../../support/control.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';
import { eventually } from '../../support/wait.js';

const outOfService = { key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' };

test('a volume stays attached to a failed node until the node is marked out of service', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const kc = loadTestKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const storage = kc.makeApiClient(StorageV1Api);
  const ns = await createTestNamespace(t, 'fence');
  const node = 'kwok-zone-b-2';
  const setTaints = async (taints: (typeof outOfService)[] | null): Promise<void> => {
    await core.patchNode(
      { name: node, body: { spec: { taints } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  };
  t.after(async () => {
    await setTaints(null).catch(() => undefined);
    await restoreTestNode(node);
  });

  await createClaim(kc, ns, 'data');
  await createPodOn(kc, ns, 'app', node, ['data']);
  const { volume } = await waitBound(kc, ns, 'data');
  await waitPodRunning(kc, ns, 'app');
  const pvName = volume.metadata?.name ?? '';
  const attachment = async (): Promise<boolean> =>
    (await storage.listVolumeAttachment()).items.some(
      (a) => a.spec.source.persistentVolumeName === pvName && a.status?.attached === true,
    );
  await eventually('the volume to be attached', attachment);
  await eventually(
    'the volume to be reported in use',
    async () => ((await core.readNode({ name: node })).status?.volumesInUse ?? []).length > 0,
  );

  await failTestNode(node);
  await eventually(
    `${node} NotReady`,
    async () => {
      const n = await core.readNode({ name: node });
      return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status !== 'True') ?? false;
    },
    { timeoutMs: 60_000 },
  );
  await core.deleteNamespacedPod({ namespace: ns, name: 'app', gracePeriodSeconds: 0 });
  // Several attach/detach reconcile periods (5 s with fast timings) pass
  // without a detach: the dead kubelet never reported the unmount.
  await sleep(20_000);
  assert.ok(await attachment(), 'still attached to the failed node after its pod was force-deleted');

  await setTaints([outOfService]);
  const fencedAt = Date.now();
  await eventually(
    'the VolumeAttachment to go once the node is out of service',
    async () => !(await attachment()),
    {
      timeoutMs: 60_000,
    },
  );
  t.diagnostic(`detached ${((Date.now() - fencedAt) / 1000).toFixed(1)} s after the out-of-service taint`);
});
