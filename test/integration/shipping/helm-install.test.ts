// The chart installed for real with helm into the test cluster: the API server
// accepts every object, the operator's pods pass Pod Security "restricted",
// and its ServiceAccount gets exactly the access the operator needs, cluster-
// wide or only in the watched namespaces.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { RbacAuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { ensureCrds } from '../../support/crds.js';
import { createTestNamespace, loadTestKubeConfig, testKubeconfigPath } from '../../support/kube.js';
import {
  allNamespacesAccess,
  chartDir,
  enforceRestricted,
  helm,
  ok,
  proveAccess,
  waitAvailable,
  watchedNamespaceAccess,
  wildcards,
  type Rule,
} from './tools.js';

const kc = loadTestKubeConfig();

/** Installs the chart as release `release` in `namespace`; uninstalled when the test ends. */
async function install(t: TestContext, release: string, namespace: string, ...args: string[]): Promise<void> {
  const common = ['--kubeconfig', testKubeconfigPath(), '--namespace', namespace];
  t.after(async () => {
    await helm(['uninstall', release, ...common]);
    // Namespaced objects go with the namespace; cluster-scoped ones must not outlive the test
    // even if the namespace went first and took helm's release record with it.
    await deleteClusterRbac(kc, release);
  });
  ok(await helm(['install', release, chartDir, ...common, ...args]), `helm install ${release}`);
}

async function deleteClusterRbac(config: KubeConfig, release: string): Promise<void> {
  const rbac = config.makeApiClient(RbacAuthorizationV1Api);
  const labelSelector = `app.kubernetes.io/instance=${release}`;
  await rbac.deleteCollectionClusterRoleBinding({ labelSelector }).catch(() => undefined);
  await rbac.deleteCollectionClusterRole({ labelSelector }).catch(() => undefined);
  // The node-lease Role lives in kube-node-lease, which outlives the test's namespace.
  const nodeLeases = { namespace: 'kube-node-lease', labelSelector };
  await rbac.deleteCollectionNamespacedRoleBinding(nodeLeases).catch(() => undefined);
  await rbac.deleteCollectionNamespacedRole(nodeLeases).catch(() => undefined);
}

async function clusterRoleRules(release: string): Promise<Rule[]> {
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const role = await rbac.readClusterRole({ name: `${release}-stateful-volume-operator-manager` });
  return role.rules ?? [];
}

test('helm install: every namespace watched, pods admitted as restricted, least privilege', async (t) => {
  // helm skips CRDs that exist; installing them first keeps the suite's own install in charge.
  await ensureCrds(kc);
  const ns = await createTestNamespace(t, 'helm');
  await enforceRestricted(kc, ns);
  const release = ns;
  await install(t, release, ns);
  const name = `${release}-stateful-volume-operator`;
  await waitAvailable(kc, ns, name);
  await proveAccess(kc, { namespace: ns, name }, allNamespacesAccess(ns, 'default'));
  assert.deepEqual(wildcards(await clusterRoleRules(release)), []);
});

test('helm install with watchNamespaces: namespaced access only where it watches', async (t) => {
  await ensureCrds(kc);
  const home = await createTestNamespace(t, 'helm-home');
  const watched = await createTestNamespace(t, 'helm-watched');
  const release = home;
  await install(t, release, home, '--set', `watchNamespaces={${watched}}`, '--set', 'replicaCount=1');
  const name = `${release}-stateful-volume-operator`;
  await proveAccess(kc, { namespace: home, name }, watchedNamespaceAccess(home, watched));
  const resources = (await clusterRoleRules(release)).flatMap((r) => r.resources ?? []);
  assert.ok(!resources.includes('persistentvolumeclaims'), 'claims are granted per namespace only');
});
