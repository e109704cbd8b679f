// A kubeconfig's proxy-url is honoured by requests and watches alike, through
// an HTTP CONNECT proxy and a SOCKS5 proxy, each a few lines on loopback here
// that count the tunnels they carry.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../../src/kube/client.js';
import { coreTypes } from '../../../src/kube/resource.js';
import { createTestNamespace } from '../../support/kube.js';
import { eventually } from '../../support/wait.js';
import {
  adminUser,
  connectProxy,
  kubeconfigFile,
  socksProxy,
  tempDir,
  testCluster,
  watchConfigMaps,
  type ConfigMap,
  type ProxyRecord,
} from './support.js';

/**
 * Creates a ConfigMap, sees it arrive on a watch, and reads it with many
 * requests at once: all through the kubeconfig of kc.
 */
async function exercise(t: TestContext, kc: KubeConfig, maxConnections: number): Promise<void> {
  const ns = await createTestNamespace(t, 'kube-proxy');
  const client = new KubeClient(kc, { userAgent: 'svo-tests', qps: 200, burst: 200, maxConnections });
  t.after(() => {
    client.close();
  });
  const watch = await watchConfigMaps(t, client.transport, ns);
  await client.create<ConfigMap>(coreTypes.configMap, {
    metadata: { name: 'through-the-proxy', namespace: ns },
    data: { a: 'b' },
  });
  await eventually('the watch to see the ConfigMap', () =>
    Promise.resolve(watch.names.has('through-the-proxy')),
  );
  const reads = await Promise.all(
    Array.from({ length: 20 }, () => client.get<ConfigMap>(coreTypes.configMap, ns, 'through-the-proxy')),
  );
  assert.ok(reads.every((cm) => cm.data?.a === 'b'));
}

function assertTunnelled(record: ProxyRecord, maxConnections: number): void {
  const { host, port } = testCluster();
  assert.ok(
    record.targets.length >= 2,
    `a tunnel for the requests and one for the watch, saw ${String(record.targets.length)}`,
  );
  for (const target of record.targets) assert.equal(target, `${host}:${String(port)}`);
  // 22 requests and one watch: keep-alive and the connection limit hold through the proxy.
  assert.ok(
    record.maxOpen <= maxConnections + 1,
    `at most ${String(maxConnections)} tunnels for requests and one for the watch at once, saw ${String(record.maxOpen)}`,
  );
  assert.ok(
    record.targets.length <= maxConnections + 1,
    `tunnels reused, saw ${String(record.targets.length)}`,
  );
}

test("requests and a watch go through the kubeconfig's HTTP proxy-url", async (t) => {
  const proxy = await connectProxy(t);
  const kc = kubeconfigFile(tempDir(t), { 'proxy-url': proxy.url }, adminUser());
  await exercise(t, kc, 2);
  assertTunnelled(proxy, 2);
});

test("requests and a watch go through the kubeconfig's SOCKS5 proxy-url", async (t) => {
  const proxy = await socksProxy(t);
  const kc = kubeconfigFile(tempDir(t), { 'proxy-url': proxy.url }, adminUser());
  await exercise(t, kc, 2);
  assertTunnelled(proxy, 2);
});

test('open watches do not hold up requests when every request connection is taken', async (t) => {
  const ns = await createTestNamespace(t, 'kube-pools');
  const kc = kubeconfigFile(tempDir(t), {}, adminUser());
  const client = new KubeClient(kc, { userAgent: 'svo-tests', qps: 200, burst: 200, maxConnections: 1 });
  t.after(() => {
    client.close();
  });
  // Three watches stay open; with one connection for requests, a shared pool would queue the create behind them.
  const watches = [];
  for (let i = 0; i < 3; i++) watches.push(await watchConfigMaps(t, client.transport, ns));
  await client.create<ConfigMap>(coreTypes.configMap, { metadata: { name: 'not-queued', namespace: ns } });
  for (const watch of watches)
    await eventually('every watch to see the ConfigMap', () =>
      Promise.resolve(watch.names.has('not-queued')),
    );
});
