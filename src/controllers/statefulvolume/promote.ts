// Step: carry out a FailoverGroup's promotion on this volume's own claims and
// PersistentVolumes. The group decides and records (status.promotions, which
// only the operator writes); this controller, the one writer of the volume's
// claims, takes the record into its own status first (touching nothing else
// in that pass), then rebinds step by step (promotion-plan.ts), each step
// planned from what the API server shows now, so a pass may stop anywhere and
// the next resumes. Every PV write and claim deletion is checked first
// (promotion-checks.ts); a failed check writes nothing and refuses the record.
// The group reads this volume's status.promotion to know when it is done.
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { statefulVolumeReasons as reasons } from '../../api/v1alpha1/reasons.js';
import { statefulVolumeConditions as types } from '../../api/v1alpha1/types.generated.js';
import { annotations, labels } from '../../api/v1alpha1/vocabulary.js';
import type {
  FailoverGroup,
  ObjectIdentity,
  PromotionRecord,
  StatefulVolume,
  VolumeBackup,
  VolumePromotionStatus,
} from '../../api/v1alpha1/types.generated.js';
import { isAlreadyExists } from '../../kube/errors.js';
import { labelValue } from '../../kube/names.js';
import { coreTypes } from '../../kube/resource.js';
import type { Stored } from '../../kube/wire.js';
import type { ApiClient, ApiReader, ApiWriter, CacheReader, Recorder } from '../../runtime/capabilities.js';
import type { ConditionUpdate } from '../../runtime/conditions.js';
import { failoverGroupType } from '../kinds.js';
import { matchesSelector } from '../volumebackuppolicy/select.js';
import { claimNameOf, desiredClaim, snapshotSource } from './claim.js';
import type { PlacementView } from './place.js';
import { checkClaimDelete, checkRecord, checkVolumeWrite, type Check } from './promotion-checks.js';
import { planPromotion, type ClaimState, type PromotionStep, type VolumeState } from './promotion-plan.js';
import { statefulVolumeType, volumeBackupType } from './types.js';

type Claim = Stored<V1PersistentVolumeClaim>;
type Volume = Stored<V1PersistentVolume>;

export interface PromotionOutcome {
  /** status.promotion after this pass. */
  status: VolumePromotionStatus | undefined;
  /** The claims are being rebound: the primary claim is not created and standbys are left as they are. */
  frozen: boolean;
  /** Look again in a second. */
  busy: boolean;
  /** Look again later: a step could not go on (a person may fix it). */
  retry: boolean;
  condition: ConditionUpdate | undefined;
}

const activePhases = new Set<VolumePromotionStatus['phase']>(['Accepted', 'Restoring', 'Rebinding']);

function sameRecord(a: VolumePromotionStatus, group: ObjectIdentity, record: PromotionRecord): boolean {
  return (
    a.group.uid === group.uid &&
    a.record.startedAt === record.startedAt &&
    a.record.volume.uid === record.volume.uid
  );
}

function selects(fg: FailoverGroup, vol: StatefulVolume): boolean {
  const names = fg.spec.volumes.names;
  if (names !== undefined) return names.includes(vol.metadata.name ?? '');
  return matchesSelector(vol.metadata.labels, fg.spec.volumes.selector ?? {});
}

interface Offer {
  group: FailoverGroup;
  record: PromotionRecord;
}

function offersIn(groups: readonly FailoverGroup[], vol: StatefulVolume): Offer[] {
  return groups.flatMap((group) =>
    (group.status?.promotions ?? [])
      .filter((r) => r.volume.name === vol.metadata.name)
      .map((record) => ({ group, record })),
  );
}

/** A record naming this volume in a FailoverGroup of its namespace, read fresh from the API server. */
async function offeredRecord(
  deps: { cache: CacheReader; client: ApiReader },
  vol: StatefulVolume,
): Promise<Offer | undefined> {
  const cached = offersIn(deps.cache.list<FailoverGroup>(failoverGroupType, vol.metadata.namespace), vol);
  if (cached.length === 0) return undefined;
  const names = [...new Set(cached.map((o) => o.group.metadata.name ?? ''))].sort();
  const fresh: FailoverGroup[] = [];
  for (const name of names) {
    const fg = await deps.client.find<FailoverGroup>(failoverGroupType, vol.metadata.namespace, name);
    if (fg !== undefined) fresh.push(fg);
  }
  const offers = offersIn(fresh, vol).sort((a, b) => a.record.startedAt.localeCompare(b.record.startedAt));
  return offers[0];
}

/** The Promoting condition; absent on a volume that never followed a promotion. */
function conditionOf(
  status: VolumePromotionStatus | undefined,
  stuck?: { reason: string },
): ConditionUpdate | undefined {
  if (status === undefined) return undefined;
  const message = status.message ?? '';
  if (status.phase === 'Refused')
    return { type: types.Promoting, status: 'False', reason: reasons.PromotionRefused, message };
  if (status.phase === 'Completed')
    return {
      type: types.Promoting,
      status: 'False',
      reason: reasons.PromotionCompleted,
      message: `The claim holds the promoted volume in ${status.record.zone}.`,
    };
  if (stuck !== undefined) return { type: types.Promoting, status: 'False', reason: stuck.reason, message };
  return {
    type: types.Promoting,
    status: 'True',
    reason: status.phase,
    message: `Promoting to ${status.record.zone} for FailoverGroup ${status.group.name}: ${message}`,
  };
}

function outcome(
  status: VolumePromotionStatus | undefined,
  opts: { busy?: boolean; retry?: boolean; stuck?: { reason: string } } = {},
): PromotionOutcome {
  return {
    status,
    frozen: status !== undefined && activePhases.has(status.phase),
    busy: opts.busy === true,
    retry: opts.retry === true,
    condition: conditionOf(status, opts.stuck),
  };
}

function take(vol: StatefulVolume, offer: Offer): PromotionOutcome {
  const group = { name: offer.group.metadata.name ?? '', uid: offer.group.metadata.uid ?? '' };
  const check = checkRecord({
    record: offer.record,
    volume: { name: vol.metadata.name ?? '', uid: vol.metadata.uid ?? '', claimName: claimNameOf(vol) },
    selected: selects(offer.group, vol),
  });
  // Taken in a pass that touches nothing else: the copy in status is what later passes follow.
  if (!check.ok) return outcome({ group, record: offer.record, phase: 'Refused', message: check.message });
  return outcome(
    { group, record: offer.record, phase: 'Accepted', message: 'the record is taken; rebinding next' },
    { busy: true },
  );
}

/** Follows the promotion recorded for this volume, or takes a new record; see the file comment. */
export async function followPromotion(
  deps: { cache: CacheReader; client: ApiClient; recorder: Recorder; log: Logger },
  vol: StatefulVolume,
  placement: PlacementView,
): Promise<PromotionOutcome> {
  const current = vol.status?.promotion;
  if (current !== undefined && activePhases.has(current.phase)) return carryOn(deps, vol, placement, current);
  const offer = await offeredRecord(deps, vol);
  if (offer === undefined) return outcome(current);
  const group = { name: offer.group.metadata.name ?? '', uid: offer.group.metadata.uid ?? '' };
  // A record already followed to its end (or refused) is not taken again.
  if (current !== undefined && sameRecord(current, group, offer.record)) return outcome(current);
  return take(vol, offer);
}

function claimState(c: Claim | undefined): ClaimState | undefined {
  if (c === undefined) return undefined;
  return {
    name: c.metadata.name ?? '',
    uid: c.metadata.uid ?? '',
    ...(c.spec?.volumeName !== undefined && c.spec.volumeName !== ''
      ? { volumeName: c.spec.volumeName }
      : {}),
    bound: c.status?.phase === 'Bound',
    deleting: c.metadata.deletionTimestamp !== undefined,
    labels: c.metadata.labels ?? {},
    ownerUids: (c.metadata.ownerReferences ?? []).map((o) => o.uid),
  };
}

function volumeState(pv: Volume | undefined): VolumeState | undefined {
  if (pv === undefined) return undefined;
  const ref = pv.spec?.claimRef;
  return {
    name: pv.metadata.name ?? '',
    uid: pv.metadata.uid ?? '',
    ...(pv.spec?.persistentVolumeReclaimPolicy !== undefined
      ? { reclaimPolicy: pv.spec.persistentVolumeReclaimPolicy }
      : {}),
    ...(ref !== undefined
      ? {
          claimRef: {
            ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}),
            ...(ref.name !== undefined ? { name: ref.name } : {}),
            ...(ref.uid !== undefined && ref.uid !== '' ? { uid: ref.uid } : {}),
          },
        }
      : {}),
  };
}

const findPv = (client: ApiReader, name: string | undefined): Promise<Volume | undefined> =>
  name === undefined
    ? Promise.resolve(undefined)
    : client.find<Volume>(coreTypes.persistentVolume, undefined, name);

interface Looked {
  step: PromotionStep;
  claim: Claim | undefined;
  standby: Claim | undefined;
  pvs: { old: Volume | undefined; standby: Volume | undefined };
}

async function look(client: ApiReader, vol: StatefulVolume, record: PromotionRecord): Promise<Looked> {
  const ns = vol.metadata.namespace ?? '';
  const claimName = claimNameOf(vol);
  const type = coreTypes.persistentVolumeClaim;
  const claim = await client.find<Claim>(type, ns, claimName);
  const standby = await client.find<Claim>(type, ns, record.standbyClaim.name);
  const pvs = {
    old: await findPv(client, record.oldVolume?.name),
    standby: await findPv(client, record.standbyVolume?.name),
  };
  const step = planPromotion({
    namespace: ns,
    volumeUid: vol.metadata.uid ?? '',
    claimName,
    record,
    claim: claimState(claim),
    standby: claimState(standby),
    volume: volumeState(pvs.standby),
    oldVolume: volumeState(pvs.old),
  });
  return { step, claim, standby, pvs };
}

/** What the new primary claim says about where its data came from and where the old data is. */
function promotionAnnotations(record: PromotionRecord): Record<string, string> {
  return {
    ...(record.oldVolume !== undefined ? { [annotations.previousVolume]: record.oldVolume.name } : {}),
    ...(record.sourceBackup !== undefined ? { [annotations.promotedFromBackup]: record.sourceBackup } : {}),
  };
}

async function newClaim(
  client: ApiWriter,
  vol: StatefulVolume,
  record: PromotionRecord,
  pv: Volume | undefined,
): Promise<void> {
  const claim = desiredClaim(vol, { name: claimNameOf(vol), role: 'Primary', zone: record.zone });
  claim.spec.volumeName = pv?.metadata.name ?? '';
  // The class must be the volume's, or the binder refuses the pair.
  const cls = pv?.spec?.storageClassName;
  if (cls !== undefined) claim.spec.storageClassName = cls;
  claim.metadata.annotations = promotionAnnotations(record);
  try {
    await client.create(coreTypes.persistentVolumeClaim, claim as Claim);
  } catch (err) {
    // The workload's controller made one first: it binds to the reserved volume all the same.
    if (!isAlreadyExists(err)) throw err;
  }
}

async function labelClaim(
  client: ApiWriter,
  vol: StatefulVolume,
  record: PromotionRecord,
  claim: Claim,
): Promise<void> {
  const name = claim.metadata.name ?? '';
  const desired = desiredClaim(vol, { name, role: 'Primary', zone: record.zone });
  const owned = claim.metadata.ownerReferences?.some((o) => o.uid === vol.metadata.uid) === true;
  await client.patch(coreTypes.persistentVolumeClaim, vol.metadata.namespace, name, {
    metadata: {
      resourceVersion: claim.metadata.resourceVersion,
      labels: desired.metadata.labels,
      annotations: promotionAnnotations(record),
      ...(owned
        ? {}
        : {
            ownerReferences: [
              ...(claim.metadata.ownerReferences ?? []).filter((o) => o.controller !== true),
              ...(desired.metadata.ownerReferences ?? []),
            ],
          }),
    },
  });
}

function restoredClaim(
  vol: StatefulVolume,
  record: PromotionRecord,
  placement: PlacementView,
  backup: VolumeBackup,
  snapshot: string,
): Claim {
  const pinNode = placement.pinNodeOf(record.zone);
  const claim = desiredClaim(vol, {
    name: record.standbyClaim.name,
    role: 'Standby',
    zone: record.zone,
    ...(pinNode !== undefined ? { pinNode } : {}),
    dataSource: snapshotSource(snapshot),
  });
  const restoreSize = backup.status?.restoreSize;
  if (restoreSize !== undefined) claim.spec.resources = { requests: { storage: restoreSize } };
  claim.metadata.labels[labels.sourceBackup] = labelValue(backup.metadata.name ?? '');
  claim.metadata.labels[labels.restoredFor] = labelValue(vol.metadata.name ?? '');
  return claim as Claim;
}

/** The backup the record names, only if it is a backup of this volume. */
async function backupOf(
  client: ApiReader,
  vol: StatefulVolume,
  name: string | undefined,
): Promise<VolumeBackup | undefined> {
  if (name === undefined) return undefined;
  const backup = await client.find<VolumeBackup>(volumeBackupType, vol.metadata.namespace, name);
  return backup?.spec.volumeName === vol.metadata.name ? backup : undefined;
}

/** The standby claim restored from the record's backup, owned by this volume, in the record's zone. */
async function restore(
  client: ApiClient,
  vol: StatefulVolume,
  record: PromotionRecord,
  placement: PlacementView,
): Promise<Check | 'wait'> {
  const backup = await backupOf(client, vol, record.restoreFrom);
  if (backup === undefined)
    return {
      ok: false,
      reason: 'RestoreSourceInvalid',
      message: 'the record’s backup is not a backup of this StatefulVolume',
    };
  const snapshot = backup.status?.volumeSnapshotName;
  if (backup.status?.phase !== 'Ready' || snapshot === undefined) return 'wait';
  try {
    await client.create(
      coreTypes.persistentVolumeClaim,
      restoredClaim(vol, record, placement, backup, snapshot),
    );
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  return { ok: true };
}

function volumeCheck(
  vol: StatefulVolume,
  record: PromotionRecord,
  role: 'old' | 'standby',
  looked: Looked,
  pv: Volume,
): Check {
  const state = volumeState(pv);
  const ref = state?.claimRef;
  const claim = [looked.claim, looked.standby].find((c) => c !== undefined && c.metadata.uid === ref?.uid);
  const owners = (claim?.metadata.ownerReferences ?? []).map((o) => o.uid);
  return checkVolumeWrite({
    role,
    namespace: vol.metadata.namespace ?? '',
    volumeUid: vol.metadata.uid ?? '',
    claimName: claimNameOf(vol),
    record,
    pv: { uid: state?.uid ?? '', ...(ref !== undefined ? { claimRef: ref } : {}) },
    ...(claim !== undefined ? { claim: { uid: claim.metadata.uid ?? '', ownerUids: owners } } : {}),
  });
}

/** A merge patch carrying the resourceVersion checked, so a PV that changed since is not written. */
async function patchVolume(
  client: ApiWriter,
  pv: Volume,
  patch: { metadata?: object; spec: object },
): Promise<void> {
  await client.patch(coreTypes.persistentVolume, undefined, pv.metadata.name ?? '', {
    ...patch,
    metadata: { ...patch.metadata, resourceVersion: pv.metadata.resourceVersion },
  });
}

async function retain(
  vol: StatefulVolume,
  client: ApiWriter,
  role: 'old' | 'standby',
  pv: Volume,
): Promise<void> {
  const former =
    role === 'old'
      ? {
          annotations: {
            [annotations.formerPrimaryOf]: `${vol.metadata.namespace ?? ''}/${claimNameOf(vol)}`,
          },
        }
      : {};
  await patchVolume(client, pv, { metadata: former, spec: { persistentVolumeReclaimPolicy: 'Retain' } });
}

async function reserve(vol: StatefulVolume, client: ApiWriter, pv: Volume): Promise<void> {
  await patchVolume(client, pv, {
    spec: {
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: vol.metadata.namespace ?? '',
        name: claimNameOf(vol),
        uid: null,
        resourceVersion: null,
      },
    },
  });
}

type Applied =
  { kind: 'next' } | { kind: 'refused'; check: Check & { ok: false } } | { kind: 'wait'; reason: string };

async function applyVolumeStep(
  client: ApiWriter,
  vol: StatefulVolume,
  record: PromotionRecord,
  step: PromotionStep & { kind: 'retain' | 'reserveVolume' },
  looked: Looked,
): Promise<Applied> {
  const role = step.kind === 'retain' ? step.role : 'standby';
  const pv = role === 'old' ? looked.pvs.old : looked.pvs.standby;
  if (pv === undefined) return { kind: 'wait', reason: 'the volume is gone' };
  const check = volumeCheck(vol, record, role, looked, pv);
  if (!check.ok) return { kind: 'refused', check };
  if (step.kind === 'retain') await retain(vol, client, role, pv);
  else await reserve(vol, client, pv);
  return { kind: 'next' };
}

async function applyDelete(
  client: ApiWriter,
  vol: StatefulVolume,
  recordUid: string | undefined,
  claim: Claim | undefined,
): Promise<Applied> {
  if (claim === undefined) return { kind: 'next' };
  const check = checkClaimDelete({
    volumeUid: vol.metadata.uid ?? '',
    recordUid,
    claim: {
      uid: claim.metadata.uid ?? '',
      ownerUids: (claim.metadata.ownerReferences ?? []).map((o) => o.uid),
    },
  });
  if (!check.ok) return { kind: 'refused', check };
  await client.delete(coreTypes.persistentVolumeClaim, vol.metadata.namespace, claim.metadata.name ?? '', {
    preconditionUid: claim.metadata.uid ?? '',
  });
  return { kind: 'next' };
}

async function apply(
  client: ApiClient,
  vol: StatefulVolume,
  placement: PlacementView,
  record: PromotionRecord,
  looked: Looked,
): Promise<Applied> {
  const step = looked.step;
  switch (step.kind) {
    case 'restore': {
      const restored = await restore(client, vol, record, placement);
      if (restored === 'wait') return { kind: 'wait', reason: 'the backup to restore from is not Ready' };
      return restored.ok
        ? { kind: 'wait', reason: 'the standby is being restored from the backup' }
        : { kind: 'refused', check: restored };
    }
    case 'retain':
    case 'reserveVolume':
      return applyVolumeStep(client, vol, record, step, looked);
    case 'deleteStandbyClaim':
      return applyDelete(client, vol, record.standbyClaim.uid, looked.standby);
    case 'deleteOldClaim':
      return applyDelete(client, vol, record.oldClaim?.uid, looked.claim);
    case 'createClaim':
      await newClaim(client, vol, record, looked.pvs.standby);
      return { kind: 'next' };
    case 'labelClaim':
      if (looked.claim !== undefined) await labelClaim(client, vol, record, looked.claim);
      return { kind: 'next' };
    default:
      return { kind: 'next' };
  }
}

function refused(
  log: Logger,
  vol: StatefulVolume,
  current: VolumePromotionStatus,
  check: Check & { ok: false },
): PromotionOutcome {
  log.warn(
    { volume: `${vol.metadata.namespace ?? ''}/${vol.metadata.name ?? ''}`, reason: check.reason },
    'promotion refused: a check before a write failed',
  );
  return outcome({ ...current, phase: 'Refused', message: `${check.reason}: ${check.message}` });
}

/** The outcome when the planned step ends this pass's work; undefined when there is a write to make. */
async function settledBy(
  deps: { client: ApiReader; recorder: Recorder },
  vol: StatefulVolume,
  fresh: VolumePromotionStatus,
  looked: Looked,
): Promise<PromotionOutcome | undefined> {
  const { step } = looked;
  const record = fresh.record;
  const phase =
    record.restoreFrom !== undefined && record.standbyVolume === undefined ? 'Restoring' : 'Rebinding';
  switch (step.kind) {
    case 'finish':
      deps.recorder.normal(
        vol,
        reasons.PromotionCompleted,
        `claim ${claimNameOf(vol)} now uses the promoted volume in ${record.zone}; the old primary’s volume is kept (Retain)`,
      );
      return outcome({ ...fresh, phase: 'Completed', message: 'the claim holds the promoted volume' });
    case 'wait':
      return outcome({ ...fresh, phase, message: step.reason }, { busy: true });
    case 'stuck':
      return outcome(
        { ...fresh, phase, message: step.message },
        { retry: true, stuck: { reason: step.reason } },
      );
    case 'recordStandby':
      return recordStandby(deps.client, fresh, step, looked);
    default:
      return undefined;
  }
}

/** The restored standby's claim and volume UIDs, written to status before any PV is touched: the checks compare against them. */
async function recordStandby(
  client: ApiReader,
  fresh: VolumePromotionStatus,
  step: PromotionStep & { kind: 'recordStandby' },
  looked: Looked,
): Promise<PromotionOutcome> {
  const record = fresh.record;
  const pv = looked.pvs.standby ?? (await findPv(client, step.volume));
  if (pv?.metadata.uid === undefined)
    return outcome({ ...fresh, message: 'the restored standby’s volume is not visible yet' }, { busy: true });
  return outcome(
    {
      ...fresh,
      record: {
        ...record,
        standbyClaim: { name: record.standbyClaim.name, uid: step.claimUid },
        standbyVolume: { name: step.volume, uid: pv.metadata.uid },
      },
      phase: 'Rebinding',
      message: 'the restored standby is Bound',
    },
    { busy: true },
  );
}

/** Runs planned steps until the rebind is done, waits on something, is stuck, or is refused. */
async function carryOn(
  deps: { client: ApiClient; recorder: Recorder; log: Logger },
  vol: StatefulVolume,
  placement: PlacementView,
  current: VolumePromotionStatus,
  budget = 12,
): Promise<PromotionOutcome> {
  // The copy is read fresh: a pass that began from a stale cache must not act on an old phase.
  const fresh = (
    await deps.client.find<StatefulVolume>(
      statefulVolumeType,
      vol.metadata.namespace,
      vol.metadata.name ?? '',
    )
  )?.status?.promotion;
  if (
    fresh === undefined ||
    !sameRecord(fresh, current.group, current.record) ||
    !activePhases.has(fresh.phase)
  )
    return outcome(current, { busy: true });
  const record = fresh.record;
  for (let i = 0; i < budget; i++) {
    const looked = await look(deps.client, vol, record);
    const settled = await settledBy(deps, vol, fresh, looked);
    if (settled !== undefined) return settled;
    const applied = await apply(deps.client, vol, placement, record, looked);
    if (applied.kind === 'refused') return refused(deps.log, vol, fresh, applied.check);
    if (applied.kind === 'wait') return outcome({ ...fresh, message: applied.reason }, { busy: true });
  }
  return outcome({ ...fresh, message: 'more steps to take' }, { busy: true });
}
