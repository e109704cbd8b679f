// etcd and then the API server go down while objects keep arriving: the
// operator must ride it out without exiting and converge on every object,
// none twice.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { coreTypes } from '../../src/kube/resource.js';
import { registerMirror, sourceLabel, type ConfigMap } from '../integration/runtime/mirror-controller.js';
import { requireOwnCluster, restartApiServer, restartEtcd } from '../support/control.js';
import { createTestNamespace } from '../support/kube.js';
import { startFixtureManager, clientFor } from '../support/operator.js';
import { eventually } from '../support/wait.js';

test('the operator converges through an etcd restart and an API server restart mid-rollout', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const ns = await createTestNamespace(t, 'chaos-cp');
  const running = await startFixtureManager(t, {
    namespaces: [ns],
    register: (mgr) => {
      registerMirror(mgr, { concurrency: 4 });
    },
  });
  const client = clientFor(t);
  const made = new Set<string>();
  const producing = { on: true };
  // Creates keep being attempted during the outages; only the ones the server accepted count.
  const producer = (async (): Promise<void> => {
    for (let i = 0; producing.on; i++) {
      const name = `s-${String(i)}`;
      await client
        .create<ConfigMap>(coreTypes.configMap, {
          metadata: { name, namespace: ns, labels: { [sourceLabel]: 'true' } },
          data: { n: String(i) },
        })
        .then(() => made.add(name))
        .catch(() => undefined);
      await sleep(50);
    }
  })();

  await sleep(2000);
  await restartEtcd({ downSeconds: 5 });
  await sleep(3000);
  await restartApiServer({ downSeconds: 5 });
  await sleep(3000);
  producing.on = false;
  await producer;

  // The server's own list is the truth: a create whose answer was lost in the outage may still exist.
  const { sources, mirrors } = await eventually(
    'one mirror per source',
    async () => {
      const list = await client.list<ConfigMap>(coreTypes.configMap, ns);
      const src = list.items.filter((cm) => cm.metadata.labels?.[sourceLabel] === 'true');
      const mir = list.items.filter((cm) => cm.metadata.name?.endsWith('-mirror'));
      return mir.length === src.length ? { sources: src, mirrors: mir } : false;
    },
    { timeoutMs: 120_000 },
  );
  assert.ok(sources.length >= made.size, 'every accepted create is there');
  assert.deepEqual(
    mirrors.map((m) => m.metadata.name).sort(),
    sources.map((m) => `${m.metadata.name ?? ''}-mirror`).sort(),
    'exactly one mirror per source',
  );
  assert.equal(running.settled(), false, 'the manager never exited');
  t.diagnostic(`${String(sources.length)} sources across the outages, each mirrored once`);
});
