// Promoting one StatefulVolume's standby: the claim the workload mounts is
// rebound to the standby's volume. A claim's volumeName cannot change, so the
// rebind is a new claim of the same name, and a pass may stop anywhere on the
// way. This planner looks at what the API shows now and returns the single
// next step; running the steps in the order it gives them never deletes a
// volume (both are set to Retain before any claim goes), never deletes a claim
// other than the two named in the promotion record, and never lets a claim of
// that name bind to anything but the promoted volume (the volume is reserved
// for the name before the old claim goes). Pure.

/** What the operator wrote on the StatefulVolume when the promotion began (its only memory). */
export interface PromotionRecord {
  /** The zone promoted to. */
  zone: string;
  /** The standby's PersistentVolume, which becomes the primary's. */
  volume: string;
  /** The standby claim that held it. */
  standbyClaim: string;
  /** The old primary's PersistentVolume (kept, Retain), if the claim was bound. */
  oldVolume?: string;
  /** UID of the old primary claim: only that object is deleted, never a newer one of the same name. */
  oldClaimUid?: string;
  /** The backup the standby was filled from. */
  sourceBackup?: string;
  /** When that backup captured the data (RFC 3339), for the data loss window. */
  backupTakenAt?: string;
}

export interface ClaimState {
  name: string;
  uid: string;
  volumeName?: string;
  bound: boolean;
  deleting: boolean;
  labels: Readonly<Record<string, string>>;
  ownedByVolume: boolean;
}

export interface VolumeState {
  name: string;
  reclaimPolicy?: string;
  claimRef?: { namespace?: string; name?: string; uid?: string };
}

export interface PromotionView {
  namespace: string;
  /** The claim the workload mounts. */
  claimName: string;
  /** The record on the StatefulVolume, once the promotion began. */
  record: PromotionRecord | undefined;
  /** The claim named claimName, if any. */
  claim: ClaimState | undefined;
  /** The standby claim in the target zone (before the record exists) or the record's standby claim. */
  standby: ClaimState | undefined;
  /** The record's volumes, as the API shows them. */
  volume: VolumeState | undefined;
  oldVolume: VolumeState | undefined;
  targetZone: string;
}

export const primaryLabels = {
  role: 'storage.stateful.dev/role',
  zone: 'storage.stateful.dev/zone',
} as const;

export type PromotionStep =
  /** Write the record on the StatefulVolume; nothing else is touched before it exists. */
  | { kind: 'begin'; record: PromotionRecord }
  | { kind: 'retain'; volume: string }
  | { kind: 'deleteStandbyClaim'; claim: string; uid: string }
  /** Reserve the volume for the claim name: only a claim of that name can bind it. */
  | { kind: 'reserveVolume'; volume: string }
  | { kind: 'deleteOldClaim'; claim: string; uid: string }
  | { kind: 'createClaim'; volume: string }
  /** Label the bound claim as the primary in the new zone (and own it, if a workload created it). */
  | { kind: 'labelClaim'; claim: string }
  /** Remove the record: the promotion is done. */
  | { kind: 'finish' }
  | { kind: 'wait'; reason: string }
  /** Cannot go on safely; a person must look. */
  | { kind: 'stuck'; reason: string; message: string }
  | { kind: 'done' };

function beginStep(view: PromotionView): PromotionStep {
  const { claim, standby } = view;
  if (claim?.bound === true && claim.labels[primaryLabels.zone] === view.targetZone) return { kind: 'done' };
  if (standby === undefined || !standby.bound || standby.volumeName === undefined)
    return {
      kind: 'stuck',
      reason: 'NoStandby',
      message: `no Bound standby claim of ${view.claimName} in ${view.targetZone}`,
    };
  return {
    kind: 'begin',
    record: {
      zone: view.targetZone,
      volume: standby.volumeName,
      standbyClaim: standby.name,
      ...(claim?.volumeName !== undefined ? { oldVolume: claim.volumeName } : {}),
      ...(claim !== undefined ? { oldClaimUid: claim.uid } : {}),
      ...(standby.labels['storage.stateful.dev/source-backup'] !== undefined
        ? { sourceBackup: standby.labels['storage.stateful.dev/source-backup'] }
        : {}),
    },
  };
}

function reservedFor(volume: VolumeState, namespace: string, claimName: string): boolean {
  return volume.claimRef?.namespace === namespace && volume.claimRef.name === claimName;
}

/** Steps 1 and 2: keep both volumes, then free the standby's. */
function releaseSteps(view: PromotionView, record: PromotionRecord): PromotionStep | undefined {
  const { volume, oldVolume } = view;
  if (volume === undefined)
    return {
      kind: 'stuck',
      reason: 'VolumeMissing',
      message: `the standby's volume ${record.volume} is gone`,
    };
  if (oldVolume !== undefined && oldVolume.reclaimPolicy !== 'Retain')
    return { kind: 'retain', volume: oldVolume.name };
  if (volume.reclaimPolicy !== 'Retain') return { kind: 'retain', volume: volume.name };
  const standby = view.standby;
  if (standby?.name === record.standbyClaim && standby.volumeName === record.volume) {
    if (standby.deleting) return { kind: 'wait', reason: `standby claim ${standby.name} is being deleted` };
    return { kind: 'deleteStandbyClaim', claim: standby.name, uid: standby.uid };
  }
  return undefined;
}

/** Step 3: reserve the volume for the claim name, unless someone else holds it. */
function reserveStep(
  view: PromotionView,
  record: PromotionRecord,
  volume: VolumeState,
): PromotionStep | undefined {
  if (reservedFor(volume, view.namespace, view.claimName)) return undefined;
  // Bound to another claim than the standby (which is gone): someone else took it.
  const ref = volume.claimRef;
  if (ref?.uid !== undefined && ref.name !== record.standbyClaim)
    return {
      kind: 'stuck',
      reason: 'VolumeTaken',
      message: `volume ${volume.name} is bound to ${ref.namespace ?? ''}/${ref.name ?? ''}`,
    };
  return { kind: 'reserveVolume', volume: volume.name };
}

/** The claim of that name holds the promoted volume: wait for it, label it, finish. */
function boundStep(claim: ClaimState, record: PromotionRecord): PromotionStep {
  if (!claim.bound) return { kind: 'wait', reason: `claim ${claim.name} is binding to ${record.volume}` };
  if (claim.labels[primaryLabels.zone] !== record.zone || !claim.ownedByVolume)
    return { kind: 'labelClaim', claim: claim.name };
  return { kind: 'finish' };
}

/** Steps 4 to 6: remove the old claim, create and label the new one. */
function claimStep(claim: ClaimState | undefined, record: PromotionRecord): PromotionStep {
  if (claim === undefined) return { kind: 'createClaim', volume: record.volume };
  if (claim.volumeName === record.volume) return boundStep(claim, record);
  if (claim.deleting) return { kind: 'wait', reason: `claim ${claim.name} is being deleted` };
  if (claim.uid === record.oldClaimUid) return { kind: 'deleteOldClaim', claim: claim.name, uid: claim.uid };
  // Not yet bound: a claim made by the workload's template binds to the reserved volume on its own.
  if (claim.volumeName === undefined) return { kind: 'wait', reason: `claim ${claim.name} is binding` };
  return {
    kind: 'stuck',
    reason: 'ClaimReplaced',
    message: `claim ${claim.name} is bound to ${claim.volumeName}, not the old primary's volume; not deleting it`,
  };
}

export function planPromotion(view: PromotionView): PromotionStep {
  const record = view.record;
  if (record === undefined) return beginStep(view);
  const released = releaseSteps(view, record);
  if (released !== undefined || view.volume === undefined) return released ?? { kind: 'done' };
  return reserveStep(view, record, view.volume) ?? claimStep(view.claim, record);
}
