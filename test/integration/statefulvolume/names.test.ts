// Names at the API server's limits, against the real API server: a
// StatefulVolume named with all 253 characters, and one whose claimName has
// 253, get their primary and a standby claim in a zone whose name has upper
// case, `_` and a dot. The zones come from a topology label this test puts on
// the nodes, since the cluster's own zones are plain lower case.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { V1Node, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { StatefulVolume, VolumePlacement } from '../../../src/api/v1alpha1/types.generated.js';
import { labels } from '../../../src/api/v1alpha1/vocabulary.js';
import { registerStatefulVolume } from '../../../src/controllers/statefulvolume/controller.js';
import { standbyClaimName } from '../../../src/controllers/statefulvolume/standbys.js';
import { statefulVolumeType } from '../../../src/controllers/statefulvolume/types.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { coreTypes } from '../../../src/kube/resource.js';
import type { KubeObject, Stored } from '../../../src/kube/wire.js';
import { statefulVolume } from '../../support/builders.js';
import { ensureCrds } from '../../support/crds.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';
import { startTestManager, clientFor } from '../../support/operator.js';
import { eventually } from '../../support/wait.js';

type Claim = Stored<V1PersistentVolumeClaim>;
type Node = Stored<V1Node>;

const labelValuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const zones: Record<string, string> = { 'zone-a': 'Zone_A.1', 'zone-b': 'Zone_B.2' };

/** A DNS subdomain of exactly `length` characters. */
function longName(stem: string, length: number): string {
  return `${stem}-${'x'.repeat(length - stem.length - 2)}0`;
}

/** Labels the nodes of zone-a and zone-b under a key of this test's own, with odd zone names. */
async function oddZones(t: TestContext, client: KubeClient, key: string): Promise<void> {
  const nodes = (await client.list<Node>(coreTypes.node)).items;
  const patched: string[] = [];
  t.after(async () => {
    for (const name of patched)
      await client.patch(coreTypes.node, undefined, name, { metadata: { labels: { [key]: null } } });
  });
  for (const node of nodes) {
    const zone = zones[node.metadata.labels?.['topology.kubernetes.io/zone'] ?? ''];
    if (zone === undefined) continue;
    await client.patch(coreTypes.node, undefined, node.metadata.name ?? '', {
      metadata: { labels: { [key]: zone } },
    });
    patched.push(node.metadata.name ?? '');
  }
  assert.ok(patched.length >= 2, 'nodes in zone-a and zone-b');
}

async function setup(t: TestContext): Promise<{ ns: string; client: KubeClient; key: string }> {
  await ensureCrds(loadTestKubeConfig());
  const ns = await createTestNamespace(t, 'sv-names');
  const client = clientFor(t);
  const key = `names.test.stateful.dev/${ns}`;
  await oddZones(t, client, key);
  await startTestManager(t, {
    namespaces: [ns],
    register: (mgr) => {
      registerStatefulVolume(mgr, { concurrency: 2 });
    },
  });
  return { ns, client, key };
}

/** A primary and a standby, one per zone as the label `key` names them. */
function acrossOddZones(key: string): VolumePlacement {
  return { replicas: 2, zones: Object.values(zones), topologyKey: key };
}

/** The volume's primary and standby as the API server holds them, once both exist and the primary is bound. */
async function claimsOf(
  client: KubeClient,
  vol: StatefulVolume,
): Promise<{ primary: Claim; standby: Claim }> {
  const ns = vol.metadata.namespace ?? '';
  const primaryName = vol.spec.claimName ?? vol.metadata.name ?? '';
  return eventually(
    'a bound primary and a standby claim',
    async () => {
      const current = await client.get<StatefulVolume>(statefulVolumeType, ns, vol.metadata.name ?? '');
      const problem = current.status?.conditions?.find(
        (c) => c.status === 'False' && c.reason === 'ClaimInvalid',
      );
      if (problem !== undefined) throw new Error(`refused: ${problem.message ?? ''}`);
      const claims = (await client.list<Claim>(coreTypes.persistentVolumeClaim, ns)).items.filter((c) =>
        c.metadata.ownerReferences?.some((o) => o.uid === current.metadata.uid),
      );
      const primary = claims.find((c) => c.metadata.name === primaryName);
      const standby = claims.find((c) => c.metadata.labels?.[labels.role] === 'standby');
      return primary?.status?.phase === 'Bound' && standby !== undefined ? { primary, standby } : false;
    },
    { timeoutMs: 90_000 },
  );
}

function assertLegalLabels(claim: Claim): void {
  for (const [key, value] of Object.entries(claim.metadata.labels ?? {})) {
    assert.ok(value.length <= 63, `${key}=${value}`);
    assert.match(value, labelValuePattern, key);
  }
}

async function eventsAbout(client: KubeClient, ns: string, name: string): Promise<string[]> {
  const events = (
    await client.list<KubeObject & { reason?: string; involvedObject?: { name?: string } }>(
      coreTypes.event,
      ns,
    )
  ).items;
  return events.filter((e) => e.involvedObject?.name === name).map((e) => e.reason ?? '');
}

test('a StatefulVolume named with 253 characters gets its claims, a standby in a zone named Zone_B.2 or Zone_A.1, and its Events', async (t) => {
  const { ns, client, key } = await setup(t);
  const name = longName('data-db', 253);
  const vol = statefulVolume(ns, name, { spec: { placement: acrossOddZones(key) } });
  await client.create<StatefulVolume>(statefulVolumeType, vol);
  const { primary, standby } = await claimsOf(client, vol);
  assert.equal(primary.metadata.name, name, 'the claim takes the volume name whole');
  const zone = standby.metadata.labels?.[labels.zone] ?? '';
  assert.ok(Object.values(zones).includes(zone), zone);
  assert.notEqual(zone, primary.metadata.labels?.[labels.zone], 'one replica per zone');
  assert.equal(standby.metadata.name, standbyClaimName(name, zone, 'none'));
  assert.ok((standby.metadata.name ?? '').length <= 253);
  assertLegalLabels(primary);
  assertLegalLabels(standby);
  assert.equal(primary.metadata.labels?.[labels.volume], standby.metadata.labels?.[labels.volume]);
  await eventually('the ClaimCreated Event on the volume', async () =>
    (await eventsAbout(client, ns, name)).includes('ClaimCreated'),
  );
});

test('a claimName of 253 characters gets a standby whose name differs from it and ends in neither dash nor dot', async (t) => {
  const { ns, client, key } = await setup(t);
  const claimName = longName('data-db-0', 253);
  const vol = statefulVolume(ns, 'db', { spec: { claimName, placement: acrossOddZones(key) } });
  await client.create<StatefulVolume>(statefulVolumeType, vol);
  const { primary, standby } = await claimsOf(client, vol);
  assert.equal(primary.metadata.name, claimName);
  const standbyName = standby.metadata.name ?? '';
  assert.notEqual(standbyName, claimName);
  assert.equal(standbyName.length, 253);
  assert.match(standbyName, /[a-z0-9]$/);
  assert.equal(
    standbyName,
    standbyClaimName(claimName, standby.metadata.labels?.[labels.zone] ?? '', 'none'),
  );
  const current = await client.get<StatefulVolume>(statefulVolumeType, ns, 'db');
  assert.deepEqual(
    current.status?.replicas?.map((r) => r.claim).sort(),
    [claimName, standbyName].sort(),
    'status names both claims',
  );
});
