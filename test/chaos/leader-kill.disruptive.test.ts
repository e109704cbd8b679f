// Two replicas of the real operator with leader election, StatefulVolumes
// arriving all the time, and the leader SIGKILLed again and again (a fresh
// replica started each time, so there are always two). Each takeover must
// come within the lease duration plus a retry period, the rollout must
// converge with exactly one claim per volume, and the API server's audit log
// must show one writer at a time: the writing identity changes once per kill,
// never back and forth.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test, type TestContext } from 'node:test';
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { StatefulVolume } from '../../src/api/v1alpha1/types.generated.js';
import { statefulVolumeType } from '../../src/controllers/kinds.js';
import type { KubeClient } from '../../src/kube/client.js';
import { coreTypes } from '../../src/kube/resource.js';
import type { Stored } from '../../src/kube/wire.js';
import { auditedWrites } from '../support/audit.js';
import { statefulVolume } from '../support/builders.js';
import { clusterRunDir, requireOwnCluster } from '../support/control.js';
import { ensureCrds } from '../support/crds.js';
import { createTestNamespace, loadTestKubeConfig } from '../support/kube.js';
import { operatorNamespace } from '../support/identity.js';
import { testClient, testName } from '../support/operator.js';
import { scrapeMetrics } from '../support/metrics.js';
import {
  echoProblems,
  startOperator,
  stopOperator,
  type OperatorProcess,
} from '../support/operator-process.js';
import { eventually } from '../support/wait.js';

const kills = Number(process.env.SVO_CHAOS_LEADER_KILLS ?? '4');
const lease = { duration: 6, renew: 4, retry: 1 };

type Replica = OperatorProcess;

async function start(t: TestContext, ns: string): Promise<Replica> {
  const replica = await startOperator({
    namespaces: [ns],
    test: testName(t),
    // The Lease lives in the operator's namespace (its RBAC allows no other), named after the test's.
    args: [
      '--leader-elect=true',
      `--leader-election-id=${ns}`,
      `--lease-duration=${String(lease.duration)}s`,
      `--renew-deadline=${String(lease.renew)}s`,
      `--retry-period=${String(lease.retry)}s`,
    ],
    onLine: echoProblems,
  });
  t.after(async () => {
    await stopOperator(replica);
  });
  return replica;
}

/** Caches synced: a standby that could take over at once. */
async function ready(r: Replica): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${String(r.port)}/readyz`)).ok;
  } catch {
    return false;
  }
}

async function leads(r: Replica): Promise<boolean> {
  try {
    const text = await scrapeMetrics(r.metricsPort);
    return text
      .split('\n')
      .some((l) => l.startsWith('leader_election_master_status') && l.trim().endsWith(' 1'));
  } catch {
    return false;
  }
}

async function leaderOf(replicas: readonly Replica[]): Promise<Replica | false> {
  const leading = await Promise.all(replicas.map(leads));
  const count = leading.filter(Boolean).length;
  assert.ok(count <= 1, `${String(count)} replicas report leadership at once`);
  return replicas[leading.indexOf(true)] ?? false;
}

function volume(ns: string, i: number): StatefulVolume {
  return statefulVolume(ns, `v-${String(i)}`, { spec: { size: '64Mi' } });
}

async function converged(client: KubeClient, ns: string, count: number): Promise<boolean> {
  const vols = await client.list<StatefulVolume>(statefulVolumeType, ns);
  const ready = vols.items.filter(
    (v) => v.status?.phase === 'Ready' && v.status.observedGeneration === v.metadata.generation,
  );
  return vols.items.length === count && ready.length === count;
}

/** How often the writing identity changed, in time order. */
function writerChanges(
  runDir: string,
  since: Date,
  pids: readonly number[],
): { changes: number; writers: number } {
  // Other tests on the cluster run operators too: only this test's processes count.
  const mine = (ua: string): boolean => pids.some((pid) => ua.includes(`_${String(pid)}_`));
  const writes = auditedWrites(runDir, 'stateful-volume-operator/', since)
    .filter((w) => mine(w.userAgent) && w.resource !== 'leases' && w.resource !== 'events')
    .sort((a, b) => a.at.localeCompare(b.at));
  let changes = 0;
  for (let i = 1; i < writes.length; i++) if (writes[i]?.userAgent !== writes[i - 1]?.userAgent) changes++;
  return { changes, writers: new Set(writes.map((w) => w.userAgent)).size };
}

test('the leader of two real operator replicas is killed again and again: quick takeovers, one writer at a time, no duplicates', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const runDir = clusterRunDir() ?? '';
  await ensureCrds(loadTestKubeConfig());
  const ns = await createTestNamespace(t, 'chaos-leader');
  const client = testClient();
  t.after(async () => {
    // The Lease is in the operator's namespace, which outlives the test's.
    await client.delete(coreTypes.lease, operatorNamespace, ns);
    client.close();
  });
  const since = new Date();
  let replicas = [await start(t, ns), await start(t, ns)];
  const pids = replicas.map((r) => r.child.pid ?? -1);
  await eventually('one leader', () => leaderOf(replicas), { timeoutMs: 90_000, intervalMs: 500 });

  let created = 0;
  const producing = { on: true };
  const producer = (async (): Promise<void> => {
    while (producing.on) {
      await client.create<StatefulVolume>(statefulVolumeType, volume(ns, created));
      created++;
      await sleep(200);
    }
  })();

  const takeovers: number[] = [];
  for (let k = 0; k < kills; k++) {
    await sleep(2_000 + Math.random() * 2_000);
    const leader = await eventually('a leader', () => leaderOf(replicas), {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    const killedAt = Date.now();
    leader.child.kill('SIGKILL');
    const rest = replicas.filter((r) => r !== leader);
    await eventually('the standby leads', () => leaderOf(rest), { timeoutMs: 60_000, intervalMs: 100 });
    takeovers.push((Date.now() - killedAt) / 1000);
    const fresh = await start(t, ns);
    // A starting process is busy compiling and syncing; kill the next leader only once it could lead.
    await eventually('the new replica is ready', () => ready(fresh), { timeoutMs: 60_000, intervalMs: 250 });
    replicas = [...rest, fresh];
    pids.push(fresh.child.pid ?? -1);
  }
  producing.on = false;
  await producer;

  await eventually(`${String(created)} volumes Ready`, () => converged(client, ns, created), {
    timeoutMs: 180_000,
  });
  const claims = await client.list<Stored<V1PersistentVolumeClaim>>(coreTypes.persistentVolumeClaim, ns);
  const names = claims.items.map((c) => c.metadata.name ?? '').sort();
  assert.deepEqual(
    names,
    Array.from({ length: created }, (_, i) => `v-${String(i)}`).sort(),
    'one claim per volume, no other',
  );
  for (const c of claims.items)
    assert.equal(c.metadata.ownerReferences?.length, 1, `${c.metadata.name ?? ''} has one owner`);

  // A standby may take the Lease only once it has seen it unrenewed for the lease duration; it
  // looks every retry period (client-go jitters it by up to 1.2x), and the poll here adds a little.
  // The slack covers a 2-core machine busy with the rest of the suite.
  const bound = lease.duration + 2.2 * lease.retry + 2;
  t.diagnostic(
    `takeovers after SIGKILL: ${takeovers.map((s) => `${s.toFixed(1)} s`).join(', ')} (lease ${String(lease.duration)} s); ${String(created)} volumes`,
  );
  for (const s of takeovers)
    assert.ok(s <= bound, `takeover took ${s.toFixed(1)} s, more than ${String(bound)} s`);
  const { changes, writers } = writerChanges(runDir, since, pids);
  t.diagnostic(`${String(writers)} writing identities, ${String(changes)} changes of writer`);
  assert.ok(writers <= kills + 1, `${String(writers)} identities wrote; at most one per leadership term`);
  assert.ok(
    changes <= kills,
    `the writer changed ${String(changes)} times for ${String(kills)} kills: two wrote at once`,
  );
});
