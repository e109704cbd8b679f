// Two operator processes share one Lease: only the leader reconciles, a
// SIGKILLed leader is replaced once its lease runs out, and a SIGTERMed one
// hands over at once by releasing the lease.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { coreTypes } from '../../../src/kube/resource.js';
import type { KubeObject } from '../../../src/kube/wire.js';
import { createTestNamespace } from '../../support/kube.js';
import { metricValue, clientFor, testName } from '../../support/operator.js';
import { eventually } from '../../support/wait.js';
import { createSources, mirrorCount } from './mirror-sources.js';
import { scrapeMetrics } from '../../support/metrics.js';
import {
  echoProblems,
  startOperator as startProcess,
  stopOperator,
  type OperatorProcess,
} from '../../support/operator-process.js';

const lease = { duration: 6, renew: 4, retry: 1 };

type Operator = OperatorProcess;

/** The mirror fixture as a process, as the runtime fixture's account (it is not the operator). */
async function startOperator(t: TestContext, ns: string): Promise<Operator> {
  const op = await startProcess({
    entry: 'test/integration/runtime/mirror-operator.ts',
    namespaces: [ns],
    test: testName(t),
    args: [
      '--leader-elect',
      `--leader-election-namespace=${ns}`,
      '--leader-election-id=mirror',
      `--lease-duration=${String(lease.duration)}s`,
      `--renew-deadline=${String(lease.renew)}s`,
      `--retry-period=${String(lease.retry)}s`,
    ],
    onLine: echoProblems,
  });
  t.after(async () => {
    await stopOperator(op);
  });
  return op;
}

async function scrape(op: Operator): Promise<string> {
  return scrapeMetrics(op.metricsPort);
}

const isLeader = async (op: Operator): Promise<boolean> =>
  metricValue(await scrape(op), 'leader_election_master_status', { name: 'mirror' }) === 1;
const reconciles = async (op: Operator): Promise<number> =>
  metricValue(await scrape(op), 'controller_runtime_reconcile_total', { controller: 'mirror' });

interface Lease extends KubeObject {
  spec?: { holderIdentity?: string; leaseTransitions?: number };
}

test('with two processes only the leader reconciles, and the standby takes over when the leader dies', async (t) => {
  const ns = await createTestNamespace(t, 'rt-leader');
  const a = await startOperator(t, ns);
  const b = await startOperator(t, ns);
  const [leader, standby] = await eventually(
    'one leader',
    async () => {
      const [la, lb] = await Promise.all([isLeader(a), isLeader(b)]);
      if (la === lb) return false;
      return la ? [a, b] : [b, a];
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );

  await createSources(ns, 'one', 20);
  await eventually('20 mirrors from the leader', async () => (await mirrorCount(ns)) === 20);
  assert.ok((await reconciles(leader)) >= 20);
  assert.equal(await reconciles(standby), 0, 'the standby reconciled nothing');
  assert.equal(
    (await fetch(`http://127.0.0.1:${String(standby.port)}/readyz`)).status,
    200,
    'the standby is ready',
  );

  const killedAt = performance.now();
  await stopOperator(leader);
  await eventually('the standby leads', () => isLeader(standby), { timeoutMs: 30_000, intervalMs: 100 });
  const takeover = (performance.now() - killedAt) / 1000;
  t.diagnostic(
    `takeover ${takeover.toFixed(1)} s after SIGKILL (lease ${String(lease.duration)} s, retry ${String(lease.retry)} s)`,
  );
  // The standby times the lease from when it last saw it renewed, polling every retry period (+20 % jitter).
  assert.ok(takeover <= lease.duration + 2 * lease.retry * 1.2 + 1, `takeover took ${takeover.toFixed(1)} s`);

  await createSources(ns, 'two', 20);
  await eventually('40 mirrors from the new leader', async () => (await mirrorCount(ns)) === 40);

  const stoppedAt = performance.now();
  assert.equal((await stopOperator(standby, 'SIGTERM')).code, 0, 'a SIGTERMed leader drains and exits 0');
  const client = clientFor(t);
  const released = await client.get<Lease>(coreTypes.lease, ns, 'mirror');
  assert.equal(released.spec?.holderIdentity ?? '', '', 'the lease was released on the way out');
  t.diagnostic(`graceful stop took ${String(Math.round(performance.now() - stoppedAt))} ms`);
});
