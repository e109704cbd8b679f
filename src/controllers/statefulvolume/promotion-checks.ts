// What must hold before the operator writes a PersistentVolume or deletes a
// claim for a promotion, and before it takes a record at all. A record comes
// from a FailoverGroup's status; whoever can write that status must at worst
// affect their own namespace, so the record is checked against the objects
// themselves: a PV is written only when it is the very object the record
// names (UID), bound to a claim of the volume's own namespace, that claim the
// one the record names (UID) and owned by this StatefulVolume. Pure.
//
// Messages name roles, never objects: a failed check usually means the record
// names something of another namespace, whose name must not be echoed.
import type { PromotionRecord } from '../../api/v1alpha1/types.generated.js';

export type Check = { ok: true } | { ok: false; reason: string; message: string };

const ok: Check = { ok: true };
const refuse = (reason: string, message: string): Check => ({ ok: false, reason, message });

export type VolumeRole = 'old' | 'standby';

const roleText: Record<VolumeRole, string> = {
  old: 'the old primary’s volume',
  standby: 'the standby’s volume',
};

export interface VolumeWriteInput {
  role: VolumeRole;
  /** The StatefulVolume's namespace and UID. */
  namespace: string;
  volumeUid: string;
  /** The claim the workload mounts: the one name a reserved volume may point to without a UID. */
  claimName: string;
  record: PromotionRecord;
  pv: { uid: string; claimRef?: { namespace?: string; name?: string; uid?: string } };
  /** The claim the PV's claimRef names, when it exists: its UID and its owners' UIDs. */
  claim?: { uid: string; ownerUids: readonly string[] };
}

function expected(input: VolumeWriteInput): { uid?: string; claimUid?: string } {
  const r = input.record;
  return input.role === 'old'
    ? { uid: r.oldVolume?.uid, claimUid: r.oldClaim?.uid }
    : { uid: r.standbyVolume?.uid, claimUid: r.standbyClaim.uid };
}

type Rule<T> = (input: T) => Check | undefined;

/** The first rule that refuses, else ok. */
function firstRefusal<T>(rules: readonly Rule<T>[], input: T): Check {
  for (const rule of rules) {
    const refused = rule(input);
    if (refused !== undefined) return refused;
  }
  return ok;
}

const volumeRules: readonly Rule<VolumeWriteInput>[] = [
  (input) => {
    const want = expected(input);
    if (want.uid !== undefined && want.claimUid !== undefined) return undefined;
    return refuse(
      'RecordIncomplete',
      `the record gives no UID for ${roleText[input.role]} or its claim; nothing is written`,
    );
  },
  (input) =>
    input.pv.uid === expected(input).uid
      ? undefined
      : refuse(
          'VolumeMismatch',
          `${roleText[input.role]} is not the object the record names (its UID differs); nothing is written`,
        ),
  (input) =>
    input.pv.claimRef !== undefined
      ? undefined
      : refuse(
          'VolumeUnbound',
          `${roleText[input.role]} is bound to no claim; only volumes of this StatefulVolume’s claims are written`,
        ),
  (input) =>
    input.pv.claimRef?.namespace === input.namespace
      ? undefined
      : refuse(
          'ForeignVolume',
          `${roleText[input.role]} is a PV bound to a claim in another namespace; nothing is written, and the record is not followed`,
        ),
  (input) => {
    const ref = input.pv.claimRef;
    // Reserved for the primary claim's name (no UID): the one state of the standby's volume without its claim's UID.
    const reserved = input.role === 'standby' && ref?.uid === undefined && ref?.name === input.claimName;
    if (reserved || ref?.uid === expected(input).claimUid) return undefined;
    return refuse(
      'ClaimMismatch',
      `${roleText[input.role]} is bound to a claim other than the one the record names; nothing is written`,
    );
  },
  (input) => {
    const claim = input.claim;
    if (
      claim === undefined ||
      claim.uid !== input.pv.claimRef?.uid ||
      claim.ownerUids.includes(input.volumeUid)
    )
      return undefined;
    return refuse(
      'ClaimNotOwned',
      `the claim ${roleText[input.role]} is bound to is not owned by this StatefulVolume; nothing is written`,
    );
  },
];

/** May this PV be patched (Retain, the former-primary annotation, the reservation) for this record? */
export function checkVolumeWrite(input: VolumeWriteInput): Check {
  return firstRefusal(volumeRules, input);
}

/** May this claim be deleted for the record: the very object named, owned by this StatefulVolume. */
export function checkClaimDelete(input: {
  volumeUid: string;
  recordUid: string | undefined;
  claim: { uid: string; ownerUids: readonly string[] };
}): Check {
  if (input.recordUid === undefined || input.claim.uid !== input.recordUid)
    return refuse(
      'ClaimMismatch',
      'the claim is not the object the record names (its UID differs); not deleting it',
    );
  if (!input.claim.ownerUids.includes(input.volumeUid))
    return refuse('ClaimNotOwned', 'the claim is not owned by this StatefulVolume; not deleting it');
  return ok;
}

export interface RecordInput {
  record: PromotionRecord;
  volume: { name: string; uid: string; claimName: string };
  /** Whether the group's spec selects this StatefulVolume. */
  selected: boolean;
}

const recordRules: readonly Rule<RecordInput>[] = [
  ({ record, volume }) =>
    record.volume.uid === volume.uid && record.volume.name === volume.name
      ? undefined
      : refuse('RecordMismatch', 'the record names another StatefulVolume (its UID differs)'),
  ({ selected }) =>
    selected
      ? undefined
      : refuse(
          'NotInGroup',
          'the FailoverGroup whose status holds the record does not select this StatefulVolume',
        ),
  ({ record, volume }) =>
    record.oldClaim === undefined || record.oldClaim.name === volume.claimName
      ? undefined
      : refuse(
          'RecordMismatch',
          'the record’s old claim is not the claim this StatefulVolume’s workload mounts',
        ),
  ({ record, volume }) =>
    record.standbyClaim.name !== volume.claimName
      ? undefined
      : refuse('RecordMismatch', 'the record’s standby claim is the primary claim itself'),
  ({ record }) =>
    record.restoreFrom !== undefined ||
    (record.standbyClaim.uid !== undefined && record.standbyVolume?.uid !== undefined)
      ? undefined
      : refuse('RecordIncomplete', 'the record gives no UID for the standby claim or its volume'),
  ({ record }) =>
    record.oldVolume === undefined || record.oldClaim?.uid !== undefined
      ? undefined
      : refuse(
          'RecordIncomplete',
          'the record names an old volume but not the UID of the claim it was bound to',
        ),
];

/** Is the record about this StatefulVolume and shaped like one the operator writes? Checked before it is taken. */
export function checkRecord(input: RecordInput): Check {
  return firstRefusal(recordRules, input);
}
