// Who the operator is in tests and benchmarks: the ServiceAccount config/rbac
// ships, with exactly the RBAC `npm run generate` wrote there, authenticated by
// a token minted for each start. Nothing here re-derives a rule: the YAML is
// read from config/ and applied as `kubectl apply -k config/default` would.
//
// Each start is recorded in the run folder with the token's credential id, so
// that the end of a test tier can find, in the API server's audit log, any
// request of that start that was refused (scripts/check-forbidden.ts).
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import {
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { repoRoot } from '../cluster/layout.js';
import { eventually } from './wait.js';

export const operatorNamespace = 'stateful-volume-system';
export const operatorServiceAccount = 'stateful-volume-operator';

/**
 * Runtime tests drive a fixture controller on ConfigMaps (test/integration/runtime), which the
 * operator has no business touching. They run as this account instead, never as the operator.
 */
export const fixtureNamespace = 'svo-test-fixtures';
export const fixtureServiceAccount = 'runtime-fixture';

/** operator: config/rbac's account; chart: an account the Helm chart made; runtime-fixture: above. */
export type Role = 'operator' | 'chart' | 'runtime-fixture';

interface Account {
  namespace: string;
  name: string;
}

const accounts: Record<Exclude<Role, 'chart'>, Account> = {
  operator: { namespace: operatorNamespace, name: operatorServiceAccount },
  'runtime-fixture': { namespace: fixtureNamespace, name: fixtureServiceAccount },
};

export function userOf(account: Account): string {
  return `system:serviceaccount:${account.namespace}:${account.name}`;
}

interface Manifest extends KubernetesObject {
  kind: string;
  metadata: { name: string; namespace?: string };
}

const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

function yamlDocs(path: string): Manifest[] {
  return (loadAll(readFileSync(join(repoRoot, path), 'utf8')) as (Manifest | null)[]).filter(
    (d): d is Manifest => d !== null,
  );
}

/**
 * The namespace and RBAC of config/default, as its kustomization builds them:
 * config/rbac's files in their kustomization's order, every namespaced object
 * without a namespace put into the operator's (the unsetOnly namespace
 * transformer), the node-lease Role left in kube-node-lease.
 */
export function shippedRbac(): Manifest[] {
  const kustomization = yamlDocs('config/rbac/kustomization.yaml')[0] as unknown as { resources: string[] };
  const docs = [
    ...yamlDocs('config/default/namespace.yaml'),
    ...kustomization.resources.flatMap((file) => yamlDocs(join('config/rbac', file))),
  ];
  return docs.map((d) =>
    clusterScoped.has(d.kind) || d.metadata.namespace !== undefined
      ? d
      : { ...d, metadata: { ...d.metadata, namespace: operatorNamespace } },
  );
}

/**
 * The fixture account of the runtime tests: ConfigMaps, a Lease and Events for its leader election,
 * and the reviews behind its metrics endpoint.
 */
export function fixtureRbac(): Manifest[] {
  const name = 'svo-test-runtime-fixture';
  const subjects = [{ kind: 'ServiceAccount', name: fixtureServiceAccount, namespace: fixtureNamespace }];
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: fixtureNamespace } },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: fixtureServiceAccount, namespace: fixtureNamespace },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules: [
        { apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch', 'create', 'update'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
        // The runtime serves the fixture's /metrics as it serves the operator's: behind reviews.
        { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
        { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
      ],
    } as Manifest,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects,
    } as Manifest,
  ];
}

async function apply(kc: KubeConfig, docs: readonly Manifest[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  // In order: the namespaces before what lives in them.
  for (const doc of docs)
    await api.patch(doc, undefined, undefined, 'svo-tests', true, PatchStrategy.ServerSideApply);
}

/** Waits until the authorizer has the new bindings (RBAC reaches it through an informer). */
async function waitGranted(kc: KubeConfig, role: Exclude<Role, 'chart'>): Promise<void> {
  const api = kc.makeApiClient(AuthorizationV1Api);
  const resource = role === 'operator' ? 'persistentvolumeclaims' : 'configmaps';
  await eventually(
    `the ${role} identity's RBAC to take effect`,
    async () => {
      const review = await api.createSubjectAccessReview({
        body: {
          spec: {
            user: userOf(accounts[role]),
            groups: ['system:serviceaccounts'],
            resourceAttributes: { verb: 'list', resource },
          },
        },
      });
      return review.status?.allowed === true;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

const installs = new Map<string, Promise<void>>();

/**
 * Server-side applies the shipped RBAC and the runtime fixture's (field manager
 * svo-tests, forced), once per process and cluster; idempotent, so a test run,
 * a benchmark and every test file may each call it. A failed install is retried
 * by the next call.
 */
export function installIdentities(kc: KubeConfig): Promise<void> {
  const key = kc.getCurrentCluster()?.server ?? '';
  let pending = installs.get(key);
  if (pending === undefined) {
    pending = (async () => {
      await apply(kc, shippedRbac());
      await apply(kc, fixtureRbac());
      await waitGranted(kc, 'operator');
      await waitGranted(kc, 'runtime-fixture');
    })();
    installs.set(key, pending);
    pending.catch(() => installs.delete(key));
  }
  return pending;
}

/** One start of the operator (or a fixture), as recorded in the run folder. */
export interface StartRecord {
  role: Role;
  /** The account, as the audit log names the user. */
  user: string;
  /** The test file (or benchmark) that started it, relative to the repository. */
  file: string;
  /** The test's full name; empty outside a test. */
  test: string;
  /** `JTI=<id>`, as the audit log shows it in user.extra["authentication.kubernetes.io/credential-id"]. */
  credentialId: string;
  at: string;
}

export function startsPath(runDir: string): string {
  return join(runDir, 'identity-starts.jsonl');
}

/** The JWT ID of a service account token, which the API server reports as its credential id. */
export function credentialIdOf(token: string): string {
  const payload = token.split('.')[1];
  if (payload === undefined) throw new Error('a service account token is a JWT');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { jti?: string };
  if (claims.jti === undefined) throw new Error('the token carries no jti');
  return `JTI=${claims.jti}`;
}

export interface Identity {
  role: Role;
  /** Authenticates with the token only: no client certificate, nothing of the admin's. */
  kubeconfig: KubeConfig;
  /** The same, written to a private file, for a process's --kubeconfig. */
  kubeconfigPath: string;
  credentialId: string;
}

/** The run folder to record starts in: the one given, SVO_CLUSTER_RUN, or none (a cluster not ours). */
function recordDir(runDir: string | undefined): string | undefined {
  const dir = runDir ?? process.env.SVO_CLUSTER_RUN;
  return dir !== undefined && dir !== '' ? dir : undefined;
}

export interface Started {
  /** The test's full name (testName(t)); empty outside a test. */
  test?: string;
  /** Where to record the start; SVO_CLUSTER_RUN unless told. */
  runDir?: string;
}

/**
 * Mints a fresh token of the account (TokenRequest), records the start and
 * returns a kubeconfig that carries only that token.
 */
export async function tokenIdentity(
  admin: KubeConfig,
  role: Role,
  account: Account,
  started: Started = {},
): Promise<Identity> {
  const request = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    namespace: account.namespace,
    name: account.name,
    // Long enough for the longest benchmark.
    body: { spec: { audiences: [], expirationSeconds: 12 * 3600 } },
  });
  const token = request.status?.token;
  if (token === undefined || token === '') throw new Error(`no token for ${userOf(account)}`);
  const cluster = admin.getCurrentCluster();
  if (cluster === null) throw new Error('the admin kubeconfig has no current cluster');
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromOptions({
    clusters: [{ name: 'test', server: cluster.server, caData: cluster.caData, caFile: cluster.caFile }],
    users: [{ name: role, token }],
    contexts: [{ name: role, cluster: 'test', user: role }],
    currentContext: role,
  });
  const kubeconfigPath = join(mkdtempSync(join(tmpdir(), `svo-${role}-`)), 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig.exportConfig(), { mode: 0o600 });
  const credentialId = credentialIdOf(token);
  const dir = recordDir(started.runDir);
  if (dir !== undefined) {
    const record: StartRecord = {
      role,
      user: userOf(account),
      file: relative(repoRoot, process.argv[1] ?? ''),
      test: started.test ?? '',
      credentialId,
      at: new Date().toISOString(),
    };
    mkdirSync(dirname(startsPath(dir)), { recursive: true });
    appendFileSync(startsPath(dir), `${JSON.stringify(record)}\n`);
  }
  return { role, kubeconfig, kubeconfigPath, credentialId };
}

/** The identities installed if needed, then a token of the operator's (or the runtime fixture's) account. */
export async function mintIdentity(
  admin: KubeConfig,
  role: Exclude<Role, 'chart'>,
  started: Started = {},
): Promise<Identity> {
  await installIdentities(admin);
  return tokenIdentity(admin, role, accounts[role], started);
}
