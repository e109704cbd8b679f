// config/default through kubectl's kustomize, as `kubectl apply -k` uses it: an
// overlay can move it to another namespace and rename it, the API server
// accepts all of it (CRDs included, server-side dry run), and applied for real
// its pods pass Pod Security "restricted" and its ServiceAccount gets exactly
// the access the operator needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { createTestNamespace, loadTestKubeConfig, testKubeconfigPath } from '../../support/kube.js';
import {
  allNamespacesAccess,
  kubectl,
  manifests,
  metricsOnlyPolicySpec,
  ok,
  one,
  only,
  podSpec,
  proveAccess,
  repoRoot,
  rulesOf,
  unknownFlags,
  waitAvailable,
  wildcards,
  type Manifest,
} from './tools.js';

const kc = loadTestKubeConfig();
const fieldManager = 'svo-shipping-test';

/**
 * `kubectl kustomize` of an overlay on config/default that sets namespace and a
 * name suffix, as docs/install.md shows it: a plain `namespace:` would move the
 * node-lease Role out of kube-node-lease, so the overlay runs the namespace
 * transformer itself and puts those two objects back.
 */
async function overlay(namespace: string): Promise<Manifest[]> {
  const dir = await mkdtemp(join(tmpdir(), 'svo-kustomize-'));
  try {
    // kustomize accepts only relative paths to another kustomization.
    const base = relative(dir, join(repoRoot, 'config', 'default'));
    await writeFile(
      join(dir, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        `nameSuffix: -${namespace}`,
        'resources:',
        `  - ${base}`,
        'transformers:',
        '  - |-',
        '    apiVersion: builtin',
        '    kind: NamespaceTransformer',
        '    metadata:',
        '      name: operator-namespace',
        `      namespace: ${namespace}`,
        '    setRoleBindingSubjects: allServiceAccounts',
        '    fieldSpecs:',
        '      - path: metadata/name',
        '        kind: Namespace',
        '        create: true',
        '  - |-',
        '    apiVersion: builtin',
        '    kind: PatchTransformer',
        '    metadata:',
        '      name: node-leases-stay',
        '    target:',
        '      name: stateful-volume-operator-node-leases.*',
        `    patch: '[{"op": "replace", "path": "/metadata/namespace", "value": "kube-node-lease"}]'`,
        '',
      ].join('\n'),
    );
    return manifests(ok(await kubectl(['kustomize', dir]), 'kubectl kustomize'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function toYamlStream(docs: readonly Manifest[]): string {
  // kubectl reads JSON documents as well; one per line keeps them apart.
  return docs.map((d) => JSON.stringify(d)).join('\n');
}

async function apply(docs: readonly Manifest[], dryRun: boolean): Promise<string> {
  const args = ['apply', '--server-side', `--field-manager=${fieldManager}`, '-f', '-'];
  const result = await kubectl(
    ['--kubeconfig', testKubeconfigPath(), ...args, ...(dryRun ? ['--dry-run=server'] : [])],
    { input: toYamlStream(docs) },
  );
  return ok(result, `kubectl apply${dryRun ? ' --dry-run=server' : ''}`);
}

test('config/default renders: namespace, CRDs, RBAC generated from permissions.ts, the Deployment', async () => {
  const docs = manifests(ok(await kubectl(['kustomize', join(repoRoot, 'config', 'default')]), 'kustomize'));
  assert.equal(one(docs, 'Namespace').metadata.name, 'stateful-volume-system');
  assert.equal(only(docs, 'CustomResourceDefinition').length, 4);
  const role = load(await readFile(join(repoRoot, 'config', 'rbac', 'role.yaml'), 'utf8')) as Manifest;
  const clusterRole = (name: string): Manifest => {
    const found = docs.find((d) => d.kind === 'ClusterRole' && d.metadata.name === name);
    assert.ok(found, `ClusterRole ${name}`);
    return found;
  };
  assert.deepEqual(rulesOf(clusterRole('stateful-volume-operator-manager')), rulesOf(role));
  assert.deepEqual(rulesOf(clusterRole('stateful-volume-operator-metrics-reader')), [
    { nonResourceURLs: ['/metrics'], verbs: ['get'] },
  ]);
  assert.deepEqual((one(docs, 'Service').spec as { ports: unknown[] }).ports, [
    { name: 'https', port: 8443, targetPort: 'metrics', protocol: 'TCP' },
  ]);
  const rules = docs.flatMap(rulesOf);
  assert.ok(rules.length > 0);
  assert.deepEqual(wildcards(rules), []);
  const deployment = one(docs, 'Deployment', 'stateful-volume-system');
  const [manager] = podSpec(deployment).containers;
  assert.ok(manager);
  assert.equal(manager.image, 'ghcr.io/stateful-dev/stateful-volume-operator:0.1.0');
  assert.deepEqual(manager.args, [
    '--leader-elect',
    '--metrics-bind-address=:8443',
    '--health-probe-bind-address=:8081',
    '--fencing-mode=ConfirmedShutdown',
  ]);
  assert.deepEqual(unknownFlags(manager.args), []);
  assert.deepEqual(manager.env?.find((e) => e.name === 'POD_NAMESPACE')?.valueFrom, {
    fieldRef: { fieldPath: 'metadata.namespace' },
  });
  const namespaced = docs.filter(
    (d) => !['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'].includes(d.kind),
  );
  // Everything in the operator's namespace but the node-lease Role and its binding.
  assert.deepEqual(
    namespaced
      .filter((d) => d.metadata.namespace !== 'stateful-volume-system')
      .map((d) => `${d.kind} ${d.metadata.namespace ?? ''}`),
    ['Role kube-node-lease', 'RoleBinding kube-node-lease'],
  );
});

test('kubectl apply -k: an overlay renames it, the server accepts it, and the operator gets only what it needs', async (t) => {
  const ns = await createTestNamespace(t, 'kust');
  const docs = await overlay(ns);
  const sa = one(docs, 'ServiceAccount');
  assert.equal(sa.metadata.name, `stateful-volume-operator-${ns}`);
  // Bindings must follow the ServiceAccount through the overlay's namespace and suffix.
  for (const binding of [...only(docs, 'ClusterRoleBinding'), ...only(docs, 'RoleBinding')]) {
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: ns }]);
  }
  assert.deepEqual(
    only(docs, 'RoleBinding', 'kube-node-lease').map((d) => d.metadata.name),
    [`stateful-volume-operator-node-leases-${ns}`],
    'the node-lease binding stays in kube-node-lease',
  );
  assert.equal(podSpec(one(docs, 'Deployment')).serviceAccountName, sa.metadata.name);

  // Everything, CRDs too, as `kubectl apply --server-side -k config/default` would send it.
  await apply(docs, true);

  // For real, minus the CRDs: the suite installs those itself (test/support/crds.ts).
  t.after(async () => {
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    const name = `stateful-volume-operator-manager-${ns}`;
    await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
    await rbac.deleteClusterRole({ name }).catch(() => undefined);
    const leases = { namespace: 'kube-node-lease', name: `stateful-volume-operator-node-leases-${ns}` };
    await rbac.deleteNamespacedRoleBinding(leases).catch(() => undefined);
    await rbac.deleteNamespacedRole(leases).catch(() => undefined);
    for (const role of ['metrics-reader', 'view', 'edit']) {
      await rbac.deleteClusterRole({ name: `stateful-volume-operator-${role}-${ns}` }).catch(() => undefined);
    }
  });
  await apply(
    docs.filter((d) => d.kind !== 'CustomResourceDefinition'),
    false,
  );
  // namespace.yaml labels the namespace restricted, so available pods passed Pod Security.
  await waitAvailable(kc, ns, `stateful-volume-operator-${ns}`);
  await proveAccess(kc, { namespace: ns, name: sa.metadata.name }, allNamespacesAccess(ns, 'default'));
});

test('config/network-policy and config/prometheus render: metrics from labelled namespaces only, over HTTPS', async () => {
  const policy = one(
    manifests(ok(await kubectl(['kustomize', join(repoRoot, 'config', 'network-policy')]), 'kustomize')),
    'NetworkPolicy',
  );
  assert.deepEqual(
    policy.spec,
    metricsOnlyPolicySpec({
      'app.kubernetes.io/name': 'stateful-volume-operator',
      'app.kubernetes.io/component': 'manager',
    }),
  );
  const monitor = one(
    manifests(ok(await kubectl(['kustomize', join(repoRoot, 'config', 'prometheus')]), 'kustomize')),
    'ServiceMonitor',
  );
  assert.deepEqual((monitor.spec as { endpoints: unknown[] }).endpoints, [
    {
      port: 'https',
      scheme: 'https',
      honorLabels: true,
      path: '/metrics',
      interval: '30s',
      bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      tlsConfig: { insecureSkipVerify: true },
    },
  ]);
});
