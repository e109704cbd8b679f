// The dangerous leader is not a dead one but a frozen one: SIGSTOP it (a long
// GC pause, a suspended VM) until its lease runs out and the standby takes
// over, then let it run again. It must not write a single object as the
// leader it no longer is. The API server's audit log is the judge: every
// write carries the writing replica's identity in its user agent.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test, type TestContext } from 'node:test';
import { coreTypes } from '../../src/kube/resource.js';
import { repoRoot } from '../cluster/layout.js';
import { sourceLabel, type ConfigMap } from '../integration/runtime/mirror-controller.js';
import { auditedWrites } from '../support/audit.js';
import { clusterRunDir, requireOwnCluster } from '../support/control.js';
import { createTestNamespace, testKubeconfigPath } from '../support/kube.js';
import { metricValue, testClient } from '../support/operator.js';
import { eventually } from '../support/wait.js';

interface Replica {
  child: ChildProcess;
  port: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function start(t: TestContext, ns: string): Promise<Replica> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'test/integration/runtime/mirror-operator.ts'),
      `--kubeconfig=${testKubeconfigPath()}`,
      `--namespaces=${ns}`,
      '--leader-elect',
      `--leader-election-namespace=${ns}`,
      '--leader-election-id=mirror',
      '--lease-duration=6s',
      '--renew-deadline=4s',
      '--retry-period=1s',
      `--metrics-bind-address=127.0.0.1:${String(port)}`,
      `--health-probe-bind-address=127.0.0.1:${String(port)}`,
      '--log-level=warn',
    ],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  t.after(() => {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  });
  return { child, port };
}

async function leads(r: Replica): Promise<boolean> {
  const text = await (await fetch(`http://127.0.0.1:${String(r.port)}/metrics`)).text();
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
  const client = testClient();
  t.after(() => {
    client.close();
  });
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
    (w) => w.userAgent.includes(`_${frozenPid}_`) && w.resource === 'configmaps',
  );
  assert.deepEqual(late, [], 'the woken ex-leader wrote no ConfigMap');
  const byStandby = auditedWrites(runDir, 'stateful-volume-operator/', wokeAt).filter((w) =>
    w.userAgent.includes(`_${String(standby.child.pid)}_`),
  );
  assert.ok(byStandby.length > 0, 'the new leader kept writing');
  t.diagnostic(
    `${String(created)} sources; the new leader wrote ${String(byStandby.length)} times after the wake-up`,
  );
});
