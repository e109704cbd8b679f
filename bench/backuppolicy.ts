// N StatefulVolumes on one VolumeBackupPolicy with the real operator process:
// seconds from the tick to each VolumeBackup's and each VolumeSnapshot's
// creation (p50, p99; the policy spreads creations with its global rate limit
// and the snapshots wait for one of --backup-max-in-flight slots, both on
// purpose), seconds from the tick until every backup of the run is Ready, and
// the operator's peak RSS. The schedule is daily at a minute a little ahead, so exactly one
// tick falls into the measurement: a minutely schedule's next tick would
// supersede a run that the rate limit has not finished.
//
// It also counts the operator's API writes of the run from the API server's
// audit log (by its user agent, from the tick until the policy reports the run
// finished), split by verb and resource, with the policy's status writes
// apart, and the operator process's CPU time from the tick until every backup
// is Ready (utime + stime of /proc/<pid>/stat).
//
//   npx tsx bench/backuppolicy.ts [--volumes 1000] [--compiled] [--lead 90] [--storage-qps 5]
//                                 [--baseline <git revision>]
//
// --baseline runs the same measurement first with the operator of another
// revision (the merge-base with main when given as "merge-base"), built in a
// temporary git worktree under /tmp, then with this checkout, on the same
// cluster, and prints both side by side.
//
// Starts its own storage cluster unless SVO_CLUSTER_RUN names one; --storage-qps
// sets the client rate limit of that cluster's CSI sidecars and snapshot
// controller (upstream default 5, burst twice that). At 5 QPS the snapshot
// controller spends about two seconds of its budget per snapshot, which is
// what bounds the time to all Ready, not the operator.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type {
  StatefulVolume,
  VolumeBackup,
  VolumeBackupPolicy,
} from '../src/api/v1alpha1/types.generated.js';
import { statefulVolumeType, volumeBackupPolicyType, volumeBackupType } from '../src/controllers/kinds.js';
import { annotations } from '../src/api/v1alpha1/vocabulary.js';
import { KubeClient } from '../src/kube/client.js';
import { down, up } from '../test/cluster/cluster.js';
import { repoRoot } from '../test/cluster/layout.js';
import { auditedWrites } from '../test/support/audit.js';
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
  countWrites,
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

/** The operator's writes of one run, from the audit log. */
interface Writes {
  total: number;
  perBackup: number;
  /** By verb and resource, e.g. "update volumebackups/status". */
  byResource: Record<string, number>;
  /** Writes of the policy's status during the run. */
  policyStatus: number;
}

interface Result {
  benchmark: 'backuppolicy';
  date: string;
  /** Which operator ran: this checkout, or the baseline revision. */
  operator: { variant: 'current' | 'baseline'; revision: string };
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
  writes: Writes;
  /** The operator process's CPU time from the tick until every backup was seen Ready. */
  operatorCpuSeconds: { total: number; perBackup: number };
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
  b.metadata.annotations?.[annotations.scheduledTime] === tick.toISOString().replace(/\.\d{3}Z$/, 'Z');

async function runBackups(client: KubeClient, ns: string, tick: Date): Promise<VolumeBackup[]> {
  return (await client.list<VolumeBackup>(volumeBackupType, ns)).items.filter(ofRun(tick));
}

const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  // The command name may hold spaces; the fields after it are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

async function sleepUntil(t: Date): Promise<void> {
  const ms = t.getTime() - Date.now();
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until the policy's status says the run finished, as a person would read it. */
async function waitRunRecorded(client: KubeClient, ns: string, tick: Date): Promise<void> {
  const run = tick.toISOString().replace(/\.\d{3}Z$/, 'Z');
  await until(
    'the policy to record the run as finished',
    async () => {
      const p = await client.get<VolumeBackupPolicy>(volumeBackupPolicyType, ns, policyName);
      return p.status?.lastSuccessfulTime === run;
    },
    10 * 60_000,
    1_000,
  );
}

/** Only the namespace of the run: tests on the same cluster run operators with the same user agent. */
function writesOf(runDir: string, ns: string, n: number, from: Date, to: Date): Writes {
  const all = auditedWrites(runDir, 'stateful-volume-operator/', from).filter(
    (w) => new Date(w.at) <= to && w.namespace === ns,
  );
  const byResource = countWrites(all);
  const policyStatus = all.filter((w) => w.resource === 'volumebackuppolicies/status').length;
  return { total: all.length, perBackup: all.length / n, byResource, policyStatus };
}

async function measureRun(
  kc: KubeConfig,
  client: KubeClient,
  { ns, n, tick, pid }: { ns: string; n: number; tick: Date; pid: number },
): Promise<
  Pick<
    Result,
    | 'backupCreatedAfterTickSeconds'
    | 'snapshotCreatedAfterTickSeconds'
    | 'allReadyAfterTickSeconds'
    | 'operatorCpuSeconds'
  >
> {
  await sleepUntil(tick);
  const cpuAtTick = cpuSeconds(pid);
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
  const cpu = cpuSeconds(pid) - cpuAtTick;
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
    operatorCpuSeconds: { total: cpu, perBackup: cpu / n },
  };
}

function rows(r: Result): [string, string][] {
  const shown = (s: Spread): string =>
    `p50 ${s.p50.toFixed(1)} s, p99 ${s.p99.toFixed(1)} s, max ${s.max.toFixed(1)} s`;
  return [
    ['operator', `${r.operator.variant} (${r.operator.revision})`],
    ['volumes on one policy', String(r.volumes)],
    ['VolumeBackup created after the tick', shown(r.backupCreatedAfterTickSeconds)],
    ['VolumeSnapshot created after the tick', shown(r.snapshotCreatedAfterTickSeconds)],
    ['every backup of the run Ready after the tick', `${r.allReadyAfterTickSeconds.toFixed(1)} s`],
    [
      'operator RSS peak / end',
      `${r.operatorRssMiB.peak.toFixed(0)} MiB / ${r.operatorRssMiB.end.toFixed(0)} MiB (${r.runtime})`,
    ],
    [
      'operator CPU, tick to all Ready',
      `${r.operatorCpuSeconds.total.toFixed(1)} s (${r.operatorCpuSeconds.perBackup.toFixed(3)} s per backup)`,
    ],
    ['operator writes of the run', `${String(r.writes.total)} (${r.writes.perBackup.toFixed(2)} per backup)`],
    ['policy status writes of the run', String(r.writes.policyStatus)],
    ...Object.entries(r.writes.byResource)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]): [string, string] => [`  ${k}`, String(v)]),
    ...Object.entries(r.storageLimits).map(([k, v]): [string, string] => [`${k} client limits`, v]),
    ['machine', `${String(r.machine.cpus)} CPUs, ${String(r.machine.memoryGiB)} GiB, Node ${r.machine.node}`],
  ];
}

function report(r: Result): Result {
  table(rows(r));
  writeResult('backuppolicy', r);
  return r;
}

/** Baseline and current side by side, row by row; a row only one of them has shows "-" for the other. */
function compare(baseline: Result, current: Result): void {
  const b = new Map(rows(baseline));
  const c = new Map(rows(current));
  const keys = [...new Set([...b.keys(), ...c.keys()])];
  console.log('\nbaseline | current');
  table(keys.map((k): [string, string] => [k, `${b.get(k) ?? '-'} | ${c.get(k) ?? '-'}`]));
}

/** Which operator to run: this checkout, or a baseline built in another worktree. */
interface Variant {
  readonly variant: 'current' | 'baseline';
  readonly revision: string;
  /** The checkout to run the operator from. */
  readonly dir: string;
}

async function measure(
  state: RunState,
  n: number,
  compiled: boolean,
  leadSeconds: number,
  variant: Variant,
): Promise<Result> {
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
    const entry = relative(repoRoot, join(variant.dir, compiled ? 'dist/src/main.js' : 'src/main.ts'));
    operator = await startOperator({
      namespaces: [ns],
      cluster: state.kubeconfig,
      runDir: state.runDir,
      compiled,
      entry,
      onLine: echoProblems,
    });
    await waitReady(operator, 300_000);
    console.log(`creating ${String(n)} StatefulVolumes in ${ns}`);
    await createVolumes(client, ns, n);
    const tick = await createPolicy(client, ns, leadSeconds);
    console.log(`first run at ${tick.toISOString()}`);
    const pid = operator.child.pid ?? -1;
    const run = await measureRun(kc, client, { ns, n, tick, pid });
    await waitRunRecorded(client, ns, tick);
    // Events are written after the status that caused them; give the last ones a moment.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const writes = writesOf(state.runDir, ns, n, new Date(tick.getTime() - 1_000), new Date());
    const end = rssMiB(pid);
    // Reported before the clean-up: deleting a thousand snapshots takes the snapshot controller minutes.
    return report({
      benchmark: 'backuppolicy',
      date: new Date().toISOString(),
      operator: { variant: variant.variant, revision: variant.revision },
      machine: host.finish(),
      runtime: compiled ? 'compiled' : 'tsx',
      volumes: n,
      storageLimits: storageLimitsOf(state),
      tick: tick.toISOString(),
      ...run,
      operatorRssMiB: { peak: Math.max(peak, end.peak), end: end.now },
      writes,
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

function git(args: readonly string[], cwd = repoRoot): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

/**
 * A worktree of the baseline revision under /tmp, with this checkout's
 * node_modules linked in, compiled when the run is. Removed by the caller.
 */
function prepareBaseline(rev: string, compiled: boolean): Variant {
  const revision = rev === 'merge-base' ? git(['merge-base', 'HEAD', 'main']) : git(['rev-parse', rev]);
  const dir = mkdtempSync('/tmp/backup-bench-');
  git(['worktree', 'add', '--detach', dir, revision]);
  symlinkSync(realpathSync(join(repoRoot, 'node_modules')), join(dir, 'node_modules'));
  if (compiled) {
    console.log(`compiling the baseline ${revision.slice(0, 12)} (tsc) in ${dir}`);
    execFileSync(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
      cwd: dir,
      stdio: 'inherit',
    });
  }
  return { variant: 'baseline', revision: revision.slice(0, 12), dir };
}

function removeBaseline(v: Variant): void {
  git(['worktree', 'remove', '--force', v.dir]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      volumes: { type: 'string', default: '1000' },
      compiled: { type: 'boolean', default: false },
      lead: { type: 'string', default: '90' },
      'storage-qps': { type: 'string', default: String(upstreamKubeApiLimits.qps) },
      baseline: { type: 'string' },
    },
  });
  if (values.compiled) compileOperator();
  const current: Variant = {
    variant: 'current',
    revision: `${git(['rev-parse', '--short=12', 'HEAD'])}${git(['status', '--porcelain']) === '' ? '' : '+changes'}`,
    dir: repoRoot,
  };
  const baseline =
    values.baseline !== undefined ? prepareBaseline(values.baseline, values.compiled) : undefined;
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
  const run = (v: Variant): Promise<Result> =>
    measure(state, Number(values.volumes), values.compiled, Number(values.lead), v);
  try {
    if (baseline === undefined) {
      await run(current);
      return;
    }
    const before = await run(baseline);
    const after = await run(current);
    compare(before, after);
  } finally {
    if (external === undefined || external === '') await down(state.runDir);
    if (baseline !== undefined) removeBaseline(baseline);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
