// The checks before every PV write and claim deletion of a promotion, and
// before a record is taken. A record may be forged by whoever can write a
// FailoverGroup's status: the checks keep what it can do inside the volume's
// own namespace, and their messages never name an object of another one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promotionRecord, recordVolumeUid } from '../../support/promotion.js';
import type { PromotionRecord } from '../../../src/api/v1alpha1/types.generated.js';
import {
  checkClaimDelete,
  checkRecord,
  checkVolumeWrite,
  type Check,
  type RecordInput,
  type VolumeWriteInput,
} from '../../../src/controllers/statefulvolume/promotion-checks.js';

const ns = 'tenant-a';
const volUid = recordVolumeUid;
const record = promotionRecord({ standbyClaim: { name: 'data-db-0-zone-b-1', uid: 'uid-standby' } });

function write(over: Partial<VolumeWriteInput>): VolumeWriteInput {
  return {
    role: 'standby',
    namespace: ns,
    volumeUid: volUid,
    claimName: 'data-db-0',
    record,
    pv: { uid: 'pvuid-standby', claimRef: { namespace: ns, name: 'data-db-0-zone-b-1', uid: 'uid-standby' } },
    claim: { uid: 'uid-standby', ownerUids: [volUid] },
    ...over,
  };
}

const volumeCases: { name: string; input: VolumeWriteInput; want: string }[] = [
  {
    name: 'the standby’s volume bound to the recorded standby claim may be written',
    input: write({}),
    want: 'ok',
  },
  {
    name: 'the old primary’s volume bound to the recorded old claim may be written',
    input: write({
      role: 'old',
      pv: { uid: 'pvuid-old', claimRef: { namespace: ns, name: 'data-db-0', uid: 'uid-old' } },
      claim: { uid: 'uid-old', ownerUids: [volUid] },
    }),
    want: 'ok',
  },
  {
    name: 'the standby’s volume already reserved for the primary claim’s name may be written',
    input: write({
      pv: { uid: 'pvuid-standby', claimRef: { namespace: ns, name: 'data-db-0' } },
      claim: undefined,
    }),
    want: 'ok',
  },
  {
    name: 'the standby’s volume released by the deleted standby claim may be written',
    input: write({ claim: undefined }),
    want: 'ok',
  },
  {
    name: 'a PV bound to a claim in another namespace is never written',
    input: write({
      pv: { uid: 'pvuid-standby', claimRef: { namespace: 'tenant-b', name: 'data', uid: 'uid-standby' } },
      claim: undefined,
    }),
    want: 'ForeignVolume',
  },
  {
    name: 'a PV reserved for a claim of the same name in another namespace is never written',
    input: write({ pv: { uid: 'pvuid-standby', claimRef: { namespace: 'tenant-b', name: 'data-db-0' } } }),
    want: 'ForeignVolume',
  },
  {
    name: 'a PV whose UID is not the recorded one is never written',
    input: write({ pv: { uid: 'pvuid-other', claimRef: { namespace: ns, name: 'x', uid: 'uid-standby' } } }),
    want: 'VolumeMismatch',
  },
  {
    name: 'a PV bound to a claim other than the recorded one is never written',
    input: write({
      pv: { uid: 'pvuid-standby', claimRef: { namespace: ns, name: 'other', uid: 'uid-other' } },
    }),
    want: 'ClaimMismatch',
  },
  {
    name: 'a PV reserved for another name is never written',
    input: write({ pv: { uid: 'pvuid-standby', claimRef: { namespace: ns, name: 'other' } } }),
    want: 'ClaimMismatch',
  },
  {
    name: 'the old primary’s volume is never written through a reservation',
    input: write({ role: 'old', pv: { uid: 'pvuid-old', claimRef: { namespace: ns, name: 'data-db-0' } } }),
    want: 'ClaimMismatch',
  },
  {
    name: 'a PV bound to no claim is never written',
    input: write({ pv: { uid: 'pvuid-standby' } }),
    want: 'VolumeUnbound',
  },
  {
    name: 'a PV whose claim this StatefulVolume does not own is never written',
    input: write({ claim: { uid: 'uid-standby', ownerUids: ['someone-else'] } }),
    want: 'ClaimNotOwned',
  },
  {
    name: 'a record without the volume’s UID writes nothing',
    input: write({ record: { ...record, standbyVolume: { name: 'pv-standby' } } }),
    want: 'RecordIncomplete',
  },
];

const verdict = (c: Check): string => (c.ok ? 'ok' : c.reason);

for (const c of volumeCases) {
  test(`PV write check: ${c.name}`, () => {
    const got = checkVolumeWrite(c.input);
    assert.equal(verdict(got), c.want);
    if (!got.ok) {
      // Roles, never names: nothing the record or the PV names is echoed.
      for (const word of ['tenant-b', 'pv-standby', 'pv-old', 'data-db-0', 'uid-'])
        assert.ok(!got.message.includes(word), `"${got.message}" names ${word}`);
    }
  });
}

const deleteCases: { name: string; input: Parameters<typeof checkClaimDelete>[0]; want: string }[] = [
  {
    name: 'the recorded claim owned by this volume may be deleted',
    input: { volumeUid: volUid, recordUid: 'uid-old', claim: { uid: 'uid-old', ownerUids: [volUid] } },
    want: 'ok',
  },
  {
    name: 'a newer claim of the same name is not deleted',
    input: { volumeUid: volUid, recordUid: 'uid-old', claim: { uid: 'uid-new', ownerUids: [volUid] } },
    want: 'ClaimMismatch',
  },
  {
    name: 'a claim another owner holds is not deleted',
    input: { volumeUid: volUid, recordUid: 'uid-old', claim: { uid: 'uid-old', ownerUids: ['sts'] } },
    want: 'ClaimNotOwned',
  },
  {
    name: 'without a recorded UID nothing is deleted',
    input: { volumeUid: volUid, recordUid: undefined, claim: { uid: 'uid-old', ownerUids: [volUid] } },
    want: 'ClaimMismatch',
  },
];

for (const c of deleteCases) {
  test(`claim deletion check: ${c.name}`, () => {
    assert.equal(verdict(checkClaimDelete(c.input)), c.want);
  });
}

function taking(over: { selected?: boolean; record?: Partial<PromotionRecord> }): RecordInput {
  return {
    volume: { name: 'data-db-0', uid: volUid, claimName: 'data-db-0' },
    selected: over.selected ?? true,
    record: { ...record, ...over.record },
  };
}

const { standbyVolume: _unused, ...noStandbyVolume } = record;

const recordCases: { name: string; input: RecordInput; want: string }[] = [
  { name: 'a record the operator would write is taken', input: taking({}), want: 'ok' },
  {
    name: 'a record for an earlier volume of the same name is refused',
    input: taking({ record: { volume: { name: 'data-db-0', uid: 'uid-previous' } } }),
    want: 'RecordMismatch',
  },
  {
    name: 'a record from a group that does not select the volume is refused',
    input: taking({ selected: false }),
    want: 'NotInGroup',
  },
  {
    name: 'a record whose old claim is not the volume’s claim is refused',
    input: taking({ record: { oldClaim: { name: 'someone-elses', uid: 'u' } } }),
    want: 'RecordMismatch',
  },
  {
    name: 'a record promoting the primary claim onto itself is refused',
    input: taking({ record: { standbyClaim: { name: 'data-db-0', uid: 'uid-old' } } }),
    want: 'RecordMismatch',
  },
  {
    name: 'a record without the standby volume’s UID and no backup to restore is refused',
    input: { ...taking({}), record: noStandbyVolume },
    want: 'RecordIncomplete',
  },
  {
    name: 'a record asking for a restore needs no standby UIDs yet',
    input: {
      ...taking({}),
      record: { ...noStandbyVolume, standbyClaim: { name: 'x-zone-b-1' }, restoreFrom: 'b1' },
    },
    want: 'ok',
  },
];

for (const c of recordCases) {
  test(`record check: ${c.name}`, () => {
    assert.equal(verdict(checkRecord(c.input)), c.want);
  });
}
