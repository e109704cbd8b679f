// Failure injection works the way the failover tests need it: a failed node
// goes NotReady with its Lease no longer renewed, a failed zone loses every
// node, and both come back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoordinationV1Api, CoreV1Api, type V1Node } from '@kubernetes/client-node';
import { loadTestKubeConfig } from '../../support/kube.js';
import {
  failTestNode,
  failTestZone,
  nodesOfZone,
  requireOwnCluster,
  restoreTestNode,
  restoreTestZone,
} from '../../support/control.js';
import { eventually } from '../../support/wait.js';

function readyStatus(node: V1Node): string {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'missing';
}

test('a failed node becomes NotReady, its Lease stops renewing, and it recovers when restored', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const kc = loadTestKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const leases = kc.makeApiClient(CoordinationV1Api);
  const node = nodesOfZone('zone-b')[0]!;
  t.after(() => restoreTestNode(node));

  await failTestNode(node);
  const failedAt = Date.now();
  await eventually(
    `${node} NotReady`,
    async () => readyStatus(await core.readNode({ name: node })) !== 'True',
    { timeoutMs: 60_000 },
  );
  const detectedSeconds = (Date.now() - failedAt) / 1000;
  const renew = async (): Promise<string> =>
    String((await leases.readNamespacedLease({ name: node, namespace: 'kube-node-lease' })).spec?.renewTime);
  const before = await renew();
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(await renew(), before, 'the Lease of a failed node is not renewed');
  const taints = (await core.readNode({ name: node })).spec?.taints?.map((x) => x.key) ?? [];
  assert.ok(
    taints.includes('node.kubernetes.io/unreachable'),
    `unreachable taint present (got ${taints.join(',')})`,
  );
  t.diagnostic(`node NotReady after ${detectedSeconds.toFixed(1)} s`);

  await restoreTestNode(node);
  await eventually(
    `${node} Ready again`,
    async () => readyStatus(await core.readNode({ name: node })) === 'True',
    {
      timeoutMs: 60_000,
    },
  );
  assert.notEqual(await renew(), before, 'the Lease is renewed again');
});

test('a failed zone loses every node and gets them back', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const core = loadTestKubeConfig().makeApiClient(CoreV1Api);
  const zone = 'zone-c';
  t.after(() => {
    restoreTestZone(zone);
  });
  await failTestZone(zone);
  const zoneNodes = nodesOfZone(zone);
  assert.equal(zoneNodes.length, 2);
  for (const node of zoneNodes) {
    await eventually(
      `${node} NotReady`,
      async () => readyStatus(await core.readNode({ name: node })) !== 'True',
      {
        timeoutMs: 60_000,
      },
    );
  }
  const others = (await core.listNode()).items.filter(
    (n) => n.metadata?.labels?.['topology.kubernetes.io/zone'] !== zone,
  );
  assert.ok(
    others.every((n) => readyStatus(n) === 'True'),
    'nodes of other zones stay Ready',
  );
  restoreTestZone(zone);
  for (const node of zoneNodes) {
    await eventually(
      `${node} Ready`,
      async () => readyStatus(await core.readNode({ name: node })) === 'True',
      {
        timeoutMs: 60_000,
      },
    );
  }
});
