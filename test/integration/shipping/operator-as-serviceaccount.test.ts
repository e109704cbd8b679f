// The operator running with exactly the identity the chart gives it: RBAC from
// the chart, a token of the chart's ServiceAccount, and the real operator
// process. KWOK does not run containers, so the process runs here, but every
// request it makes is authorised as the ServiceAccount in the cluster.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type {
  FailoverGroup,
  StatefulVolume,
  VolumeBackup,
} from '../../../src/api/v1alpha1/types.generated.js';
import { failoverGroupType } from '../../../src/controllers/kinds.js';
import { statefulVolumeType, volumeBackupType } from '../../../src/controllers/statefulvolume/types.js';
import { coreTypes } from '../../../src/kube/resource.js';
import type { Stored } from '../../../src/kube/wire.js';
import { ensureCrds } from '../../support/crds.js';
import { createTestNamespace, loadTestKubeConfig, testKubeconfigPath } from '../../support/kube.js';
import { tokenIdentity } from '../../support/identity.js';
import { metricValue, testClient, testName } from '../../support/operator.js';
import { eventually } from '../../support/wait.js';
import { chartDir, deleteReleaseRbac, helm, kubectl, ok, repoRoot } from './tools.js';
import { scrapeMetrics } from '../../support/metrics.js';
import { freePort } from '../../support/operator-process.js';

const kc = loadTestKubeConfig();

async function uninstallOnExit(t: TestContext, release: string, namespace: string): Promise<void> {
  t.after(async () => {
    await helm(['uninstall', release, '--kubeconfig', testKubeconfigPath(), '--namespace', namespace]);
    await deleteReleaseRbac(kc, release);
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
      // The suite installs the CRDs (ensureCrds); a release may not take them over here.
      '--set',
      'crds.enabled=false',
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
  // Every sample, applied as a person would, reconciled by this process with only the ServiceAccount's
  // rights: the Postgres StatefulSet's pod mounts the StatefulVolume's claim, and the FailoverGroup that
  // protects it becomes Ready (its phase Healthy) once that pod is Ready.
  ok(
    await kubectl([
      'apply',
      '--kubeconfig',
      testKubeconfigPath(),
      '--namespace',
      watched,
      '-k',
      join(repoRoot, 'config/samples'),
    ]),
    'kubectl apply -k config/samples',
  );
  const admin = testClient();
  t.after(() => {
    admin.close();
  });
  const group = await eventually(
    'the sample FailoverGroup Ready and Healthy with the shipped workload',
    async () => {
      const fg = await admin.get<FailoverGroup>(failoverGroupType, watched, 'postgres');
      const ready = fg.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' && fg.status?.phase === 'Healthy' ? fg : false;
    },
    { timeoutMs: 120_000 },
  );
  // The zone is wherever the primary claim landed: the StatefulSet's controller may create the
  // claim before the operator does, and then the scheduler picks. The group must report that zone.
  const pod = await admin.get<Stored<V1Pod>>(coreTypes.pod, watched, 'postgres-0');
  const node = await admin.get<Stored<V1Node>>(coreTypes.node, undefined, pod.spec?.nodeName ?? '');
  assert.equal(group.status?.activeZone, node.metadata.labels?.['topology.kubernetes.io/zone']);
  const volume = await eventually('the sample StatefulVolume bound and mounted by postgres-0', async () => {
    const sv = await admin.get<StatefulVolume>(statefulVolumeType, watched, 'postgres-data');
    const provisioned = sv.status?.conditions?.some((c) => c.type === 'Provisioned' && c.status === 'True');
    return provisioned === true && sv.status?.attachment?.pod === 'postgres-0' ? sv : false;
  });
  assert.equal(volume.status?.claimName, 'data-postgres-0');
  // While a standby is replaced by one filled from the newer backup, both are listed until the new
  // one is bound; in the end the volume settles on one primary and one standby in another zone.
  const settled = await eventually('one primary and one standby', async () => {
    const sv = await admin.get<StatefulVolume>(statefulVolumeType, watched, 'postgres-data');
    const roles = (sv.status?.replicas ?? []).map((r) => r.role).sort();
    return roles.join() === 'Primary,Standby' ? sv : false;
  });
  const zones = new Set((settled.status?.replicas ?? []).map((r) => r.zone));
  assert.equal(zones.size, 2, 'the standby is in another zone than the primary');
  await eventually('the on-demand sample backup Ready', async () => {
    const b = await admin.get<VolumeBackup>(volumeBackupType, watched, 'postgres-data-before-upgrade');
    return b.status?.phase === 'Ready';
  });
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
