// The operator running with exactly the identity the chart gives it: RBAC from
// the chart, a token of the chart's ServiceAccount, and the real operator
// process. KWOK does not run containers, so the process runs here, but every
// request it makes is authorised as the ServiceAccount in the cluster.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import type { StatefulVolume } from '../../../src/api/v1alpha1/types.generated.js';
import { statefulVolumeType } from '../../../src/controllers/statefulvolume/types.js';
import { immediateStorageClassName } from '../../support/claims.js';
import { ensureCrds } from '../../support/crds.js';
import { createTestNamespace, loadTestKubeConfig, testKubeconfigPath } from '../../support/kube.js';
import { tokenIdentity } from '../../support/identity.js';
import { metricValue, testClient, testName } from '../../support/operator.js';
import { eventually } from '../../support/wait.js';
import { chartDir, helm, ok, repoRoot } from './tools.js';
import { scrapeMetrics } from '../../support/metrics.js';
import { freePort } from '../../support/operator-process.js';

const kc = loadTestKubeConfig();

async function uninstallOnExit(t: TestContext, release: string, namespace: string): Promise<void> {
  t.after(async () => {
    await helm(['uninstall', release, '--kubeconfig', testKubeconfigPath(), '--namespace', namespace]);
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    const labelSelector = `app.kubernetes.io/instance=${release}`;
    await rbac.deleteCollectionClusterRoleBinding({ labelSelector }).catch(() => undefined);
    await rbac.deleteCollectionClusterRole({ labelSelector }).catch(() => undefined);
    // The node-lease Role lives in kube-node-lease, which outlives the test's namespace.
    const nodeLeases = { namespace: 'kube-node-lease', labelSelector };
    await rbac.deleteCollectionNamespacedRoleBinding(nodeLeases).catch(() => undefined);
    await rbac.deleteCollectionNamespacedRole(nodeLeases).catch(() => undefined);
  });
  return Promise.resolve();
}

test('the operator runs with only the chart’s ServiceAccount: caches sync, it leads, nothing is forbidden', async (t) => {
  await ensureCrds(kc);
  const home = await createTestNamespace(t, 'op-home');
  const watched = await createTestNamespace(t, 'op-apps');
  const release = home;
  await uninstallOnExit(t, release, home);
  ok(
    await helm([
      'install',
      release,
      chartDir,
      '--kubeconfig',
      testKubeconfigPath(),
      '--namespace',
      home,
      '--set',
      `watchNamespaces={${watched}}`,
      '--set',
      'replicaCount=1',
    ]),
    'helm install',
  );
  const name = `${release}-stateful-volume-operator`;
  // A token of the chart's account, recorded like every operator start so a 403 fails the tier.
  const { kubeconfigPath: kubeconfig } = await tokenIdentity(
    kc,
    'chart',
    { namespace: home, name },
    { test: testName(t) },
  );
  const port = await freePort();
  let metricsPort = await freePort();
  while (metricsPort === port) metricsPort = await freePort();
  let stderr = '';
  let stdout = '';
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'src/main.ts'),
      `--kubeconfig=${kubeconfig}`,
      `--namespaces=${watched}`,
      `--leader-election-namespace=${home}`,
      `--leader-election-id=${name}`,
      `--metrics-bind-address=127.0.0.1:${String(metricsPort)}`,
      `--health-probe-bind-address=127.0.0.1:${String(port)}`,
      '--log-level=info',
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.after(() => {
    child.kill('SIGKILL');
  });

  await eventually(
    'the operator ready (every informer listed with the ServiceAccount’s rights)',
    async () => (await fetch(`http://127.0.0.1:${String(port)}/readyz`)).status === 200,
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  await eventually('the operator leads', async () => {
    const text = await scrapeMetrics(metricsPort);
    return metricValue(text, 'leader_election_master_status', { name }) === 1;
  });
  // The sample StatefulVolume, reconciled by this process with only the ServiceAccount's rights. Its
  // class is switched to the immediate-binding one: a WaitForFirstConsumer claim binds only once a
  // pod uses it, and this test has no pod.
  const sample = load(
    readFileSync(join(repoRoot, 'config/samples/storage_v1alpha1_statefulvolume.yaml'), 'utf8'),
  ) as StatefulVolume;
  const admin = testClient();
  t.after(() => {
    admin.close();
  });
  await admin.create<StatefulVolume>(statefulVolumeType, {
    ...sample,
    metadata: { ...sample.metadata, namespace: watched },
    spec: { ...sample.spec, storageClassName: immediateStorageClassName, size: '1Gi' },
  });
  // Its primary bound and its standby made: the sample asks for two replicas, and with no backup
  // yet the standby is seeded empty, so Ready stays False with SeededEmpty (which is the truth).
  await eventually(
    'the sample StatefulVolume provisioned with its standby',
    async () => {
      const sv = await admin.get<StatefulVolume>(statefulVolumeType, watched, sample.metadata.name ?? '');
      const provisioned = sv.status?.conditions?.some((c) => c.type === 'Provisioned' && c.status === 'True');
      const inSync = sv.status?.conditions?.find((c) => c.type === 'ReplicasInSync');
      return provisioned === true && inSync?.reason === 'SeededEmpty' && sv.status?.replicas?.length === 2;
    },
    { timeoutMs: 90_000 },
  );
  const text = await scrapeMetrics(metricsPort);
  assert.equal(
    metricValue(text, 'rest_client_requests_total', { code: '403' }),
    0,
    'no request was forbidden',
  );
  assert.equal(
    metricValue(text, 'stateful_volume_operator_informer_errors_total'),
    0,
    'no list or watch failed',
  );

  child.kill('SIGTERM');
  assert.equal(await exited, 0, `exit after SIGTERM (stderr: ${stderr.slice(-500)})`);
  assert.doesNotMatch(stdout, /forbidden/i);
});
