// The chart installed for real with helm into the test cluster: the API server
// accepts every object, the operator's pods pass Pod Security "restricted",
// land on different nodes, and its ServiceAccount gets exactly the access the
// operator needs, cluster-wide or only in the watched namespaces. With the
// default values the release takes over the CRDs the suite installed, as an
// install from the chart's former crds/ folder does on upgrade, and leaves
// them behind on uninstall; namespace users reach the four kinds through the
// built-in edit and view roles.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  PatchStrategy,
  PolicyV1Api,
  RbacAuthorizationV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { ensureCrds, loadCrds } from '../../support/crds.js';
import { createTestNamespace, loadTestKubeConfig, testKubeconfigPath } from '../../support/kube.js';
import { eventually } from '../../support/wait.js';
import {
  allNamespacesAccess,
  describeAccess,
  chartDir,
  deleteReleaseRbac,
  enforceRestricted,
  helm,
  ok,
  proveAccess,
  reviewAccess,
  waitAvailable,
  watchedNamespaceAccess,
  wildcards,
  type Access,
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
    await deleteReleaseRbac(kc, release);
  });
  ok(await helm(['install', release, chartDir, ...common, ...args]), `helm install ${release}`);
}

async function clusterRoleRules(release: string): Promise<Rule[]> {
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const role = await rbac.readClusterRole({ name: `${release}-stateful-volume-operator-manager` });
  return role.rules ?? [];
}

async function crdNames(): Promise<string[]> {
  return (await loadCrds()).map((c) => c.metadata?.name ?? '');
}

/**
 * What docs/install.md has an existing install do before its first upgrade to
 * templated CRDs: mark the CRDs as the release's, so that Helm adopts them.
 */
async function adoptCrds(release: string, namespace: string): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  for (const name of await crdNames()) {
    await api.patchCustomResourceDefinition(
      {
        name,
        body: {
          metadata: {
            labels: { 'app.kubernetes.io/managed-by': 'Helm' },
            annotations: {
              'meta.helm.sh/release-name': release,
              'meta.helm.sh/release-namespace': namespace,
              // An earlier run's release left its own; the chart must put it back.
              'helm.sh/resource-policy': null,
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
}

/** The nodes the release's operator pods run on. */
async function podNodes(namespace: string, release: string): Promise<string[]> {
  const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({
    namespace,
    labelSelector: `app.kubernetes.io/instance=${release}`,
  });
  return pods.items
    .filter((p) => p.metadata?.deletionTimestamp === undefined)
    .map((p) => p.spec?.nodeName ?? '');
}

/** Whether a person (a user name, no groups) may do it, as the API server's authorizer answers. */
async function userAllowed(user: string, a: Access): Promise<boolean> {
  return reviewAccess(kc, { user }, a);
}

async function bindBuiltIn(namespace: string, role: 'view' | 'edit', user: string): Promise<void> {
  await kc.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: `${role}-${user}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    },
  });
}

/** Waits until every answer is as expected: aggregation and the authorizer both catch up through informers. */
async function proveUser(user: string, expected: { can: Access[]; cannot: Access[] }): Promise<void> {
  await eventually(
    `${user} to get the four kinds through the built-in roles`,
    async () => {
      const wrong = [
        ...(
          await Promise.all(expected.can.map(async (a) => ((await userAllowed(user, a)) ? [] : [a])))
        ).flat(),
        ...(
          await Promise.all(expected.cannot.map(async (a) => ((await userAllowed(user, a)) ? [a] : [])))
        ).flat(),
      ];
      if (wrong.length > 0) throw new Error(`answered wrongly: ${wrong.map(describeAccess).join('; ')}`);
      return true;
    },
    { timeoutMs: 30_000 },
  );
}

const group = 'storage.stateful.dev';

test('helm upgrade to the default values: CRDs adopted and kept, replicas on different nodes, least privilege, users’ roles', async (t) => {
  // The suite installed the CRDs without Helm, as the chart's former crds/ folder did.
  await ensureCrds(kc);
  const ns = await createTestNamespace(t, 'helm');
  await enforceRestricted(kc, ns);
  const release = ns;
  const crdApi = kc.makeApiClient(ApiextensionsV1Api);
  const uids = await Promise.all(
    (await crdNames()).map(
      async (name) => (await crdApi.readCustomResourceDefinition({ name })).metadata?.uid,
    ),
  );
  // A release as the chart with a crds/ folder left it: the CRDs there, but not the release's.
  await install(t, release, ns, '--set', 'crds.enabled=false');
  // --reset-values: the chart's defaults, not the values of the release being upgraded.
  const upgrade = [
    'upgrade',
    release,
    chartDir,
    '--reset-values',
    '--kubeconfig',
    testKubeconfigPath(),
    '--namespace',
    ns,
  ];
  const refused = await helm(upgrade);
  assert.notEqual(refused.code, 0, 'Helm does not take over CRDs that are not marked as the release’s');
  assert.match(
    refused.stderr,
    /exists and cannot be imported into the current release: invalid ownership metadata/,
  );
  // docs/install.md, Upgrading: mark them, and the upgrade to the default values adopts them.
  await adoptCrds(release, ns);
  ok(await helm(upgrade), 'helm upgrade');
  const name = `${release}-stateful-volume-operator`;
  await waitAvailable(kc, ns, name);

  // The hard spread over nodes: both replicas never share one.
  const nodes = await podNodes(ns, release);
  assert.equal(nodes.length, 2, nodes.join(', '));
  assert.notEqual(nodes[0], nodes[1], 'the two replicas run on different nodes');
  const pdb = await kc.makeApiClient(PolicyV1Api).readNamespacedPodDisruptionBudget({ namespace: ns, name });
  assert.equal(pdb.spec?.maxUnavailable, 1);

  await proveAccess(kc, { namespace: ns, name }, allNamespacesAccess(ns, 'default'));
  assert.deepEqual(wildcards(await clusterRoleRules(release)), []);

  // People with the built-in roles in a namespace: view reads, edit writes, nobody writes status.
  const viewer = `viewer-${ns}`;
  const editor = `editor-${ns}`;
  await bindBuiltIn(ns, 'view', viewer);
  await bindBuiltIn(ns, 'edit', editor);
  const status = (resource: string, verb: string): Access => ({
    verb,
    resource,
    subresource: 'status',
    group,
    namespace: ns,
  });
  await proveUser(viewer, {
    can: [
      { verb: 'list', resource: 'statefulvolumes', group, namespace: ns },
      { verb: 'watch', resource: 'volumebackups', group, namespace: ns },
      status('failovergroups', 'get'),
    ],
    cannot: [
      { verb: 'create', resource: 'statefulvolumes', group, namespace: ns },
      { verb: 'list', resource: 'statefulvolumes', group, namespace: 'default' },
      status('statefulvolumes', 'update'),
    ],
  });
  await proveUser(editor, {
    can: [
      { verb: 'create', resource: 'statefulvolumes', group, namespace: ns },
      { verb: 'delete', resource: 'volumebackups', group, namespace: ns },
      { verb: 'patch', resource: 'volumebackuppolicies', group, namespace: ns },
      { verb: 'update', resource: 'failovergroups', group, namespace: ns },
      status('volumebackups', 'get'),
    ],
    cannot: [
      status('statefulvolumes', 'update'),
      status('failovergroups', 'patch'),
      { verb: 'create', resource: 'statefulvolumes', group, namespace: 'default' },
    ],
  });

  // The release took the CRDs over (its keep annotation is on them) and leaves them when it goes.
  for (const crd of await crdNames()) {
    const annotations =
      (await crdApi.readCustomResourceDefinition({ name: crd })).metadata?.annotations ?? {};
    assert.equal(annotations['meta.helm.sh/release-name'], release, crd);
    assert.equal(annotations['helm.sh/resource-policy'], 'keep', crd);
  }
  ok(
    await helm(['uninstall', release, '--kubeconfig', testKubeconfigPath(), '--namespace', ns]),
    'helm uninstall',
  );
  const after = await Promise.all(
    (await crdNames()).map(
      async (crd) => (await crdApi.readCustomResourceDefinition({ name: crd })).metadata,
    ),
  );
  assert.deepEqual(
    after.map((m) => m?.uid),
    uids,
    'the same CRDs as before the install',
  );
  assert.deepEqual(
    after.filter((m) => m?.deletionTimestamp !== undefined).map((m) => m?.name),
    [],
    'no CRD is being deleted',
  );
});

test('helm install with watchNamespaces: namespaced access only where it watches', async (t) => {
  await ensureCrds(kc);
  const home = await createTestNamespace(t, 'helm-home');
  const watched = await createTestNamespace(t, 'helm-watched');
  const release = home;
  // The CRDs are the suite's (or the first test's release's): a second release may not own them.
  await install(
    t,
    release,
    home,
    '--set',
    `watchNamespaces={${watched}}`,
    '--set',
    'replicaCount=1',
    '--set',
    'crds.enabled=false',
  );
  const name = `${release}-stateful-volume-operator`;
  await proveAccess(kc, { namespace: home, name }, watchedNamespaceAccess(home, watched));
  const resources = (await clusterRoleRules(release)).flatMap((r) => r.resources ?? []);
  assert.ok(!resources.includes('persistentvolumeclaims'), 'claims are granted per namespace only');
});
