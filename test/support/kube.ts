// What every integration and e2e test needs from the test cluster: a client for
// the real API server started by scripts/test.mjs, and a namespace of its own.
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

/** Path of the admin kubeconfig of the cluster this test run started (or was pointed at). */
export function testKubeconfigPath(): string {
  const path = process.env.SVO_KUBECONFIG;
  if (path === undefined || path === '') {
    throw new Error(
      'SVO_KUBECONFIG is not set: integration tests run through `npm test` (or `npm run test:integration`), ' +
        'which starts the local cluster and sets it.',
    );
  }
  return path;
}

export function loadTestKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(testKubeconfigPath());
  return kc;
}

/**
 * Creates a namespace unique to one test and deletes it when the test ends, so
 * tests never see each other's objects.
 */
export async function createTestNamespace(t: TestContext, prefix = 't'): Promise<string> {
  const core = loadTestKubeConfig().makeApiClient(CoreV1Api);
  const name = `${prefix}-${randomBytes(4).toString('hex')}`.toLowerCase().slice(0, 63);
  await core.createNamespace({ body: { metadata: { name, labels: { 'test.stateful.dev/run': 'true' } } } });
  t.after(async () => {
    await core.deleteNamespace({ name }).catch(() => undefined);
  });
  return name;
}
