// What the shipping tests share: helm and kubectl as a person runs them (built
// from their Go modules into the cluster cache), the rendered manifests, the
// operator's flag contract, and access reviews for its ServiceAccount.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { binaryPath } from '../../cluster/build.js';
import { repoRoot } from '../../cluster/layout.js';
import { eventually } from '../../support/wait.js';

export { repoRoot };
export const chartDir = join(repoRoot, 'charts', 'stateful-volume-operator');

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly input?: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs a program to its end; a non-zero exit is a result, not an exception. */
export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: opts.cwd ?? repoRoot,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** stdout of a run that must succeed; otherwise an error that shows what the program said. */
export function ok(result: RunResult, what: string): string {
  if (result.code !== 0) {
    throw new Error(`${what} exited ${result.code}:\n${result.stderr}\n${result.stdout}`.trimEnd());
  }
  return result.stdout;
}

export async function helm(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  // Helm keeps repositories and caches in these; a test must not touch a person's own.
  const home = join(repoRoot, '.cache', 'helm-test-home');
  const env = {
    ...process.env,
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
    ...opts.env,
  };
  return run(await binaryPath('helm'), args, { ...opts, env });
}

/** `helm lint --strict` of the chart passes, with those values set (a --set list) if given. */
export async function lintChart(values?: string): Promise<void> {
  ok(
    await helm(['lint', '--strict', chartDir, ...(values !== undefined ? ['--set', values] : [])]),
    'helm lint',
  );
}

export async function kubectl(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(await binaryPath('kubectl'), args, opts);
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** The objects of a multi-document YAML stream, empty documents left out. */
export function manifests(text: string): Manifest[] {
  return loadAll(text).filter((d): d is Manifest => typeof d === 'object' && d !== null);
}

export function only(docs: readonly Manifest[], kind: string, namespace?: string): Manifest[] {
  return docs.filter(
    (d) => d.kind === kind && (namespace === undefined || d.metadata.namespace === namespace),
  );
}

export function one(docs: readonly Manifest[], kind: string, namespace?: string): Manifest {
  const found = only(docs, kind, namespace);
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${namespace ? ` in ${namespace}` : ''}, found ${found.length}`);
  }
  return found[0]!;
}

export interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export function rulesOf(doc: Manifest): Rule[] {
  return (doc.rules as Rule[] | undefined) ?? [];
}

/** Every place a rule could say "everything"; expected to be empty. */
export function wildcards(rules: readonly Rule[]): string[] {
  return rules.flatMap((r) =>
    [...(r.apiGroups ?? []), ...(r.resources ?? []), ...r.verbs, ...(r.resourceNames ?? [])]
      .filter((v) => v.includes('*'))
      .map((v) => `${JSON.stringify(r)}: ${v}`),
  );
}

/** The Deployment's manager container. */
export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  ports?: { name: string; containerPort: number }[];
}

export interface PodSpec {
  serviceAccountName: string;
  securityContext?: Record<string, unknown>;
  containers: Container[];
}

export function podSpec(deployment: Manifest): PodSpec {
  return (deployment as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
}

/**
 * The operator's command line (src/main.ts, `--help`): every flag a manifest
 * may pass. The Deployments must use nothing else.
 */
export const operatorFlags: readonly string[] = [
  '--kubeconfig',
  '--namespaces',
  '--concurrency',
  '--metrics-bind-address',
  '--metrics-secure',
  '--metrics-cert-dir',
  '--health-probe-bind-address',
  '--leader-elect',
  '--leader-election-namespace',
  '--leader-election-id',
  '--lease-duration',
  '--renew-deadline',
  '--retry-period',
  '--log-level',
  '--kube-api-qps',
  '--kube-api-burst',
  '--backup-create-qps',
  '--backup-create-burst',
  '--backup-max-in-flight',
  '--fencing-mode',
  '--fencing-node-selector',
  '--version',
  '--help',
];

/** Flags of args (`--flag` or `--flag=value`) that the operator does not define. */
export function unknownFlags(args: readonly string[]): string[] {
  return args.filter((a) => !operatorFlags.includes(a.split('=')[0] ?? ''));
}

export interface Access {
  readonly verb: string;
  readonly resource: string;
  readonly group?: string;
  readonly subresource?: string;
  /** Empty or absent: across all namespaces (or a cluster-scoped resource). */
  readonly namespace?: string;
}

export function describeAccess(a: Access): string {
  const res = `${a.resource}${a.subresource ? `/${a.subresource}` : ''}${a.group ? `.${a.group}` : ''}`;
  return `${a.verb} ${res} ${a.namespace ? `in ${a.namespace}` : 'cluster-wide'}`;
}

/**
 * Asks the API server's authorizer whether the ServiceAccount may do it, with
 * the groups a real token of that account carries (`kubectl auth can-i --as`
 * would leave them out).
 */
export async function allowed(
  kc: KubeConfig,
  sa: { namespace: string; name: string },
  a: Access,
): Promise<boolean> {
  return reviewAccess(
    kc,
    {
      user: `system:serviceaccount:${sa.namespace}:${sa.name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`, 'system:authenticated'],
    },
    a,
  );
}

/** Whether the user, in those groups, may do it, as the API server's authorizer answers. */
export async function reviewAccess(
  kc: KubeConfig,
  subject: { user: string; groups?: string[] },
  a: Access,
): Promise<boolean> {
  const review = await kc.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        ...subject,
        resourceAttributes: {
          verb: a.verb,
          resource: a.resource,
          group: a.group ?? '',
          ...(a.subresource ? { subresource: a.subresource } : {}),
          ...(a.namespace ? { namespace: a.namespace } : {}),
        },
      },
    },
  });
  return review.status?.allowed === true;
}

/** Removes the cluster-wide RBAC of a Helm release, which deleting its namespace leaves behind. */
export async function deleteReleaseRbac(kc: KubeConfig, release: string): Promise<void> {
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const labelSelector = `app.kubernetes.io/instance=${release}`;
  await rbac.deleteCollectionClusterRoleBinding({ labelSelector }).catch(() => undefined);
  await rbac.deleteCollectionClusterRole({ labelSelector }).catch(() => undefined);
  // The node-lease Role lives in kube-node-lease, which outlives the test's namespace.
  const nodeLeases = { namespace: 'kube-node-lease', labelSelector };
  await rbac.deleteCollectionNamespacedRoleBinding(nodeLeases).catch(() => undefined);
  await rbac.deleteCollectionNamespacedRole(nodeLeases).catch(() => undefined);
}

/**
 * The NetworkPolicy the chart and config/network-policy ship, for pods of
 * those labels: metrics only from namespaces labelled metrics=enabled, the
 * health probes from anywhere, nothing else.
 */
export function metricsOnlyPolicySpec(podLabels: Record<string, string>): Record<string, unknown> {
  return {
    podSelector: { matchLabels: podLabels },
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [{ namespaceSelector: { matchLabels: { metrics: 'enabled' } } }],
        ports: [{ port: 'metrics', protocol: 'TCP' }],
      },
      { ports: [{ port: 'health', protocol: 'TCP' }] },
    ],
  };
}

/** The accesses of `checks` whose answer differs from `expected`. */
export async function mismatches(
  kc: KubeConfig,
  sa: { namespace: string; name: string },
  checks: readonly Access[],
  expected: boolean,
): Promise<string[]> {
  const answers = await Promise.all(checks.map((c) => allowed(kc, sa, c)));
  return checks.filter((_, i) => answers[i] !== expected).map(describeAccess);
}

const ownGroup = 'storage.stateful.dev';

/** What the operator must and must not be able to do when it watches every namespace. */
export function allNamespacesAccess(ns: string, other: string): { can: Access[]; cannot: Access[] } {
  return {
    can: [
      { verb: 'create', resource: 'persistentvolumeclaims', namespace: ns },
      { verb: 'delete', resource: 'persistentvolumeclaims', namespace: other },
      { verb: 'list', resource: 'persistentvolumeclaims' },
      { verb: 'update', resource: 'statefulvolumes', subresource: 'status', group: ownGroup, namespace: ns },
      { verb: 'patch', resource: 'volumebackups', group: ownGroup, namespace: ns },
      { verb: 'patch', resource: 'persistentvolumes' },
      { verb: 'watch', resource: 'leases', group: 'coordination.k8s.io', namespace: 'kube-node-lease' },
      {
        verb: 'update',
        resource: 'failovergroups',
        subresource: 'finalizers',
        group: ownGroup,
        namespace: ns,
      },
      { verb: 'watch', resource: 'volumebackuppolicies', group: ownGroup },
      { verb: 'create', resource: 'events', namespace: ns },
      // A Pending claim's ProvisioningFailed Events.
      { verb: 'list', resource: 'events', namespace: ns },
      { verb: 'create', resource: 'leases', group: 'coordination.k8s.io', namespace: ns },
      { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: ns },
      { verb: 'create', resource: 'volumesnapshots', group: 'snapshot.storage.k8s.io', namespace: ns },
      { verb: 'delete', resource: 'pods', namespace: ns },
      { verb: 'patch', resource: 'nodes' },
      { verb: 'delete', resource: 'volumeattachments', group: 'storage.k8s.io' },
      { verb: 'list', resource: 'statefulsets', group: 'apps' },
      // Who scrapes /metrics is checked with the API server.
      { verb: 'create', resource: 'tokenreviews', group: 'authentication.k8s.io' },
      { verb: 'create', resource: 'subjectaccessreviews', group: 'authorization.k8s.io' },
    ],
    cannot: [
      { verb: 'get', resource: 'secrets', namespace: ns },
      { verb: 'list', resource: 'secrets' },
      { verb: 'create', resource: 'pods', namespace: ns },
      { verb: 'delete', resource: 'nodes' },
      { verb: 'update', resource: 'customresourcedefinitions', group: 'apiextensions.k8s.io' },
      { verb: 'create', resource: 'statefulvolumes', group: ownGroup, namespace: ns },
      { verb: 'update', resource: 'statefulsets', group: 'apps', namespace: ns },
      { verb: 'delete', resource: 'persistentvolumes' },
      { verb: 'update', resource: 'persistentvolumes' },
      { verb: 'update', resource: 'persistentvolumeclaims', namespace: ns },
      { verb: 'update', resource: 'volumesnapshots', group: 'snapshot.storage.k8s.io', namespace: ns },
      { verb: 'list', resource: 'leases', group: 'coordination.k8s.io' },
      { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: other },
      { verb: 'patch', resource: 'configmaps', namespace: ns },
      { verb: 'bind', resource: 'clusterroles', group: 'rbac.authorization.k8s.io' },
    ],
  };
}

/** The same when it watches only `watched`, running in `home`. */
export function watchedNamespaceAccess(home: string, watched: string): { can: Access[]; cannot: Access[] } {
  return {
    can: [
      { verb: 'create', resource: 'persistentvolumeclaims', namespace: watched },
      {
        verb: 'update',
        resource: 'statefulvolumes',
        subresource: 'status',
        group: ownGroup,
        namespace: watched,
      },
      { verb: 'list', resource: 'leases', group: 'coordination.k8s.io', namespace: 'kube-node-lease' },
      { verb: 'create', resource: 'events', namespace: watched },
      { verb: 'list', resource: 'events', namespace: watched },
      { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: home },
      { verb: 'patch', resource: 'nodes' },
      { verb: 'list', resource: 'persistentvolumes' },
      { verb: 'create', resource: 'tokenreviews', group: 'authentication.k8s.io' },
      { verb: 'create', resource: 'subjectaccessreviews', group: 'authorization.k8s.io' },
    ],
    cannot: [
      { verb: 'create', resource: 'persistentvolumeclaims', namespace: home },
      { verb: 'list', resource: 'persistentvolumeclaims' },
      {
        verb: 'update',
        resource: 'statefulvolumes',
        subresource: 'status',
        group: ownGroup,
        namespace: home,
      },
      { verb: 'list', resource: 'leases', group: 'coordination.k8s.io', namespace: watched },
      { verb: 'list', resource: 'statefulvolumes', group: ownGroup },
      { verb: 'get', resource: 'secrets', namespace: watched },
      { verb: 'create', resource: 'pods', namespace: watched },
    ],
  };
}

/**
 * Proves the ServiceAccount can do everything in `can` and nothing in
 * `cannot`. RBAC reaches the authorizer through an informer, so the grants are
 * waited for; the refusals are checked once the grants are visible.
 */
export async function proveAccess(
  kc: KubeConfig,
  sa: { namespace: string; name: string },
  expected: { can: readonly Access[]; cannot: readonly Access[] },
): Promise<void> {
  await eventually(
    `${sa.namespace}/${sa.name} to be granted its permissions`,
    async () => {
      const missing = await mismatches(kc, sa, expected.can, true);
      if (missing.length > 0) throw new Error(`not allowed: ${missing.join('; ')}`);
      return true;
    },
    { timeoutMs: 30_000 },
  );
  const granted = await mismatches(kc, sa, expected.cannot, false);
  if (granted.length > 0) throw new Error(`allowed but must not be: ${granted.join('; ')}`);
}

/** Pod Security "restricted": the operator's pods must be admitted in such a namespace. */
export async function enforceRestricted(kc: KubeConfig, namespace: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).patchNamespace(
    {
      name: namespace,
      body: { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/**
 * Waits until every replica of the Deployment is available: its pods were
 * admitted and scheduled, and KWOK reports them ready (nothing really runs).
 */
export async function waitAvailable(kc: KubeConfig, namespace: string, name: string): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  await eventually(`Deployment ${namespace}/${name} to be available`, async () => {
    const d = await apps.readNamespacedDeployment({ namespace, name });
    const want = d.spec?.replicas ?? 1;
    if ((d.status?.availableReplicas ?? 0) === want && (d.status?.updatedReplicas ?? 0) === want) return true;
    // A pod refused by Pod Security shows up only as a ReplicaSet condition.
    const failure = d.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
    throw new Error(failure?.message ?? `available ${d.status?.availableReplicas ?? 0}/${want}`);
  });
}
