// The promotion planner: from any state a pass may have stopped in, the next
// step; and walking the steps from the start never deletes a volume, never
// deletes a claim not named in the record, and ends with the claim bound to
// the standby's volume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  planPromotion,
  type ClaimState,
  type PromotionRecord,
  type PromotionStep,
  type PromotionView,
  type VolumeState,
} from '../../../src/controllers/failovergroup/promote-plan.js';

const ns = 'shop';
const record: PromotionRecord = {
  zone: 'zone-b',
  volume: 'pv-standby',
  standbyClaim: 'data-db-0-zone-b-1234abcd',
  oldVolume: 'pv-old',
  oldClaimUid: 'uid-old',
  sourceBackup: 'nightly-1',
};

function claim(over: Partial<ClaimState> = {}): ClaimState {
  return {
    name: 'data-db-0',
    uid: 'uid-old',
    volumeName: 'pv-old',
    bound: true,
    deleting: false,
    labels: { 'storage.stateful.dev/role': 'primary', 'storage.stateful.dev/zone': 'zone-a' },
    ownedByVolume: true,
    ...over,
  };
}

function standby(over: Partial<ClaimState> = {}): ClaimState {
  return {
    name: record.standbyClaim,
    uid: 'uid-standby',
    volumeName: 'pv-standby',
    bound: true,
    deleting: false,
    labels: {
      'storage.stateful.dev/role': 'standby',
      'storage.stateful.dev/zone': 'zone-b',
      'storage.stateful.dev/source-backup': 'nightly-1',
    },
    ownedByVolume: true,
    ...over,
  };
}

const standbyPv = (over: Partial<VolumeState> = {}): VolumeState => ({
  name: 'pv-standby',
  reclaimPolicy: 'Retain',
  claimRef: { namespace: ns, name: record.standbyClaim, uid: 'uid-standby' },
  ...over,
});
const oldPv = (over: Partial<VolumeState> = {}): VolumeState => ({
  name: 'pv-old',
  reclaimPolicy: 'Retain',
  claimRef: { namespace: ns, name: 'data-db-0', uid: 'uid-old' },
  ...over,
});

function view(over: Partial<PromotionView>): PromotionView {
  return {
    namespace: ns,
    claimName: 'data-db-0',
    record,
    claim: claim(),
    standby: standby(),
    volume: standbyPv(),
    oldVolume: oldPv(),
    targetZone: 'zone-b',
    ...over,
  };
}

const newClaim = claim({
  uid: 'uid-new',
  volumeName: 'pv-standby',
  labels: { 'storage.stateful.dev/role': 'primary', 'storage.stateful.dev/zone': 'zone-b' },
});

const cases: { name: string; view: PromotionView; want: Partial<PromotionStep> }[] = [
  {
    name: 'nothing is touched before the record is written',
    view: view({ record: undefined, volume: undefined, oldVolume: undefined }),
    want: {
      kind: 'begin',
      record: {
        zone: 'zone-b',
        volume: 'pv-standby',
        standbyClaim: record.standbyClaim,
        oldVolume: 'pv-old',
        oldClaimUid: 'uid-old',
        sourceBackup: 'nightly-1',
      },
    },
  },
  {
    name: 'without a Bound standby there is nothing to promote',
    view: view({ record: undefined, standby: standby({ bound: false }) }),
    want: { kind: 'stuck', reason: 'NoStandby' },
  },
  {
    name: 'a claim already bound in the target zone is done',
    view: view({ record: undefined, claim: newClaim }),
    want: { kind: 'done' },
  },
  {
    name: 'the old primary volume is set to Retain first',
    view: view({
      oldVolume: oldPv({ reclaimPolicy: 'Delete' }),
      volume: standbyPv({ reclaimPolicy: 'Delete' }),
    }),
    want: { kind: 'retain', volume: 'pv-old' },
  },
  {
    name: 'then the standby volume',
    view: view({ volume: standbyPv({ reclaimPolicy: 'Delete' }) }),
    want: { kind: 'retain', volume: 'pv-standby' },
  },
  {
    name: 'with both kept, the standby claim goes (by UID)',
    view: view({}),
    want: {
      kind: 'deleteStandbyClaim',
      claim: record.standbyClaim,
      uid: 'uid-standby',
    },
  },
  {
    name: 'a standby claim being deleted is waited for',
    view: view({ standby: standby({ deleting: true }) }),
    want: { kind: 'wait' },
  },
  {
    name: 'the freed volume is reserved for the claim name, while the old claim still exists',
    view: view({
      standby: undefined,
      volume: standbyPv({ claimRef: { namespace: ns, name: record.standbyClaim, uid: 'uid-standby' } }),
    }),
    want: { kind: 'reserveVolume', volume: 'pv-standby' },
  },
  {
    name: 'a volume taken by another claim stops the promotion',
    view: view({
      standby: undefined,
      volume: standbyPv({ claimRef: { namespace: ns, name: 'intruder', uid: 'u9' } }),
    }),
    want: { kind: 'stuck', reason: 'VolumeTaken' },
  },
  {
    name: 'reserved: the old claim goes (by UID)',
    view: view({ standby: undefined, volume: standbyPv({ claimRef: { namespace: ns, name: 'data-db-0' } }) }),
    want: { kind: 'deleteOldClaim', claim: 'data-db-0', uid: 'uid-old' },
  },
  {
    name: 'an old claim being deleted is waited for',
    view: view({
      standby: undefined,
      volume: standbyPv({ claimRef: { namespace: ns, name: 'data-db-0' } }),
      claim: claim({ deleting: true }),
    }),
    want: { kind: 'wait' },
  },
  {
    name: 'a claim of that name bound elsewhere and not the old one is never deleted',
    view: view({
      standby: undefined,
      volume: standbyPv({ claimRef: { namespace: ns, name: 'data-db-0' } }),
      claim: claim({ uid: 'uid-other', volumeName: 'pv-other' }),
    }),
    want: { kind: 'stuck', reason: 'ClaimReplaced' },
  },
  {
    name: 'the old claim gone: the new claim is created on the standby volume',
    view: view({
      standby: undefined,
      volume: standbyPv({ claimRef: { namespace: ns, name: 'data-db-0' } }),
      claim: undefined,
    }),
    want: { kind: 'createClaim', volume: 'pv-standby' },
  },
  {
    name: 'a claim the workload made first binds to the reserved volume: wait',
    view: view({
      standby: undefined,
      volume: standbyPv({ claimRef: { namespace: ns, name: 'data-db-0' } }),
      claim: claim({ uid: 'uid-sts', volumeName: undefined, bound: false, labels: {}, ownedByVolume: false }),
    }),
    want: { kind: 'wait' },
  },
  {
    name: 'bound to the standby volume but made by the workload: labelled and owned',
    view: view({
      standby: undefined,
      volume: standbyPv({ claimRef: { namespace: ns, name: 'data-db-0', uid: 'uid-sts' } }),
      claim: claim({ uid: 'uid-sts', volumeName: 'pv-standby', labels: {}, ownedByVolume: false }),
    }),
    want: { kind: 'labelClaim', claim: 'data-db-0' },
  },
  {
    name: 'bound and labelled: the record is removed',
    view: view({
      standby: undefined,
      volume: standbyPv({ claimRef: { namespace: ns, name: 'data-db-0', uid: 'uid-new' } }),
      claim: newClaim,
    }),
    want: { kind: 'finish' },
  },
  {
    name: 'the standby volume vanished: stop',
    view: view({ volume: undefined }),
    want: { kind: 'stuck', reason: 'VolumeMissing' },
  },
];

for (const c of cases) {
  test(`promotion plan: ${c.name}`, () => {
    const step = planPromotion(c.view) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(c.want))
      assert.deepEqual(step[k], v, `${k} of ${JSON.stringify(step)}`);
  });
}

// A small API: applying each step as the API server would, from the start.
test('walking the plan from the start ends bound to the standby volume and deletes no volume', () => {
  let state: PromotionView = view({
    record: undefined,
    volume: undefined,
    oldVolume: undefined,
  });
  const volumes = new Map<string, VolumeState>([
    ['pv-old', oldPv({ reclaimPolicy: 'Delete' })],
    ['pv-standby', standbyPv({ reclaimPolicy: 'Delete' })],
  ]);
  const deletedClaims: string[] = [];
  const kinds: string[] = [];
  for (let i = 0; i < 20; i++) {
    const rec = state.record;
    state = {
      ...state,
      volume: rec ? volumes.get(rec.volume) : undefined,
      oldVolume: rec?.oldVolume !== undefined ? volumes.get(rec.oldVolume) : undefined,
    };
    const step = planPromotion(state);
    kinds.push(step.kind);
    if (step.kind === 'finish' || step.kind === 'done') break;
    switch (step.kind) {
      case 'begin':
        state = { ...state, record: step.record };
        break;
      case 'retain':
        volumes.set(step.volume, { ...volumes.get(step.volume)!, reclaimPolicy: 'Retain' });
        break;
      case 'deleteStandbyClaim':
        deletedClaims.push(step.claim);
        state = { ...state, standby: undefined };
        break;
      case 'reserveVolume':
        volumes.set(step.volume, {
          ...volumes.get(step.volume)!,
          claimRef: { namespace: ns, name: 'data-db-0' },
        });
        break;
      case 'deleteOldClaim':
        deletedClaims.push(`${step.claim}@${step.uid}`);
        state = { ...state, claim: undefined };
        break;
      case 'createClaim':
        state = {
          ...state,
          claim: claim({ uid: 'uid-new', volumeName: step.volume, bound: true, labels: {} }),
        };
        break;
      case 'labelClaim':
        state = { ...state, claim: newClaim };
        break;
      default:
        assert.fail(`unexpected ${JSON.stringify(step)}`);
    }
  }
  assert.deepEqual(kinds, [
    'begin',
    'retain',
    'retain',
    'deleteStandbyClaim',
    'reserveVolume',
    'deleteOldClaim',
    'createClaim',
    'labelClaim',
    'finish',
  ]);
  assert.deepEqual(deletedClaims, [record.standbyClaim, 'data-db-0@uid-old']);
  assert.equal(volumes.get('pv-old')?.reclaimPolicy, 'Retain');
  assert.equal(volumes.get('pv-standby')?.reclaimPolicy, 'Retain');
});
