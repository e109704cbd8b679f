// The Helm chart without a cluster: it lints, renders for both ways of
// scoping, grants exactly the rules of src/controllers/permissions.ts (the
// same as config/rbac/role.yaml), passes only flags the operator knows, and
// its values schema turns a typo into a clear error. Placement, disruption
// budget, CRDs and the users' roles render as config/ ships them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { generatedFiles } from '../../../scripts/codegen/outputs.js';
import { shippingFiles, userEditRules, userViewRules } from '../../../scripts/codegen/rbac.js';
import {
  clusterRules,
  leaderElectionRules,
  namespacedRules,
  nodeLeaseRules,
} from '../../../src/controllers/permissions.js';
import {
  chartDir,
  helm,
  lintChart,
  manifests,
  metricsOnlyPolicySpec,
  ok,
  one,
  only,
  podSpec,
  repoRoot,
  rulesOf,
  unknownFlags,
  wildcards,
  type Container,
  type Manifest,
  type Rule,
} from './tools.js';

async function render(...args: string[]): Promise<Manifest[]> {
  const out = ok(
    await helm(['template', 'svo', chartDir, '--namespace', 'svo-system', ...args]),
    'helm template',
  );
  return manifests(out);
}

/** Rules as the API server stores them: no undefined keys, in the order given. */
function plain(rules: readonly Rule[]): Rule[] {
  return JSON.parse(JSON.stringify(rules)) as Rule[];
}

async function roleYaml(file = 'role.yaml'): Promise<Manifest> {
  return load(await readFile(join(repoRoot, 'config', 'rbac', file), 'utf8')) as Manifest;
}

function named(docs: readonly Manifest[], kind: string, name: string): Manifest {
  const found = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name}`);
  return found;
}

test('helm lint --strict passes with the default values and with watched namespaces', async () => {
  await lintChart();
  await lintChart('watchNamespaces={team-a,team-b}');
  await lintChart(
    'crds.enabled=false,podDisruptionBudget.enabled=false,rbac.aggregateToDefaultRoles=false,topologySpreadConstraints=null',
  );
  await lintChart(
    'crds.keep=false,podDisruptionBudget.minAvailable=1,podDisruptionBudget.maxUnavailable=null',
  );
  await lintChart(
    'metrics.certSecret=svo-metrics-cert,metrics.serviceMonitor.enabled=true,networkPolicy.enabled=false',
  );
  await lintChart('metrics.secure=false,metrics.serviceMonitor.enabled=true');
});

test('the shipping files are generated and current: config/rbac, the chart rules and CRDs', async () => {
  const generated = await generatedFiles();
  const stale: string[] = [];
  for (const [path, content] of await shippingFiles(generated)) {
    const onDisk = await readFile(join(repoRoot, path), 'utf8').catch(() => undefined);
    if (onDisk !== content) stale.push(path);
  }
  assert.deepEqual(stale, [], 'run `npx tsx scripts/generate.ts` and commit the result');
  const chartCrds = (await readdir(join(chartDir, 'files', 'crds'))).sort();
  const crds = (await readdir(join(repoRoot, 'crds'))).sort();
  assert.deepEqual(chartCrds, crds, 'the chart carries exactly the CRDs of crds/');
  // Helm would install a crds/ folder once, besides the templates, and never upgrade it.
  await assert.rejects(readdir(join(chartDir, 'crds')), { code: 'ENOENT' });
});

test('default values: everything in one ClusterRole, the same rules as config/rbac/role.yaml', async () => {
  const docs = await render();
  const kinds = docs.map((d) => d.kind).sort();
  assert.deepEqual(kinds, [
    'ClusterRole',
    'ClusterRole',
    'ClusterRole',
    'ClusterRole',
    'ClusterRoleBinding',
    'CustomResourceDefinition',
    'CustomResourceDefinition',
    'CustomResourceDefinition',
    'CustomResourceDefinition',
    'Deployment',
    'NetworkPolicy',
    'PodDisruptionBudget',
    'Role',
    'Role',
    'RoleBinding',
    'RoleBinding',
    'Service',
    'ServiceAccount',
  ]);
  const clusterRole = named(docs, 'ClusterRole', 'svo-stateful-volume-operator-manager');
  assert.deepEqual(rulesOf(clusterRole), rulesOf(await roleYaml()), 'chart RBAC differs from config/rbac');
  assert.deepEqual(rulesOf(clusterRole), plain([...clusterRules, ...namespacedRules]));
  const leader = one(docs, 'Role', 'svo-system');
  assert.deepEqual(rulesOf(leader), plain(leaderElectionRules));
  // Node Leases are read in kube-node-lease only, through a Role there, never cluster-wide.
  const nodeLeases = one(docs, 'Role', 'kube-node-lease');
  assert.equal(nodeLeases.metadata.name, 'svo-stateful-volume-operator-node-leases');
  assert.deepEqual(rulesOf(nodeLeases), plain(nodeLeaseRules));
  const sa = one(docs, 'ServiceAccount');
  for (const binding of [...only(docs, 'ClusterRoleBinding'), ...only(docs, 'RoleBinding')]) {
    assert.deepEqual(binding.subjects, [
      { kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'svo-system' },
    ]);
  }
});

test('watchNamespaces: a Role per namespace, and the ClusterRole keeps only cluster-scoped rules', async () => {
  const docs = await render('--set', 'watchNamespaces={team-a,team-b}');
  assert.deepEqual(
    rulesOf(named(docs, 'ClusterRole', 'svo-stateful-volume-operator-manager')),
    plain(clusterRules),
  );
  assert.deepEqual(rulesOf(one(docs, 'Role', 'kube-node-lease')), plain(nodeLeaseRules));
  for (const ns of ['team-a', 'team-b']) {
    assert.deepEqual(rulesOf(one(docs, 'Role', ns)), plain(namespacedRules), `Role in ${ns}`);
    const binding = one(docs, 'RoleBinding', ns);
    assert.deepEqual(binding.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'svo-stateful-volume-operator-manager',
    });
    assert.deepEqual(binding.subjects, [
      { kind: 'ServiceAccount', name: 'svo-stateful-volume-operator', namespace: 'svo-system' },
    ]);
  }
  const env = podSpec(one(docs, 'Deployment')).containers[0]?.env ?? [];
  assert.deepEqual(
    env.find((e) => e.name === 'SVO_WATCH_NAMESPACES'),
    { name: 'SVO_WATCH_NAMESPACES', value: 'team-a,team-b' },
  );
});

test('no rule anywhere grants a wildcard', async () => {
  const rendered = [...(await render()), ...(await render('--set', 'watchNamespaces={a}'))];
  const rules = [
    ...clusterRules,
    ...namespacedRules,
    ...leaderElectionRules,
    ...nodeLeaseRules,
    ...rulesOf(await roleYaml()),
    ...rendered.flatMap(rulesOf),
  ];
  assert.ok(rules.length > 0);
  assert.deepEqual(wildcards(rules), []);
  const resources = rules.flatMap((r) => r.resources ?? []);
  assert.ok(!resources.includes('secrets'), 'the operator never reads secrets');
});

test('the Deployment: image, flags the operator knows, probes, resources, a locked-down container', async () => {
  const deployment = one(await render(), 'Deployment');
  assert.equal((deployment.spec as { replicas: number }).replicas, 2);
  const pod = podSpec(deployment);
  const [manager] = pod.containers;
  assert.ok(manager);
  assert.equal(manager.image, 'ghcr.io/stateful-dev/stateful-volume-operator:0.1.0');
  const args = manager.args ?? [];
  assert.deepEqual(unknownFlags(args), []);
  for (const flag of [
    '--leader-elect=true',
    '--metrics-bind-address=:8443',
    '--metrics-secure=true',
    '--health-probe-bind-address=:8081',
    '--leader-election-id=svo-stateful-volume-operator',
    '--log-level=info',
    '--concurrency=4',
  ]) {
    assert.ok(args.includes(flag), `${flag} in ${args.join(' ')}`);
  }
  assert.deepEqual(manager.env?.find((e) => e.name === 'POD_NAMESPACE')?.valueFrom, {
    fieldRef: { fieldPath: 'metadata.namespace' },
  });
  assert.deepEqual(manager.livenessProbe?.httpGet, { path: '/healthz', port: 'health' });
  assert.deepEqual(manager.readinessProbe?.httpGet, { path: '/readyz', port: 'health' });
  const ports = Object.fromEntries((manager.ports ?? []).map((p) => [p.name, p.containerPort]));
  assert.deepEqual(ports, { metrics: 8443, health: 8081 });
  assert.deepEqual(manager.resources, {
    requests: { cpu: '50m', memory: '192Mi' },
    limits: { memory: '512Mi' },
  });
  assert.deepEqual(manager.securityContext, {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  });
  assert.equal(pod.securityContext?.runAsNonRoot, true);
});

test('values reach the manifests: leader election off, image digest, ServiceMonitor', async () => {
  const docs = await render(
    '--set',
    'replicaCount=1,leaderElection.enabled=false,logLevel=debug',
    '--set',
    'image.digest=sha256:' + 'a'.repeat(64),
    '--set',
    'metrics.serviceMonitor.enabled=true',
  );
  const [manager] = podSpec(one(docs, 'Deployment')).containers;
  assert.ok(manager);
  const args = manager.args ?? [];
  assert.ok(args.includes('--leader-elect=false'), args.join(' '));
  assert.ok(args.includes('--log-level=debug'), args.join(' '));
  assert.equal(manager.image, `ghcr.io/stateful-dev/stateful-volume-operator@sha256:${'a'.repeat(64)}`);
  assert.equal(only(docs, 'Role', 'svo-system').length, 0, 'no leader election Role without leader election');
  const monitor = one(docs, 'ServiceMonitor');
  assert.deepEqual((monitor.spec as { endpoints: unknown[] }).endpoints, [
    {
      port: 'https',
      scheme: 'https',
      honorLabels: true,
      path: '/metrics',
      interval: '30s',
      scrapeTimeout: '10s',
      bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      tlsConfig: { insecureSkipVerify: true },
    },
  ]);
});

interface ServicePort {
  name: string;
  port: number;
  targetPort: string;
}

function servicePorts(docs: readonly Manifest[]): { type: string; ports: ServicePort[] } {
  const spec = one(docs, 'Service').spec as { type: string; ports: ServicePort[] };
  return { type: spec.type, ports: spec.ports };
}

test('metrics by default: HTTPS on 8443 behind a ClusterIP Service, and a metrics-reader ClusterRole', async () => {
  const docs = await render();
  assert.deepEqual(servicePorts(docs), {
    type: 'ClusterIP',
    ports: [{ name: 'https', port: 8443, targetPort: 'metrics', protocol: 'TCP' }],
  });
  const reader = named(docs, 'ClusterRole', 'svo-stateful-volume-operator-metrics-reader');
  assert.deepEqual(rulesOf(reader), [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }]);
  assert.deepEqual(rulesOf(reader), rulesOf(await roleYaml('metrics_reader_role.yaml')));
  assert.equal(
    only(docs, 'ClusterRoleBinding').filter(
      (b) => (b.roleRef as { name: string }).name === reader.metadata.name,
    ).length,
    0,
    'nobody is bound to read metrics until the installer says who',
  );
});

test('a NetworkPolicy, on by default: metrics from labelled namespaces, probes from anywhere, nothing else', async () => {
  const policy = one(await render(), 'NetworkPolicy');
  assert.deepEqual(
    policy.spec,
    metricsOnlyPolicySpec({
      'app.kubernetes.io/name': 'stateful-volume-operator',
      'app.kubernetes.io/instance': 'svo',
    }),
  );
  const other = one(
    await render('--set', 'networkPolicy.metricsNamespaceSelector.matchLabels.team=monitoring'),
    'NetworkPolicy',
  );
  const from = (other.spec as { ingress: { from?: unknown[] }[] }).ingress[0]?.from;
  assert.deepEqual(from, [
    { namespaceSelector: { matchLabels: { metrics: 'enabled', team: 'monitoring' } } },
  ]);
  assert.equal(only(await render('--set', 'networkPolicy.enabled=false'), 'NetworkPolicy').length, 0);
});

test('metrics.certSecret: the Secret is mounted, passed as --metrics-cert-dir, and verified by the ServiceMonitor', async () => {
  const docs = await render(
    '--set',
    'metrics.certSecret=svo-metrics-cert,metrics.serviceMonitor.enabled=true',
  );
  const pod = podSpec(one(docs, 'Deployment')) as ReturnType<typeof podSpec> & {
    volumes?: { name: string; secret?: { secretName: string } }[];
  };
  const [manager] = pod.containers as (Container & {
    volumeMounts?: { name: string; mountPath: string }[];
  })[];
  assert.ok(manager);
  const dir = '/tmp/k8s-metrics-server/metrics-certs';
  assert.ok(manager.args?.includes(`--metrics-cert-dir=${dir}`), manager.args?.join(' '));
  assert.deepEqual(manager.volumeMounts, [{ name: 'metrics-certs', mountPath: dir, readOnly: true }]);
  assert.equal(pod.volumes?.[0]?.secret?.secretName, 'svo-metrics-cert');
  const endpoint = (one(docs, 'ServiceMonitor').spec as { endpoints: { tlsConfig: unknown }[] }).endpoints[0];
  assert.deepEqual(endpoint?.tlsConfig, {
    serverName: 'svo-stateful-volume-operator-metrics.svo-system.svc',
    insecureSkipVerify: false,
    ca: { secret: { name: 'svo-metrics-cert', key: 'ca.crt' } },
  });
});

test('metrics.secure=false: plain HTTP, a Service port named http, a ServiceMonitor without a token', async () => {
  const docs = await render(
    '--set',
    'metrics.secure=false,metrics.port=8080,metrics.serviceMonitor.enabled=true',
  );
  const [manager] = podSpec(one(docs, 'Deployment')).containers;
  assert.ok(manager?.args?.includes('--metrics-secure=false'), manager?.args?.join(' '));
  assert.deepEqual(servicePorts(docs).ports[0]?.name, 'http');
  assert.deepEqual((one(docs, 'ServiceMonitor').spec as { endpoints: unknown[] }).endpoints, [
    {
      port: 'http',
      scheme: 'http',
      honorLabels: true,
      path: '/metrics',
      interval: '30s',
      scrapeTimeout: '10s',
    },
  ]);
});

test('the values schema rejects bad values with a message naming the field', async () => {
  const cases: { set: string; says: RegExp }[] = [
    { set: 'replicaCount=two', says: /at '\/replicaCount': got string, want integer/ },
    { set: 'logLevel=verbose', says: /at '\/logLevel': value must be one of 'trace', 'debug', 'info'/ },
    { set: 'imagee.tag=1', says: /additional properties 'imagee' not allowed/ },
    { set: 'watchNamespaces={Team_A}', says: /at '\/watchNamespaces\/0': 'Team_A' does not match pattern/ },
    { set: 'resources.limits.memory=lots', says: /at '\/resources\/limits\/memory': 'lots' does not match/ },
    {
      set: 'metrics.service.type=NodePort',
      says: /at '\/metrics\/service\/type': value must be 'ClusterIP'/,
    },
    {
      set: 'metrics.service.type=LoadBalancer',
      says: /at '\/metrics\/service\/type': value must be 'ClusterIP'/,
    },
    { set: 'metrics.certSecret=Not_A_Name', says: /at '\/metrics\/certSecret': 'Not_A_Name' does not match/ },
    { set: 'podDisruptionBudget.maxUnavailable=most', says: /at '\/podDisruptionBudget\/maxUnavailable'/ },
    { set: 'crds.keep=yes', says: /at '\/crds\/keep': got string, want boolean/ },
  ];
  for (const { set, says } of cases) {
    const result = await helm(['template', 'svo', chartDir, '--set', set]);
    assert.notEqual(result.code, 0, `--set ${set} must be rejected`);
    assert.match(result.stderr, /values don't meet the specifications of the schema/, set);
    assert.match(result.stderr, says, set);
  }
});

test('two replicas without leader election are refused', async () => {
  const result = await helm(['template', 'svo', chartDir, '--set', 'leaderElection.enabled=false']);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /replicaCount > 1 needs leaderElection.enabled/);
});

test('fencing is set by the chart: the safe mode by default, the values reach the flags, a bad mode refused', async () => {
  const argsOf = async (...set: string[]): Promise<string[]> =>
    podSpec(one(await render(...set), 'Deployment')).containers[0]?.args ?? [];
  const defaults = await argsOf();
  assert.ok(defaults.includes('--fencing-mode=ConfirmedShutdown'), defaults.join(' '));
  assert.ok(defaults.includes('--fencing-node-selector='), 'empty: every node');
  const set = await argsOf(
    '--set',
    'fencing.mode=LeaseSilence',
    '--set-string',
    'fencing.nodeSelector=pool=db',
  );
  assert.ok(set.includes('--fencing-mode=LeaseSilence'), set.join(' '));
  assert.ok(set.includes('--fencing-node-selector=pool=db'), set.join(' '));
  const bad = await helm(['template', 'svo', chartDir, '--set', 'fencing.mode=Always']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /at '\/fencing\/mode': value must be one of 'ConfirmedShutdown'/);
});

interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: string;
  labelSelector?: { matchLabels?: Record<string, string> };
  [field: string]: unknown;
}

function spread(deployment: Manifest): SpreadConstraint[] | undefined {
  return (podSpec(deployment) as unknown as { topologySpreadConstraints?: SpreadConstraint[] })
    .topologySpreadConstraints;
}

async function configManager(file: string): Promise<Manifest> {
  return load(await readFile(join(repoRoot, 'config', 'manager', file), 'utf8')) as Manifest;
}

const releaseSelector = {
  matchLabels: { 'app.kubernetes.io/name': 'stateful-volume-operator', 'app.kubernetes.io/instance': 'svo' },
};

test('by default the replicas spread over nodes (hard) and zones (soft), as config/manager does', async () => {
  const constraints = spread(one(await render(), 'Deployment'));
  const common = { maxSkew: 1, nodeTaintsPolicy: 'Honor', matchLabelKeys: ['pod-template-hash'] };
  assert.deepEqual(constraints, [
    {
      ...common,
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: releaseSelector,
    },
    {
      ...common,
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: releaseSelector,
    },
  ]);
  // The kustomize install: the same constraints, with its own pod labels as the selector.
  const kustomize = spread(await configManager('manager.yaml'));
  const withoutSelector = (list: SpreadConstraint[] | undefined): unknown[] =>
    (list ?? []).map(({ labelSelector: _selector, ...rest }) => rest);
  assert.deepEqual(withoutSelector(kustomize), withoutSelector(constraints));
  const deployment = await configManager('manager.yaml');
  const podSelector = (deployment.spec as { selector: unknown }).selector;
  for (const c of kustomize ?? []) assert.deepEqual(c.labelSelector, podSelector);
});

test('topologySpreadConstraints: a list of the user replaces the defaults, its own labelSelector kept; null turns them off', async () => {
  const replaced = spread(
    one(
      await render(
        '--set',
        'topologySpreadConstraints[0].maxSkew=2,topologySpreadConstraints[0].topologyKey=rack,topologySpreadConstraints[0].whenUnsatisfiable=DoNotSchedule',
        '--set',
        'topologySpreadConstraints[1].maxSkew=1,topologySpreadConstraints[1].topologyKey=zone,topologySpreadConstraints[1].whenUnsatisfiable=ScheduleAnyway,topologySpreadConstraints[1].labelSelector.matchLabels.team=a',
      ),
      'Deployment',
    ),
  );
  assert.deepEqual(replaced, [
    { maxSkew: 2, topologyKey: 'rack', whenUnsatisfiable: 'DoNotSchedule', labelSelector: releaseSelector },
    {
      maxSkew: 1,
      topologyKey: 'zone',
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: { team: 'a' } },
    },
  ]);
  assert.equal(spread(one(await render('--set', 'topologySpreadConstraints=null'), 'Deployment')), undefined);
  const bad = await helm(['template', 'svo', chartDir, '--set', 'topologySpreadConstraints[0].maxSkew=1']);
  assert.notEqual(bad.code, 0, 'a constraint without topologyKey is refused');
  assert.match(bad.stderr, /topologySpreadConstraints\/0': missing propert/);
});

test('a PodDisruptionBudget by default (maxUnavailable 1, as config/manager), minAvailable instead, or none', async () => {
  const pdbSpec = async (...set: string[]): Promise<unknown> =>
    one(await render(...set), 'PodDisruptionBudget').spec;
  assert.deepEqual(await pdbSpec(), { maxUnavailable: 1, selector: releaseSelector });
  const kustomize = await configManager('pdb.yaml');
  assert.equal((kustomize.spec as { maxUnavailable: number }).maxUnavailable, 1);
  assert.deepEqual(
    await pdbSpec('--set', 'podDisruptionBudget.minAvailable=1,podDisruptionBudget.maxUnavailable=null'),
    { minAvailable: 1, selector: releaseSelector },
  );
  assert.deepEqual(await pdbSpec('--set-string', 'podDisruptionBudget.maxUnavailable=50%'), {
    maxUnavailable: '50%',
    selector: releaseSelector,
  });
  assert.equal(
    only(await render('--set', 'podDisruptionBudget.enabled=false'), 'PodDisruptionBudget').length,
    0,
  );
  const both = await helm(['template', 'svo', chartDir, '--set', 'podDisruptionBudget.minAvailable=1']);
  assert.notEqual(both.code, 0);
  assert.match(both.stderr, /set exactly one of minAvailable and maxUnavailable/);
});

test('the CRDs are templates: the generated files, kept on uninstall by default, none with crds.enabled=false', async () => {
  const crds = only(await render(), 'CustomResourceDefinition');
  const files = (await readdir(join(repoRoot, 'crds'))).sort();
  assert.equal(crds.length, files.length);
  for (const file of files) {
    const generated = load(await readFile(join(repoRoot, 'crds', file), 'utf8')) as Manifest;
    const rendered = named(crds, 'CustomResourceDefinition', generated.metadata.name);
    assert.deepEqual(rendered.spec, generated.spec, `${file}: the chart renders the generated spec`);
    const metadata = rendered.metadata as Manifest['metadata'] & { annotations?: Record<string, string> };
    assert.deepEqual(metadata.annotations, { 'helm.sh/resource-policy': 'keep' });
    const labels = metadata.labels ?? {};
    assert.equal(labels['app.kubernetes.io/managed-by'], 'Helm');
    assert.equal(labels['app.kubernetes.io/part-of'], 'stateful-volume-operator');
  }
  for (const crd of only(await render('--set', 'crds.keep=false'), 'CustomResourceDefinition')) {
    assert.equal((crd.metadata as { annotations?: unknown }).annotations, undefined, crd.metadata.name);
  }
  assert.equal(only(await render('--set', 'crds.enabled=false'), 'CustomResourceDefinition').length, 0);
});

test('the users’ roles: view reads the four kinds and their status, edit writes the kinds, aggregated; off on request', async () => {
  const docs = await render();
  const view = named(docs, 'ClusterRole', 'svo-stateful-volume-operator-view');
  const edit = named(docs, 'ClusterRole', 'svo-stateful-volume-operator-edit');
  assert.deepEqual(rulesOf(view), plain(userViewRules));
  assert.deepEqual(rulesOf(edit), plain(userEditRules));
  const aggregation = (role: Manifest): string[] =>
    Object.keys(role.metadata.labels ?? {})
      .filter((l) => l.startsWith('rbac.authorization.k8s.io/aggregate-to-'))
      .map((l) => l.slice('rbac.authorization.k8s.io/aggregate-to-'.length))
      .sort();
  assert.deepEqual(aggregation(view), ['admin', 'edit', 'view']);
  assert.deepEqual(aggregation(edit), ['admin', 'edit']);
  const statusWrites = rulesOf(edit).filter(
    (r) => (r.resources ?? []).some((res) => res.endsWith('/status')) && r.verbs.some((v) => v !== 'get'),
  );
  assert.deepEqual(statusWrites, [], 'status is the operator’s');
  // Bound to nobody: they reach people through view, edit and admin only.
  const bound = [...only(docs, 'ClusterRoleBinding'), ...only(docs, 'RoleBinding')].map(
    (b) => (b.roleRef as { name: string }).name,
  );
  assert.ok(!bound.includes(view.metadata.name) && !bound.includes(edit.metadata.name));
  // config/rbac ships the same roles for the kustomize install.
  const shipped = manifests(
    await readFile(join(repoRoot, 'config', 'rbac', 'aggregate_to_default_roles.yaml'), 'utf8'),
  );
  assert.deepEqual(shipped.map(rulesOf), [rulesOf(view), rulesOf(edit)]);
  const off = await render('--set', 'rbac.aggregateToDefaultRoles=false');
  assert.deepEqual(
    only(off, 'ClusterRole').map((r) => r.metadata.name),
    ['svo-stateful-volume-operator-manager', 'svo-stateful-volume-operator-metrics-reader'],
  );
});

test('the memory limit: 512Mi over a request of 192Mi, the same in config/manager', async () => {
  const [manager] = podSpec(one(await render(), 'Deployment')).containers;
  const [kustomize] = podSpec(await configManager('manager.yaml')).containers;
  assert.ok(manager && kustomize);
  assert.deepEqual(manager.resources, {
    requests: { cpu: '50m', memory: '192Mi' },
    limits: { memory: '512Mi' },
  });
  assert.deepEqual(kustomize.resources, manager.resources);
  const set = podSpec(one(await render('--set', 'resources.limits.memory=1Gi'), 'Deployment')).containers[0];
  assert.equal(set?.resources?.limits?.memory, '1Gi');
});
