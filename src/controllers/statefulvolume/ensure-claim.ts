// Step: the primary claim exists, created by us or adopted when it matches.
// Creating waits for what the claim needs (its class, its source, a zone with
// a Ready node), because a claim made too early binds to the wrong thing or
// not at all, and its spec cannot be changed afterwards.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { statefulVolumeReasons as reasons } from '../../api/v1alpha1/reasons.js';
import type { StatefulVolume } from '../../api/v1alpha1/types.generated.js';
import { errorMessage, isAlreadyExists, isInvalid, isQuotaExceeded } from '../../kube/errors.js';
import { parseQuantity } from '../../kube/quantity.js';
import { coreTypes } from '../../kube/resource.js';
import type { Stored } from '../../kube/wire.js';
import type { ApiWriter, CacheReader, Recorder } from '../../runtime/capabilities.js';
import { adoptionVerdict, claimNameOf, desiredClaim, type ClaimPlan, type VolumeShape } from './claim.js';
import type { PlacementView } from './place.js';
import type { SourceDecision } from './source.js';
import type { ClassCheck } from './storage-class.js';

/** No claim to use, and why, as the reason and message of the volume's condition. */
interface NotUsable<K extends string> {
  readonly kind: K;
  readonly reason: string;
  readonly message: string;
}

export type ClaimOutcome =
  | { readonly kind: 'created' }
  | { readonly kind: 'present'; readonly claim: Stored<V1PersistentVolumeClaim> }
  /** A claim of that name exists that may not be taken over. */
  | NotUsable<'refused'>
  /** Something outside the operator is missing; the claim is made once it appears. */
  | NotUsable<'waiting'>
  /** The API server refused the claim, or the source can never be used. */
  | NotUsable<'failed'>;

export interface PrimaryInputs {
  readonly storageClass: ClassCheck;
  readonly placement: PlacementView;
  readonly source: SourceDecision;
  /** A FailoverGroup's promotion is rebinding the claim: the claim is not made here meanwhile. */
  readonly promoting?: boolean;
}

type NotYet = NotUsable<'refused' | 'waiting' | 'failed'>;

/** The primary's zone and the node that pins it there, or why there is none yet. */
function primaryPin(placement: PlacementView): { zone?: string; pinNode?: string } | NotYet {
  const zone = placement.primaryZone;
  if (zone === undefined) {
    if (placement.problems.length === 0) return {};
    return {
      kind: 'waiting',
      reason: reasons.NoZoneAvailable,
      message: 'no zone of spec.placement.zones has a Ready node',
    };
  }
  const pinNode = placement.pinNodeOf(zone);
  if (pinNode === undefined) {
    return {
      kind: 'waiting',
      reason: reasons.ZoneHasNoNodes,
      message: `zone ${zone} has no Ready node to provision in`,
    };
  }
  return { zone, pinNode };
}

/** A restore needs at least the snapshot's size; asking for less fails in the provisioner. */
export function claimSize(size: string, restoreSize: string | undefined): string {
  return restoreSize !== undefined && parseQuantity(restoreSize) > parseQuantity(size) ? restoreSize : size;
}

/** Why the claim cannot be created yet, or the plan to create it with. */
export function primaryPlan(
  vol: VolumeShape,
  inputs: PrimaryInputs,
): { readonly plan: ClaimPlan; readonly size: string } | NotYet {
  const cls = inputs.storageClass;
  if (cls.kind === 'missing') return { kind: 'waiting', reason: cls.reason, message: cls.message };
  const src = inputs.source;
  if (src.kind === 'wait') return { kind: 'waiting', reason: src.reason, message: src.message };
  if (src.kind === 'invalid') return { kind: 'failed', reason: src.reason, message: src.message };
  const pin = primaryPin(inputs.placement);
  if ('kind' in pin) return pin;
  const ready = src.kind === 'ready' ? src : undefined;
  const plan: ClaimPlan = {
    name: claimNameOf(vol),
    role: 'Primary',
    ...pin,
    ...(ready !== undefined ? { dataSource: ready.dataSource } : {}),
  };
  return { plan, size: claimSize(vol.spec.size, ready?.restoreSize) };
}

async function create(
  deps: { client: ApiWriter; recorder: Recorder },
  vol: StatefulVolume,
  inputs: PrimaryInputs,
): Promise<ClaimOutcome> {
  const planned = primaryPlan(vol, inputs);
  if ('kind' in planned) return planned;
  const desired = desiredClaim({ ...vol, spec: { ...vol.spec, size: planned.size } }, planned.plan);
  try {
    // desiredClaim sets no timestamps, so the model type is also the wire form.
    await deps.client.create(coreTypes.persistentVolumeClaim, desired as Stored<V1PersistentVolumeClaim>);
  } catch (err) {
    // The cache lags behind our own create: the next event brings the claim in.
    if (isAlreadyExists(err)) return { kind: 'created' };
    if (isQuotaExceeded(err))
      return { kind: 'failed', reason: reasons.QuotaExceeded, message: errorMessage(err) };
    if (isInvalid(err)) return { kind: 'failed', reason: reasons.ClaimInvalid, message: errorMessage(err) };
    throw err;
  }
  deps.recorder.normal(
    vol,
    reasons.ClaimCreated,
    `Created claim ${desired.metadata.name}${zoneText(planned.plan)}.`,
  );
  return { kind: 'created' };
}

function zoneText(plan: ClaimPlan): string {
  return plan.zone !== undefined ? ` in zone ${plan.zone}` : '';
}

/** Creates the claim when absent; takes over a matching one; reports a refusal otherwise. */
export async function ensureClaim(
  deps: { cache: CacheReader; client: ApiWriter; recorder: Recorder },
  vol: StatefulVolume,
  inputs: PrimaryInputs,
): Promise<ClaimOutcome> {
  const name = claimNameOf(vol);
  const type = coreTypes.persistentVolumeClaim;
  const existing = deps.cache.get<Stored<V1PersistentVolumeClaim>>(type, vol.metadata.namespace, name);
  if (existing === undefined) {
    if (inputs.promoting === true)
      return {
        kind: 'waiting',
        reason: reasons.Promoting,
        message: 'the claim is being rebound to a promoted volume; see status.promotion',
      };
    return create(deps, vol, inputs);
  }
  // The verdict reads no timestamps, so the wire form stands in for the model type.
  const verdict = adoptionVerdict(existing as V1PersistentVolumeClaim, vol);
  if (!verdict.adopt) return { kind: 'refused', reason: verdict.reason, message: verdict.message };
  if (!verdict.alreadyOwned) {
    const desired = desiredClaim(vol, { name, role: 'Primary' });
    await deps.client.patch(
      type,
      vol.metadata.namespace,
      name,
      {
        metadata: {
          resourceVersion: existing.metadata.resourceVersion,
          labels: { ...desired.metadata.labels },
          ownerReferences: [
            ...(existing.metadata.ownerReferences ?? []),
            ...(desired.metadata.ownerReferences ?? []),
          ],
        },
      },
      { type: 'merge' },
    );
    deps.recorder.normal(vol, reasons.ClaimAdopted, `Took over the existing claim ${name}.`);
  }
  return { kind: 'present', claim: existing };
}
