// The Helm chart without a cluster: it lints, renders for both ways of
// scoping, grants exactly the rules of src/controllers/permissions.ts (the
// same as config/rbac/role.yaml), passes only flags the operator knows, and
// its values schema turns a typo into a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { generatedFiles } from '../../../scripts/codegen/outputs.js';
import { shippingFiles } from '../../../scripts/codegen/rbac.js';
import {
  clusterRules,
  leaderElectionRules,
  namespacedRules,
  nodeLeaseRules,
} from '../../../src/controllers/permissions.js';
import {
  chartDir,
  helm,
  manifests,
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
  ok(await helm(['lint', '--strict', chartDir]), 'helm lint');
  ok(await helm(['lint', '--strict', chartDir, '--set', 'watchNamespaces={team-a,team-b}']), 'helm lint');
  const metrics =
    'metrics.certSecret=svo-metrics-cert,metrics.serviceMonitor.enabled=true,networkPolicy.enabled=false';
  ok(await helm(['lint', '--strict', chartDir, '--set', metrics]), 'helm lint');
  ok(
    await helm([
      'lint',
      '--strict',
      chartDir,
      '--set',
      'metrics.secure=false,metrics.serviceMonitor.enabled=true',
    ]),
    'helm lint',
  );
});

test('the shipping files are generated and current: config/rbac, the chart rules and CRDs', async () => {
  const generated = await generatedFiles();
  const stale: string[] = [];
  for (const [path, content] of await shippingFiles(generated)) {
    const onDisk = await readFile(join(repoRoot, path), 'utf8').catch(() => undefined);
    if (onDisk !== content) stale.push(path);
  }
  assert.deepEqual(stale, [], 'run `npx tsx scripts/generate.ts` and commit the result');
  const chartCrds = (await readdir(join(chartDir, 'crds'))).sort();
  const crds = (await readdir(join(repoRoot, 'crds'))).sort();
  assert.deepEqual(chartCrds, crds, 'the chart carries exactly the CRDs of crds/');
});

test('default values: everything in one ClusterRole, the same rules as config/rbac/role.yaml', async () => {
  const docs = await render();
  const kinds = docs.map((d) => d.kind).sort();
  assert.deepEqual(kinds, [
    'ClusterRole',
    'ClusterRole',
    'ClusterRoleBinding',
    'Deployment',
    'NetworkPolicy',
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
    requests: { cpu: '50m', memory: '128Mi' },
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
  assert.deepEqual(policy.spec, {
    podSelector: {
      matchLabels: {
        'app.kubernetes.io/name': 'stateful-volume-operator',
        'app.kubernetes.io/instance': 'svo',
      },
    },
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [{ namespaceSelector: { matchLabels: { metrics: 'enabled' } } }],
        ports: [{ port: 'metrics', protocol: 'TCP' }],
      },
      { ports: [{ port: 'health', protocol: 'TCP' }] },
    ],
  });
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
    { port: 'http', scheme: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' },
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
