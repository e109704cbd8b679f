// The test bed confirms a node's shutdown the way the outside world does, and
// only for a node it has failed; a simulated kubelet restart leaves the node
// NotReady for a while with nothing confirmed, then it comes back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreV1Api, type V1Node } from '@kubernetes/client-node';
import {
  confirmTestShutdown,
  failTestNode,
  liftTestShutdown,
  nodesOfZone,
  requireOwnCluster,
  restartTestKubelet,
  restoreTestNode,
} from '../../support/control.js';
import { cloudShutdownTaint, shutdownConfirmedAnnotation } from '../../cluster/shutdown.js';
import { annotations } from '../../../src/api/v1alpha1/vocabulary.js';
import { cloudShutdownTaintKey } from '../../../src/controllers/failovergroup/shutdown.js';
import { loadTestKubeConfig } from '../../support/kube.js';
import { eventually } from '../../support/wait.js';

const readyOf = (n: V1Node): string | undefined =>
  n.status?.conditions?.find((c) => c.type === 'Ready')?.status;

test('the test bed writes what the operator reads', () => {
  assert.equal(cloudShutdownTaint.key, cloudShutdownTaintKey);
  assert.equal(shutdownConfirmedAnnotation, annotations.shutdownConfirmedAt);
});

test('a shutdown is confirmed only for a failed node, by annotation or taint, and lifted on restore', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const core = loadTestKubeConfig().makeApiClient(CoreV1Api);
  const node = nodesOfZone('zone-c')[1] ?? '';
  t.after(() => restoreTestNode(node));
  await assert.rejects(confirmTestShutdown(node), /is running/);

  await failTestNode(node);
  const before = Date.now();
  await confirmTestShutdown(node, 'agent');
  await confirmTestShutdown(node, 'cloud');
  const n = await core.readNode({ name: node });
  const at = Date.parse(n.metadata?.annotations?.[shutdownConfirmedAnnotation] ?? '');
  assert.ok(at >= before, 'the annotation holds the time of the confirmation');
  const taint = n.spec?.taints?.find((x) => x.key === cloudShutdownTaint.key);
  assert.equal(taint?.effect, 'NoSchedule');
  assert.equal(taint.timeAdded, undefined, 'as the cloud provider writes it: no timeAdded');

  await liftTestShutdown(node);
  const lifted = await core.readNode({ name: node });
  assert.equal(lifted.metadata?.annotations?.[shutdownConfirmedAnnotation], undefined);
  assert.ok(!(lifted.spec?.taints ?? []).some((x) => x.key === cloudShutdownTaint.key));
  await confirmTestShutdown(node, 'cloud');
  await restoreTestNode(node);
  assert.ok(
    !((await core.readNode({ name: node })).spec?.taints ?? []).some((x) => x.key === cloudShutdownTaint.key),
  );
});

test('a kubelet restart: NotReady while silent, Ready again after, nothing confirmed', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const core = loadTestKubeConfig().makeApiClient(CoreV1Api);
  const node = nodesOfZone('zone-c')[1] ?? '';
  t.after(() => restoreTestNode(node));
  const restart = restartTestKubelet(node, 15);
  await eventually(
    'NotReady during the restart',
    async () => readyOf(await core.readNode({ name: node })) !== 'True',
    {
      timeoutMs: 15_000,
    },
  );
  const n = await core.readNode({ name: node });
  assert.equal(n.metadata?.annotations?.[shutdownConfirmedAnnotation], undefined);
  await restart;
  await eventually('Ready again', async () => readyOf(await core.readNode({ name: node })) === 'True', {
    timeoutMs: 60_000,
  });
});
