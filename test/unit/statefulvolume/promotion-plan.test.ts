// The rebind planner: from any state a pass may have stopped in, the next
// step; and walking the steps from the start never deletes a volume, never
// deletes a claim not named in the record by UID, and ends with the claim
// bound to the standby's volume. Stuck messages name roles, never the objects
// a (possibly forged) record names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promotionRecord, recordVolumeUid } from '../../support/promotion.js';
import type { PromotionRecord } from '../../../src/api/v1alpha1/types.generated.js';
import {
  planPromotion,
  type ClaimState,
  type PromotionStep,
  type PromotionView,
  type VolumeState,
} from '../../../src/controllers/statefulvolume/promotion-plan.js';

const ns = 'shop';
const volUid = recordVolumeUid;
const record = promotionRecord({ sourceBackup: 'nightly-1' });

function claim(over: Partial<ClaimState> = {}): ClaimState {
  return {
    name: 'data-db-0',
    uid: 'uid-old',
    volumeName: 'pv-old',
    bound: true,
    deleting: false,
    labels: { 'storage.stateful.dev/role': 'primary', 'storage.stateful.dev/zone': 'zone-a' },
    ownerUids: [volUid],
    ...over,
  };
}

function standby(over: Partial<ClaimState> = {}): ClaimState {
  return {
    name: record.standbyClaim.name,
    uid: 'uid-standby',
    volumeName: 'pv-standby',
    bound: true,
    deleting: false,
    labels: {
      'storage.stateful.dev/role': 'standby',
      'storage.stateful.dev/zone': 'zone-b',
      'storage.stateful.dev/source-backup': 'nightly-1',
    },
    ownerUids: [volUid],
    ...over,
  };
}

const standbyPv = (over: Partial<VolumeState> = {}): VolumeState => ({
  name: 'pv-standby',
  uid: 'pvuid-standby',
  reclaimPolicy: 'Retain',
  claimRef: { namespace: ns, name: record.standbyClaim.name, uid: 'uid-standby' },
  ...over,
});
const oldPv = (over: Partial<VolumeState> = {}): VolumeState => ({
  name: 'pv-old',
  uid: 'pvuid-old',
  reclaimPolicy: 'Retain',
  claimRef: { namespace: ns, name: 'data-db-0', uid: 'uid-old' },
  ...over,
});
const reserved = (): VolumeState => standbyPv({ claimRef: { namespace: ns, name: 'data-db-0' } });

function view(over: Partial<PromotionView>): PromotionView {
  return {
    namespace: ns,
    volumeUid: volUid,
    claimName: 'data-db-0',
    record,
    claim: claim(),
    standby: standby(),
    volume: standbyPv(),
    oldVolume: oldPv(),
    ...over,
  };
}

const newClaim = claim({
  uid: 'uid-new',
  volumeName: 'pv-standby',
  labels: { 'storage.stateful.dev/role': 'primary', 'storage.stateful.dev/zone': 'zone-b' },
});

const { standbyVolume: _sv, ...restoreBase } = record;
const restoreRecord: PromotionRecord = {
  ...restoreBase,
  standbyClaim: { name: 'data-db-0-zone-b-abcd1234' },
  restoreFrom: 'nightly-1',
};

const cases: { name: string; view: PromotionView; want: Partial<PromotionStep> }[] = [
  {
    name: 'a record asking for a restore first restores the standby claim',
    view: view({ record: restoreRecord, standby: undefined, volume: undefined }),
    want: { kind: 'restore' },
  },
  {
    name: 'a restored standby still binding is waited for',
    view: view({
      record: restoreRecord,
      standby: standby({ name: 'data-db-0-zone-b-abcd1234', bound: false, volumeName: undefined }),
      volume: undefined,
    }),
    want: { kind: 'wait' },
  },
  {
    name: 'a restored standby once Bound is written into the record before any volume is touched',
    view: view({
      record: restoreRecord,
      standby: standby({ name: 'data-db-0-zone-b-abcd1234', uid: 'uid-restored', volumeName: 'pv-restored' }),
      volume: undefined,
    }),
    want: { kind: 'recordStandby', claimUid: 'uid-restored', volume: 'pv-restored' },
  },
  {
    name: 'a claim of the restored standby’s name that this volume does not own stops the promotion',
    view: view({
      record: restoreRecord,
      standby: standby({ name: 'data-db-0-zone-b-abcd1234', ownerUids: ['someone-else'] }),
      volume: undefined,
    }),
    want: { kind: 'stuck', reason: 'StandbyNotOwned' },
  },
  {
    name: 'the old primary volume is set to Retain first',
    view: view({
      oldVolume: oldPv({ reclaimPolicy: 'Delete' }),
      volume: standbyPv({ reclaimPolicy: 'Delete' }),
    }),
    want: { kind: 'retain', role: 'old', volume: 'pv-old' },
  },
  {
    name: 'then the standby volume',
    view: view({ volume: standbyPv({ reclaimPolicy: 'Delete' }) }),
    want: { kind: 'retain', role: 'standby', volume: 'pv-standby' },
  },
  {
    name: 'with both kept, the standby claim goes (by UID)',
    view: view({}),
    want: { kind: 'deleteStandbyClaim', claim: record.standbyClaim.name, uid: 'uid-standby' },
  },
  {
    name: 'a claim of the standby’s name that is not the recorded object is not deleted',
    view: view({ standby: standby({ uid: 'uid-impostor' }) }),
    want: { kind: 'reserveVolume', volume: 'pv-standby' },
  },
  {
    name: 'a standby claim being deleted is waited for',
    view: view({ standby: standby({ deleting: true }) }),
    want: { kind: 'wait' },
  },
  {
    name: 'the freed volume is reserved for the claim name, while the old claim still exists',
    view: view({ standby: undefined }),
    want: { kind: 'reserveVolume', volume: 'pv-standby' },
  },
  {
    name: 'a volume taken by another claim stops the promotion and names neither',
    view: view({
      standby: undefined,
      volume: standbyPv({ claimRef: { namespace: ns, name: 'intruder', uid: 'u9' } }),
    }),
    want: { kind: 'stuck', reason: 'VolumeTaken', message: 'the standby’s volume is bound to another claim' },
  },
  {
    name: 'reserved: the old claim goes (by UID)',
    view: view({ standby: undefined, volume: reserved() }),
    want: { kind: 'deleteOldClaim', claim: 'data-db-0', uid: 'uid-old' },
  },
  {
    name: 'an old claim being deleted is waited for',
    view: view({ standby: undefined, volume: reserved(), claim: claim({ deleting: true }) }),
    want: { kind: 'wait' },
  },
  {
    name: 'a claim of that name bound elsewhere and not the old one is never deleted',
    view: view({
      standby: undefined,
      volume: reserved(),
      claim: claim({ uid: 'uid-other', volumeName: 'pv-other' }),
    }),
    want: { kind: 'stuck', reason: 'ClaimReplaced' },
  },
  {
    name: 'the old claim gone: the new claim is created on the standby volume',
    view: view({ standby: undefined, volume: reserved(), claim: undefined }),
    want: { kind: 'createClaim', volume: 'pv-standby' },
  },
  {
    name: 'a claim the workload made first binds to the reserved volume: wait',
    view: view({
      standby: undefined,
      volume: reserved(),
      claim: claim({ uid: 'uid-sts', volumeName: undefined, bound: false, labels: {}, ownerUids: [] }),
    }),
    want: { kind: 'wait' },
  },
  {
    name: 'bound to the standby volume but made by the workload: labelled and owned',
    view: view({
      standby: undefined,
      volume: standbyPv({ claimRef: { namespace: ns, name: 'data-db-0', uid: 'uid-sts' } }),
      claim: claim({ uid: 'uid-sts', volumeName: 'pv-standby', labels: {}, ownerUids: [] }),
    }),
    want: { kind: 'labelClaim', claim: 'data-db-0' },
  },
  {
    name: 'bound and labelled: finished',
    view: view({
      standby: undefined,
      volume: standbyPv({ claimRef: { namespace: ns, name: 'data-db-0', uid: 'uid-new' } }),
      claim: newClaim,
    }),
    want: { kind: 'finish' },
  },
  {
    name: 'the standby volume vanished: stop, without naming it',
    view: view({ volume: undefined }),
    want: { kind: 'stuck', reason: 'VolumeMissing', message: 'the standby’s volume is gone' },
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
  let state: PromotionView = view({});
  const volumes = new Map<string, VolumeState>([
    ['pv-old', oldPv({ reclaimPolicy: 'Delete' })],
    ['pv-standby', standbyPv({ reclaimPolicy: 'Delete' })],
  ]);
  const deletedClaims: string[] = [];
  const kinds: string[] = [];
  for (let i = 0; i < 20; i++) {
    state = { ...state, volume: volumes.get('pv-standby'), oldVolume: volumes.get('pv-old') };
    const step = planPromotion(state);
    kinds.push(step.kind);
    if (step.kind === 'finish') break;
    switch (step.kind) {
      case 'retain':
        volumes.set(step.volume, { ...volumes.get(step.volume)!, reclaimPolicy: 'Retain' });
        break;
      case 'deleteStandbyClaim':
        deletedClaims.push(`${step.claim}@${step.uid}`);
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
        volumes.set(step.volume, {
          ...volumes.get(step.volume)!,
          claimRef: { namespace: ns, name: 'data-db-0', uid: 'uid-new' },
        });
        break;
      case 'labelClaim':
        state = { ...state, claim: newClaim };
        break;
      default:
        assert.fail(`unexpected ${JSON.stringify(step)}`);
    }
  }
  assert.deepEqual(kinds, [
    'retain',
    'retain',
    'deleteStandbyClaim',
    'reserveVolume',
    'deleteOldClaim',
    'createClaim',
    'labelClaim',
    'finish',
  ]);
  assert.deepEqual(deletedClaims, [`${record.standbyClaim.name}@uid-standby`, 'data-db-0@uid-old']);
  assert.equal(volumes.get('pv-old')?.reclaimPolicy, 'Retain');
  assert.equal(volumes.get('pv-standby')?.reclaimPolicy, 'Retain');
});
