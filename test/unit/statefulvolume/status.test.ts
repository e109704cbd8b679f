import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatefulVolume } from '../../../src/api/v1alpha1/types.generated.js';
import type { ClaimOutcome } from '../../../src/controllers/statefulvolume/ensure-claim.js';
import type { Placement } from '../../../src/controllers/statefulvolume/placement.js';
import type { StandbyOutcome } from '../../../src/controllers/statefulvolume/standbys.js';
import {
  computeStatus,
  newProblems,
  type Observation,
} from '../../../src/controllers/statefulvolume/status.js';

const now = new Date('2026-01-01T00:00:00Z');
const vol: StatefulVolume = {
  apiVersion: 'storage.stateful.dev/v1alpha1',
  kind: 'StatefulVolume',
  metadata: { name: 'db', namespace: 'ns', generation: 3 },
  spec: { size: '1Gi' },
};
const bound: ClaimOutcome = {
  kind: 'present',
  claim: { metadata: { name: 'db' }, status: { phase: 'Bound', capacity: { storage: '1Gi' } } },
};
const pendingClaim: ClaimOutcome = {
  kind: 'present',
  claim: { metadata: { name: 'db' }, status: { phase: 'Pending' } },
};
const onePrimary: Placement = { primaryZone: 'zone-a', standbyZones: [], problems: [] };
const twoZones: Placement = { primaryZone: 'zone-a', standbyZones: ['zone-b'], problems: [] };
const noStandbys: StandbyOutcome = { create: [], remove: [], replicas: [], outOfSync: 0, seededEmpty: false };
const base: Observation = {
  claim: bound,
  resize: { kind: 'none' },
  placement: onePrimary,
  standbys: noStandbys,
  attachment: undefined,
  mounted: false,
};

interface Case {
  name: string;
  obs: Partial<Observation>;
  phase: string;
  condition: [type: string, status: string, reason: string];
}

const cases: Case[] = [
  {
    name: 'A claim just created is provisioning',
    obs: { claim: { kind: 'created' } },
    phase: 'Provisioning',
    condition: ['Provisioned', 'False', 'ClaimPending'],
  },
  {
    name: 'A Pending claim of a WaitForFirstConsumer class waits for its first pod, on Ready too',
    obs: { claim: pendingClaim, pending: { kind: 'consumer' } },
    phase: 'Provisioning',
    condition: ['Ready', 'False', 'WaitingForFirstConsumer'],
  },
  {
    name: 'A claim the provisioner refuses says so on Ready',
    obs: { claim: pendingClaim, pending: { kind: 'failed', message: 'access mode not supported' } },
    phase: 'Provisioning',
    condition: ['Ready', 'False', 'ProvisioningFailed'],
  },
  {
    name: 'A Pending claim the provisioner has not refused is just pending',
    obs: { claim: pendingClaim, pending: { kind: 'provisioner' } },
    phase: 'Provisioning',
    condition: ['Provisioned', 'False', 'ClaimPending'],
  },
  {
    name: 'A bound claim with no standbys makes the volume ready',
    obs: {},
    phase: 'Ready',
    condition: ['Ready', 'True', 'Ready'],
  },
  {
    name: 'A refused adoption fails the volume',
    obs: { claim: { kind: 'refused', reason: 'ClaimSizeMismatch', message: 'claim db is 5Gi' } },
    phase: 'Failed',
    condition: ['Provisioned', 'False', 'AdoptionRefused'],
  },
  {
    name: 'A missing storage class leaves the volume pending with the class reason on Ready',
    obs: {
      claim: { kind: 'waiting', reason: 'StorageClassNotFound', message: 'StorageClass fast does not exist' },
    },
    phase: 'Pending',
    condition: ['Ready', 'False', 'StorageClassNotFound'],
  },
  {
    name: 'A quota refusal fails the volume',
    obs: { claim: { kind: 'failed', reason: 'QuotaExceeded', message: 'exceeded quota' } },
    phase: 'Failed',
    condition: ['Provisioned', 'False', 'QuotaExceeded'],
  },
  {
    name: 'An expansion in progress shows the Resizing phase and condition',
    obs: { resize: { kind: 'resizing', message: 'Expanding from 1Gi to 2Gi' } },
    phase: 'Resizing',
    condition: ['Resizing', 'True', 'Expanding'],
  },
  {
    name: 'A class without expansion keeps the volume usable and says why it does not grow',
    obs: { resize: { kind: 'blocked', reason: 'ExpansionNotSupported', message: 'no expansion' } },
    phase: 'Ready',
    condition: ['Resizing', 'False', 'ExpansionNotSupported'],
  },
  {
    name: 'Standbys seeded empty leave the volume bound but not ready',
    obs: { placement: twoZones, standbys: { ...noStandbys, seededEmpty: true, outOfSync: 1 } },
    phase: 'Bound',
    condition: ['ReplicasInSync', 'False', 'SeededEmpty'],
  },
  {
    name: 'A zone with no nodes is named on ReplicasInSync',
    obs: { placement: { ...twoZones, problems: [{ reason: 'ZoneHasNoNodes', zone: 'zone-c' }] } },
    phase: 'Bound',
    condition: ['ReplicasInSync', 'False', 'ZoneHasNoNodes'],
  },
  {
    name: 'Standbys holding the newest backup make the volume ready',
    obs: { placement: twoZones, standbys: { ...noStandbys, outOfSync: 0 } },
    phase: 'Ready',
    condition: ['ReplicasInSync', 'True', 'StandbysInSync'],
  },
  {
    name: 'A mounted claim is attached',
    obs: { mounted: true, attachment: { pod: 'db-0', node: 'n1', since: '2026-01-01T00:00:00Z', moves: 0 } },
    phase: 'Ready',
    condition: ['Attached', 'True', 'PodMounted'],
  },
  {
    name: 'A pod lost with its node is not attached until it is replaced',
    obs: {
      mounted: true,
      attachment: {
        pod: 'db-0',
        node: 'n1',
        since: '2026-01-01T00:00:00Z',
        moves: 0,
        interruptedAt: '2026-01-01T00:01:00Z',
      },
    },
    phase: 'Ready',
    condition: ['Attached', 'False', 'ConsumerLost'],
  },
];

for (const c of cases) {
  test(c.name, () => {
    const status = computeStatus(vol, { ...base, ...c.obs }, now);
    assert.equal(status.phase, c.phase);
    assert.equal(status.observedGeneration, 3);
    const [type, want, reason] = c.condition;
    const cond = status.conditions?.find((x) => x.type === type);
    assert.equal(cond?.status, want);
    assert.equal(cond.reason, reason);
    assert.equal(cond.observedGeneration, 3);
    for (const t of ['Ready', 'Provisioned', 'ReplicasInSync', 'Resizing', 'Attached']) {
      assert.ok(
        status.conditions?.some((x) => x.type === t),
        `condition ${t} present`,
      );
    }
  });
}

test('The primary replica is listed first with its zone', () => {
  const status = computeStatus(vol, base, now);
  assert.deepEqual(status.replicas?.[0], {
    name: 'db',
    claim: 'db',
    role: 'Primary',
    phase: 'InSync',
    zone: 'zone-a',
  });
  assert.deepEqual(status.primary, { claim: 'db', zone: 'zone-a' });
  assert.equal(status.capacity, '1Gi');
});

test('A problem is reported once: again only when its reason changes', () => {
  const missing: Partial<Observation> = {
    claim: { kind: 'waiting', reason: 'StorageClassNotFound', message: 'StorageClass fast does not exist' },
  };
  const first = computeStatus(vol, { ...base, ...missing }, now);
  assert.deepEqual(
    newProblems(undefined, first.conditions ?? []).map((p) => p.reason),
    ['StorageClassNotFound'],
  );
  const second = computeStatus({ ...vol, status: first }, { ...base, ...missing }, now);
  assert.deepEqual(newProblems(first.conditions, second.conditions ?? []), []);
  const fixed = computeStatus({ ...vol, status: second }, base, now);
  assert.deepEqual(newProblems(second.conditions, fixed.conditions ?? []), []);
});

test("The provisioner's refusal is a Warning once per distinct message; waiting for a pod is none", () => {
  const refused = (message: string): Partial<Observation> => ({
    claim: pendingClaim,
    pending: { kind: 'failed', message },
  });
  const first = computeStatus(vol, { ...base, ...refused('too big') }, now);
  const warned = newProblems(undefined, first.conditions ?? []);
  assert.deepEqual(
    warned.map((p) => p.reason),
    ['ProvisioningFailed'],
  );
  assert.match(warned[0]?.message ?? '', /claim db .*: too big$/);
  const same = computeStatus({ ...vol, status: first }, { ...base, ...refused('too big') }, now);
  assert.deepEqual(newProblems(first.conditions, same.conditions ?? []), []);
  const other = computeStatus({ ...vol, status: same }, { ...base, ...refused('no such mode') }, now);
  assert.deepEqual(
    newProblems(same.conditions, other.conditions ?? []).map((p) => p.reason),
    ['ProvisioningFailed'],
  );
  const consumer = computeStatus(vol, { ...base, claim: pendingClaim, pending: { kind: 'consumer' } }, now);
  assert.deepEqual(newProblems(undefined, consumer.conditions ?? []), []);
});
