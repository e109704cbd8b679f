// Reads the operator's /metrics as Prometheus does: over HTTPS, with the token
// of a ServiceAccount bound to the shipped metrics-reader ClusterRole
// (config/rbac/metrics_reader_role.yaml). The operator's certificate is
// self-signed and made at its start, so it is not verified here; the token is
// what the operator checks.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { KubeClient } from '../../src/kube/client.js';
import type { ResourceType } from '../../src/kube/resource.js';
import type { KubeObject } from '../../src/kube/wire.js';
import { repoRoot } from '../cluster/layout.js';
import { loadTestKubeConfig } from './kube.js';
import { eventually } from './wait.js';

const rbac = (kind: string, plural: string): ResourceType => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  kind,
  plural,
  namespaced: false,
});
const clusterRoleType = rbac('ClusterRole', 'clusterroles');
const clusterRoleBindingType = rbac('ClusterRoleBinding', 'clusterrolebindings');
const serviceAccountType: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  plural: 'serviceaccounts',
  namespaced: true,
};

/** The shipped role, read from the file the installs use, so a test scrapes with exactly its rights. */
export function shippedMetricsReaderRole(): KubeObject {
  const path = join(repoRoot, 'config', 'rbac', 'metrics_reader_role.yaml');
  return load(readFileSync(path, 'utf8')) as KubeObject;
}

const readerNamespace = 'default';

export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

/** A ServiceAccount (created if missing) and a token for it from the TokenRequest API. */
export async function serviceAccountToken(client: KubeClient, sa: ServiceAccountRef): Promise<string> {
  await client.patch(
    serviceAccountType,
    sa.namespace,
    sa.name,
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa.name, namespace: sa.namespace } },
    { type: 'apply' },
  );
  const request = await client.transport.request<{ status?: { token?: string } }>({
    method: 'POST',
    path: `/api/v1/namespaces/${sa.namespace}/serviceaccounts/${sa.name}/token`,
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 6 * 3600 },
    },
  });
  const token = request.status?.token;
  if (token === undefined) throw new Error(`no token for ${sa.namespace}/${sa.name}`);
  return token;
}

async function mayGetMetrics(client: KubeClient, sa: ServiceAccountRef): Promise<boolean> {
  const review = await client.transport.request<{ status?: { allowed?: boolean } }>({
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: `system:serviceaccount:${sa.namespace}:${sa.name}`,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`, 'system:authenticated'],
        nonResourceAttributes: { path: '/metrics', verb: 'get' },
      },
    },
  });
  return review.status?.allowed === true;
}

/**
 * Binds the shipped metrics-reader ClusterRole to the ServiceAccount and waits
 * until the API server's authorizer says so, because the operator keeps a
 * refusal for ten seconds and a scrape should not meet one.
 */
export async function grantMetricsReader(client: KubeClient, sa: ServiceAccountRef): Promise<void> {
  const role = shippedMetricsReaderRole();
  const roleName = role.metadata.name ?? '';
  await client.patch(clusterRoleType, undefined, roleName, role, { type: 'apply' });
  const binding = `svo-tests-metrics-reader-${sa.namespace}-${sa.name}`;
  await client.patch(
    clusterRoleBindingType,
    undefined,
    binding,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: binding },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace }],
    },
    { type: 'apply' },
  );
  await eventually(`${sa.namespace}/${sa.name} allowed to get /metrics`, () => mayGetMetrics(client, sa), {
    timeoutMs: 30_000,
    intervalMs: 200,
  });
}

let readerToken: Promise<string> | undefined;

/** The token of `default/svo-metrics-reader`, bound to the shipped role; made once per test process. */
export function metricsReaderToken(): Promise<string> {
  readerToken ??= (async () => {
    const client = new KubeClient(loadTestKubeConfig(), { userAgent: 'svo-tests', qps: 50, burst: 100 });
    try {
      const sa = { namespace: readerNamespace, name: 'svo-metrics-reader' };
      await grantMetricsReader(client, sa);
      return await serviceAccountToken(client, sa);
    } finally {
      client.close();
    }
  })();
  // A failure is not kept: the next scrape tries again.
  void readerToken.catch(() => {
    readerToken = undefined;
  });
  return readerToken;
}

export interface Scrape {
  status: number;
  body: string;
}

/** GET /metrics over HTTPS on a loopback port, with the token given (or none). */
export function getMetrics(port: number | undefined, token?: string): Promise<Scrape> {
  if (port === undefined)
    return Promise.reject(new Error('the metrics endpoint has no port (not listening)'));
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        host: '127.0.0.1',
        port,
        path: '/metrics',
        rejectUnauthorized: false,
        headers: token !== undefined ? { Authorization: `Bearer ${token}` } : {},
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`GET https://127.0.0.1:${String(port)}/metrics timed out`)),
    );
    req.on('error', reject);
  });
}

/** The metrics text, read with an authorised token; anything but 200 is an error that says what came back. */
export async function scrapeMetrics(port: number | undefined): Promise<string> {
  const res = await getMetrics(port, await metricsReaderToken());
  if (res.status !== 200) throw new Error(`GET /metrics answered ${String(res.status)}: ${res.body.trim()}`);
  return res.body;
}
