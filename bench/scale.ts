// The operator started on a namespace that already holds N StatefulVolumes
// (of a StorageClass that does not exist, so each waits with a reason) and N
// VolumeBackups of them, all created while it was down: seconds from the
// process start until /readyz (its caches synced), against the same start on
// an empty namespace; seconds until every object carries a status for its
// generation; the process's peak RSS (VmHWM); and its API writes per minute at
// rest, from the API server's audit log by the process's user agent.
//
//   npx tsx bench/scale.ts [--volumes 10000] [--backups 10000] [--qps 500] [--compiled] [--rest 60]
//
// --compiled runs the operator as the image does (tsc output, no tsx). Starts
// its own storage cluster unless SVO_CLUSTER_RUN names one.
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { StatefulVolume, VolumeBackup } from '../src/api/v1alpha1/types.generated.js';
import { statefulVolumeType, volumeBackupType } from '../src/controllers/kinds.js';
import { KubeClient } from '../src/kube/client.js';
import type { KubeObject } from '../src/kube/wire.js';
import { down, up } from '../test/cluster/cluster.js';
import { readState, type RunState } from '../test/cluster/processes.js';
import { auditedWrites, type AuditedWrite } from '../test/support/audit.js';
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
  pool,
  rssMiB,
  table,
  until,
  writeResult,
} from './lib.js';

const missingClass = 'bench-no-such-class';

interface Options {
  volumes: number;
  backups: number;
  qps: number;
  compiled: boolean;
  restSeconds: number;
}

interface Result {
  benchmark: 'scale';
  date: string;
  machine: Machine;
  runtime: 'tsx' | 'compiled';
  operatorQps: number;
  objects: { volumes: number; backups: number };
  seconds: { readyEmpty: number; readyFull: number; syncCost: number; converged: number };
  writes: { converge: number; byResource: Record<string, number>; atRestPerMinute: number };
  operatorRssMiB: { peak: number; atRest: number; emptyPeak: number };
}

function volumeOf(ns: string, i: number): StatefulVolume {
  return {
    apiVersion: 'storage.stateful.dev/v1alpha1',
    kind: 'StatefulVolume',
    metadata: { name: `v-${String(i)}`, namespace: ns },
    spec: { size: '64Mi', storageClassName: missingClass },
  };
}

function backupOf(ns: string, i: number, volumes: number): VolumeBackup {
  return {
    apiVersion: 'storage.stateful.dev/v1alpha1',
    kind: 'VolumeBackup',
    metadata: { name: `b-${String(i)}`, namespace: ns },
    spec: { volumeName: `v-${String(i % volumes)}` },
  };
}

async function populate(client: KubeClient, ns: string, opts: Options): Promise<number> {
  const started = Date.now();
  await pool([...Array(opts.volumes).keys()], 32, (i) => client.create(statefulVolumeType, volumeOf(ns, i)));
  await pool([...Array(opts.backups).keys()], 32, (i) =>
    client.create(volumeBackupType, backupOf(ns, i, opts.volumes)),
  );
  return (Date.now() - started) / 1000;
}

function settled(o: KubeObject & { status?: { observedGeneration?: number } }): boolean {
  return o.status?.observedGeneration !== undefined && o.status.observedGeneration === o.metadata.generation;
}

async function countSettled(client: KubeClient, ns: string): Promise<number> {
  const [vols, backups] = await Promise.all([
    client.list<StatefulVolume>(statefulVolumeType, ns),
    client.list<VolumeBackup>(volumeBackupType, ns),
  ]);
  return vols.items.filter(settled).length + backups.items.filter(settled).length;
}

/** Samples the process's peak RSS every second until stopped. */
function rssSampler(pid: number): { peak: () => number; stop: () => void } {
  let peak = 0;
  const timer = setInterval(() => {
    if (existsSync(`/proc/${String(pid)}/status`)) peak = Math.max(peak, rssMiB(pid).peak);
  }, 1000);
  return {
    peak: () => peak,
    stop: () => {
      clearInterval(timer);
    },
  };
}

function launch(ns: string, opts: Options, state: RunState): Promise<OperatorProcess> {
  return startOperator({
    namespaces: [ns],
    cluster: state.kubeconfig,
    runDir: state.runDir,
    compiled: opts.compiled,
    ...(opts.compiled ? { entry: 'dist/src/main.js' } : {}),
    args: [`--kube-api-qps=${String(opts.qps)}`, `--kube-api-burst=${String(opts.qps * 2)}`],
    onLine: echoProblems,
  });
}

/** Start to /readyz on an empty namespace: what the process costs before any object. */
async function emptyStart(
  core: CoreV1Api,
  opts: Options,
  state: RunState,
): Promise<{ seconds: number; peak: number }> {
  const ns = await freshNamespace(core, 'bench-scale-empty');
  const started = Date.now();
  const operator = await launch(ns, opts, state);
  try {
    await waitReady(operator, 300_000);
    const seconds = (Date.now() - started) / 1000;
    return { seconds, peak: rssMiB(operator.child.pid ?? -1).peak };
  } finally {
    await stopOperator(operator);
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
  }
}

async function cleanUp(kc: KubeConfig, core: CoreV1Api, ns: string): Promise<void> {
  await core.deleteNamespace({ name: ns }).catch(() => undefined);
  // Nobody runs the operator's finalizers any more; the namespace takes the rest.
  await releaseLeftovers(ns, kc, 300_000);
}

async function measure(state: RunState, opts: Options): Promise<Result> {
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  await ensureCrds(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const host = machine();
  const empty = await emptyStart(core, opts, state);
  console.log(
    `empty namespace: ready after ${empty.seconds.toFixed(1)} s, RSS peak ${empty.peak.toFixed(0)} MiB`,
  );
  const ns = await freshNamespace(core, 'bench-scale');
  const client = new KubeClient(kc, { userAgent: 'svo-bench', qps: 1000, burst: 2000 });
  try {
    console.log(
      `creating ${String(opts.volumes)} StatefulVolumes and ${String(opts.backups)} VolumeBackups in ${ns}`,
    );
    const created = await populate(client, ns, opts);
    console.log(`  created in ${created.toFixed(1)} s`);
    const total = opts.volumes + opts.backups;
    const since = new Date();
    const started = Date.now();
    const operator = await launch(ns, opts, state);
    const pid = operator.child.pid ?? -1;
    const sampler = rssSampler(pid);
    try {
      await waitReady(operator, 600_000);
      const readyFull = (Date.now() - started) / 1000;
      console.log(`  ready after ${readyFull.toFixed(1)} s`);
      await until(
        `${String(total)} objects with a status for their generation`,
        async () => (await countSettled(client, ns)) === total,
        60 * 60_000,
        2_000,
      );
      const converged = (Date.now() - started) / 1000;
      console.log(`  all settled after ${converged.toFixed(1)} s`);
      const mine = (w: AuditedWrite): boolean => w.userAgent.includes(`_${String(pid)}_`);
      const converge = auditedWrites(state.runDir, 'stateful-volume-operator/', since).filter(mine);
      await sleep(10_000);
      const restFrom = new Date();
      await sleep(opts.restSeconds * 1000);
      const rest = auditedWrites(state.runDir, 'stateful-volume-operator/', restFrom).filter(mine);
      const end = rssMiB(pid);
      return {
        benchmark: 'scale',
        date: new Date().toISOString(),
        machine: host.finish(),
        runtime: opts.compiled ? 'compiled' : 'tsx',
        operatorQps: opts.qps,
        objects: { volumes: opts.volumes, backups: opts.backups },
        seconds: { readyEmpty: empty.seconds, readyFull, syncCost: readyFull - empty.seconds, converged },
        writes: {
          converge: converge.length,
          byResource: countWrites(converge),
          atRestPerMinute: (rest.length * 60) / opts.restSeconds,
        },
        operatorRssMiB: { peak: Math.max(sampler.peak(), end.peak), atRest: end.now, emptyPeak: empty.peak },
      };
    } finally {
      sampler.stop();
      await stopOperator(operator);
    }
  } finally {
    client.close();
    await cleanUp(kc, core, ns);
  }
}

function report(r: Result): void {
  table([
    ['objects', `${String(r.objects.volumes)} StatefulVolumes, ${String(r.objects.backups)} VolumeBackups`],
    ['operator runtime / client QPS', `${r.runtime} / ${String(r.operatorQps)}`],
    ['start to /readyz, empty namespace', `${r.seconds.readyEmpty.toFixed(1)} s`],
    ['start to /readyz, all objects', `${r.seconds.readyFull.toFixed(1)} s`],
    ['  of which syncing the objects (goal ≤ 5 s)', `${r.seconds.syncCost.toFixed(1)} s`],
    ['start to every status current', `${r.seconds.converged.toFixed(1)} s`],
    ['operator writes until then', String(r.writes.converge)],
    ...Object.entries(r.writes.byResource).map(([k, v]): [string, string] => [`  ${k}`, String(v)]),
    ['writes per minute at rest (goal 0)', r.writes.atRestPerMinute.toFixed(1)],
    ['operator RSS peak (goal ≤ 200 MiB)', `${r.operatorRssMiB.peak.toFixed(0)} MiB`],
    [
      'operator RSS at rest / empty peak',
      `${r.operatorRssMiB.atRest.toFixed(0)} MiB / ${r.operatorRssMiB.emptyPeak.toFixed(0)} MiB`,
    ],
    ['machine', `${String(r.machine.cpus)} CPUs, ${String(r.machine.memoryGiB)} GiB, Node ${r.machine.node}`],
    [
      'load average start / end',
      `${r.machine.loadavgStart[0]?.toFixed(2) ?? '?'} / ${r.machine.loadavgEnd[0]?.toFixed(2) ?? '?'}`,
    ],
  ]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      volumes: { type: 'string', default: '10000' },
      backups: { type: 'string', default: '10000' },
      qps: { type: 'string', default: '500' },
      compiled: { type: 'boolean', default: false },
      rest: { type: 'string', default: '60' },
    },
  });
  const opts: Options = {
    volumes: Number(values.volumes),
    backups: Number(values.backups),
    qps: Number(values.qps),
    compiled: values.compiled,
    restSeconds: Number(values.rest),
  };
  if (opts.compiled) compileOperator();
  const external = process.env.SVO_CLUSTER_RUN;
  const state =
    external !== undefined && external !== ''
      ? readState(external)
      : await up({ name: `bench-${String(process.pid)}`, owner: process.pid, storage: true });
  try {
    const result = await measure(state, opts);
    report(result);
    writeResult('scale', result);
  } finally {
    if (external === undefined || external === '') await down(state.runDir);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
