// Step: the status this pass observed. Pure: every input was gathered by an
// earlier step, so the whole table of outcomes is testable without a cluster.
import type {
  AttachmentStatus,
  ReplicaStatus,
  StatefulVolume,
  StatefulVolumePhase,
  StatefulVolumeStatus,
} from '../../api/v1alpha1/types.generated.js';
import { statefulVolumeConditions as types } from '../../api/v1alpha1/types.generated.js';
import { statefulVolumeReasons as reasons } from '../../api/v1alpha1/reasons.js';
import { setCondition, type Condition, type ConditionUpdate } from '../../runtime/conditions.js';
import { claimNameOf } from './claim.js';
import type { ClaimOutcome } from './ensure-claim.js';
import type { ResizeState } from './expand.js';
import { describeProblem, type Placement } from './placement.js';
import type { PromotionOutcome } from './promote.js';
import type { PendingClaim } from './provisioning.js';
import type { StandbyOutcome } from './standbys.js';

/** Everything one pass saw, as the steps returned it. */
export interface Observation {
  readonly claim: ClaimOutcome;
  readonly resize: ResizeState;
  readonly placement: Placement;
  /** Undefined when the volume has no standbys to manage. */
  readonly standbys: StandbyOutcome | undefined;
  readonly attachment: AttachmentStatus | undefined;
  /** Whether a live pod mounts the primary claim right now. */
  readonly mounted: boolean;
  /** A FailoverGroup's promotion this volume follows or followed last; absent in passes that did not look. */
  readonly promotion?: PromotionOutcome;
  /** What a Pending primary claim waits for; absent when it is not Pending or nobody looked. */
  readonly pending?: PendingClaim;
}

function isBound(claim: ClaimOutcome): boolean {
  return claim.kind === 'present' && claim.claim.status?.phase === 'Bound';
}

function pendingCondition(claim: ClaimOutcome, pending: PendingClaim | undefined): ConditionUpdate {
  const type = types.Provisioned;
  const name = claim.kind === 'present' ? (claim.claim.metadata.name ?? '') : '';
  if (pending?.kind === 'consumer') {
    return {
      type,
      status: 'False',
      reason: reasons.WaitingForFirstConsumer,
      message: `The StorageClass binds on first use: claim ${name} is provisioned when the first pod that mounts it is scheduled.`,
    };
  }
  if (pending?.kind === 'failed') {
    return {
      type,
      status: 'False',
      reason: reasons.ProvisioningFailed,
      message: `The provisioner cannot create a volume for claim ${name} and keeps retrying: ${pending.message}`,
    };
  }
  return {
    type,
    status: 'False',
    reason: reasons.ClaimPending,
    message: 'Waiting for the claim to be bound.',
  };
}

export function provisioned(claim: ClaimOutcome, pending?: PendingClaim): ConditionUpdate {
  const type = types.Provisioned;
  // One reason for every refusal, so alerts can match it; the message names the mismatch.
  if (claim.kind === 'refused') {
    return { type, status: 'False', reason: reasons.AdoptionRefused, message: claim.message };
  }
  if (claim.kind === 'waiting' || claim.kind === 'failed') {
    return { type, status: 'False', reason: claim.reason, message: claim.message };
  }
  if (isBound(claim))
    return { type, status: 'True', reason: reasons.ClaimBound, message: 'The claim is bound.' };
  return pendingCondition(claim, pending);
}

export function resizing(resize: ResizeState): ConditionUpdate {
  const type = types.Resizing;
  if (resize.kind === 'resizing')
    return { type, status: 'True', reason: reasons.Expanding, message: resize.message };
  if (resize.kind === 'blocked')
    return { type, status: 'False', reason: resize.reason, message: resize.message };
  return {
    type,
    status: 'False',
    reason: reasons.NotResizing,
    message: 'The claim has the size spec.size asks for.',
  };
}

function placementProblem(placement: Placement): ConditionUpdate | undefined {
  const problem = placement.problems[0];
  if (problem === undefined) return undefined;
  return {
    type: types.ReplicasInSync,
    status: 'False',
    reason: problem.reason,
    message: describeProblem(problem),
  };
}

export function replicasInSync(obs: Observation): ConditionUpdate {
  const type = types.ReplicasInSync;
  const standbys = obs.standbys;
  if (standbys?.problem !== undefined) return { type, status: 'False', ...standbys.problem };
  const misplaced = placementProblem(obs.placement);
  if (misplaced !== undefined) return misplaced;
  if (standbys === undefined || obs.placement.standbyZones.length === 0) {
    return {
      type,
      status: 'True',
      reason: reasons.NoStandbys,
      message: 'The volume has no standby replicas.',
    };
  }
  if (!isBound(obs.claim)) {
    return {
      type,
      status: 'False',
      reason: reasons.WaitingForPrimary,
      message: 'Standbys are created once the primary claim is bound.',
    };
  }
  if (standbys.seededEmpty) {
    return {
      type,
      status: 'False',
      reason: reasons.SeededEmpty,
      message:
        'Standbys are seeded empty: this volume has no Ready VolumeBackup yet. They are refilled when one becomes Ready.',
    };
  }
  if (standbys.outOfSync > 0) {
    return {
      type,
      status: 'False',
      reason: reasons.StandbysNotInSync,
      message: `${standbys.outOfSync} standby replica(s) do not hold the newest Ready backup yet.`,
    };
  }
  return {
    type,
    status: 'True',
    reason: reasons.StandbysInSync,
    message: 'Every standby holds the newest Ready backup.',
  };
}

export function attached(obs: Observation): ConditionUpdate {
  const type = types.Attached;
  const a = obs.attachment;
  if (!obs.mounted || a === undefined) {
    return { type, status: 'False', reason: reasons.NoConsumer, message: 'No running pod mounts the claim.' };
  }
  if (a.interruptedAt !== undefined) {
    return {
      type,
      status: 'False',
      reason: reasons.ConsumerLost,
      message: `Pod ${a.pod ?? '?'} on node ${a.node ?? '?'} was lost at ${a.interruptedAt}; waiting for its replacement.`,
    };
  }
  return {
    type,
    status: 'True',
    reason: reasons.PodMounted,
    message: `Pod ${a.pod ?? '?'} on node ${a.node ?? '?'} mounts the claim.`,
  };
}

function ready(prov: ConditionUpdate, inSync: ConditionUpdate): ConditionUpdate {
  const failing = [prov, inSync].find((c) => c.status !== 'True');
  if (failing !== undefined) return { ...failing, type: types.Ready };
  return {
    type: types.Ready,
    status: 'True',
    reason: reasons.Ready,
    message: 'The primary is bound and every standby is in sync.',
  };
}

export function phaseOf(obs: Observation, inSync: boolean): StatefulVolumePhase {
  const claim = obs.claim;
  if (claim.kind === 'refused' || claim.kind === 'failed') return 'Failed';
  if (claim.kind === 'waiting') return 'Pending';
  if (!isBound(claim)) return 'Provisioning';
  if (obs.resize.kind === 'resizing') return 'Resizing';
  return inSync ? 'Ready' : 'Bound';
}

function primaryReplica(vol: StatefulVolume, obs: Observation): ReplicaStatus {
  const claim = claimNameOf(vol);
  const zone = obs.placement.primaryZone;
  const k = obs.claim.kind;
  const phase: ReplicaStatus['phase'] = isBound(obs.claim)
    ? 'InSync'
    : k === 'failed' || k === 'refused'
      ? 'Failed'
      : k === 'waiting'
        ? 'Pending'
        : 'Provisioning';
  return { name: claim, claim, role: 'Primary', phase, ...(zone !== undefined ? { zone } : {}) };
}

function conditionsOf(vol: StatefulVolume, obs: Observation, now: Date): Condition[] {
  const gen = vol.metadata.generation;
  const prov = provisioned(obs.claim, obs.pending);
  const inSync = replicasInSync(obs);
  let list = vol.status?.conditions;
  const updates = [ready(prov, inSync), prov, inSync, resizing(obs.resize), attached(obs)];
  if (obs.promotion?.condition !== undefined) updates.push(obs.promotion.condition);
  for (const update of updates) {
    list = setCondition(list, update, gen, now);
  }
  return list ?? [];
}

function primaryOf(vol: StatefulVolume, obs: Observation): StatefulVolumeStatus['primary'] {
  const zone = obs.placement.primaryZone;
  const node = obs.mounted ? obs.attachment?.node : undefined;
  return {
    claim: claimNameOf(vol),
    ...(zone !== undefined ? { zone } : {}),
    ...(node !== undefined ? { node } : {}),
  };
}

/** The capacity the claim reports; kept from last time while the claim is out of view. */
function capacityOf(vol: StatefulVolume, obs: Observation): string | undefined {
  const reported = obs.claim.kind === 'present' ? obs.claim.claim.status?.capacity?.storage : undefined;
  return reported ?? vol.status?.capacity;
}

export function computeStatus(vol: StatefulVolume, obs: Observation, now: Date): StatefulVolumeStatus {
  const gen = vol.metadata.generation;
  const conditions = conditionsOf(vol, obs, now);
  const inSync = conditions.find((c) => c.type === types.ReplicasInSync)?.status === 'True';
  const capacity = capacityOf(vol, obs);
  return {
    phase: phaseOf(obs, inSync),
    conditions,
    ...(gen !== undefined ? { observedGeneration: gen } : {}),
    claimName: claimNameOf(vol),
    ...(capacity !== undefined ? { capacity } : {}),
    primary: primaryOf(vol, obs),
    replicas: [primaryReplica(vol, obs), ...(obs.standbys?.replicas ?? [])],
    ...(obs.attachment !== undefined ? { attachment: obs.attachment } : {}),
    ...promotionOf(vol, obs),
  };
}

/** The promotion followed now or last; kept as it was when this pass did not look. */
function promotionOf(vol: StatefulVolume, obs: Observation): Pick<StatefulVolumeStatus, 'promotion'> {
  const promotion = obs.promotion === undefined ? vol.status?.promotion : obs.promotion.status;
  return promotion !== undefined ? { promotion } : {};
}

/** Problems whose message carries news of its own: a new message is worth a new Warning. */
const byMessage = new Set<string>([reasons.ProvisioningFailed]);

/**
 * The non-True conditions whose reason changed since the last status (or, for
 * a provisioner's refusal, whose message did): each is worth one Warning Event.
 */
export function newProblems(
  before: readonly Condition[] | undefined,
  after: readonly Condition[],
): { reason: string; message: string }[] {
  const quiet = new Set<string>([
    reasons.ClaimPending,
    reasons.WaitingForFirstConsumer,
    reasons.NotResizing,
    reasons.WaitingForPrimary,
    reasons.NoConsumer,
    reasons.StandbysNotInSync,
    reasons.PromotionCompleted,
  ]);
  const out: { reason: string; message: string }[] = [];
  for (const c of after) {
    if (c.type === types.Ready || c.status === 'True' || quiet.has(c.reason)) continue;
    const was = before?.find((b) => b.type === c.type);
    if (was?.reason === c.reason && (!byMessage.has(c.reason) || was.message === c.message)) continue;
    out.push({ reason: c.reason, message: c.message ?? '' });
  }
  return out;
}
