// The dangerous leader is not a dead one but a frozen one: SIGSTOP it (a long
// GC pause, a suspended VM) until its lease runs out and the standby takes
// over, then let it run again. It must not write a single object as the
// leader it no longer is. The API server's audit log is the judge: every
// write carries the writing replica's identity in its user agent. Each pass
// waits between its read and its write, so the freeze always lands with
// passes in flight: the wake-up resumes them at their writes.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test, type TestContext } from 'node:test';
import { coreTypes } from '../../src/kube/resource.js';
import { sourceLabel, type ConfigMap } from '../integration/runtime/mirror-controller.js';
import { auditedWrites } from '../support/audit.js';
import { clusterRunDir, requireOwnCluster } from '../support/control.js';
import { createTestNamespace } from '../support/kube.js';
import { metricValue, clientFor, testName } from '../support/operator.js';
import { scrapeMetrics } from '../support/metrics.js';
import {
  echoProblems,
  startOperator,
  stopOperator,
  type OperatorProcess,
} from '../support/operator-process.js';
import { eventually } from '../support/wait.js';

type Replica = OperatorProcess;

async function start(t: TestContext, ns: string): Promise<Replica> {
  const replica = await startOperator({
    entry: 'test/integration/runtime/mirror-operator.ts',
    namespaces: [ns],
    test: testName(t),
    args: [
      '--leader-elect=true',
      `--leader-election-namespace=${ns}`,
      '--leader-election-id=mirror',
      '--lease-duration=6s',
      '--renew-deadline=4s',
      '--retry-period=1s',
      '--concurrency=8',
    ],
    env: { ...process.env, MIRROR_WRITE_DELAY_MS: '300' },
    keepLines: 400,
    onLine: echoProblems,
  });
  t.after(async () => {
    replica.child.kill('SIGCONT');
    await stopOperator(replica);
  });
  return replica;
}

async function leads(r: Replica): Promise<boolean> {
  const text = await scrapeMetrics(r.metricsPort);
  return metricValue(text, 'leader_election_master_status', { name: 'mirror' }) === 1;
}

test('a leader frozen past its lease writes nothing when it wakes up', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const runDir = clusterRunDir() ?? '';
  const ns = await createTestNamespace(t, 'chaos-pause');
  const a = await start(t, ns);
  const b = await start(t, ns);
  const [leader, standby] = await eventually(
    'one leader',
    async () => {
      const [la, lb] = await Promise.all([leads(a), leads(b)]);
      if (la === lb) return false;
      return la ? [a, b] : [b, a];
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  const client = clientFor(t);
  // Sources keep arriving through the whole test, so there is always work to write.
  let created = 0;
  const producing = { on: true };
  const producer = (async (): Promise<void> => {
    while (producing.on) {
      await client.create<ConfigMap>(coreTypes.configMap, {
        metadata: { name: `s-${String(created)}`, namespace: ns, labels: { [sourceLabel]: 'true' } },
        data: { n: String(created) },
      });
      created++;
      await sleep(100);
    }
  })();

  await sleep(2000);
  leader.child.kill('SIGSTOP');
  await eventually('the standby leads', () => leads(standby), { timeoutMs: 30_000, intervalMs: 250 });
  await sleep(2000);
  const wokeAt = new Date();
  leader.child.kill('SIGCONT');
  await sleep(8000);
  producing.on = false;
  await producer;

  await eventually(
    `${String(created)} mirrors`,
    async () => {
      const list = await client.list<ConfigMap>(coreTypes.configMap, ns);
      return list.items.filter((cm) => cm.metadata.name?.endsWith('-mirror')).length === created;
    },
    { timeoutMs: 60_000 },
  );
  const frozenPid = String(leader.child.pid);
  const late = auditedWrites(runDir, 'stateful-volume-operator/', wokeAt).filter(
    (w) => w.userAgent.includes(`_${frozenPid}_`) && w.resource === 'configmaps' && w.namespace === ns,
  );
  assert.deepEqual(late, [], 'the woken ex-leader wrote no ConfigMap');
  const withheld = leader.output.filter((line) => line.includes('write withheld')).length;
  assert.ok(withheld > 0, 'the freeze caught passes between their read and their write');
  const byStandby = auditedWrites(runDir, 'stateful-volume-operator/', wokeAt).filter((w) =>
    w.userAgent.includes(`_${String(standby.child.pid)}_`),
  );
  assert.ok(byStandby.length > 0, 'the new leader kept writing');
  t.diagnostic(
    `${String(created)} sources; the woken ex-leader withheld ${String(withheld)} writes; the new leader wrote ${String(byStandby.length)} times after the wake-up`,
  );
});
