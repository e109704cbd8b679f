// The runtime drives a trivial controller to convergence over 1,000 objects,
// reports what it did in its metrics, and writes nothing once converged.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { coreTypes } from '../../../src/kube/resource.js';
import { auditedWrites } from '../../support/audit.js';
import { clusterRunDir } from '../../support/control.js';
import { createTestNamespace } from '../../support/kube.js';
import { metricValue, startFixtureManager, clientFor, testClient } from '../../support/operator.js';
import { eventually } from '../../support/wait.js';
import { mirrorName, registerMirror, sourceConfigMap, type ConfigMap } from './mirror-controller.js';

const count = 1000;

async function createSources(ns: string, names: string[]): Promise<void> {
  const client = testClient();
  const queue = [...names];
  const worker = async (): Promise<void> => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      await client.create<ConfigMap>(coreTypes.configMap, sourceConfigMap(ns, name, name));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  client.close();
}

test('a controller on the runtime converges 1,000 objects and reports it in its metrics', async (t) => {
  const ns = await createTestNamespace(t, 'rt-converge');
  const running = await startFixtureManager(t, {
    namespaces: [ns],
    register: (mgr) => {
      registerMirror(mgr, { concurrency: 8 });
    },
  });
  const names = Array.from({ length: count }, (_, i) => `src-${String(i).padStart(4, '0')}`);
  const started = performance.now();
  await createSources(ns, names);

  const client = clientFor(t);
  await eventually(
    `${count} mirrors`,
    async () => {
      const list = await client.list<ConfigMap>(coreTypes.configMap, ns);
      const mirrors = list.items.filter((cm) => cm.metadata.name?.endsWith('-mirror'));
      return mirrors.length === count ? mirrors : false;
    },
    { timeoutMs: 180_000, intervalMs: 1000 },
  );
  t.diagnostic(
    `created ${count} sources and converged in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  const mirror = await client.get<ConfigMap>(coreTypes.configMap, ns, mirrorName('src-0421'));
  assert.deepEqual(mirror.data, { value: 'src-0421' });
  assert.equal(mirror.metadata.ownerReferences?.[0]?.name, 'src-0421');
  // The cache keeps objects without their managedFields (memory), and writes keep the server's.
  assert.ok((mirror.metadata.managedFields?.length ?? 0) > 0);
  const cached = running.mgr.cache.get<ConfigMap>(coreTypes.configMap, ns, mirrorName('src-0421'));
  assert.equal(cached?.metadata.name, mirrorName('src-0421'));
  assert.equal(cached.metadata.managedFields, undefined);

  const text = await running.metrics();
  assert.ok(
    metricValue(text, 'controller_runtime_reconcile_total', { controller: 'mirror', result: 'success' }) >=
      count,
  );
  assert.equal(
    metricValue(text, 'controller_runtime_reconcile_total', { controller: 'mirror', result: 'error' }),
    0,
  );
  assert.ok(
    metricValue(text, 'controller_runtime_reconcile_time_seconds_count', { controller: 'mirror' }) >= count,
  );
  assert.ok(metricValue(text, 'workqueue_adds_total', { name: 'mirror' }) >= count);
  // controller-runtime's label, and the queue's timings: every pass waited in the queue and was worked on.
  const queue = { name: 'mirror', controller: 'mirror' };
  assert.ok(metricValue(text, 'workqueue_queue_duration_seconds_count', queue) >= count);
  assert.ok(metricValue(text, 'workqueue_work_duration_seconds_count', queue) >= count);
  assert.equal(metricValue(text, 'workqueue_unfinished_work_seconds', queue), 0);
  assert.ok(metricValue(text, 'controller_runtime_max_concurrent_reconciles', { controller: 'mirror' }) >= 1);
  assert.equal(metricValue(text, 'workqueue_depth', { name: 'mirror' }), 0);
  assert.match(text, /workqueue_retries_total/);
  assert.match(text, /workqueue_longest_running_processor_seconds\{name="mirror",controller="mirror"\} 0/);
  assert.ok(metricValue(text, 'rest_client_requests_total', { method: 'POST', code: '201' }) >= count);
  assert.match(text, /^rest_client_requests_total\{code="201",method="POST",host="[^"]+"\}/m);
  assert.match(text, /^rest_client_request_duration_seconds_count\{verb="POST",host="[^"]+"\}/m);

  // Converged means quiet: a change to a source is one more write, and idle means none.
  const writes = (s: string): number =>
    ['POST', 'PUT', 'PATCH', 'DELETE'].reduce(
      (n, method) => n + metricValue(s, 'rest_client_requests_total', { method }),
      0,
    );
  const before = writes(await running.metrics());
  await sleep(3000);
  assert.equal(writes(await running.metrics()), before, 'no API writes once converged');

  await client.patch(coreTypes.configMap, ns, 'src-0007', { data: { value: 'changed' } });
  await eventually('the mirror follows the change', async () => {
    const m = await client.get<ConfigMap>(coreTypes.configMap, ns, mirrorName('src-0007'));
    return m.data?.value === 'changed';
  });
  assert.equal(writes(await running.metrics()), before + 1, 'one change, one write');
  // The API server's own record agrees: one create per object and the one update.
  const runDir = clusterRunDir();
  if (runDir !== undefined) {
    await eventually('the audit log has caught up', async () => {
      await Promise.resolve();
      const mine = auditedWrites(runDir, 'svo-tests-runtime-fixture').filter(
        (w) => w.resource === 'configmaps' && w.namespace === ns,
      );
      return mine.length >= count + 1 ? mine : false;
    });
    const mine = auditedWrites(runDir, 'svo-tests-runtime-fixture').filter(
      (w) => w.resource === 'configmaps' && w.namespace === ns,
    );
    assert.equal(mine.filter((w) => w.verb === 'create').length, count);
    assert.equal(mine.filter((w) => w.verb === 'update').length, 1);
  }
  assert.equal(running.settled(), false);
});
