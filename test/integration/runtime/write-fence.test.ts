// A fenced client (what controllers write through when leader election is on)
// asks whether it may write at the last moment before each write is sent, so a
// replica that lost its lease while it was frozen or queued sends nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeClient } from '../../../src/kube/client.js';
import { isNotLeader } from '../../../src/kube/errors.js';
import { coreTypes } from '../../../src/kube/resource.js';
import type { ConfigMap } from './mirror-controller.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';

function configMap(ns: string, name: string): ConfigMap {
  return { metadata: { name, namespace: ns }, data: { n: name } };
}

test('a fenced client sends no write while it may not write, and reads as usual', async (t) => {
  const ns = await createTestNamespace(t, 'rt-fence');
  const plain = new KubeClient(loadTestKubeConfig(), { userAgent: 'svo-tests', qps: 50, burst: 100 });
  t.after(() => {
    plain.close();
  });
  let leading = false;
  const fenced = plain.fenced(() => leading);

  await assert.rejects(fenced.create(coreTypes.configMap, configMap(ns, 'refused')), isNotLeader);
  await assert.rejects(
    fenced.patch(coreTypes.namespace, undefined, ns, { metadata: { labels: { touched: 'yes' } } }),
    isNotLeader,
  );
  assert.equal(await plain.find(coreTypes.configMap, ns, 'refused'), undefined, 'nothing was created');
  const namespace = await fenced.get<{ metadata: { labels?: Record<string, string> } }>(
    coreTypes.namespace,
    undefined,
    ns,
  );
  assert.equal(namespace.metadata.labels?.touched, undefined, 'nothing was patched; the read went through');

  leading = true;
  await fenced.create(coreTypes.configMap, configMap(ns, 'sent'));
  assert.notEqual(await plain.find(coreTypes.configMap, ns, 'sent'), undefined);
});

test('the fence is asked after the rate limiter, not when the write was queued', async (t) => {
  const ns = await createTestNamespace(t, 'rt-fence-queued');
  // One request a second: the second write waits about a second for its turn.
  const slow = new KubeClient(loadTestKubeConfig(), { userAgent: 'svo-tests', qps: 1, burst: 1 });
  t.after(() => {
    slow.close();
  });
  let leading = true;
  const fenced = slow.fenced(() => leading);
  await fenced.create(coreTypes.configMap, configMap(ns, 'first'));
  const queued = fenced.create(coreTypes.configMap, configMap(ns, 'queued'));
  // The lease lapses while the write waits for its token.
  leading = false;
  await assert.rejects(queued, isNotLeader);
  leading = true;
  assert.equal(await fenced.find(coreTypes.configMap, ns, 'queued'), undefined);
  assert.notEqual(await fenced.find(coreTypes.configMap, ns, 'first'), undefined);
});
