// Node-loss recovery: a one-pod StatefulSet with a volume, its node killed
// again and again. Seconds from the kill until the pod runs again (on another
// node of the same zone, its volume reattached), with the FailoverGroup
// controller, and the same scenario without it as the baseline.
//
//   npx tsx bench/failover.ts [--trials 10] [--detection 15] [--timings default|fast] [--baseline-wait 180]
//
// Starts its own storage cluster unless SVO_KUBECONFIG and SVO_CLUSTER_RUN
// name one. The controller runs in this process (the same code the operator
// runs); the node is failed the way the test cluster fails nodes: its
// simulated kubelet stops renewing the node's Lease.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { failoverGroupResource, type FailoverGroup } from '../src/api/v1alpha1/types.generated.js';
import { registerFailoverGroup } from '../src/controllers/failovergroup/controller.js';
import { outOfServiceTaint } from '../src/controllers/failovergroup/fence.js';
import { failoverGroupType } from '../src/controllers/failovergroup/types.js';
import { KubeClient } from '../src/kube/client.js';
import { createLogger } from '../src/observability/logger.js';
import { Metrics } from '../src/observability/metrics.js';
import { Manager } from '../src/runtime/manager.js';
import { down, failNode, restoreNode, up } from '../test/cluster/cluster.js';
import { repoRoot } from '../test/cluster/layout.js';
import { readState, type RunState } from '../test/cluster/processes.js';
import type { TimingProfile } from '../test/cluster/timings.js';
import { ensureCrds } from '../test/support/crds.js';
import { eventually } from '../test/support/wait.js';
import { createDbStatefulSet, runningDbPod } from '../test/support/workload.js';

interface Trial {
  node: string;
  seconds: number | null;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function createWorkload(kc: KubeConfig, ns: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  await createDbStatefulSet(kc, ns);
}

async function trial(state: RunState, core: CoreV1Api, ns: string, waitSeconds: number): Promise<Trial> {
  const pod = await eventually('db-0 Running', () => runningDbPod(core, ns, ''), { timeoutMs: 180_000 });
  const node = pod.spec?.nodeName ?? '';
  await failNode(state, node);
  const t0 = Date.now();
  let seconds: number | null = null;
  try {
    await eventually('db-0 Running elsewhere', () => runningDbPod(core, ns, node), {
      timeoutMs: waitSeconds * 1000,
      intervalMs: 250,
    });
    seconds = (Date.now() - t0) / 1000;
  } catch {
    // Not recovered within the wait: recorded as such.
  }
  await restoreNode(state, node);
  await eventually(
    `${node} Ready and untainted`,
    async () => {
      const n = await core.readNode({ name: node });
      const ready = n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      return ready && !(n.spec?.taints ?? []).some((x) => x.key === outOfServiceTaint.key);
    },
    { timeoutMs: 180_000 },
  );
  return { node, seconds };
}

async function withOperator(
  kc: KubeConfig,
  state: RunState,
  trials: number,
  detection: number,
): Promise<Trial[]> {
  const ns = `bench-fog-${String(Date.now())}`;
  await createWorkload(kc, ns);
  const client = new KubeClient(kc, { userAgent: 'stateful-volume-operator/bench', qps: 50, burst: 100 });
  const mgr = new Manager({
    client,
    log: createLogger('warn'),
    metrics: new Metrics(),
    component: 'bench',
    namespaces: [ns],
  });
  registerFailoverGroup(mgr, { concurrency: 2 });
  const stop = new AbortController();
  const running = mgr.run(stop.signal);
  const fgClient = new KubeClient(kc, { userAgent: 'bench', qps: 50, burst: 100 });
  await fgClient.create<FailoverGroup>(failoverGroupType, {
    apiVersion: failoverGroupResource.apiVersion,
    kind: 'FailoverGroup',
    metadata: { name: 'db', namespace: ns },
    spec: {
      volumes: { selector: {} },
      workload: { kind: 'StatefulSet', name: 'db' },
      zones: ['zone-a', 'zone-b', 'zone-c'],
      nodeFailure: { detectionSeconds: detection, action: 'Fence' },
    },
  });
  const core = kc.makeApiClient(CoreV1Api);
  const out: Trial[] = [];
  for (let i = 0; i < trials; i++) {
    const t = await trial(state, core, ns, 180);
    out.push(t);
    console.log(
      `trial ${String(i + 1)}: ${t.node} -> ${t.seconds === null ? 'not recovered' : `${t.seconds.toFixed(1)} s`}`,
    );
  }
  stop.abort();
  await running;
  fgClient.close();
  await core.deleteNamespace({ name: ns });
  return out;
}

async function baseline(kc: KubeConfig, state: RunState, waitSeconds: number): Promise<Trial> {
  const ns = `bench-base-${String(Date.now())}`;
  await createWorkload(kc, ns);
  const core = kc.makeApiClient(CoreV1Api);
  const t = await trial(state, core, ns, waitSeconds);
  console.log(
    `baseline: ${t.node} -> ${t.seconds === null ? `not recovered in ${String(waitSeconds)} s` : `${t.seconds.toFixed(1)} s`}`,
  );
  // The StatefulSet pod is stuck Terminating on the restored node's behalf; deleting the namespace clears it.
  await core.deleteNamespace({ name: ns });
  return t;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      trials: { type: 'string', default: '10' },
      detection: { type: 'string', default: '15' },
      timings: { type: 'string', default: 'default' },
      'baseline-wait': { type: 'string', default: '180' },
    },
  });
  const external = process.env.SVO_CLUSTER_RUN;
  const state =
    external !== undefined && external !== ''
      ? readState(external)
      : await up({
          name: `bench-${String(process.pid)}`,
          owner: process.pid,
          storage: true,
          timings: values.timings as TimingProfile,
        });
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(state.kubeconfig);
    await ensureCrds(kc);
    const trials = await withOperator(kc, state, Number(values.trials), Number(values.detection));
    const base = await baseline(kc, state, Number(values['baseline-wait']));
    const secs = trials
      .map((t) => t.seconds)
      .filter((s): s is number => s !== null)
      .sort((a, b) => a - b);
    const result = {
      benchmark: 'failover-node-loss',
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 1024 ** 3), node: process.version },
      clusterTimings: state.timings,
      detectionSeconds: Number(values.detection),
      trials: trials.length,
      recovered: secs.length,
      seconds: {
        min: secs[0] ?? NaN,
        p50: percentile(secs, 50),
        p95: percentile(secs, 95),
        max: secs.at(-1) ?? NaN,
      },
      baseline: { waitedSeconds: Number(values['baseline-wait']), recoveredSeconds: base.seconds },
    };
    console.table(result.seconds);
    console.log(JSON.stringify(result, null, 2));
    const dir = join(repoRoot, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, `failover-${result.date.replace(/[:.]/g, '-')}.json`),
      JSON.stringify(result, null, 2),
    );
  } finally {
    if (external === undefined || external === '') await down(state.runDir);
  }
}

await main();
