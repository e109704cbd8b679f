// Carrying out one promotion on the volume's own claims: the claim the
// workload mounts is rebound to the standby's volume. A claim's volumeName
// cannot change, so the rebind is a new claim of the same name, and a pass may
// stop anywhere on the way. This planner looks at what the API shows now and
// returns the single next step; running the steps in the order it gives them
// never deletes a volume (both are set to Retain before any claim goes), never
// deletes a claim other than the two the record names by UID, and never lets a
// claim of that name bind to anything but the promoted volume (the volume is
// reserved for the name before the old claim goes). Pure.
//
// Messages never name a PersistentVolume or a claim the record names: the
// record may be forged, and echoing what it names could tell a tenant about
// another namespace's objects. They say which role (the standby's volume, the
// old primary's volume) is wrong.
import { statefulVolumeReasons as reasons } from '../../api/v1alpha1/reasons.js';
import type { PromotionRecord } from '../../api/v1alpha1/types.generated.js';
import { labels } from '../../api/v1alpha1/vocabulary.js';

export interface ClaimState {
  name: string;
  uid: string;
  volumeName?: string;
  bound: boolean;
  deleting: boolean;
  labels: Readonly<Record<string, string>>;
  /** UIDs of the claim's owners. */
  ownerUids: readonly string[];
}

export interface VolumeState {
  name: string;
  uid: string;
  reclaimPolicy?: string;
  claimRef?: { namespace?: string; name?: string; uid?: string };
}

export interface PromotionView {
  /** The StatefulVolume's namespace and UID. */
  namespace: string;
  volumeUid: string;
  /** The claim the workload mounts. */
  claimName: string;
  /** The record the volume follows (its own copy, with the restored standby's UIDs once known). */
  record: PromotionRecord;
  /** The claim named claimName, if any. */
  claim: ClaimState | undefined;
  /** The claim named record.standbyClaim.name, if any. */
  standby: ClaimState | undefined;
  /** record.standbyVolume and record.oldVolume as the API shows them (looked up by name). */
  volume: VolumeState | undefined;
  oldVolume: VolumeState | undefined;
}

export type PromotionStep =
  /** No standby existed: restore the standby claim from record.restoreFrom first. */
  | { kind: 'restore' }
  /** The restored standby is Bound: its claim's and volume's UIDs go into the record before any write. */
  | { kind: 'recordStandby'; claimUid: string; volume: string }
  | { kind: 'retain'; role: 'old' | 'standby'; volume: string }
  | { kind: 'deleteStandbyClaim'; claim: string; uid: string }
  /** Reserve the volume for the claim name: only a claim of that name can bind it. */
  | { kind: 'reserveVolume'; volume: string }
  | { kind: 'deleteOldClaim'; claim: string; uid: string }
  | { kind: 'createClaim'; volume: string }
  /** Label the bound claim as the primary in the new zone (and own it, if a workload created it). */
  | { kind: 'labelClaim'; claim: string }
  /** The claim holds the promoted volume: report Completed. */
  | { kind: 'finish' }
  | { kind: 'wait'; reason: string }
  /** Cannot go on safely; a person must look. */
  | { kind: 'stuck'; reason: string; message: string };

const owned = (c: ClaimState, uid: string): boolean => c.ownerUids.includes(uid);

/** No standby existed in the zone: restore one, wait for it, then write down what it is. */
function restoreSteps(view: PromotionView, record: PromotionRecord): PromotionStep | undefined {
  if (record.restoreFrom === undefined || record.standbyVolume !== undefined) return undefined;
  const standby = view.standby;
  if (standby === undefined) return { kind: 'restore' };
  if (!owned(standby, view.volumeUid))
    return {
      kind: 'stuck',
      reason: reasons.StandbyNotOwned,
      message: 'a claim of the restored standby’s name exists that this StatefulVolume does not own',
    };
  if (!standby.bound || standby.volumeName === undefined)
    return { kind: 'wait', reason: 'the standby is being restored from the backup' };
  return { kind: 'recordStandby', claimUid: standby.uid, volume: standby.volumeName };
}

function reservedFor(volume: VolumeState, namespace: string, claimName: string): boolean {
  return (
    volume.claimRef?.namespace === namespace &&
    volume.claimRef.name === claimName &&
    volume.claimRef.uid === undefined
  );
}

/** Keep both volumes, then free the standby's. */
function releaseSteps(view: PromotionView, record: PromotionRecord): PromotionStep | undefined {
  const { volume, oldVolume } = view;
  if (volume === undefined)
    return { kind: 'stuck', reason: reasons.VolumeMissing, message: 'the standby’s volume is gone' };
  if (oldVolume !== undefined && oldVolume.reclaimPolicy !== 'Retain')
    return { kind: 'retain', role: 'old', volume: oldVolume.name };
  if (volume.reclaimPolicy !== 'Retain') return { kind: 'retain', role: 'standby', volume: volume.name };
  const standby = view.standby;
  if (standby !== undefined && standby.uid === record.standbyClaim.uid) {
    if (standby.deleting) return { kind: 'wait', reason: 'the standby claim is being deleted' };
    return { kind: 'deleteStandbyClaim', claim: standby.name, uid: standby.uid };
  }
  return undefined;
}

/** Reserve the volume for the claim name, unless someone else holds it. */
function reserveStep(
  view: PromotionView,
  record: PromotionRecord,
  volume: VolumeState,
): PromotionStep | undefined {
  if (reservedFor(volume, view.namespace, view.claimName)) return undefined;
  const ref = volume.claimRef;
  // Bound to the new claim already: the reservation did its work.
  if (ref?.namespace === view.namespace && ref.name === view.claimName && view.claim?.uid === ref.uid)
    return undefined;
  if (ref?.uid !== undefined && ref.uid !== record.standbyClaim.uid)
    return {
      kind: 'stuck',
      reason: reasons.VolumeTaken,
      message: 'the standby’s volume is bound to another claim',
    };
  return { kind: 'reserveVolume', volume: volume.name };
}

/** The claim of that name holds the promoted volume: wait for it, label it, finish. */
function boundStep(claim: ClaimState, record: PromotionRecord, volumeUid: string): PromotionStep {
  if (!claim.bound) return { kind: 'wait', reason: 'the new claim is binding to the promoted volume' };
  if (claim.labels[labels.zone] !== record.zone || !owned(claim, volumeUid))
    return { kind: 'labelClaim', claim: claim.name };
  return { kind: 'finish' };
}

/** Remove the old claim, create and label the new one. */
function claimStep(view: PromotionView, record: PromotionRecord, volume: string): PromotionStep {
  const claim = view.claim;
  if (claim === undefined) return { kind: 'createClaim', volume };
  if (claim.volumeName === volume) return boundStep(claim, record, view.volumeUid);
  if (claim.deleting) return { kind: 'wait', reason: 'the old claim is being deleted' };
  if (record.oldClaim?.uid !== undefined && claim.uid === record.oldClaim.uid)
    return { kind: 'deleteOldClaim', claim: claim.name, uid: claim.uid };
  // Not yet bound: a claim made by the workload's template binds to the reserved volume on its own.
  if (claim.volumeName === undefined) return { kind: 'wait', reason: 'the new claim is binding' };
  return {
    kind: 'stuck',
    reason: reasons.ClaimReplaced,
    message: `claim ${claim.name} is bound to a volume that is neither the old primary’s nor the standby’s; not deleting it`,
  };
}

export function planPromotion(view: PromotionView): PromotionStep {
  const record = view.record;
  const restoring = restoreSteps(view, record);
  if (restoring !== undefined) return restoring;
  const released = releaseSteps(view, record);
  if (released !== undefined) return released;
  const volume = view.volume;
  if (volume === undefined)
    return { kind: 'stuck', reason: reasons.VolumeMissing, message: 'the standby’s volume is gone' };
  return reserveStep(view, record, volume) ?? claimStep(view, record, volume.name);
}
