// The StatefulVolume promise end to end: volumes placed by the operator in
// chosen zones, then a StatefulSet whose pods mount those claims. The real
// scheduler must follow the volumes (their PVs' node affinity), so each pod
// runs in its volume's zone, and the operator reports which pod mounts what.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import type { StatefulVolume } from '../../../src/api/v1alpha1/types.generated.js';
import { registerStatefulVolume } from '../../../src/controllers/statefulvolume/controller.js';
import { statefulVolumeType } from '../../../src/controllers/statefulvolume/types.js';
import { storageClassName } from '../../support/claims.js';
import { statefulVolume } from '../../support/builders.js';
import { ensureCrds } from '../../support/crds.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';
import { startTestManager, clientFor } from '../../support/operator.js';
import { eventually } from '../../support/wait.js';
import { createDbStatefulSet } from '../../support/workload.js';

// Deliberately not in name order: the zones come from the volumes, not from a spread constraint.
const zoneOf: Record<string, string> = {
  'data-db-0': 'zone-c',
  'data-db-1': 'zone-a',
  'data-db-2': 'zone-b',
};

function assertAttachment(v: StatefulVolume, pods: readonly V1Pod[]): void {
  const name = v.metadata.name ?? '';
  const pod = pods.find((p) => `data-${p.metadata?.name ?? ''}` === name);
  assert.ok(pod, `a pod mounts ${name}`);
  const a = v.status?.attachment;
  assert.ok(a, `${name} reports its attachment`);
  assert.equal(a.pod, pod.metadata?.name);
  assert.equal(a.node, pod.spec?.nodeName);
  assert.equal(a.zone, zoneOf[name]);
  assert.equal(a.moves, 0);
  assert.equal(v.status?.primary?.node, pod.spec?.nodeName);
}

async function assertOperatorClaims(core: CoreV1Api, ns: string): Promise<void> {
  // The StatefulSet used the operator's claims rather than making its own.
  const claims = await core.listNamespacedPersistentVolumeClaim({ namespace: ns });
  assert.deepEqual(claims.items.map((c) => c.metadata?.name).sort(), Object.keys(zoneOf).sort());
  for (const c of claims.items) {
    assert.ok(
      c.metadata?.ownerReferences?.some((o) => o.kind === 'StatefulVolume'),
      `${c.metadata?.name ?? ''} is owned`,
    );
  }
}

test('a StatefulSet whose pods mount StatefulVolume claims runs each pod in its volume’s zone', async (t) => {
  const kc = loadTestKubeConfig();
  await ensureCrds(kc);
  const ns = await createTestNamespace(t, 'sv-sts');
  await startTestManager(t, {
    namespaces: [ns],
    register: (mgr) => {
      registerStatefulVolume(mgr, { concurrency: 2 });
    },
  });
  const client = clientFor(t);
  for (const [name, zone] of Object.entries(zoneOf)) {
    await client.create<StatefulVolume>(
      statefulVolumeType,
      statefulVolume(ns, name, { spec: { storageClassName, placement: { replicas: 1, zones: [zone] } } }),
    );
  }
  // A WaitForFirstConsumer class: the operator's selected-node pin provisions each claim in its zone now.
  const provisioned = await eventually(
    'the three volumes are provisioned in their zones',
    async () => {
      const list = await client.list<StatefulVolume>(statefulVolumeType, ns);
      const done = list.items.filter((v) =>
        v.status?.conditions?.some((c) => c.type === 'Provisioned' && c.status === 'True'),
      );
      return done.length === 3 ? list.items : false;
    },
    { timeoutMs: 120_000 },
  );
  for (const v of provisioned) assert.equal(v.status?.primary?.zone, zoneOf[v.metadata.name ?? '']);

  const core = kc.makeApiClient(CoreV1Api);
  await createDbStatefulSet(kc, ns, { replicas: 3, parallel: true });

  const nodeZone = new Map<string, string>();
  for (const n of (await core.listNode()).items) {
    nodeZone.set(n.metadata?.name ?? '', n.metadata?.labels?.['topology.kubernetes.io/zone'] ?? '');
  }
  const pods = await eventually(
    'three Running pods',
    async () => {
      const list = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=db' });
      const running = list.items.filter((p) => p.status?.phase === 'Running');
      return running.length === 3 ? running : false;
    },
    { timeoutMs: 120_000 },
  );
  for (const pod of pods) {
    const claim = `data-${pod.metadata?.name ?? ''}`;
    assert.equal(
      nodeZone.get(pod.spec?.nodeName ?? ''),
      zoneOf[claim],
      `${pod.metadata?.name ?? ''} runs in the zone of ${claim}`,
    );
  }

  // The operator follows the pods: each volume names the pod that mounts it and where.
  const attached = await eventually('every volume reports its pod', async () => {
    const list = await client.list<StatefulVolume>(statefulVolumeType, ns);
    const ok = list.items.filter((v) =>
      v.status?.conditions?.some((c) => c.type === 'Attached' && c.status === 'True'),
    );
    return ok.length === 3 ? list.items : false;
  });
  for (const v of attached) assertAttachment(v, pods);
  await assertOperatorClaims(core, ns);
});
