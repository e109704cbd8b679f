// An API server outage longer than the detection time stops every node's
// Lease updates at once. That is the operator's partition, not a node
// failure: nothing may be fenced and no pod moved. The operator runs in
// LeaseSilence mode, where Lease silence alone would fence: the default mode
// would fence nothing here for want of a shutdown confirmation, and prove
// nothing about the partition guard.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { FailoverGroup } from '../../../src/api/v1alpha1/types.generated.js';
import { defaultFencingPolicy } from '../../../src/controllers/failovergroup/consent.js';
import { registerFailoverGroup } from '../../../src/controllers/failovergroup/controller.js';
import { outOfServiceTaint } from '../../../src/controllers/failovergroup/fence.js';
import { failoverGroupType } from '../../../src/controllers/failovergroup/types.js';
import { requireOwnCluster, restartApiServer } from '../../support/control.js';
import { ensureCrds } from '../../support/crds.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';
import { startTestManager, clientFor } from '../../support/operator.js';
import { eventually } from '../../support/wait.js';
import { failoverGroupFor } from '../../support/workload.js';

test('an API server restart longer than detectionSeconds fences nothing and moves no pod', async (t) => {
  if (requireOwnCluster(t) === undefined) return;
  const kc = loadTestKubeConfig();
  await ensureCrds(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const ns = await createTestNamespace(t, 'fog-blip');
  const running = await startTestManager(t, {
    namespaces: [ns],
    register: (mgr) => {
      registerFailoverGroup(mgr, {
        concurrency: 2,
        fencing: { ...defaultFencingPolicy, mode: 'LeaseSilence' },
      });
    },
  });
  await kc.makeApiClient(AppsV1Api).createNamespacedStatefulSet({
    namespace: ns,
    body: {
      metadata: { name: 'web' },
      spec: {
        serviceName: 'web',
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx' }] },
        },
      },
    },
  });
  const pod = await eventually(
    'web-0 Running',
    async () => {
      const p = await core.readNamespacedPod({ namespace: ns, name: 'web-0' }).catch(() => undefined);
      return p?.status?.phase === 'Running' ? p : false;
    },
    { timeoutMs: 60_000 },
  );
  const client = clientFor(t);
  await client.create<FailoverGroup>(failoverGroupType, failoverGroupFor(ns, 5, {}, 'web'));
  const read = (): Promise<FailoverGroup> => client.get<FailoverGroup>(failoverGroupType, ns, 'web');
  await eventually('the group Healthy', async () => (await read()).status?.phase === 'Healthy');

  await restartApiServer({ downSeconds: 12 });
  // Long enough for the operator to have fenced if it were going to.
  await new Promise((r) => setTimeout(r, 15_000));

  const after = await core.readNamespacedPod({ namespace: ns, name: 'web-0' });
  assert.equal(after.metadata?.uid, pod.metadata?.uid, 'the pod was not deleted');
  const tainted = (await core.listNode()).items.filter((n) =>
    (n.spec?.taints ?? []).some((x) => x.key === outOfServiceTaint.key),
  );
  assert.deepEqual(
    tainted.map((n) => n.metadata?.name),
    [],
    'no node fenced',
  );
  const status = (await read()).status;
  assert.equal(status?.lastFailover, undefined, 'no failover recorded');
  assert.equal(running.settled(), false);
});
