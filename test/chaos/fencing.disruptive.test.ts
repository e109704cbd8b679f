// Fencing taints a whole node out of service, so it must never follow from
// what a tenant can do or from a node that is merely quiet. The real operator
// process, against nodes the test bed breaks:
//
// - a kubelet that restarts (Lease silent for 30 s, NotReady, its pods still
//   running) is not fenced in the default mode, not even with a confirmation
//   left on the node from an earlier incident;
// - a tenant's pod pinned by spec.nodeName to another node, plus a Lease pause
//   there, fences nothing, even in LeaseSilence mode (so the rule about pinned
//   pods is what holds, not the shutdown confirmation); the real node of the
//   group then is fenced in that mode;
// - a confirmed shutdown is fenced and recovered, and the taint is lifted when
//   the node returns.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test, type TestContext } from 'node:test';
import { annotations } from '../../src/api/v1alpha1/vocabulary.js';
import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Node,
} from '@kubernetes/client-node';
import type { FailoverGroup } from '../../src/api/v1alpha1/types.generated.js';
import { outOfServiceTaint } from '../../src/controllers/failovergroup/fence.js';
import { failoverGroupType } from '../../src/controllers/failovergroup/types.js';
import type { KubeClient } from '../../src/kube/client.js';
import {
  confirmTestShutdown,
  failTestNode,
  liftTestShutdown,
  requireOwnCluster,
  restartTestKubelet,
  restoreTestNode,
} from '../support/control.js';
import { ensureCrds } from '../support/crds.js';
import { createTestNamespace, loadTestKubeConfig } from '../support/kube.js';
import { scrapeMetrics } from '../support/metrics.js';
import { metricValue, clientFor } from '../support/operator.js';
import {
  echoProblems,
  startOperator,
  stopOperator,
  waitReady,
  type OperatorProcess,
} from '../support/operator-process.js';
import { eventually } from '../support/wait.js';
import {
  createDbStatefulSet,
  dbVolumeAttachments,
  failoverGroupFor,
  runningDbPod,
  zoneOfNode,
} from '../support/workload.js';

interface Bed {
  kc: KubeConfig;
  core: CoreV1Api;
  ns: string;
  client: KubeClient;
  /** The node db-0 runs on. */
  node: string;
  podUid: string;
  read: () => Promise<FailoverGroup>;
  operator: OperatorProcess;
}

/** StatefulSet db Running with its volume attached, group db over it, the operator process watching. */
async function bed(t: TestContext, prefix: string, args: string[]): Promise<Bed> {
  const kc = loadTestKubeConfig();
  await ensureCrds(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const ns = await createTestNamespace(t, prefix);
  const operator = await startOperator({ namespaces: [ns], args, onLine: echoProblems });
  let node = '';
  // One hook, in this order: a taint left by a failed assertion must not outlive the test.
  t.after(async () => {
    await stopOperator(operator);
    if (node !== '') await restoreTestNode(node);
    await releaseTaints(core, `${ns}/db`);
  });
  await waitReady(operator);
  await createDbStatefulSet(kc, ns, { unreachableToleration: 300 });
  const pod = await eventually('db-0 Running', () => runningDbPod(core, ns), { timeoutMs: 120_000 });
  node = pod.spec?.nodeName ?? '';
  await eventually(
    `db-0's volume attached to ${node}`,
    async () => (await dbVolumeAttachments(kc, ns)).attached.includes(node),
    { timeoutMs: 120_000 },
  );
  const client = clientFor(t);
  await client.create<FailoverGroup>(failoverGroupType, failoverGroupFor(ns, 5));
  const read = (): Promise<FailoverGroup> => client.get<FailoverGroup>(failoverGroupType, ns, 'db');
  await eventually('the group Healthy', async () => (await read()).status?.phase === 'Healthy', {
    timeoutMs: 60_000,
  });
  return { kc, core, ns, client, node, podUid: pod.metadata?.uid ?? '', read, operator };
}

/** Removes the out-of-service taints the group added, as its finalizer would have with the operator running. */
async function releaseTaints(core: CoreV1Api, owner: string): Promise<void> {
  for (const n of (await core.listNode()).items) {
    if (n.metadata?.annotations?.[annotations.fencedBy] !== owner) continue;
    await core.patchNode(
      {
        name: n.metadata.name ?? '',
        body: {
          metadata: { annotations: { [annotations.fencedBy]: null } },
          spec: { taints: (n.spec?.taints ?? []).filter((x) => x.key !== outOfServiceTaint.key) },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
}

/** Nodes this group (namespace/name) tainted out of service. */
async function fencedBy(core: CoreV1Api, owner: string): Promise<string[]> {
  return (await core.listNode()).items
    .filter((n) => isOutOfService(n) && n.metadata?.annotations?.[annotations.fencedBy] === owner)
    .map((n) => n.metadata?.name ?? '');
}

const isOutOfService = (n: V1Node): boolean =>
  (n.spec?.taints ?? []).some((x) => x.key === outOfServiceTaint.key);

async function tainted(core: CoreV1Api): Promise<string[]> {
  return (await core.listNode()).items.filter(isOutOfService).map((n) => n.metadata?.name ?? '');
}

async function eventReasons(core: CoreV1Api, ns: string): Promise<string[]> {
  return (await core.listNamespacedEvent({ namespace: ns })).items.map((e) => e.reason ?? '');
}

/** Samples the out-of-service taints the group adds until stopped; any sighting is kept. */
function watchTaints(core: CoreV1Api, owner: string): { stop: () => Promise<string[]> } {
  const seen = new Set<string>();
  const state = { running: true };
  const loop = (async (): Promise<void> => {
    while (state.running) {
      for (const n of await fencedBy(core, owner).catch(() => [])) seen.add(n);
      await sleep(500);
    }
  })();
  return {
    stop: async () => {
      state.running = false;
      await loop;
      return [...seen];
    },
  };
}

test('a kubelet restart (Lease silent 30 s, node alive) is not fenced in the default mode', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  // No --fencing-mode: the default is what is under test.
  const { kc, core, ns, node, podUid, read, operator } = await bed(t, 'fence-kubelet', []);
  // A confirmation from an earlier incident, an hour old: it must not count for this one.
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  await core.patchNode(
    { name: node, body: { metadata: { annotations: { [annotations.shutdownConfirmedAt]: hourAgo } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  t.after(() => liftTestShutdown(node));

  const taints = watchTaints(core, `${ns}/db`);
  const restart = restartTestKubelet(node, 30);
  // The operator did judge the node failed, and said why it does not fence it.
  const refused = await eventually(
    'the group Degraded, awaiting a shutdown confirmation',
    async () => {
      const c = (await read()).status?.conditions?.find((x) => x.type === 'Degraded');
      // Past the Ready check too: the node is NotReady, and the old confirmation is what is refused.
      return c?.reason === 'AwaitingShutdownConfirmation' && (c.message ?? '').includes('earlier incident')
        ? c
        : false;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
  assert.match(refused.message ?? '', new RegExp(`node ${node} is silent`));
  // The alert's gauge counts the node while it waits, and is gone once it no longer does.
  const waiting = { namespace: ns, failovergroup: 'db', reason: 'AwaitingShutdownConfirmation' };
  await eventually('fencing_waiting counts the node', async () => {
    const text = await scrapeMetrics(operator.metricsPort);
    return metricValue(text, 'stateful_volume_operator_failover_fencing_waiting', waiting) === 1;
  });
  const readyDuringPause = (await core.readNode({ name: node })).status?.conditions?.find(
    (c) => c.type === 'Ready',
  )?.status;
  await restart;
  // No longer degraded: the refusal is cleared once the node renews its Lease again. (The phase
  // follows Ready, which also waits for the workload's pods to be Ready again.)
  const after = await eventually(
    'the group no longer Degraded',
    async () => {
      const st = (await read()).status;
      const degraded = st?.conditions?.find((x) => x.type === 'Degraded');
      return degraded?.status === 'False' ? st : false;
    },
    { timeoutMs: 60_000 },
  );
  const ready = after.conditions?.find((x) => x.type === 'Ready');
  t.diagnostic(
    `after the restart: phase ${String(after.phase)}, Ready ${String(ready?.status)} ${String(ready?.reason)}`,
  );

  await eventually('fencing_waiting gone', async () => {
    const text = await scrapeMetrics(operator.metricsPort);
    return !text.includes(`stateful_volume_operator_failover_fencing_waiting{namespace="${ns}"`);
  });
  assert.deepEqual(await taints.stop(), [], 'no node was ever tainted out of service');
  const pod = await runningDbPod(core, ns);
  assert.ok(pod !== false, 'db-0 Running');
  assert.equal(pod.metadata?.uid, podUid, 'db-0 was not deleted');
  assert.equal(pod.spec?.nodeName, node);
  assert.deepEqual((await dbVolumeAttachments(kc, ns)).all, [node], 'its volume stayed attached there');
  const status = (await read()).status;
  assert.equal(status?.lastFailover, undefined, 'no failover recorded');
  assert.equal(status?.fencedNodes, undefined);
  const reasons = await eventReasons(core, ns);
  assert.ok(reasons.includes('AwaitingShutdownConfirmation'), `Warning Event (got ${reasons.join(', ')})`);
  assert.ok(!reasons.includes('NodeFenced'));
  t.diagnostic(`Ready was ${String(readyDuringPause)} during the pause; ${refused.message ?? ''}`);
});

test("a tenant's pod pinned to another node fences nothing there, even on Lease silence alone", async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const { core, ns, node, podUid, read } = await bed(t, 'fence-pinned', ['--fencing-mode=LeaseSilence']);
  const zone = await zoneOfNode(core, node);
  const other = (await core.listNode()).items.find(
    (n) => n.metadata?.labels?.['topology.kubernetes.io/zone'] !== zone,
  );
  const victim = other?.metadata?.name ?? '';
  assert.notEqual(victim, '');
  t.after(() => restoreTestNode(victim));

  const taints = watchTaints(core, `${ns}/db`);
  await failTestNode(victim);
  // Named there by spec.nodeName, skipping the scheduler; no kubelet ever picks it up.
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'pinned', labels: { app: 'db' } },
      spec: {
        nodeName: victim,
        containers: [{ name: 'x', image: 'busybox' }],
        // Not evicted by the node lifecycle controller meanwhile: only a fence could remove it.
        tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }],
      },
    },
  });
  // Far past detectionSeconds (5) and two heartbeats: a group node would have been fenced by now.
  await sleep(20_000);
  assert.deepEqual(await taints.stop(), [], 'no node tainted');
  const status = (await read()).status;
  assert.equal(status?.lastFailover, undefined, 'no failover recorded');
  assert.notEqual(await runningDbPod(core, ns), false, 'db-0 still Running');
  assert.equal((await core.readNamespacedPod({ namespace: ns, name: 'db-0' })).metadata?.uid, podUid);
  const pinned = await core.readNamespacedPod({ namespace: ns, name: 'pinned' });
  assert.equal(pinned.metadata?.deletionTimestamp, undefined, 'the pinned pod was not force-deleted either');
  assert.equal(pinned.status?.startTime, undefined, 'it never ran there');
  await core.deleteNamespacedPod({ namespace: ns, name: 'pinned', gracePeriodSeconds: 0 });

  // The same operator does fence the group's real node on Lease silence alone: the pinned pod's
  // node was spared by the rule about pinned pods, not by a lack of fencing.
  await failTestNode(node);
  await eventually(`${node} fenced`, async () => (await tainted(core)).includes(node), {
    timeoutMs: 60_000,
  });
  assert.deepEqual(await fencedBy(core, `${ns}/db`), [node], `only ${node} is out of service`);
  await eventually(
    'db-0 Running on another node',
    async () => {
      const p = await runningDbPod(core, ns, node);
      return p !== false ? p : false;
    },
    { timeoutMs: 120_000 },
  );
  await restoreTestNode(node);
  await eventually(
    `${node}'s taint lifted once it is back`,
    async () => !(await tainted(core)).includes(node),
    {
      timeoutMs: 90_000,
    },
  );
});

test('a confirmed shutdown is fenced and recovered, and the taint lifted when the node returns', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const { kc, core, ns, node, read } = await bed(t, 'fence-confirmed', []);
  const zone = await zoneOfNode(core, node);

  await failTestNode(node);
  const failedAt = Date.now();
  await confirmTestShutdown(node, 'cloud');
  const confirmedAfter = (Date.now() - failedAt) / 1000;
  const moved = await eventually(
    'db-0 Running on another node',
    async () => {
      const p = await runningDbPod(core, ns, node);
      return p !== false ? p : false;
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  const newNode = moved.spec?.nodeName ?? '';
  assert.equal(await zoneOfNode(core, newNode), zone, 'same zone as its volume');
  await eventually(
    `db-0's volume attached to ${newNode} and nowhere else`,
    async () => {
      const va = await dbVolumeAttachments(kc, ns);
      return va.attached.length === 1 && va.attached[0] === newNode && va.all.length === 1;
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  assert.deepEqual(await fencedBy(core, `${ns}/db`), [node], 'the dead node, and only it, is out of service');
  const status = await eventually(
    'the failover recorded as complete',
    async () => {
      const s = (await read()).status;
      return s?.lastFailover?.completedAt !== undefined ? s : false;
    },
    { timeoutMs: 60_000 },
  );
  assert.equal(status.lastFailover?.node, node);
  const fenced = (await core.listNamespacedEvent({ namespace: ns })).items.find(
    (e) => e.reason === 'NodeFenced',
  );
  assert.match(fenced?.message ?? '', /shut down per the cloud provider's taint/);
  t.diagnostic(
    `confirmed ${confirmedAfter.toFixed(1)} s after the kill; recoverySeconds ` +
      `${String(status.lastFailover.recoverySeconds)}; timeline ${JSON.stringify(status.lastFailover.timeline)}`,
  );

  await restoreTestNode(node);
  await eventually(
    'the out-of-service taint lifted once the node is back',
    async () => !(await tainted(core)).includes(node),
    { timeoutMs: 90_000 },
  );
  await eventually(
    'no node listed as fenced',
    async () => ((await read()).status?.fencedNodes ?? []).length === 0,
  );
});
