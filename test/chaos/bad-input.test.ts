// The bad-input corpus: objects the CRD schema accepts but that can only fail
// at run time (missing classes, missing or foreign-namespace sources, unknown
// zones, unknown time zones, a workload that is not there). The whole operator
// runs; for each object it must say what is wrong in a status condition and a
// Warning Event, keep running, and delete nothing.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { registerControllers } from '../../src/controllers/index.js';
import {
  failoverGroupType,
  statefulVolumeType,
  volumeBackupPolicyType,
  volumeBackupType,
} from '../../src/controllers/kinds.js';
import type { KubeClient } from '../../src/kube/client.js';
import { coreTypes, type ResourceType } from '../../src/kube/resource.js';
import type { KubeObject, Stored } from '../../src/kube/wire.js';
import { parseConfig, type OperatorConfig } from '../../src/config.js';
import { createClaim, immediateStorageClassName } from '../support/claims.js';
import { ensureCrds } from '../support/crds.js';
import { createTestNamespace, loadTestKubeConfig } from '../support/kube.js';
import { metricValue, startTestManager, clientFor } from '../support/operator.js';
import { eventually } from '../support/wait.js';

interface WithStatus extends KubeObject {
  spec: Record<string, unknown>;
  status?: { conditions?: { type: string; status: string; reason: string; message?: string }[] };
}

interface Case {
  /** What is wrong, as a sentence. */
  name: string;
  type: ResourceType;
  kind: string;
  spec: Record<string, unknown>;
  /** The reason a condition and a Warning Event must carry. */
  reason: string;
}

const api = 'storage.stateful.dev/v1alpha1';
const volSpec = { size: '1Gi', storageClassName: immediateStorageClassName };

const cases: Case[] = [
  {
    name: 'a StatefulVolume naming a StorageClass that does not exist',
    type: statefulVolumeType,
    kind: 'StatefulVolume',
    spec: { size: '1Gi', storageClassName: 'no-such-class' },
    reason: 'StorageClassNotFound',
  },
  {
    name: 'a StatefulVolume restoring from a VolumeBackup that does not exist',
    type: statefulVolumeType,
    kind: 'StatefulVolume',
    spec: { ...volSpec, source: { volumeBackupName: 'no-such-backup' } },
    reason: 'SourceNotFound',
  },
  {
    name: 'a StatefulVolume restoring from a VolumeSnapshot that does not exist',
    type: statefulVolumeType,
    kind: 'StatefulVolume',
    spec: { ...volSpec, source: { volumeSnapshotName: 'no-such-snapshot' } },
    reason: 'SourceNotFound',
  },
  {
    name: 'a StatefulVolume cloning a claim that exists only in another namespace',
    type: statefulVolumeType,
    kind: 'StatefulVolume',
    spec: { ...volSpec, source: { persistentVolumeClaimName: 'foreign-claim' } },
    reason: 'SourceNotFound',
  },
  {
    name: 'a StatefulVolume placed in a zone no node has',
    type: statefulVolumeType,
    kind: 'StatefulVolume',
    spec: { ...volSpec, placement: { replicas: 1, zones: ['zone-x'] } },
    reason: 'UnknownZone',
  },
  {
    // A smaller claim would be adopted and grown; a bigger one cannot be shrunk.
    name: 'a StatefulVolume whose claim name is taken by a bigger claim',
    type: statefulVolumeType,
    kind: 'StatefulVolume',
    spec: { ...volSpec, claimName: 'taken-claim' },
    reason: 'AdoptionRefused',
  },
  {
    name: 'a VolumeBackup of a StatefulVolume that does not exist',
    type: volumeBackupType,
    kind: 'VolumeBackup',
    spec: { volumeName: 'no-such-volume' },
    reason: 'VolumeNotFound',
  },
  {
    name: 'a VolumeBackupPolicy in a time zone that does not exist',
    type: volumeBackupPolicyType,
    kind: 'VolumeBackupPolicy',
    spec: {
      schedule: '0 * * * *',
      timeZone: 'Mars/Olympus_Mons',
      volumes: ['db'],
      retention: { keepLast: 3 },
    },
    reason: 'UnknownTimeZone',
  },
  {
    name: 'a VolumeBackupPolicy naming a volume that does not exist',
    type: volumeBackupPolicyType,
    kind: 'VolumeBackupPolicy',
    spec: { schedule: '0 * * * *', volumes: ['no-such-volume'], retention: { keepLast: 3 } },
    reason: 'VolumeNotFound',
  },
  {
    name: 'a FailoverGroup whose StatefulSet does not exist',
    type: failoverGroupType,
    kind: 'FailoverGroup',
    spec: {
      volumes: { names: ['no-such-volume'] },
      workload: { kind: 'StatefulSet', name: 'no-such-sts' },
      zones: ['zone-a', 'zone-b'],
    },
    reason: 'WorkloadNotFound',
  },
];

function objectName(i: number): string {
  return `bad-${String(i)}`;
}

async function warnings(client: KubeClient, ns: string): Promise<Map<string, Set<string>>> {
  const events = await client.list<
    KubeObject & { reason?: string; type?: string; involvedObject?: { name?: string } }
  >(coreTypes.event, ns);
  const out = new Map<string, Set<string>>();
  for (const e of events.items) {
    if (e.type !== 'Warning') continue;
    const name = e.involvedObject?.name ?? '';
    out.set(name, (out.get(name) ?? new Set()).add(e.reason ?? ''));
  }
  return out;
}

async function reported(client: KubeClient, ns: string): Promise<string[]> {
  const events = await warnings(client, ns);
  const missing: string[] = [];
  for (const [i, c] of cases.entries()) {
    const obj = await client.get<WithStatus>(c.type, ns, objectName(i));
    const cond = obj.status?.conditions?.find((x) => x.reason === c.reason && x.status !== 'True');
    if (cond === undefined) missing.push(`${c.name}: no condition with reason ${c.reason}`);
    if (events.get(objectName(i))?.has(c.reason) !== true)
      missing.push(`${c.name}: no Warning Event ${c.reason}`);
  }
  return missing;
}

test('every object of the bad-input corpus gets a condition and a Warning Event, and nothing is deleted', async (t) => {
  const kc = loadTestKubeConfig();
  await ensureCrds(kc);
  const ns = await createTestNamespace(t, 'bad-input');
  const other = await createTestNamespace(t, 'bad-input-other');
  // Sources that exist, but not where the volume may read them from.
  await createClaim(kc, other, 'foreign-claim', { size: '1Gi', storageClassName: immediateStorageClassName });
  await createClaim(kc, ns, 'taken-claim', { size: '2Gi', storageClassName: immediateStorageClassName });
  const parsed = parseConfig([], {});
  assert.ok(!parsed.help);
  const config: OperatorConfig = { ...parsed.config, concurrency: 2 };
  const running = await startTestManager(t, {
    namespaces: [ns],
    register: (mgr) => {
      registerControllers(mgr, config);
    },
  });
  const client = clientFor(t);
  // The specs as stored, API server defaults included: the operator must leave them so.
  const stored: WithStatus['spec'][] = [];
  for (const [i, c] of cases.entries()) {
    const made = await client.create<WithStatus>(c.type, {
      apiVersion: api,
      kind: c.kind,
      metadata: { name: objectName(i), namespace: ns },
      spec: c.spec,
    });
    stored.push(made.spec);
  }

  let last: string[] = [];
  await eventually(
    'a condition and a Warning Event for every bad object',
    async () => {
      last = await reported(client, ns);
      return last.length === 0;
    },
    { timeoutMs: 90_000 },
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}\nstill missing:\n  ${last.join('\n  ')}`);
  });

  // Let a few more passes run: bad input must not become a crash or a deletion later.
  await sleep(3_000);
  assert.equal(running.settled(), false, 'the operator is still running');
  for (const [i, c] of cases.entries()) {
    const obj = await client.get<WithStatus>(c.type, ns, objectName(i));
    assert.deepEqual(obj.spec, stored[i], `${c.name}: the spec is as the user wrote it`);
    assert.equal(obj.metadata.generation, 1, `${c.name}: the spec was never written`);
  }
  const taken = await client.get<Stored<V1PersistentVolumeClaim>>(
    coreTypes.persistentVolumeClaim,
    ns,
    'taken-claim',
  );
  assert.equal(taken.metadata.deletionTimestamp, undefined, 'the foreign claim is not deleted');
  assert.equal(taken.metadata.ownerReferences, undefined, 'nor taken over');
  assert.equal(taken.spec?.resources?.requests?.storage, '2Gi', 'nor resized');
  const foreign = await client.get<Stored<V1PersistentVolumeClaim>>(
    coreTypes.persistentVolumeClaim,
    other,
    'foreign-claim',
  );
  assert.equal(foreign.metadata.deletionTimestamp, undefined);
  const claims = await client.list<Stored<V1PersistentVolumeClaim>>(coreTypes.persistentVolumeClaim, ns);
  assert.deepEqual(
    claims.items.map((c) => c.metadata.name),
    ['taken-claim'],
    'no claim was made for a volume that cannot be provisioned',
  );
  const text = await running.metrics();
  for (const resource of ['statefulvolumes', 'volumebackups', 'volumebackuppolicies', 'failovergroups']) {
    const threw = metricValue(text, 'stateful_volume_operator_informer_errors_total', {
      resource,
      kind: 'handler',
    });
    assert.equal(threw, 0, `no ${resource} event handler threw`);
  }
});
