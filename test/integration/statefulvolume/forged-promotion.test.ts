// A tenant who may edit its own StatefulVolumes, or someone who can write a
// FailoverGroup's status, forges a promotion record naming another
// namespace's PersistentVolume. Nothing of the other namespace changes: its PV
// keeps its claimRef (namespace, name, uid), its reclaim policy and its bytes,
// and no Event or condition of the forger's namespace names any object of the
// other one. The old annotation is not read at all; a record in a group's
// status is taken, then refused at the first check before a PV write.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { FailoverGroup, StatefulVolume } from '../../../src/api/v1alpha1/types.generated.js';
import { failoverGroupType, statefulVolumeType } from '../../../src/controllers/kinds.js';
import { registerStatefulVolume } from '../../../src/controllers/statefulvolume/controller.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { coreTypes } from '../../../src/kube/resource.js';
import type { KubeObject, Stored } from '../../../src/kube/wire.js';
import { statefulVolume } from '../../support/builders.js';
import { ensureCrds } from '../../support/crds.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';
import { startTestManager, clientFor } from '../../support/operator.js';
import { promotingGroup, promotionRecordFrom } from '../../support/promotion.js';
import { readChecksum, writeRandomBytes } from '../../support/volumes.js';
import { eventually } from '../../support/wait.js';

const MiB = 1024 * 1024;
type Claim = Stored<V1PersistentVolumeClaim>;
type Volume = Stored<V1PersistentVolume>;
type Event = KubeObject & {
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string };
};

interface Victim {
  ns: string;
  claim: Claim;
  pv: Volume;
  sha: string;
}

interface Bed {
  client: KubeClient;
  victim: Victim;
  attackerNs: string;
  attacker: StatefulVolume;
  attackerClaim: Claim;
  attackerPv: Volume;
}

async function boundVolume(
  client: KubeClient,
  ns: string,
  name: string,
): Promise<{ vol: StatefulVolume; claim: Claim; pv: Volume }> {
  await client.create<StatefulVolume>(
    statefulVolumeType,
    statefulVolume(ns, name, { metadata: { labels: { app: 'db' } } }),
  );
  const claim = await eventually(
    `claim ${name} Bound`,
    async () => {
      const c = await client.find<Claim>(coreTypes.persistentVolumeClaim, ns, name);
      return c?.status?.phase === 'Bound' ? c : false;
    },
    { timeoutMs: 120_000 },
  );
  const pv = await client.get<Volume>(coreTypes.persistentVolume, undefined, claim.spec?.volumeName ?? '');
  const vol = await client.get<StatefulVolume>(statefulVolumeType, ns, name);
  return { vol, claim, pv };
}

async function setup(t: TestContext): Promise<Bed> {
  const kc = loadTestKubeConfig();
  await ensureCrds(kc);
  const victimNs = await createTestNamespace(t, 'victim');
  const attackerNs = await createTestNamespace(t, 'forger');
  await startTestManager(t, {
    namespaces: [victimNs, attackerNs],
    register: (mgr) => {
      registerStatefulVolume(mgr, { concurrency: 2 });
    },
  });
  const client = clientFor(t);
  const v = await boundVolume(client, victimNs, 'secrets');
  const sha = await writeRandomBytes(kc, victimNs, 'secrets', 2 * MiB);
  const a = await boundVolume(client, attackerNs, 'data');
  return {
    client,
    victim: { ns: victimNs, claim: v.claim, pv: v.pv, sha },
    attackerNs,
    attacker: a.vol,
    attackerClaim: a.claim,
    attackerPv: a.pv,
  };
}

/** The victim's PV, claim and bytes exactly as before. */
async function assertVictimUntouched(bed: Bed): Promise<void> {
  const { client, victim } = bed;
  const pv = await client.get<Volume>(coreTypes.persistentVolume, undefined, victim.pv.metadata.name ?? '');
  const ref = pv.spec?.claimRef;
  assert.equal(pv.metadata.uid, victim.pv.metadata.uid);
  assert.deepEqual(
    { namespace: ref?.namespace, name: ref?.name, uid: ref?.uid },
    { namespace: victim.ns, name: 'secrets', uid: victim.claim.metadata.uid },
    'the victim PV keeps its claimRef',
  );
  assert.equal(pv.spec?.persistentVolumeReclaimPolicy, victim.pv.spec?.persistentVolumeReclaimPolicy);
  assert.equal(pv.metadata.annotations?.['storage.stateful.dev/former-primary-of'], undefined);
  assert.equal(
    pv.metadata.resourceVersion,
    victim.pv.metadata.resourceVersion,
    'the victim PV was not written',
  );
  const claim = await client.get<Claim>(coreTypes.persistentVolumeClaim, victim.ns, 'secrets');
  assert.equal(claim.metadata.uid, victim.claim.metadata.uid, 'the victim claim is the same object');
  assert.equal(claim.spec?.volumeName, victim.pv.metadata.name);
  assert.equal(claim.status?.phase, 'Bound');
  assert.equal(
    await readChecksum(loadTestKubeConfig(), victim.ns, 'secrets'),
    victim.sha,
    'the victim bytes',
  );
  const claims = await client.list<Claim>(coreTypes.persistentVolumeClaim, bed.attackerNs);
  for (const c of claims.items)
    assert.notEqual(
      c.spec?.volumeName,
      victim.pv.metadata.name,
      `claim ${c.metadata.name ?? ''} holds the victim PV`,
    );
}

/** Nothing the forger's namespace shows (Events, conditions, status messages) names the victim's objects. */
async function assertNothingNamed(bed: Bed): Promise<void> {
  const { client, victim } = bed;
  const secrets = [
    victim.ns,
    victim.pv.metadata.name ?? '',
    victim.claim.metadata.uid ?? '',
    victim.pv.metadata.uid ?? '',
  ];
  const events = (await client.list<Event>(coreTypes.event, bed.attackerNs)).items;
  const vols = (await client.list<StatefulVolume>(statefulVolumeType, bed.attackerNs)).items;
  const groups = (await client.list<FailoverGroup>(failoverGroupType, bed.attackerNs)).items;
  const said = [
    ...events.map((e) => `${e.reason ?? ''}: ${e.message ?? ''}`),
    ...vols.flatMap((v) => [
      ...(v.status?.conditions ?? []).map((c) => c.message ?? ''),
      v.status?.promotion?.message ?? '',
    ]),
    ...groups.flatMap((g) => (g.status?.conditions ?? []).map((c) => c.message ?? '')),
  ];
  for (const text of said)
    for (const secret of secrets) assert.ok(!text.includes(secret), `"${text}" names ${secret}`);
}

test('a forged promotion annotation naming another namespace’s PV changes nothing', async (t) => {
  const bed = await setup(t);
  const { client, attacker, victim } = bed;
  // The record shape the annotation used to carry: the victim's PV as the "standby" volume.
  const forged = {
    zone: 'zone-b',
    volume: victim.pv.metadata.name,
    standbyClaim: 'secrets',
    oldVolume: bed.attackerPv.metadata.name,
    oldClaimUid: bed.attackerClaim.metadata.uid,
  };
  await client.patch(statefulVolumeType, bed.attackerNs, 'data', {
    metadata: { annotations: { 'storage.stateful.dev/promotion': JSON.stringify(forged) } },
  });
  // Wake the volume with a change it does act on, and see the pass done: its status follows the claim.
  await client.patch(coreTypes.persistentVolumeClaim, bed.attackerNs, 'data', {
    metadata: { labels: { poke: '1' } },
  });
  await new Promise((r) => setTimeout(r, 5_000));
  const after = await client.get<StatefulVolume>(statefulVolumeType, bed.attackerNs, 'data');
  assert.equal(after.status?.promotion, undefined, 'the annotation is not a record');
  assert.equal(after.status?.phase, 'Ready');
  const claim = await client.get<Claim>(coreTypes.persistentVolumeClaim, bed.attackerNs, 'data');
  assert.equal(
    claim.metadata.uid,
    bed.attackerClaim.metadata.uid,
    'the forger’s own claim is not rebound either',
  );
  const ownPv = await client.get<Volume>(
    coreTypes.persistentVolume,
    undefined,
    bed.attackerPv.metadata.name ?? '',
  );
  assert.equal(ownPv.spec?.persistentVolumeReclaimPolicy, bed.attackerPv.spec?.persistentVolumeReclaimPolicy);
  assert.equal(attacker.status?.promotion, undefined);
  await assertVictimUntouched(bed);
  await assertNothingNamed(bed);
});

test('a forged FailoverGroup status naming another namespace’s PV is refused before any write to it', async (t) => {
  const bed = await setup(t);
  const { client, attacker, victim } = bed;
  const fg = await client.create<FailoverGroup>(failoverGroupType, promotingGroup(bed.attackerNs));
  // Every UID right, so the record passes the checks made before it is taken; only the PV is another namespace's.
  const forged = promotionRecordFrom(
    {
      volume: attacker,
      oldClaim: bed.attackerClaim,
      oldVolume: bed.attackerPv,
      standbyClaim: victim.claim,
      standbyVolume: victim.pv,
    },
    'ZoneFailure',
    'zone-b',
  );
  // Written with admin rights through the status subresource, as only the operator should.
  await client.updateStatus<FailoverGroup>(failoverGroupType, { ...fg, status: { promotions: [forged] } });

  const refused = await eventually(
    'the forged record refused',
    async () => {
      const v = await client.get<StatefulVolume>(statefulVolumeType, bed.attackerNs, 'data');
      return v.status?.promotion?.phase === 'Refused' ? v : false;
    },
    { timeoutMs: 60_000 },
  );
  const cond = refused.status?.conditions?.find((c) => c.type === 'Promoting');
  assert.equal(cond?.status, 'False');
  assert.equal(cond.reason, 'PromotionRefused');
  assert.match(cond.message ?? '', /a PV bound to a claim in another namespace/);
  await eventually(
    'a PromotionRefused Warning Event',
    async () =>
      (await client.list<Event>(coreTypes.event, bed.attackerNs)).items.some(
        (e) => e.reason === 'PromotionRefused' && e.involvedObject?.name === 'data',
      ),
    { timeoutMs: 30_000 },
  );
  // Give a refused record time to do something wrong.
  await new Promise((r) => setTimeout(r, 5_000));
  await assertVictimUntouched(bed);
  await assertNothingNamed(bed);
  // The forger's own claim is untouched; at most its own PV was set to Retain (its own namespace).
  const claim = await client.get<Claim>(coreTypes.persistentVolumeClaim, bed.attackerNs, 'data');
  assert.equal(claim.metadata.uid, bed.attackerClaim.metadata.uid);
  assert.equal(claim.spec?.volumeName, bed.attackerPv.metadata.name);
  assert.equal(
    (await client.get<StatefulVolume>(statefulVolumeType, bed.attackerNs, 'data')).status?.phase,
    'Ready',
  );
});
