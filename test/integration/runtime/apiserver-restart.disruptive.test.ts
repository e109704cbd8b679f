// The API server goes away mid-run: the informers must come back on their own
// (no process exit), resume from their resourceVersion, and the controller must
// catch up with everything that changed while its watch was down.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coreTypes } from '../../../src/kube/resource.js';
import { requireOwnCluster, restartApiServer } from '../../support/control.js';
import { createTestNamespace } from '../../support/kube.js';
import { metricValue, startFixtureManager, clientFor } from '../../support/operator.js';
import { eventually } from '../../support/wait.js';
import { registerMirror, type ConfigMap } from './mirror-controller.js';
import { createSources, mirrorCount } from './mirror-sources.js';

test('informers survive an API server restart and no change made around it is lost', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const ns = await createTestNamespace(t, 'rt-restart');
  const running = await startFixtureManager(t, {
    namespaces: [ns],
    register: (mgr) => {
      registerMirror(mgr, { concurrency: 4 });
    },
  });
  await createSources(ns, 'before', 50);
  await eventually('50 mirrors before the restart', async () => (await mirrorCount(ns)) === 50);

  await restartApiServer({ downSeconds: 5 });
  // Made right after the server returns, typically while the informer is
  // still backing off: only a resume from the old resourceVersion (or a
  // relist) delivers these.
  await createSources(ns, 'after', 50);
  const client = clientFor(t);
  await client.patch(coreTypes.configMap, ns, 'before-3', { data: { value: 'changed' } });

  await eventually('100 mirrors after the restart', async () => (await mirrorCount(ns)) === 100, {
    timeoutMs: 120_000,
  });
  await eventually('the changed source mirrored', async () => {
    const m = await client.get<ConfigMap>(coreTypes.configMap, ns, 'before-3-mirror');
    return m.data?.value === 'changed';
  });
  assert.equal(running.settled(), false, 'the manager kept running through the outage');
  const text = await running.metrics();
  assert.ok(
    metricValue(text, 'stateful_volume_operator_informer_errors_total', { kind: 'watch' }) >= 1,
    'the outage was seen by the watches',
  );
  t.diagnostic(
    `informer watch failures during the restart: ${String(metricValue(text, 'stateful_volume_operator_informer_errors_total'))}`,
  );
});
