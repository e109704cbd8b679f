// /metrics over HTTPS for callers the API server vouches for: no token and a
// forged token are 401, a ServiceAccount without the shipped metrics-reader
// role is 403, one with it reads the metrics; the probes stay plain HTTP
// without a token; repeated scrapes are reviewed once; a mounted certificate
// is served and a renewed one replaces it without a restart.
import assert from 'node:assert/strict';
import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import tls from 'node:tls';
import { KubeClient } from '../../../src/kube/client.js';
import { createLogger } from '../../../src/observability/logger.js';
import { Metrics } from '../../../src/observability/metrics.js';
import { Manager } from '../../../src/runtime/manager.js';
import { selfSignedCertificate, type Credentials } from '../../../src/runtime/selfsigned.js';
import { auditedRequests, type AuditedWrite } from '../../support/audit.js';
import { clusterRunDir } from '../../support/control.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';
import { getMetrics, metricsReaderToken, serviceAccountToken } from '../../support/metrics.js';
import { testClient } from '../../support/operator.js';
import { eventually } from '../../support/wait.js';

/** A manager with secure metrics and no controllers, under a user agent of its own for the audit log. */
async function startSecure(
  t: TestContext,
  secureMetrics: { certDir?: string } = {},
): Promise<{ mgr: Manager; userAgent: string }> {
  const userAgent = `svo-tests-metrics-auth-${randomBytes(4).toString('hex')}`;
  const mgr = new Manager({
    client: new KubeClient(loadTestKubeConfig(), { userAgent, qps: 50, burst: 100 }),
    log: createLogger('silent'),
    metrics: new Metrics({ processMetrics: false }),
    component: 'svo-tests',
    namespaces: ['default'],
    metricsAddress: '127.0.0.1:0',
    probeAddress: '127.0.0.1:0',
    secureMetrics,
    shutdownTimeoutMs: 5_000,
  });
  const stop = new AbortController();
  const outcome = mgr.run(stop.signal);
  t.after(async () => {
    stop.abort();
    await outcome;
  });
  await eventually('the endpoints listening', () =>
    Promise.resolve(mgr.ports.metrics !== undefined && mgr.ports.probe !== undefined),
  );
  return { mgr, userAgent };
}

async function plainGet(port: number | undefined, path: string): Promise<number> {
  return (await fetch(`http://127.0.0.1:${String(port)}${path}`)).status;
}

test('metrics: 401 without or with a forged token, 403 without the role, 200 with it; probes need no token', async (t) => {
  const ns = await createTestNamespace(t, 'metrics-auth');
  const { mgr, userAgent } = await startSecure(t);
  const port = mgr.ports.metrics;

  assert.equal((await getMetrics(port)).status, 401, 'no token');
  assert.equal((await getMetrics(port, 'not-a-token')).status, 401, 'a token the API server does not know');

  const admin = testClient();
  t.after(() => {
    admin.close();
  });
  const stranger = await serviceAccountToken(admin, { namespace: ns, name: 'no-metrics-role' });
  const refused = await getMetrics(port, stranger);
  assert.equal(refused.status, 403, refused.body);
  assert.match(refused.body, new RegExp(`system:serviceaccount:${ns}:no-metrics-role`));

  const reader = await metricsReaderToken();
  // After the refusals above were answered: only the reader's reviews are counted.
  const since = new Date();
  const allowed = await getMetrics(port, reader);
  assert.equal(allowed.status, 200, allowed.body);
  assert.match(allowed.body, /^# HELP rest_client_requests_total/m);
  for (let i = 0; i < 4; i++) assert.equal((await getMetrics(port, reader)).status, 200);

  // Probes: their own port, plain HTTP, no token, and no metrics there.
  assert.equal(await plainGet(mgr.ports.probe, '/healthz'), 200);
  assert.ok([200, 503].includes(await plainGet(mgr.ports.probe, '/readyz')));
  assert.equal(await plainGet(mgr.ports.probe, '/metrics'), 404);
  await assert.rejects(fetch(`http://127.0.0.1:${String(port)}/metrics`), 'the metrics port speaks only TLS');

  const runDir = clusterRunDir();
  if (runDir === undefined) {
    t.diagnostic('review caching not checked: no audit log (SVO_CLUSTER_RUN unset)');
    return;
  }
  // Five scrapes with one token: one TokenReview and one SubjectAccessReview, not five of each.
  const reviews = await eventually<AuditedWrite[]>('the reviews in the audit log', () => {
    const mine = auditedRequests(runDir, userAgent, since).filter((w) => w.resource.endsWith('reviews'));
    return Promise.resolve(mine.length >= 2 ? mine : false);
  });
  assert.deepEqual(reviews.map((w) => w.resource).sort(), ['subjectaccessreviews', 'tokenreviews']);
});

async function servedCertificate(port: number | undefined): Promise<X509Certificate> {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  const raw = socket.getPeerX509Certificate();
  socket.destroy();
  if (raw === undefined) throw new Error('no certificate served');
  return raw;
}

async function writePair(dir: string, pair: Credentials): Promise<void> {
  // One file after the other: a poll that meets the new certificate with the old key must keep
  // serving the old pair and take the new one on a later poll.
  for (const [file, content] of [
    ['tls.crt', pair.cert],
    ['tls.key', pair.key],
  ] as const) {
    await writeFile(join(dir, file), content);
  }
}

test('a certificate from --metrics-cert-dir is served, and a renewed one replaces it without a restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'svo-metrics-certs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const first = selfSignedCertificate({ names: ['localhost'] });
  await writePair(dir, first);
  const { mgr } = await startSecure(t, { certDir: dir });
  const served = await servedCertificate(mgr.ports.metrics);
  assert.equal(served.fingerprint256, new X509Certificate(first.cert).fingerprint256);
  assert.equal((await getMetrics(mgr.ports.metrics, await metricsReaderToken())).status, 200);

  const renewed = selfSignedCertificate({ names: ['localhost'] });
  await writePair(dir, renewed);
  const want = new X509Certificate(renewed.cert).fingerprint256;
  await eventually(
    'the renewed certificate served',
    async () => (await servedCertificate(mgr.ports.metrics)).fingerprint256 === want,
    { timeoutMs: 30_000, intervalMs: 500 },
  );
});
