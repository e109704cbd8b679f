// Step: the status this pass observed, computed from the claim outcome alone.
import type { StatefulVolume, StatefulVolumeStatus } from '../../api/v1alpha1/types.generated.js';
import { statefulVolumeConditions as types } from '../../api/v1alpha1/types.generated.js';
import { setCondition, type ConditionUpdate } from '../../runtime/conditions.js';
import { claimNameOf } from './claim.js';
import type { ClaimOutcome } from './ensure-claim.js';

export const reasons = {
  ClaimBound: 'ClaimBound',
  ClaimPending: 'ClaimPending',
  AdoptionRefused: 'AdoptionRefused',
} as const;

function provisioned(outcome: ClaimOutcome): ConditionUpdate {
  const type = types.Provisioned;
  if (outcome.kind === 'refused')
    return { type, status: 'False', reason: reasons.AdoptionRefused, message: outcome.message };
  if (outcome.kind === 'present' && outcome.claim.status?.phase === 'Bound')
    return { type, status: 'True', reason: reasons.ClaimBound, message: 'The claim is bound.' };
  return {
    type,
    status: 'False',
    reason: reasons.ClaimPending,
    message: 'Waiting for the claim to be bound.',
  };
}

export function computeStatus(vol: StatefulVolume, outcome: ClaimOutcome, now: Date): StatefulVolumeStatus {
  const gen = vol.metadata.generation;
  const prov = provisioned(outcome);
  let conditions = setCondition(vol.status?.conditions, prov, gen, now);
  conditions = setCondition(conditions, { ...prov, type: types.Ready }, gen, now);
  const bound = prov.status === 'True';
  const status: StatefulVolumeStatus = {
    ...vol.status,
    phase: outcome.kind === 'refused' ? 'Failed' : bound ? 'Ready' : 'Provisioning',
    conditions,
    claimName: claimNameOf(vol),
  };
  if (gen !== undefined) status.observedGeneration = gen;
  const capacity = outcome.kind === 'present' ? outcome.claim.status?.capacity?.storage : undefined;
  if (capacity !== undefined) status.capacity = capacity;
  return status;
}
