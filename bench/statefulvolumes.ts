// N StatefulVolumes applied at once against the same N PersistentVolumeClaims
// created directly: seconds until all are Ready (Bound for the claims), the
// operator's API writes per volume as the API server's audit log records them
// (by the operator process's user agent), its writes per minute once all is
// Ready, and its peak RSS. The operator is the real process (src/main.ts).
//
//   npx tsx bench/statefulvolumes.ts [--volumes 1000] [--qps 50 --burst 100] [--rest 60]
//
// Starts its own storage cluster (--qps/--burst are the client limits of its
// CSI sidecars, which both sides of the comparison go through) unless
// SVO_KUBECONFIG and SVO_CLUSTER_RUN name one.
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { StatefulVolume } from '../src/api/v1alpha1/types.generated.js';
import { statefulVolumeType } from '../src/controllers/kinds.js';
import { KubeClient } from '../src/kube/client.js';
import { down, up } from '../test/cluster/cluster.js';
import type { KubeApiLimits } from '../test/cluster/components.js';
import { readState, type RunState } from '../test/cluster/processes.js';
import { auditedWrites, type AuditedWrite } from '../test/support/audit.js';
import { immediateStorageClassName } from '../test/support/claims.js';
import { ensureCrds } from '../test/support/crds.js';
import { releaseLeftovers } from '../test/support/kube.js';
import { echoProblems, startOperator, stopOperator, waitReady } from '../test/support/operator-process.js';
import {
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

interface Result {
  benchmark: 'statefulvolumes';
  date: string;
  machine: Machine;
  volumes: number;
  sidecarLimits: KubeApiLimits | 'as the cluster was started';
  seconds: { claimsBound: number; volumesReady: number; ratio: number };
  writes: { total: number; perVolume: number; byResource: Record<string, number>; atRestPerMinute: number };
  operatorRssMiB: { peak: number; end: number };
}

async function baseline(kc: KubeConfig, ns: string, n: number): Promise<number> {
  const core = kc.makeApiClient(CoreV1Api);
  const started = Date.now();
  await pool([...Array(n).keys()], 20, (i) =>
    core.createNamespacedPersistentVolumeClaim({
      namespace: ns,
      body: {
        metadata: { name: `c-${String(i)}` },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: immediateStorageClassName,
          resources: { requests: { storage: '64Mi' } },
        },
      },
    }),
  );
  await until(
    `${String(n)} claims Bound`,
    async () => {
      const list = await core.listNamespacedPersistentVolumeClaim({ namespace: ns });
      return list.items.filter((c) => c.status?.phase === 'Bound').length === n;
    },
    30 * 60_000,
  );
  return (Date.now() - started) / 1000;
}

async function rollout(client: KubeClient, ns: string, n: number): Promise<number> {
  const started = Date.now();
  await pool([...Array(n).keys()], 20, (i) =>
    client.create<StatefulVolume>(statefulVolumeType, {
      apiVersion: 'storage.stateful.dev/v1alpha1',
      kind: 'StatefulVolume',
      metadata: { name: `v-${String(i)}`, namespace: ns },
      spec: { size: '64Mi', storageClassName: immediateStorageClassName },
    }),
  );
  await until(
    `${String(n)} volumes Ready`,
    async () => {
      const list = await client.list<StatefulVolume>(statefulVolumeType, ns);
      return list.items.filter((v) => v.status?.phase === 'Ready').length === n;
    },
    30 * 60_000,
  );
  return (Date.now() - started) / 1000;
}

async function measure(
  state: RunState,
  n: number,
  restSeconds: number,
): Promise<Omit<Result, 'sidecarLimits'>> {
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  await ensureCrds(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const host = machine();
  const direct = await freshNamespace(core, 'bench-claims');
  const ns = await freshNamespace(core, 'bench-volumes');
  console.log(`creating ${String(n)} claims directly in ${direct}`);
  const claimsBound = await baseline(kc, direct, n);
  console.log(`  all Bound after ${claimsBound.toFixed(1)} s`);

  const operator = await startOperator({
    namespaces: [ns],
    cluster: state.kubeconfig,
    runDir: state.runDir,
    onLine: echoProblems,
  });
  const pid = operator.child.pid ?? -1;
  let peak = 0;
  const sampler = setInterval(() => {
    if (existsSync(`/proc/${String(pid)}/status`)) peak = Math.max(peak, rssMiB(pid).peak);
  }, 1000);
  try {
    await waitReady(operator, 300_000);
    const client = new KubeClient(kc, { userAgent: 'svo-bench', qps: 200, burst: 400 });
    const since = new Date();
    console.log(`applying ${String(n)} StatefulVolumes in ${ns}`);
    const volumesReady = await rollout(client, ns, n);
    console.log(`  all Ready after ${volumesReady.toFixed(1)} s`);
    const mine = (w: AuditedWrite): boolean => w.userAgent.includes(`_${String(pid)}_`);
    const rollWrites = auditedWrites(state.runDir, 'stateful-volume-operator/', since).filter(mine);
    // Let the tail of the rollout settle, then count what a converged operator writes.
    await sleep(10_000);
    const restFrom = new Date();
    await sleep(restSeconds * 1000);
    const rest = auditedWrites(state.runDir, 'stateful-volume-operator/', restFrom).filter(mine);
    client.close();
    const end = rssMiB(pid);
    return {
      benchmark: 'statefulvolumes',
      date: new Date().toISOString(),
      machine: host.finish(),
      volumes: n,
      seconds: { claimsBound, volumesReady, ratio: volumesReady / claimsBound },
      writes: {
        total: rollWrites.length,
        perVolume: rollWrites.length / n,
        byResource: countWrites(rollWrites),
        atRestPerMinute: (rest.length * 60) / restSeconds,
      },
      operatorRssMiB: { peak: Math.max(peak, end.peak), end: end.now },
    };
  } finally {
    clearInterval(sampler);
    await stopOperator(operator);
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
    await core.deleteNamespace({ name: direct }).catch(() => undefined);
    // The operator is gone, so nobody runs its finalizers; the namespace's claims go with it anyway.
    await releaseLeftovers(ns, kc, 300_000);
  }
}

function report(r: Result): void {
  const rows: [string, string][] = [
    ['volumes', String(r.volumes)],
    ['PVCs created directly, all Bound', `${r.seconds.claimsBound.toFixed(1)} s`],
    ['StatefulVolumes, all Ready', `${r.seconds.volumesReady.toFixed(1)} s`],
    ['ratio (goal ≤ 1.5)', r.seconds.ratio.toFixed(2)],
    ['operator writes per volume (goal ≤ 3)', r.writes.perVolume.toFixed(2)],
    ...Object.entries(r.writes.byResource).map(([k, v]): [string, string] => [
      `  ${k}`,
      (v / r.volumes).toFixed(2),
    ]),
    ['writes per minute at rest (goal 0)', r.writes.atRestPerMinute.toFixed(1)],
    [
      'operator RSS peak / end',
      `${r.operatorRssMiB.peak.toFixed(0)} MiB / ${r.operatorRssMiB.end.toFixed(0)} MiB`,
    ],
    [
      'sidecar client limits',
      typeof r.sidecarLimits === 'string'
        ? r.sidecarLimits
        : `${String(r.sidecarLimits.qps)} QPS, burst ${String(r.sidecarLimits.burst)}`,
    ],
    ['machine', `${String(r.machine.cpus)} CPUs, ${String(r.machine.memoryGiB)} GiB, Node ${r.machine.node}`],
    [
      'load average start / end',
      `${r.machine.loadavgStart[0]?.toFixed(2) ?? '?'} / ${r.machine.loadavgEnd[0]?.toFixed(2) ?? '?'}`,
    ],
  ];
  table(rows);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      volumes: { type: 'string', default: '1000' },
      qps: { type: 'string', default: '50' },
      burst: { type: 'string', default: '100' },
      rest: { type: 'string', default: '60' },
    },
  });
  const n = Number(values.volumes);
  const limits: KubeApiLimits = { qps: Number(values.qps), burst: Number(values.burst) };
  const external = process.env.SVO_CLUSTER_RUN;
  const state =
    external !== undefined && external !== ''
      ? readState(external)
      : await up({
          name: `bench-${String(process.pid)}`,
          owner: process.pid,
          storage: true,
          storageApiLimits: limits,
        });
  try {
    const measured = await measure(state, n, Number(values.rest));
    const result: Result = {
      ...measured,
      sidecarLimits: external !== undefined && external !== '' ? 'as the cluster was started' : limits,
    };
    report(result);
    writeResult('statefulvolumes', result);
  } finally {
    if (external === undefined || external === '') await down(state.runDir);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
