// What every integration and e2e test needs from the test cluster: a client for
// the real API server started by scripts/test.mjs, and a namespace of its own.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';

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
    // Not awaited: the next test need not wait for this one's namespace to go; the file's
    // process stays alive until the cleanup is done.
    void releaseLeftovers(name, loadTestKubeConfig()).catch(() => undefined);
  });
  return name;
}

export const finalizedKinds = ['statefulvolumes', 'volumebackups', 'failovergroups'];

/**
 * A test's operator may stop before its objects' finalizers ran, which would
 * leave the namespace Terminating for good. The namespace's claims go with it
 * whatever a finalizer would decide, so once the namespace deletion has reached
 * an object its finalizers are dropped; what they do is tested on its own,
 * never through this cleanup. Gives up after timeoutMs (20 s by default) rather
 * than hold a test; a benchmark with thousands of objects waits longer.
 */
export async function releaseLeftovers(namespace: string, kc: KubeConfig, timeoutMs = 20_000): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const gone = await core.readNamespace({ name: namespace }).then(
      () => false,
      () => true,
    );
    if (gone) return;
    for (const plural of finalizedKinds) await dropFinalizers(custom, namespace, plural);
    await sleep(500);
  }
}

/** Drops the finalizers of the operator's objects in a namespace being deleted. */
export async function dropFinalizers(
  custom: CustomObjectsApi,
  namespace: string,
  plural: string,
): Promise<void> {
  const group = 'storage.stateful.dev';
  const version = 'v1alpha1';
  const list = (await custom
    .listNamespacedCustomObject({ group, version, namespace, plural })
    .catch(() => ({ items: [] }))) as {
    items?: { metadata?: { name?: string; deletionTimestamp?: string; finalizers?: string[] } }[];
  };
  for (const item of list.items ?? []) {
    const m = item.metadata;
    if (m?.deletionTimestamp === undefined || (m.finalizers ?? []).length === 0) continue;
    await custom
      .patchNamespacedCustomObject(
        { group, version, namespace, plural, name: m.name ?? '', body: { metadata: { finalizers: null } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )
      .catch(() => undefined);
  }
}
