// Node-loss recovery: a one-pod StatefulSet with a volume, its node killed
// again and again. Seconds from the kill until the pod runs again on another
// node of the same zone with its volume attached there (a VolumeAttachment
// with status.attached: the simulated kubelet starts pods without waiting for
// it, so Running alone would not prove it), with the FailoverGroup
// controller, and the same scenario without it as the baseline.
//
//   npx tsx bench/failover.ts [--trials 10] [--detection 15] [--timings default|fast] [--baseline-wait 180]
//     [--fencing-mode ConfirmedShutdown|LeaseSilence] [--confirm-after 0]
//
// In ConfirmedShutdown mode (the operator's default) the dead node is
// confirmed shut down the way a fencing agent that powered it off would
// (annotation storage.stateful.dev/shutdown-confirmed-at), --confirm-after
// seconds after the kill plus the second of Lease quiet the test bed waits
// for; when it happened is in each trial's steps (confirmedAt). A
// --baseline-wait of 0 skips the baseline.
//
// Starts its own storage cluster unless SVO_KUBECONFIG and SVO_CLUSTER_RUN
// name one. The controller runs in this process (the same code the operator
// runs); the node is failed the way the test cluster fails nodes: its
// simulated kubelet stops renewing the node's Lease.
import { parseArgs } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { FailoverGroup } from '../src/api/v1alpha1/types.generated.js';
import {
  defaultFencingPolicy,
  fencingModes,
  type FencingMode,
} from '../src/controllers/failovergroup/consent.js';
import { registerFailoverGroup } from '../src/controllers/failovergroup/controller.js';
import { outOfServiceTaint } from '../src/controllers/failovergroup/fence.js';
import { failoverGroupType } from '../src/controllers/failovergroup/types.js';
import { KubeClient } from '../src/kube/client.js';
import { createLogger } from '../src/observability/logger.js';
import { Metrics } from '../src/observability/metrics.js';
import { Manager } from '../src/runtime/manager.js';
import { mintIdentity } from '../test/support/identity.js';
import { down, failNode, restoreNode, up } from '../test/cluster/cluster.js';
import { readState, type RunState } from '../test/cluster/processes.js';
import { confirmShutdown } from '../test/cluster/shutdown.js';
import type { TimingProfile } from '../test/cluster/timings.js';
import { ensureCrds } from '../test/support/crds.js';
import { releaseLeftovers } from '../test/support/kube.js';
import { eventually } from '../test/support/wait.js';
import {
  createDbStatefulSet,
  dbVolumeAttachments,
  failoverGroupFor,
  runningDbPod,
} from '../test/support/workload.js';
import { machine, percentile, writeResult } from './lib.js';

interface Trial {
  node: string;
  seconds: number | null;
  /**
   * Seconds after the kill at which the FailoverGroup's status says each step
   * happened (whole seconds, as the API stores times): where the time goes.
   */
  steps?: Record<string, number>;
}

const stepNames = [
  'detectedAt',
  'fencedAt',
  'podsRescheduledAt',
  'volumesAttachedAt',
  'podsReadyAt',
] as const;

/** The group's newest failover of the node, as offsets from the kill. */
async function stepsOf(
  client: KubeClient,
  ns: string,
  node: string,
  killedAt: number,
): Promise<Record<string, number> | undefined> {
  const fg = await client.get<FailoverGroup>(failoverGroupType, ns, 'db');
  const last = fg.status?.lastFailover;
  if (last?.node !== node) return undefined;
  const out: Record<string, number> = {};
  for (const name of stepNames) {
    const at = last.timeline?.[name];
    if (at !== undefined) out[name] = (Date.parse(at) - killedAt) / 1000;
  }
  return out;
}

async function createWorkload(kc: KubeConfig, ns: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  await createDbStatefulSet(kc, ns);
}

/** db-0 Running on a node other than `dead` with its volume attached there: recovered. */
async function recovered(kc: KubeConfig, core: CoreV1Api, ns: string, dead: string): Promise<boolean> {
  const pod = await runningDbPod(core, ns, dead);
  if (pod === false) return false;
  return (await dbVolumeAttachments(kc, ns)).attached.includes(pod.spec?.nodeName ?? '');
}

interface TrialEnv {
  readonly state: RunState;
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly ns: string;
  /** Reads the FailoverGroup's timeline; absent for the baseline. */
  readonly fg?: KubeClient;
  /** Seconds after the kill at which a fencing agent confirms the shutdown; absent: never. */
  readonly confirmAfter?: number;
}

/** The agent's confirmation, in the background; resolves to its offset from the kill in seconds. */
async function confirmLater(env: TrialEnv, node: string, t0: number): Promise<number | undefined> {
  const after = env.confirmAfter;
  if (after === undefined) return undefined;
  await new Promise((r) => setTimeout(r, after * 1000));
  await confirmShutdown(env.state, node, 'agent');
  return (Date.now() - t0) / 1000;
}

async function trial(env: TrialEnv, waitSeconds: number): Promise<Trial> {
  const { state, kc, core, ns, fg } = env;
  const pod = await eventually('db-0 Running', () => runningDbPod(core, ns, ''), { timeoutMs: 180_000 });
  const node = pod.spec?.nodeName ?? '';
  await failNode(state, node);
  const t0 = Date.now();
  // Caught here: awaited only after the recovery, and a rejection meanwhile would end the process.
  const confirmed = confirmLater(env, node, t0).catch((err: unknown) => {
    console.error(`confirming ${node}'s shutdown failed: ${String(err)}`);
    return undefined;
  });
  let seconds: number | null = null;
  try {
    await eventually(
      'db-0 Running elsewhere, its volume attached there',
      () => recovered(kc, core, ns, node),
      {
        timeoutMs: waitSeconds * 1000,
        intervalMs: 250,
      },
    );
    seconds = (Date.now() - t0) / 1000;
  } catch {
    // Not recovered within the wait: recorded as such.
  }
  // The last steps (attached, Ready) are recorded a pass after the pod runs.
  const steps =
    fg === undefined
      ? undefined
      : await eventually(
          'the failover recorded',
          async () => {
            const got = await stepsOf(fg, ns, node, t0);
            return got?.podsReadyAt !== undefined ? got : undefined;
          },
          { timeoutMs: 60_000 },
        ).catch(() => stepsOf(fg, ns, node, t0));
  const confirmedAt = await confirmed;
  if (steps !== undefined && confirmedAt !== undefined) steps.confirmedAt = confirmedAt;
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
  return { node, seconds, ...(steps !== undefined ? { steps } : {}) };
}

async function withOperator(
  kc: KubeConfig,
  state: RunState,
  trials: number,
  detection: number,
  fencing: { mode: FencingMode; confirmAfter: number },
): Promise<Trial[]> {
  const ns = `bench-fog-${String(Date.now())}`;
  await createWorkload(kc, ns);
  // The controller runs as the operator's shipped ServiceAccount, as installed.
  const identity = await mintIdentity(kc, 'operator', { runDir: state.runDir });
  const client = new KubeClient(identity.kubeconfig, {
    userAgent: 'stateful-volume-operator/bench',
    qps: 50,
    burst: 100,
  });
  const mgr = new Manager({
    client,
    log: createLogger('warn'),
    metrics: new Metrics(),
    component: 'bench',
    namespaces: [ns],
  });
  registerFailoverGroup(mgr, { concurrency: 2, fencing: { ...defaultFencingPolicy, mode: fencing.mode } });
  const stop = new AbortController();
  const running = mgr.run(stop.signal);
  const fgClient = new KubeClient(kc, { userAgent: 'bench', qps: 50, burst: 100 });
  await fgClient.create<FailoverGroup>(failoverGroupType, failoverGroupFor(ns, detection));
  const core = kc.makeApiClient(CoreV1Api);
  const out: Trial[] = [];
  for (let i = 0; i < trials; i++) {
    const confirm = fencing.mode === 'ConfirmedShutdown' ? { confirmAfter: fencing.confirmAfter } : {};
    const t = await trial({ state, kc, core, ns, fg: fgClient, ...confirm }, 180);
    out.push(t);
    const steps = Object.entries(t.steps ?? {})
      .map(([k, v]) => `${k.replace(/At$/, '')} ${v.toFixed(0)}`)
      .join(', ');
    console.log(
      `trial ${String(i + 1)}: ${t.node} -> ${t.seconds === null ? 'not recovered' : `${t.seconds.toFixed(1)} s`}` +
        ` (${steps})`,
    );
  }
  stop.abort();
  await running;
  fgClient.close();
  await core.deleteNamespace({ name: ns });
  // The controller is stopped, so nobody runs the group's finalizer.
  await releaseLeftovers(ns, kc, 60_000);
  return out;
}

async function baseline(kc: KubeConfig, state: RunState, waitSeconds: number): Promise<Trial> {
  const ns = `bench-base-${String(Date.now())}`;
  await createWorkload(kc, ns);
  const core = kc.makeApiClient(CoreV1Api);
  const t = await trial({ state, kc, core, ns }, waitSeconds);
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
      'fencing-mode': { type: 'string', default: 'ConfirmedShutdown' },
      'confirm-after': { type: 'string', default: '0' },
    },
  });
  const mode = values['fencing-mode'] as FencingMode;
  if (!fencingModes.includes(mode) || mode === 'Disabled')
    throw new Error(`--fencing-mode: "${values['fencing-mode']}" must be ConfirmedShutdown or LeaseSilence`);
  const confirmAfter = Number(values['confirm-after']);
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
    const host = machine();
    const trials = await withOperator(kc, state, Number(values.trials), Number(values.detection), {
      mode,
      confirmAfter,
    });
    const wait = Number(values['baseline-wait']);
    const base = wait > 0 ? await baseline(kc, state, wait) : undefined;
    const secs = trials
      .map((t) => t.seconds)
      .filter((s): s is number => s !== null)
      .sort((a, b) => a - b);
    const result = {
      benchmark: 'failover-node-loss',
      date: new Date().toISOString(),
      machine: host.finish(),
      clusterTimings: state.timings,
      detectionSeconds: Number(values.detection),
      fencingMode: mode,
      ...(mode === 'ConfirmedShutdown' ? { confirmAfterSeconds: confirmAfter } : {}),
      trials: trials.length,
      recovered: secs.length,
      seconds: {
        min: secs[0] ?? NaN,
        p50: percentile(secs, 50),
        p95: percentile(secs, 95),
        max: secs.at(-1) ?? NaN,
      },
      ...(base !== undefined ? { baseline: { waitedSeconds: wait, recoveredSeconds: base.seconds } } : {}),
      perTrial: trials,
    };
    console.table(result.seconds);
    writeResult(`failover-${mode}`, result);
  } finally {
    if (external === undefined || external === '') await down(state.runDir);
  }
}

await main();
