// The cache says on /metrics what it holds and what it received, and reads a
// namespace's objects through its index.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coreTypes } from '../../../src/kube/resource.js';
import { createTestNamespace } from '../../support/kube.js';
import { metricValue, startFixtureManager, clientFor } from '../../support/operator.js';
import { eventually } from '../../support/wait.js';
import { registerMirror, sourceConfigMap, type ConfigMap } from './mirror-controller.js';

test('cache_objects counts what the cache holds and watch_events_total what it received', async (t) => {
  const ns = await createTestNamespace(t, 'rt-cache');
  const running = await startFixtureManager(t, {
    namespaces: [ns],
    register: (mgr) => {
      registerMirror(mgr, { concurrency: 2 });
    },
  });
  const client = clientFor(t);
  // The manager is returned once its endpoints listen, before its first list:
  // a ConfigMap created before that list ends arrives in it, not by the watch.
  await eventually('the first list of every informer', () => Promise.resolve(running.mgr.cache.hasSynced), {
    timeoutMs: 30_000,
    intervalMs: 50,
  });
  for (const name of ['a', 'b', 'c'])
    await client.create<ConfigMap>(coreTypes.configMap, sourceConfigMap(ns, name, name));

  const held = await eventually(
    'the cache to hold every ConfigMap of the namespace, mirrors included',
    async () => {
      const listed = (await client.list<ConfigMap>(coreTypes.configMap, ns)).items.length;
      const text = await running.metrics();
      const gauge = metricValue(text, 'stateful_volume_operator_cache_objects', { resource: 'configmaps' });
      return listed >= 7 && gauge === listed ? { listed, text } : false;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  // Three sources and three mirrors arrived by the watch, after the first list.
  const added = metricValue(held.text, 'stateful_volume_operator_watch_events_total', {
    resource: 'configmaps',
    type: 'ADDED',
  });
  assert.ok(added >= 6, `ADDED events: ${String(added)}`);
  assert.equal(running.mgr.cache.list(coreTypes.configMap, ns).length, held.listed);
  assert.equal(running.mgr.cache.list(coreTypes.configMap, `${ns}-elsewhere`).length, 0);
});
