// Snapshot throughput: N VolumeSnapshots of one claim created at once, seconds
// until every one is readyToUse. The path measured is the real one: the
// snapshot controller makes the VolumeSnapshotContents, csi-snapshotter calls
// CreateSnapshot on the test bed's driver (which copies the bytes), and both
// write status back through the API server within their client rate limits.
//
//   npx tsx bench/snapshots.ts [--count 100] [--mib 8] [--qps 5 --burst 10]
//
// Starts its own storage cluster (with --qps/--burst as the rate limits of the
// sidecars and the snapshot controller) unless SVO_KUBECONFIG names one.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { down, up } from '../test/cluster/cluster.js';
import { upstreamKubeApiLimits, type KubeApiLimits } from '../test/cluster/components.js';
import { readState, type RunState } from '../test/cluster/processes.js';
import {
  createClaim,
  createSnapshot,
  immediateStorageClassName,
  listSnapshots,
  waitBound,
} from '../test/support/claims.js';
import { writeRandomBytes } from '../test/support/volumes.js';
import { machine, percentile, storageLimitsOf, table, writeResult, type Machine } from './lib.js';

interface Result {
  readonly benchmark: 'snapshots';
  readonly date: string;
  readonly machine: Machine;
  readonly count: number;
  readonly dataMiB: number;
  readonly limits: Record<string, string>;
  readonly seconds: { firstReady: number; p50: number; p90: number; allReady: number };
  readonly snapshotsPerSecond: number;
}

async function waitAllReady(kc: KubeConfig, ns: string, count: number, t0: number): Promise<number[]> {
  const readyAt = new Map<string, number>();
  const deadline = Date.now() + 30 * 60_000;
  while (readyAt.size < count) {
    if (Date.now() > deadline) throw new Error(`only ${readyAt.size} of ${count} ready after 30 minutes`);
    const now = (Date.now() - t0) / 1000;
    for (const s of await listSnapshots(kc, ns)) {
      const name = s.metadata?.name ?? '';
      if (s.status?.readyToUse === true && !readyAt.has(name)) readyAt.set(name, now);
    }
    await sleep(200);
  }
  return [...readyAt.values()].sort((a, b) => a - b);
}

async function run(kc: KubeConfig, count: number, mib: number): Promise<number[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const ns = `bench-snap-${Date.now().toString(36)}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  try {
    await createClaim(kc, ns, 'data', { storageClassName: immediateStorageClassName });
    await waitBound(kc, ns, 'data');
    await writeRandomBytes(kc, ns, 'data', mib * 1024 * 1024);
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        createSnapshot(kc, ns, `snap-${String(i).padStart(3, '0')}`, 'data'),
      ),
    );
    return await waitAllReady(kc, ns, count, t0);
  } finally {
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
  }
}

function report(result: Result): void {
  const rows: [string, string][] = [
    ['snapshots', String(result.count)],
    ['data in the volume', `${result.dataMiB} MiB`],
    ['first readyToUse', `${result.seconds.firstReady.toFixed(1)} s`],
    ['50% readyToUse', `${result.seconds.p50.toFixed(1)} s`],
    ['90% readyToUse', `${result.seconds.p90.toFixed(1)} s`],
    ['all readyToUse', `${result.seconds.allReady.toFixed(1)} s`],
    ['throughput', `${result.snapshotsPerSecond.toFixed(2)} snapshots/s`],
    ...Object.entries(result.limits).map(([k, v]): [string, string] => [`${k} client limits`, v]),
    ['machine', `${result.machine.cpus} CPUs, ${result.machine.memoryGiB} GiB, Node ${result.machine.node}`],
  ];
  table(rows);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '100' },
      mib: { type: 'string', default: '8' },
      qps: { type: 'string', default: String(upstreamKubeApiLimits.qps) },
      burst: { type: 'string', default: String(upstreamKubeApiLimits.burst) },
    },
  });
  const count = Number(values.count);
  const mib = Number(values.mib);
  const limits: KubeApiLimits = { qps: Number(values.qps), burst: Number(values.burst) };
  const external = process.env.SVO_KUBECONFIG;
  let state: RunState | undefined;
  let ours = false;
  if (external !== undefined && external !== '') {
    const dir = process.env.SVO_CLUSTER_RUN ?? dirname(external);
    state = existsSync(join(dir, 'state.json')) ? readState(dir) : undefined;
  } else {
    state = await up({
      name: `bench-${process.pid}`,
      owner: process.pid,
      storage: true,
      storageApiLimits: limits,
    });
    ours = true;
    process.env.SVO_KUBECONFIG = state.kubeconfig;
    process.env.SVO_CLUSTER_RUN = state.runDir;
  }
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(process.env.SVO_KUBECONFIG ?? '');
    const host = machine();
    const ready = await run(kc, count, mib);
    const allReady = ready.at(-1) ?? NaN;
    const result: Result = {
      benchmark: 'snapshots',
      date: new Date().toISOString(),
      machine: host.finish(),
      count,
      dataMiB: mib,
      limits: storageLimitsOf(state),
      seconds: {
        firstReady: ready[0] ?? NaN,
        p50: percentile(ready, 50),
        p90: percentile(ready, 90),
        allReady,
      },
      snapshotsPerSecond: count / allReady,
    };
    report(result);
    writeResult('snapshots', result);
  } finally {
    if (ours && state !== undefined) await down(state.runDir);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
