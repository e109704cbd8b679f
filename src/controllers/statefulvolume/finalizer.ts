// Step: the claim-protection finalizer. On deletion the primary claim is
// released (Retain: owner reference removed, released label set) or deleted
// (Delete) before the finalizer goes, so a failure here is retried, never lost.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { StatefulVolume } from '../../api/v1alpha1/types.generated.js';
import { errorMessage, isNotFound } from '../../kube/errors.js';
import { labelValue } from '../../kube/names.js';
import { coreTypes } from '../../kube/resource.js';
import type { Stored } from '../../kube/wire.js';
import { addFinalizer, removeFinalizer } from '../../runtime/finalizers.js';
import type { Manager } from '../../runtime/manager.js';
import { claimNameOf, labels } from './claim.js';
import { standbyClaimsOf } from './place.js';
import { statefulVolumeType } from './types.js';

export const claimProtection = 'storage.stateful.dev/claim-protection';

export async function ensureFinalizer(mgr: Manager, vol: StatefulVolume): Promise<StatefulVolume> {
  const next = await addFinalizer(mgr.client, statefulVolumeType, vol, claimProtection);
  if (next !== vol) mgr.cache.written(statefulVolumeType, vol, next);
  return next;
}

async function releaseClaim(
  mgr: Manager,
  vol: StatefulVolume,
  claim: Stored<V1PersistentVolumeClaim>,
): Promise<void> {
  const type = coreTypes.persistentVolumeClaim;
  const name = claim.metadata.name ?? '';
  if (vol.spec.reclaimPolicy === 'Delete') {
    await mgr.client.delete(type, claim.metadata.namespace, name, { preconditionUid: claim.metadata.uid });
    mgr.recorder.normal(vol, 'ClaimDeleted', `Deleted claim ${name} (reclaimPolicy Delete).`);
    return;
  }
  const others = (claim.metadata.ownerReferences ?? []).filter((o) => o.uid !== vol.metadata.uid);
  await mgr.client.patch(type, claim.metadata.namespace, name, {
    metadata: {
      resourceVersion: claim.metadata.resourceVersion,
      ownerReferences: others.length > 0 ? others : null,
      labels: { [labels.released]: labelValue(vol.metadata.name ?? '') },
    },
  });
  mgr.recorder.normal(vol, 'ClaimReleased', `Kept claim ${name} and its data (reclaimPolicy Retain).`);
}

function ownedClaims(mgr: Manager, vol: StatefulVolume): Stored<V1PersistentVolumeClaim>[] {
  const primary = mgr.cache.get<Stored<V1PersistentVolumeClaim>>(
    coreTypes.persistentVolumeClaim,
    vol.metadata.namespace,
    claimNameOf(vol),
  );
  const owned = primary?.metadata.ownerReferences?.some((o) => o.uid === vol.metadata.uid) === true;
  return [...(primary !== undefined && owned ? [primary] : []), ...standbyClaimsOf(mgr, vol)];
}

/** Releases or deletes the owned claims (primary and standbys), then removes the finalizer. */
export async function finalize(mgr: Manager, vol: StatefulVolume): Promise<void> {
  try {
    for (const claim of ownedClaims(mgr, vol)) await releaseClaim(mgr, vol, claim);
    await removeFinalizer(mgr.client, statefulVolumeType, vol, claimProtection);
  } catch (err) {
    if (isNotFound(err)) return;
    mgr.recorder.warning(
      vol,
      'FinalizerFailed',
      `Could not release the claims: ${errorMessage(err)}; retrying.`,
    );
    throw err;
  }
}
