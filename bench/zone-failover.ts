// Zone loss and failback, again and again: a one-pod StatefulSet on a
// StatefulVolume with its primary in zone-a and a standby in zone-b refilled
// from a fresh backup before each trial. Zone-a fails; seconds until the pod
// runs in zone-b on the promoted data, and the group's own recoverySeconds
// and dataLossWindowSeconds. Zone-a comes back; seconds until failback
// Automatic has the pod running in zone-a again, with that move's figures.
//
//   npx tsx bench/zone-failover.ts [--trials 5] [--detection 15] [--failback-delay 10]
//
// Starts its own storage cluster unless SVO_CLUSTER_RUN names one. The
// controllers run in this process (the code the operator runs); a zone fails
// the way the test cluster fails zones: its simulated kubelets stop, and a
// fencing agent confirms each of its nodes shut down (the operator's default
// fencing mode waits for that, and for the nodes to be NotReady).
import { parseArgs } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import {
  type FailoverGroup,
  type FailoverRecord,
  type StatefulVolume,
  type VolumeBackup,
} from '../src/api/v1alpha1/types.generated.js';
import { registerFailoverGroup } from '../src/controllers/failovergroup/controller.js';
import { failoverGroupType, statefulVolumeType, volumeBackupType } from '../src/controllers/kinds.js';
import { registerStatefulVolume } from '../src/controllers/statefulvolume/controller.js';
import { registerVolumeBackup } from '../src/controllers/volumebackup/controller.js';
import { KubeClient } from '../src/kube/client.js';
import { createLogger } from '../src/observability/logger.js';
import { Metrics } from '../src/observability/metrics.js';
import { Manager } from '../src/runtime/manager.js';
import { mintIdentity } from '../test/support/identity.js';
import { down, failZone, restoreZone, up } from '../test/cluster/cluster.js';
import { readState, type RunState } from '../test/cluster/processes.js';
import { confirmShutdown } from '../test/cluster/shutdown.js';
import { storageClassName } from '../test/support/claims.js';
import { ensureCrds } from '../test/support/crds.js';
import { releaseLeftovers } from '../test/support/kube.js';
import { eventually } from '../test/support/wait.js';
import {
  createDbStatefulSet,
  dbClaimName,
  failoverGroupFor,
  runningDbPod,
  zoneOfNode,
} from '../test/support/workload.js';
import { type Machine, machine, percentile, table, writeResult } from './lib.js';

interface Options {
  trials: number;
  detection: number;
  failbackDelay: number;
}

interface Move {
  /** Seen from outside: the event (zone down, zone back) until db-0 Running in the other zone. */
  podRunningSeconds: number;
  /** The group's own figures for the move. */
  recoverySeconds?: number;
  dataLossWindowSeconds?: number;
}

interface Trial {
  loss: Move;
  failback: Move;
}

interface Env {
  state: RunState;
  kc: KubeConfig;
  core: CoreV1Api;
  client: KubeClient;
  ns: string;
}

async function podIn(env: Env, zone: string): Promise<boolean> {
  const pod = await runningDbPod(env.core, env.ns);
  return pod !== false && (await zoneOfNode(env.core, pod.spec?.nodeName ?? '')) === zone;
}

const readGroup = (env: Env): Promise<FailoverGroup> =>
  env.client.get<FailoverGroup>(failoverGroupType, env.ns, 'db');

/** A fresh Ready backup, and the standby in zone-b holding it. */
async function refreshStandby(env: Env, i: number): Promise<void> {
  const name = `before-trial-${String(i)}`;
  await env.client.create<VolumeBackup>(volumeBackupType, {
    apiVersion: 'storage.stateful.dev/v1alpha1',
    kind: 'VolumeBackup',
    metadata: { name, namespace: env.ns },
    spec: { volumeName: dbClaimName },
  });
  await eventually(
    `${name} Ready and the zone-b standby refilled from it`,
    async () => {
      const sv = await env.client.get<StatefulVolume>(statefulVolumeType, env.ns, dbClaimName);
      const b = await env.client.get<VolumeBackup>(volumeBackupType, env.ns, name);
      return b.status?.phase === 'Ready' && sv.status?.phase === 'Ready';
    },
    { timeoutMs: 180_000 },
  );
}

async function completed(env: Env, reason: FailoverRecord['reason'], after: number): Promise<FailoverRecord> {
  return eventually(
    `the ${reason ?? ''} failover completed`,
    async () => {
      const last = (await readGroup(env)).status?.lastFailover;
      if (last?.startedAt === undefined || last.reason !== reason || last.completedAt === undefined)
        return false;
      // A zone failover's start is backdated to the zone's first silence; a minute of slack covers it.
      return Date.parse(last.startedAt) >= after - 60_000 ? last : false;
    },
    { timeoutMs: 300_000 },
  );
}

function figures(podRunningSeconds: number, r: FailoverRecord): Move {
  return {
    podRunningSeconds,
    ...(r.recoverySeconds !== undefined ? { recoverySeconds: r.recoverySeconds } : {}),
    ...(r.dataLossWindowSeconds !== undefined ? { dataLossWindowSeconds: r.dataLossWindowSeconds } : {}),
  };
}

async function trial(env: Env, i: number): Promise<Trial> {
  await refreshStandby(env, i);
  await failZone(env.state, 'zone-a');
  const lostAt = Date.now();
  for (const node of env.state.zones['zone-a'] ?? []) await confirmShutdown(env.state, node, 'agent');
  await eventually('db-0 Running in zone-b', () => podIn(env, 'zone-b'), {
    timeoutMs: 300_000,
    intervalMs: 250,
  });
  const running = (Date.now() - lostAt) / 1000;
  const loss = figures(running, await completed(env, 'ZoneFailure', lostAt));
  restoreZone(env.state, 'zone-a');
  const backAt = Date.now();
  await eventually('db-0 Running in zone-a again', () => podIn(env, 'zone-a'), {
    timeoutMs: 600_000,
    intervalMs: 250,
  });
  const home = (Date.now() - backAt) / 1000;
  const failback = figures(home, await completed(env, 'Failback', backAt));
  return { loss, failback };
}

/** The volume, its workload and the group; the controllers already run. */
async function setup(full: Env, opts: Options): Promise<void> {
  const { ns } = full;
  const env = full;
  await env.client.create<StatefulVolume>(statefulVolumeType, {
    apiVersion: 'storage.stateful.dev/v1alpha1',
    kind: 'StatefulVolume',
    metadata: { name: dbClaimName, namespace: ns, labels: { app: 'db' } },
    spec: { size: '1Gi', storageClassName, placement: { replicas: 2, zones: ['zone-a', 'zone-b'] } },
  });
  await eventually(
    'the volume Provisioned in zone-a',
    async () => {
      const sv = await env.client.get<StatefulVolume>(statefulVolumeType, ns, dbClaimName);
      return sv.status?.primary?.zone === 'zone-a';
    },
    { timeoutMs: 120_000 },
  );
  await createDbStatefulSet(env.kc, ns);
  await eventually('db-0 Running in zone-a', () => podIn(full, 'zone-a'), { timeoutMs: 120_000 });
  await env.client.create<FailoverGroup>(
    failoverGroupType,
    failoverGroupFor(ns, opts.detection, {
      volumes: { selector: { matchLabels: { app: 'db' } } },
      zones: ['zone-a', 'zone-b'],
      zoneFailure: { promotion: 'Automatic', maxDataLossSeconds: 3600 },
      failback: 'Automatic',
      failbackDelaySeconds: opts.failbackDelay,
    }),
  );
}

function summary(values: readonly (number | undefined)[]): { p50: number; p95: number; max: number } {
  const sorted = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? NaN };
}

interface Result {
  benchmark: 'zone-failover';
  date: string;
  machine: Machine;
  clusterTimings: RunState['timings'];
  options: Options;
  trials: Trial[];
  summary: Record<string, { p50: number; p95: number; max: number }>;
}

async function measure(state: RunState, opts: Options): Promise<Result> {
  const host = machine();
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  await ensureCrds(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const client = new KubeClient(kc, { userAgent: 'bench', qps: 50, burst: 100 });
  const ns = `bench-zone-${String(Date.now())}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  const env: Env = { state, kc, core, client, ns };
  // The controllers run as the operator's shipped ServiceAccount, as installed.
  const identity = await mintIdentity(kc, 'operator', { runDir: state.runDir });
  const mgr = new Manager({
    client: new KubeClient(identity.kubeconfig, {
      userAgent: 'stateful-volume-operator/bench',
      qps: 50,
      burst: 100,
    }),
    log: createLogger('warn'),
    metrics: new Metrics(),
    component: 'bench',
    namespaces: [env.ns],
  });
  for (const register of [registerStatefulVolume, registerVolumeBackup, registerFailoverGroup])
    register(mgr, { concurrency: 2 });
  const stop = new AbortController();
  const running = mgr.run(stop.signal);
  const trials: Trial[] = [];
  try {
    await setup(env, opts);
    for (let i = 0; i < opts.trials; i++) {
      const t = await trial(env, i);
      trials.push(t);
      console.log(
        `trial ${String(i + 1)}: zone loss ${t.loss.podRunningSeconds.toFixed(1)} s (loss window ` +
          `${String(t.loss.dataLossWindowSeconds)} s), failback ${t.failback.podRunningSeconds.toFixed(1)} s ` +
          `(loss window ${String(t.failback.dataLossWindowSeconds)} s)`,
      );
    }
  } finally {
    restoreZone(state, 'zone-a');
    stop.abort();
    await running;
    client.close();
    await core.deleteNamespace({ name: env.ns }).catch(() => undefined);
    // The controllers are stopped, so nobody runs their finalizers.
    await releaseLeftovers(env.ns, kc, 60_000);
  }
  return {
    benchmark: 'zone-failover',
    date: new Date().toISOString(),
    machine: host.finish(),
    clusterTimings: state.timings,
    options: opts,
    trials,
    summary: {
      'zone loss: pod Running in zone-b (s)': summary(trials.map((t) => t.loss.podRunningSeconds)),
      'zone loss: recoverySeconds': summary(trials.map((t) => t.loss.recoverySeconds)),
      'zone loss: dataLossWindowSeconds': summary(trials.map((t) => t.loss.dataLossWindowSeconds)),
      'failback: pod Running in zone-a after zone-a is back (s)': summary(
        trials.map((t) => t.failback.podRunningSeconds),
      ),
      'failback: recoverySeconds': summary(trials.map((t) => t.failback.recoverySeconds)),
      'failback: dataLossWindowSeconds': summary(trials.map((t) => t.failback.dataLossWindowSeconds)),
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      trials: { type: 'string', default: '5' },
      detection: { type: 'string', default: '15' },
      'failback-delay': { type: 'string', default: '10' },
    },
  });
  const opts: Options = {
    trials: Number(values.trials),
    detection: Number(values.detection),
    failbackDelay: Number(values['failback-delay']),
  };
  const external = process.env.SVO_CLUSTER_RUN;
  const state =
    external !== undefined && external !== ''
      ? readState(external)
      : await up({ name: `bench-${String(process.pid)}`, owner: process.pid, storage: true });
  try {
    const result = await measure(state, opts);
    table(
      Object.entries(result.summary).map(([k, v]): [string, string] => [
        k,
        `p50 ${v.p50.toFixed(1)}  p95 ${v.p95.toFixed(1)}  max ${v.max.toFixed(1)}`,
      ]),
    );
    writeResult('zone-failover', result);
  } finally {
    if (external === undefined || external === '') await down(state.runDir);
  }
}

await main();
