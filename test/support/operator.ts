// Runs a manager in the test process against the test cluster, with metrics
// on a free loopback port, and stops it when the test ends. The manager runs
// as the operator's shipped ServiceAccount (test/support/identity.ts), never
// with the admin credentials the fixtures use.
import type { TestContext } from 'node:test';
import { KubeClient } from '../../src/kube/client.js';
import type { ResourceType } from '../../src/kube/resource.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import type { Clock } from '../../src/runtime/clock.js';
import { Manager, type RunOutcome } from '../../src/runtime/manager.js';
import { mintIdentity, type Role } from './identity.js';
import { ensureCrds } from './crds.js';
import { createTestNamespace, loadTestKubeConfig } from './kube.js';
import { scrapeMetrics } from './metrics.js';

export interface RunningManager {
  mgr: Manager;
  /** Settles only when the manager stops: a test can assert it did not. */
  outcome: Promise<RunOutcome>;
  settled: () => boolean;
  metrics: () => Promise<string>;
  stop: () => Promise<RunOutcome>;
}

/** A client of the test cluster with a generous rate limit, for fixtures. */
export function testClient(): KubeClient {
  return new KubeClient(loadTestKubeConfig(), { userAgent: 'svo-tests', qps: 500, burst: 1000 });
}

/**
 * Wakes the controller of an object after the test moved its manager's clock:
 * the requeue timer it set runs on real time, an update event does not wait.
 */
export async function poke(client: KubeClient, type: ResourceType, ns: string, name: string): Promise<void> {
  await client.patch(type, ns, name, {
    metadata: { annotations: { 'test.stateful.dev/poke': String(Date.now()) } },
  });
}

/** A client of the test's own, closed when the test ends. */
export function clientFor(t: TestContext): KubeClient {
  const client = testClient();
  t.after(() => {
    client.close();
  });
  return client;
}

/**
 * Where most controller tests start: the CRDs installed, a fresh namespace,
 * the controllers `register` adds running on it, and a client.
 */
export async function operatorInNamespace(
  t: TestContext,
  prefix: string,
  register: (mgr: Manager) => void,
): Promise<{ ns: string; client: KubeClient; running: RunningManager }> {
  await ensureCrds(loadTestKubeConfig());
  const ns = await createTestNamespace(t, prefix);
  const running = await startTestManager(t, { namespaces: [ns], register });
  return { ns, client: clientFor(t), running };
}

export interface TestManagerOptions {
  namespaces: string[];
  register: (mgr: Manager) => void;
  logLevel?: 'silent' | 'info' | 'debug' | 'warn';
  /** A clock the test moves by hand (ManualClock); the system clock when absent. */
  clock?: Clock;
}

/**
 * The operator's controllers, in this process, as the operator's
 * ServiceAccount. Only controllers of the operator's kinds may be registered:
 * a fixture controller goes through startFixtureManager.
 */
export function startTestManager(t: TestContext, opts: TestManagerOptions): Promise<RunningManager> {
  return startManager(
    t,
    'operator',
    guarded(opts, (group) => group === ownGroup, 'startFixtureManager'),
  );
}

const ownGroup = 'storage.stateful.dev';

/**
 * A fixture controller of the runtime tests (test/integration/runtime), as the
 * runtime fixture's ServiceAccount: it reconciles ConfigMaps, which the
 * operator may not touch. A controller of the operator's kinds is refused
 * here: the operator runs only through startTestManager.
 */
export function startFixtureManager(t: TestContext, opts: TestManagerOptions): Promise<RunningManager> {
  return startManager(
    t,
    'runtime-fixture',
    guarded(opts, (group) => group !== ownGroup, 'startTestManager'),
  );
}

/** Registration that throws for a controller whose kind's group the identity is not for. */
function guarded(
  opts: TestManagerOptions,
  belongs: (group: string) => boolean,
  instead: string,
): TestManagerOptions {
  return {
    ...opts,
    register: (mgr) => {
      const add = mgr.add.bind(mgr);
      mgr.add = (spec) => {
        if (!belongs(spec.forType.group))
          throw new Error(`start the ${spec.name} controller with ${instead}`);
        return add(spec);
      };
      opts.register(mgr);
    },
  };
}

async function startManager(
  t: TestContext,
  role: Exclude<Role, 'chart'>,
  opts: TestManagerOptions,
): Promise<RunningManager> {
  const identity = await mintIdentity(loadTestKubeConfig(), role, { test: testName(t) });
  const client = new KubeClient(identity.kubeconfig, {
    userAgent: `svo-tests-${role}`,
    qps: 200,
    burst: 400,
  });
  const mgr = new Manager({
    client,
    log: createLogger(opts.logLevel ?? (process.env.SVO_TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent'),
    metrics: new Metrics({ processMetrics: false }),
    component: 'svo-tests',
    namespaces: opts.namespaces,
    metricsAddress: '127.0.0.1:0',
    secureMetrics: {},
    probeAddress: '127.0.0.1:0',
    shutdownTimeoutMs: 10_000,
    ...(opts.clock !== undefined ? { clock: opts.clock } : {}),
  });
  opts.register(mgr);
  const stop = new AbortController();
  let isSettled = false;
  const outcome = mgr.run(stop.signal).finally(() => {
    isSettled = true;
  });
  const running: RunningManager = {
    mgr,
    outcome,
    settled: () => isSettled,
    metrics: () => scrapeMetrics(mgr.ports.metrics),
    stop: async () => {
      stop.abort();
      return outcome;
    },
  };
  t.after(async () => {
    await running.stop();
  });
  // ports are assigned as soon as the endpoints listen
  for (let i = 0; i < 200 && mgr.ports.metrics === undefined; i++)
    await new Promise((r) => setTimeout(r, 10));
  return running;
}

/** A test's name with its parents' ("suite > case"), for the record of who started an operator. */
export function testName(t: TestContext): string {
  return t.fullName;
}

/** The value of one sample in Prometheus text format; 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const ok = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (ok) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
