// A node under a StatefulSet pod dies. Without help the pod never comes back
// (the StatefulSet waits for a kubelet that is gone). With a FailoverGroup the
// operator fences the node, the pod is recreated on the other node of the
// zone, its volume reattaches there, and the taint goes when the node returns.
// The operator runs in its default fencing mode (ConfirmedShutdown): the test
// bed confirms each death the way a fencing agent that powered the node off
// would, a second after its Lease went quiet.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { FailoverGroup } from '../../../src/api/v1alpha1/types.generated.js';
import { registerFailoverGroup } from '../../../src/controllers/failovergroup/controller.js';
import { outOfServiceTaint } from '../../../src/controllers/failovergroup/fence.js';
import { failoverGroupType } from '../../../src/controllers/failovergroup/types.js';
import {
  confirmTestShutdown,
  failTestNode,
  requireOwnCluster,
  restoreTestNode,
} from '../../support/control.js';
import { ensureCrds } from '../../support/crds.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { metricValue, startTestManager, clientFor, type RunningManager } from '../../support/operator.js';
import { eventually } from '../../support/wait.js';
import {
  createDbStatefulSet,
  dbVolumeAttachments,
  failoverGroupFor,
  runningDbPod,
} from '../../support/workload.js';

const zoneLabel = 'topology.kubernetes.io/zone';

interface Bed {
  kc: KubeConfig;
  core: CoreV1Api;
  ns: string;
  /** The node db-0 first runs on; restored after the test. */
  node: string;
  client: KubeClient;
  running: RunningManager;
  read: () => Promise<FailoverGroup>;
}

/** StatefulSet db Running, the FailoverGroup controller in this process, and group db over it. */
async function groupOverDb(
  t: TestContext,
  prefix: string,
  spec: Partial<FailoverGroup['spec']> = {},
): Promise<Bed> {
  const kc = loadTestKubeConfig();
  await ensureCrds(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const ns = await createTestNamespace(t, prefix);
  const running = await startTestManager(t, {
    namespaces: [ns],
    register: (mgr) => {
      registerFailoverGroup(mgr, { concurrency: 2 });
    },
  });
  await createDbStatefulSet(kc, ns);
  const first = await eventually('db-0 Running', () => runningDbPod(core, ns), { timeoutMs: 120_000 });
  const node = first.spec?.nodeName ?? '';
  t.after(() => restoreTestNode(node));
  const client = clientFor(t);
  await client.create<FailoverGroup>(failoverGroupType, failoverGroupFor(ns, 5, spec));
  const read = (): Promise<FailoverGroup> => client.get<FailoverGroup>(failoverGroupType, ns, 'db');
  return { kc, core, ns, node, client, running, read };
}

test('a FailoverGroup fences a dead node and its StatefulSet pod runs again in the same zone', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const { kc, core, ns, node, running, read } = await groupOverDb(t, 'fog-node');
  const zone = (await core.readNode({ name: node })).metadata?.labels?.[zoneLabel];
  await eventually('the group Healthy', async () => (await read()).status?.phase === 'Healthy', {
    timeoutMs: 60_000,
  });

  await failTestNode(node);
  const failedAt = Date.now();
  await confirmTestShutdown(node);
  const moved = await eventually(
    'db-0 Running on another node',
    async () => {
      const pod = await runningDbPod(core, ns);
      return pod !== false && pod.spec?.nodeName !== node ? pod : false;
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  const recovered = (Date.now() - failedAt) / 1000;
  const newNode = moved.spec?.nodeName ?? '';
  assert.equal(
    (await core.readNode({ name: newNode })).metadata?.labels?.[zoneLabel],
    zone,
    'same zone as its volume',
  );
  // Running is not recovered: the volume must have followed the pod.
  const attachedAfter = await eventually(
    `db-0's volume attached to ${newNode} and nowhere else`,
    async () => {
      const va = await dbVolumeAttachments(kc, ns);
      return va.attached.length === 1 && va.attached[0] === newNode && va.all.length === 1 ? va : false;
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  assert.deepEqual(attachedAfter.all, [newNode], 'no attachment left on the dead node');
  const taints = (await core.readNode({ name: node })).spec?.taints ?? [];
  assert.ok(
    taints.some((x) => x.key === outOfServiceTaint.key),
    'the dead node is out of service',
  );

  const status = await eventually(
    'the failover recorded as complete',
    async () => {
      const s = (await read()).status;
      return s?.lastFailover?.completedAt !== undefined ? s : false;
    },
    { timeoutMs: 60_000 },
  );
  assert.equal(status.lastFailover?.reason, 'NodeFailure');
  assert.deepEqual(
    Object.keys(status.lastFailover.timeline ?? {}).sort(),
    ['detectedAt', 'fencedAt', 'podsReadyAt', 'podsRescheduledAt', 'volumesAttachedAt'],
    'every step of the recovery is in the timeline',
  );
  assert.equal(status.lastFailover.node, node);
  assert.deepEqual(
    status.fencedNodes?.map((n) => n.name),
    [node],
  );
  t.diagnostic(
    `pod Running on ${newNode} ${recovered.toFixed(1)} s after the node died; ` +
      `recorded recoverySeconds ${String(status.lastFailover.recoverySeconds)}; ` +
      `timeline ${JSON.stringify({ startedAt: status.lastFailover.startedAt, ...status.lastFailover.timeline })}`,
  );
  const metrics = await running.metrics();
  assert.equal(metricValue(metrics, 'stateful_volume_operator_failover_nodes_fenced_total'), 1);
  assert.equal(
    metricValue(metrics, 'stateful_volume_operator_failover_recovery_seconds_count', {
      reason: 'NodeFailure',
    }),
    1,
  );
  const events = await core.listNamespacedEvent({ namespace: ns });
  assert.ok(
    events.items.some((e) => e.reason === 'NodeFenced'),
    'a NodeFenced Event',
  );

  await restoreTestNode(node);
  await eventually(
    'the taint removed once the node is Ready again',
    async () =>
      !((await core.readNode({ name: node })).spec?.taints ?? []).some(
        (x) => x.key === outOfServiceTaint.key,
      ),
    { timeoutMs: 90_000 },
  );
  await eventually(
    'no node listed as fenced',
    async () => ((await read()).status?.fencedNodes ?? []).length === 0,
  );
});

test('a FailoverGroup deleted while its node is fenced lifts its taint and goes; the node stays down', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const { core, ns, node, client, read } = await groupOverDb(t, 'fog-delete');
  const group = await eventually(
    'the group Healthy, with its finalizer',
    async () => {
      const fg = await read();
      return fg.status?.phase === 'Healthy' && (fg.metadata.finalizers ?? []).length > 0 ? fg : false;
    },
    { timeoutMs: 60_000 },
  );
  assert.deepEqual(group.metadata.finalizers, ['storage.stateful.dev/failover-cleanup']);
  const tainted = async (): Promise<boolean> =>
    ((await core.readNode({ name: node })).spec?.taints ?? []).some((x) => x.key === outOfServiceTaint.key);

  await failTestNode(node);
  await confirmTestShutdown(node);
  await eventually('the dead node fenced', tainted, { timeoutMs: 60_000 });
  const readyStatus = async (): Promise<string | undefined> =>
    (await core.readNode({ name: node })).status?.conditions?.find((c) => c.type === 'Ready')?.status;
  await eventually('the node marked not Ready', async () => (await readyStatus()) !== 'True', {
    timeoutMs: 60_000,
  });
  await client.delete(failoverGroupType, ns, 'db');
  await eventually(
    'the group gone',
    async () => (await client.find<FailoverGroup>(failoverGroupType, ns, 'db')) === undefined,
    { timeoutMs: 30_000 },
  );
  assert.equal(await tainted(), false, 'the taint the group added went with it');
  assert.notEqual(
    await readyStatus(),
    'True',
    'the node is still down: the taint went with the group, not the node',
  );
});

test('with action Notify a dead node is told once in a Warning, however many passes see it, and nothing is fenced', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const { core, ns, node, read } = await groupOverDb(t, 'fog-notify', {
    nodeFailure: { detectionSeconds: 5, action: 'Notify' },
  });
  await eventually('the group Healthy', async () => (await read()).status?.phase === 'Healthy', {
    timeoutMs: 60_000,
  });
  await failTestNode(node);
  await confirmTestShutdown(node);
  const nodeFailed = async (): Promise<{ count: number; events: number }> => {
    const events = (await core.listNamespacedEvent({ namespace: ns })).items.filter(
      (e) => e.reason === 'NodeFailed',
    );
    return { events: events.length, count: events.reduce((n, e) => n + (e.count ?? 1), 0) };
  };
  await eventually('a NodeFailed Warning', async () => (await nodeFailed()).events > 0, {
    timeoutMs: 60_000,
  });
  // The group looks at a failed node every few seconds; each look used to repeat the Warning.
  await sleep(20_000);
  assert.deepEqual(await nodeFailed(), { events: 1, count: 1 }, 'one Warning, told once');
  const taints = (await core.readNode({ name: node })).spec?.taints ?? [];
  assert.ok(!taints.some((x) => x.key === outOfServiceTaint.key), 'Notify fences nothing');
  const pod = await core.readNamespacedPod({ namespace: ns, name: 'db-0' });
  assert.equal(pod.spec?.nodeName, node, 'its pod is left where it was, not force-deleted');
});
