// Step: the claim-protection finalizer. On deletion the primary claim is
// released (Retain: owner reference removed, released label set) or deleted
// (Delete) before the finalizer goes, so a failure here is retried, never lost.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { statefulVolumeReasons as reasons } from '../../api/v1alpha1/reasons.js';
import type { StatefulVolume } from '../../api/v1alpha1/types.generated.js';
import { errorMessage, isNotFound } from '../../kube/errors.js';
import { labelValue } from '../../kube/names.js';
import { coreTypes } from '../../kube/resource.js';
import type { Stored } from '../../kube/wire.js';
import type { ApiWriter, CacheReader, CacheWriter, Recorder } from '../../runtime/capabilities.js';
import { addFinalizer, removeFinalizer } from '../../runtime/finalizers.js';
import { finalizers, labels } from '../../api/v1alpha1/vocabulary.js';
import { claimNameOf } from './claim.js';
import { standbyClaimsOf } from './place.js';
import { statefulVolumeType } from './types.js';

export async function ensureFinalizer(
  deps: { client: ApiWriter; cache: CacheWriter },
  vol: StatefulVolume,
): Promise<StatefulVolume> {
  return addFinalizer(deps.client, statefulVolumeType, vol, finalizers.claimProtection, deps.cache);
}

async function releaseClaim(
  deps: { client: ApiWriter; recorder: Recorder },
  vol: StatefulVolume,
  claim: Stored<V1PersistentVolumeClaim>,
): Promise<void> {
  const type = coreTypes.persistentVolumeClaim;
  const name = claim.metadata.name ?? '';
  if (vol.spec.reclaimPolicy === 'Delete') {
    await deps.client.delete(type, claim.metadata.namespace, name, { preconditionUid: claim.metadata.uid });
    deps.recorder.normal(vol, reasons.ClaimDeleted, `Deleted claim ${name} (reclaimPolicy Delete).`);
    return;
  }
  const others = (claim.metadata.ownerReferences ?? []).filter((o) => o.uid !== vol.metadata.uid);
  await deps.client.patch(type, claim.metadata.namespace, name, {
    metadata: {
      resourceVersion: claim.metadata.resourceVersion,
      ownerReferences: others.length > 0 ? others : null,
      labels: { [labels.released]: labelValue(vol.metadata.name ?? '') },
    },
  });
  deps.recorder.normal(vol, reasons.ClaimReleased, `Kept claim ${name} and its data (reclaimPolicy Retain).`);
}

function ownedClaims(deps: { cache: CacheReader }, vol: StatefulVolume): Stored<V1PersistentVolumeClaim>[] {
  const primary = deps.cache.get<Stored<V1PersistentVolumeClaim>>(
    coreTypes.persistentVolumeClaim,
    vol.metadata.namespace,
    claimNameOf(vol),
  );
  const owned = primary?.metadata.ownerReferences?.some((o) => o.uid === vol.metadata.uid) === true;
  return [...(primary !== undefined && owned ? [primary] : []), ...standbyClaimsOf(deps, vol)];
}

/** Releases or deletes the owned claims (primary and standbys), then removes the finalizer. */
export async function finalize(
  deps: { cache: CacheReader; client: ApiWriter; recorder: Recorder },
  vol: StatefulVolume,
): Promise<void> {
  try {
    for (const claim of ownedClaims(deps, vol)) await releaseClaim(deps, vol, claim);
    await removeFinalizer(deps.client, statefulVolumeType, vol, finalizers.claimProtection);
  } catch (err) {
    if (isNotFound(err)) return;
    deps.recorder.warning(
      vol,
      reasons.FinalizerFailed,
      `Could not release the claims: ${errorMessage(err)}; retrying.`,
    );
    throw err;
  }
}
