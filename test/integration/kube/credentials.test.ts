// Credentials are taken anew for each request, so what rotates on disk or in
// an exec plugin is used without a restart: tokens (exec plugin, the in-cluster
// token file) and client certificates; and a client certificate handed over as
// PKCS#12 (pfx) is used at all. Who the API server took a request to be is its
// own answer to a SelfSubjectReview.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { CoreV1Api, KubeConfig, type User } from '@kubernetes/client-node';
import { ApiError } from '../../../src/kube/errors.js';
import { KubeTransport } from '../../../src/kube/http.js';
import { coreTypes, resourcePath } from '../../../src/kube/resource.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';
import { eventually } from '../../support/wait.js';
import {
  adminUser,
  caKeyPath,
  clientCertificate,
  kubeconfigFile,
  openssl,
  tempDir,
  testCluster,
  watchConfigMaps,
  whoAmI,
} from './support.js';

function transportOf(t: TestContext, kc: KubeConfig): KubeTransport {
  const transport = new KubeTransport(kc, { userAgent: 'svo-tests', qps: 50, burst: 100 });
  t.after(() => {
    transport.close();
  });
  return transport;
}

/** Two service accounts of a fresh namespace, with a token each from the TokenRequest API. */
async function twoAccounts(t: TestContext): Promise<{ users: [string, string]; tokens: [string, string] }> {
  const ns = await createTestNamespace(t, 'kube-creds');
  const core = loadTestKubeConfig().makeApiClient(CoreV1Api);
  const mint = async (name: string): Promise<string> => {
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name } } });
    const request = await core.createNamespacedServiceAccountToken({
      namespace: ns,
      name,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    return request.status?.token ?? '';
  };
  return {
    users: [`system:serviceaccount:${ns}:first`, `system:serviceaccount:${ns}:second`],
    tokens: [await mint('first'), await mint('second')],
  };
}

test("an exec plugin's new token is used by the next request", async (t) => {
  const { users, tokens } = await twoAccounts(t);
  const dir = tempDir(t);
  const credential = join(dir, 'credential.json');
  const write = (token: string): void => {
    writeFileSync(
      credential,
      JSON.stringify({
        apiVersion: 'client.authentication.k8s.io/v1',
        kind: 'ExecCredential',
        status: { token },
      }),
    );
  };
  write(tokens[0]);
  // No expirationTimestamp: client-node runs the plugin for every request.
  const kc = kubeconfigFile(
    dir,
    {},
    {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: 'cat',
        args: [credential],
        interactiveMode: 'Never',
      },
    },
  );
  const transport = transportOf(t, kc);
  assert.equal(await whoAmI(transport), users[0]);
  write(tokens[1]);
  assert.equal(await whoAmI(transport), users[1]);
});

test('a rewritten in-cluster token file is used without a restart', async (t) => {
  const { users, tokens } = await twoAccounts(t);
  // The layout a pod gets at /var/run/secrets/kubernetes.io/serviceaccount, under a prefix.
  const root = tempDir(t);
  const secrets = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
  mkdirSync(secrets, { recursive: true });
  copyFileSync(testCluster().caFile, join(secrets, 'ca.crt'));
  writeFileSync(join(secrets, 'namespace'), 'default');
  writeFileSync(join(secrets, 'token'), tokens[0]);
  const { host, port } = testCluster();
  const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
  process.env.KUBERNETES_SERVICE_HOST = host;
  process.env.KUBERNETES_SERVICE_PORT = String(port);
  const kc = new KubeConfig();
  try {
    kc.loadFromCluster(root);
  } finally {
    if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
    else process.env.KUBERNETES_SERVICE_HOST = saved.host;
    if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
    else process.env.KUBERNETES_SERVICE_PORT = saved.port;
  }
  const transport = transportOf(t, kc);
  assert.equal(await whoAmI(transport), users[0]);
  // The kubelet rewrites the projected token long before the old one expires;
  // client-node reads the file again at most a minute later, as client-go does.
  writeFileSync(join(secrets, 'token'), tokens[1]);
  await eventually('requests to carry the new token', async () => (await whoAmI(transport)) === users[1], {
    timeoutMs: 90_000,
    intervalMs: 2_000,
  });
});

const noCaKey = caKeyPath() === undefined ? 'needs the test bed CA key (SVO_CLUSTER_RUN)' : false;

test('a client certificate rotated on disk is used by the next request', { skip: noCaKey }, async (t) => {
  const dir = tempDir(t);
  const first = clientCertificate(dir, 'svo-test-rotation-first');
  const second = clientCertificate(dir, 'svo-test-rotation-second');
  const cert = join(dir, 'client.crt');
  const key = join(dir, 'client.key');
  const install = (pair: { cert: string; key: string }): void => {
    copyFileSync(pair.cert, cert);
    copyFileSync(pair.key, key);
  };
  install(first);
  const transport = transportOf(
    t,
    kubeconfigFile(dir, {}, { 'client-certificate': cert, 'client-key': key }),
  );
  assert.equal(await whoAmI(transport), 'svo-test-rotation-first');
  install(second);
  assert.equal(await whoAmI(transport), 'svo-test-rotation-second');
  assert.equal(await whoAmI(transport), 'svo-test-rotation-second');
});

test(
  'a watch opened before a certificate rotation keeps its connection while requests move to the new certificate',
  { skip: noCaKey },
  async (t) => {
    const ns = await createTestNamespace(t, 'kube-rotate-watch');
    const dir = tempDir(t);
    const admin = adminUser() as { 'client-certificate': string; 'client-key': string };
    const second = clientCertificate(dir, 'svo-test-rotation-watch');
    const cert = join(dir, 'client.crt');
    const key = join(dir, 'client.key');
    copyFileSync(admin['client-certificate'], cert);
    copyFileSync(admin['client-key'], key);
    const transport = transportOf(
      t,
      kubeconfigFile(dir, {}, { 'client-certificate': cert, 'client-key': key }),
    );
    const adminName = await whoAmI(transport);
    const watch = await watchConfigMaps(t, transport, ns);
    copyFileSync(second.cert, cert);
    copyFileSync(second.key, key);
    assert.equal(await whoAmI(transport), 'svo-test-rotation-watch');
    assert.notEqual(adminName, 'svo-test-rotation-watch');
    // A new watch takes the new certificate, which may not read ConfigMaps.
    await assert.rejects(
      transport.stream(
        resourcePath(coreTypes.configMap, ns),
        { watch: true },
        () => undefined,
        AbortSignal.timeout(10_000),
      ),
      (err: unknown) => err instanceof ApiError && err.code === 403,
    );
    // The first one still runs on its connection, as the admin.
    await loadTestKubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'after-rotation' } } });
    await eventually('the watch to see the ConfigMap', () =>
      Promise.resolve(watch.names.has('after-rotation')),
    );
  },
);

test('a client certificate given as pfx with a passphrase authenticates', { skip: noCaKey }, async (t) => {
  const dir = tempDir(t);
  const { cert, key } = clientCertificate(dir, 'svo-test-pfx');
  const pfxPath = join(dir, 'client.p12');
  openssl(['pkcs12', '-export', '-in', cert, '-inkey', key, '-out', pfxPath, '-passout', 'pass:s3cret']);
  const pfx = readFileSync(pfxPath);
  // A kubeconfig has no pfx field (client-go's has none either): a pfx reaches
  // applyToHTTPSOptions only from an authenticator, here one of the program's own.
  const kc = kubeconfigFile(dir, {}, {});
  kc.addAuthenticator({
    isAuthProvider: (user: User) => user.name === 'u',
    applyAuthentication: (_user, opts) => {
      Object.assign(opts, { pfx, passphrase: 's3cret' });
      return Promise.resolve();
    },
  });
  assert.equal(await whoAmI(transportOf(t, kc)), 'svo-test-pfx');
});
