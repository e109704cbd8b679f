// N StatefulVolumes on one VolumeBackupPolicy with the real operator process:
// seconds from the tick to each VolumeBackup's and each VolumeSnapshot's
// creation (p50, p99; the policy spreads creations with its global rate limit
// and the snapshots wait for one of --backup-max-in-flight slots, both on
// purpose), seconds from the tick until every backup of the run is Ready, and
// the operator's peak RSS. The schedule is daily at a minute a little ahead, so exactly one
// tick falls into the measurement: a minutely schedule's next tick would
// supersede a run that the rate limit has not finished.
//
//   npx tsx bench/backuppolicy.ts [--volumes 1000] [--compiled] [--lead 90] [--storage-qps 5]
//
// Starts its own storage cluster unless SVO_CLUSTER_RUN names one; --storage-qps
// sets the client rate limit of that cluster's CSI sidecars and snapshot
// controller (upstream default 5, burst twice that). At 5 QPS the snapshot
// controller spends about two seconds of its budget per snapshot, which is
// what bounds the time to all Ready, not the operator.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type {
  StatefulVolume,
  VolumeBackup,
  VolumeBackupPolicy,
} from '../src/api/v1alpha1/types.generated.js';
import { statefulVolumeType, volumeBackupPolicyType, volumeBackupType } from '../src/controllers/kinds.js';
import { backupAnnotations } from '../src/controllers/volumebackuppolicy/types.js';
import { KubeClient } from '../src/kube/client.js';
import { down, up } from '../test/cluster/cluster.js';
import { upstreamKubeApiLimits } from '../test/cluster/components.js';
import { readState, type RunState } from '../test/cluster/processes.js';
import { immediateStorageClassName, listSnapshots, snapshotClassName } from '../test/support/claims.js';
import { ensureCrds } from '../test/support/crds.js';
import { releaseLeftovers } from '../test/support/kube.js';
import {
  echoProblems,
  startOperator,
  stopOperator,
  waitReady,
  type OperatorProcess,
} from '../test/support/operator-process.js';
import {
  compileOperator,
  freshNamespace,
  machine,
  type Machine,
  percentile,
  pool,
  rssMiB,
  storageLimitsOf,
  table,
  until,
  writeResult,
} from './lib.js';

const policyName = 'daily';

interface Spread {
  p50: number;
  p99: number;
  max: number;
}

/** Seconds after the tick, from creation timestamps. */
function spread(tick: Date, created: readonly (string | undefined)[]): Spread {
  const s = created.map((c) => (Date.parse(c ?? '') - tick.getTime()) / 1000).sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1) ?? NaN };
}

interface Result {
  benchmark: 'backuppolicy';
  date: string;
  machine: Machine;
  runtime: 'tsx' | 'compiled';
  volumes: number;
  /** The storage components' client rate limits, from the run's recorded arguments. */
  storageLimits: Record<string, string>;
  tick: string;
  /** The policy's side: its global creation rate limit spreads these on purpose. */
  backupCreatedAfterTickSeconds: Spread;
  /** The VolumeBackup controller's side: at most --backup-max-in-flight snapshots in progress. */
  snapshotCreatedAfterTickSeconds: Spread;
  allReadyAfterTickSeconds: number;
  operatorRssMiB: { peak: number; end: number };
}

async function createVolumes(client: KubeClient, ns: string, n: number): Promise<void> {
  await pool([...Array(n).keys()], 20, (i) =>
    client.create<StatefulVolume>(statefulVolumeType, {
      apiVersion: 'storage.stateful.dev/v1alpha1',
      kind: 'StatefulVolume',
      metadata: { name: `v-${String(i)}`, namespace: ns, labels: { bench: 'backups' } },
      spec: { size: '64Mi', storageClassName: immediateStorageClassName },
    }),
  );
  await until(
    `${String(n)} volumes Ready`,
    async () =>
      (await client.list<StatefulVolume>(statefulVolumeType, ns)).items.filter(
        (v) => v.status?.phase === 'Ready',
      ).length === n,
    60 * 60_000,
    2_000,
  );
}

/** A daily UTC schedule whose tick is the first whole minute at least leadSeconds ahead. */
function dailyScheduleAhead(now: Date, leadSeconds: number): { schedule: string; tick: Date } {
  const tick = new Date(Math.ceil((now.getTime() + leadSeconds * 1000) / 60_000) * 60_000);
  return { schedule: `${String(tick.getUTCMinutes())} ${String(tick.getUTCHours())} * * *`, tick };
}

async function createPolicy(client: KubeClient, ns: string, leadSeconds: number): Promise<Date> {
  const { schedule, tick: expected } = dailyScheduleAhead(new Date(), leadSeconds);
  await client.create<VolumeBackupPolicy>(volumeBackupPolicyType, {
    apiVersion: 'storage.stateful.dev/v1alpha1',
    kind: 'VolumeBackupPolicy',
    metadata: { name: policyName, namespace: ns },
    spec: {
      schedule,
      selector: { matchLabels: { bench: 'backups' } },
      volumeSnapshotClassName: snapshotClassName,
      startingDeadlineSeconds: 600,
      retention: { keepLast: 5 },
    },
  });
  let tick: Date | undefined;
  await until(
    'the policy to announce its first run',
    async () => {
      const p = await client.get<VolumeBackupPolicy>(volumeBackupPolicyType, ns, policyName);
      const next = p.status?.nextScheduleTime;
      if (next !== undefined) tick = new Date(next);
      return tick !== undefined;
    },
    120_000,
  );
  if (tick?.getTime() !== expected.getTime())
    throw new Error(
      `the policy announced ${String(tick?.toISOString())}, expected ${expected.toISOString()}`,
    );
  return expected;
}

const ofRun = (tick: Date) => (b: VolumeBackup) =>
  b.metadata.annotations?.[backupAnnotations.scheduledTime] === tick.toISOString().replace(/\.\d{3}Z$/, 'Z');

async function runBackups(client: KubeClient, ns: string, tick: Date): Promise<VolumeBackup[]> {
  return (await client.list<VolumeBackup>(volumeBackupType, ns)).items.filter(ofRun(tick));
}

async function measureRun(
  kc: KubeConfig,
  client: KubeClient,
  ns: string,
  n: number,
  tick: Date,
): Promise<
  Pick<
    Result,
    'backupCreatedAfterTickSeconds' | 'snapshotCreatedAfterTickSeconds' | 'allReadyAfterTickSeconds'
  >
> {
  await until(
    'every backup of the run created',
    async () => (await runBackups(client, ns, tick)).length >= n,
    60 * 60_000,
    1_000,
  );
  let ready: VolumeBackup[] = [];
  await until(
    'every backup of the run Ready',
    async () => {
      ready = (await runBackups(client, ns, tick)).filter((b) => b.status?.phase === 'Ready');
      return ready.length >= n;
    },
    60 * 60_000,
    2_000,
  );
  const backups = await runBackups(client, ns, tick);
  const names = new Set(backups.map((b) => b.status?.volumeSnapshotName ?? b.metadata.name));
  const snapshots = (await listSnapshots(kc, ns)).filter((s) => names.has(s.metadata?.name));
  const lastReady = Math.max(...ready.map((b) => Date.parse(b.status?.readyAt ?? '')));
  return {
    backupCreatedAfterTickSeconds: spread(
      tick,
      backups.map((b) => b.metadata.creationTimestamp),
    ),
    snapshotCreatedAfterTickSeconds: spread(
      tick,
      snapshots.map((s) => (s.metadata as { creationTimestamp?: string } | undefined)?.creationTimestamp),
    ),
    allReadyAfterTickSeconds: (lastReady - tick.getTime()) / 1000,
  };
}

function report(r: Result): Result {
  const shown = (s: Spread): string =>
    `p50 ${s.p50.toFixed(1)} s, p99 ${s.p99.toFixed(1)} s, max ${s.max.toFixed(1)} s`;
  table([
    ['volumes on one policy', String(r.volumes)],
    ['VolumeBackup created after the tick', shown(r.backupCreatedAfterTickSeconds)],
    ['VolumeSnapshot created after the tick', shown(r.snapshotCreatedAfterTickSeconds)],
    ['every backup of the run Ready after the tick', `${r.allReadyAfterTickSeconds.toFixed(1)} s`],
    [
      'operator RSS peak / end',
      `${r.operatorRssMiB.peak.toFixed(0)} MiB / ${r.operatorRssMiB.end.toFixed(0)} MiB (${r.runtime})`,
    ],
    ...Object.entries(r.storageLimits).map(([k, v]): [string, string] => [`${k} client limits`, v]),
    ['machine', `${String(r.machine.cpus)} CPUs, ${String(r.machine.memoryGiB)} GiB, Node ${r.machine.node}`],
  ]);
  writeResult('backuppolicy', r);
  return r;
}

async function measure(state: RunState, n: number, compiled: boolean, leadSeconds: number): Promise<Result> {
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  await ensureCrds(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const host = machine();
  const ns = await freshNamespace(core, 'bench-backups');
  const client = new KubeClient(kc, { userAgent: 'svo-bench', qps: 200, burst: 400 });
  let operator: OperatorProcess | undefined;
  let peak = 0;
  const sampler = setInterval(() => {
    const pid = operator?.child.pid;
    if (pid !== undefined && existsSync(`/proc/${String(pid)}/status`))
      peak = Math.max(peak, rssMiB(pid).peak);
  }, 1000);
  try {
    operator = await startOperator({
      namespaces: [ns],
      cluster: state.kubeconfig,
      runDir: state.runDir,
      compiled,
      ...(compiled ? { entry: 'dist/src/main.js' } : {}),
      onLine: echoProblems,
    });
    await waitReady(operator, 300_000);
    console.log(`creating ${String(n)} StatefulVolumes in ${ns}`);
    await createVolumes(client, ns, n);
    const tick = await createPolicy(client, ns, leadSeconds);
    console.log(`first run at ${tick.toISOString()}`);
    const run = await measureRun(kc, client, ns, n, tick);
    const end = rssMiB(operator.child.pid ?? -1);
    // Reported before the clean-up: deleting a thousand snapshots takes the snapshot controller minutes.
    return report({
      benchmark: 'backuppolicy',
      date: new Date().toISOString(),
      machine: host.finish(),
      runtime: compiled ? 'compiled' : 'tsx',
      volumes: n,
      storageLimits: storageLimitsOf(state),
      tick: tick.toISOString(),
      ...run,
      operatorRssMiB: { peak: Math.max(peak, end.peak), end: end.now },
    });
  } finally {
    clearInterval(sampler);
    if (operator !== undefined) await stopOperator(operator);
    client.close();
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
    // The operator is gone, so nobody runs its finalizers; the namespace's claims go with it anyway.
    await releaseLeftovers(ns, kc, 300_000);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      volumes: { type: 'string', default: '1000' },
      compiled: { type: 'boolean', default: false },
      lead: { type: 'string', default: '90' },
      'storage-qps': { type: 'string', default: String(upstreamKubeApiLimits.qps) },
    },
  });
  if (values.compiled) compileOperator();
  const external = process.env.SVO_CLUSTER_RUN;
  const qps = Number(values['storage-qps']);
  const state =
    external !== undefined && external !== ''
      ? readState(external)
      : await up({
          name: `bench-${String(process.pid)}`,
          owner: process.pid,
          storage: true,
          storageApiLimits: { qps, burst: 2 * qps },
        });
  try {
    await measure(state, Number(values.volumes), values.compiled, Number(values.lead));
  } finally {
    if (external === undefined || external === '') await down(state.runDir);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
