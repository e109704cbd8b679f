// Step: the primary claim exists, created by us or adopted when it matches.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { StatefulVolume } from '../../api/v1alpha1/types.generated.js';
import { isAlreadyExists } from '../../kube/errors.js';
import { coreTypes } from '../../kube/resource.js';
import type { Stored } from '../../kube/wire.js';
import type { Manager } from '../../runtime/manager.js';
import { adoptionVerdict, claimNameOf, desiredClaim } from './claim.js';

export type ClaimOutcome =
  | { readonly kind: 'created' }
  | { readonly kind: 'present'; readonly claim: Stored<V1PersistentVolumeClaim> }
  | { readonly kind: 'refused'; readonly reason: string; readonly message: string };

/** Creates the claim when absent; takes over a matching one; reports a refusal otherwise. */
export async function ensureClaim(mgr: Manager, vol: StatefulVolume): Promise<ClaimOutcome> {
  const name = claimNameOf(vol);
  const type = coreTypes.persistentVolumeClaim;
  const existing = mgr.cache.get<Stored<V1PersistentVolumeClaim>>(type, vol.metadata.namespace, name);
  const desired = desiredClaim(vol, { name, role: 'Primary' });
  if (existing === undefined) {
    try {
      // desiredClaim sets no timestamps, so the model type is also the wire form.
      await mgr.client.create(type, desired as Stored<V1PersistentVolumeClaim>);
    } catch (err) {
      // The cache lags behind our own create: the next event brings the claim in.
      if (!isAlreadyExists(err)) throw err;
    }
    return { kind: 'created' };
  }
  // The verdict reads no timestamps, so the wire form stands in for the model type.
  const verdict = adoptionVerdict(existing as V1PersistentVolumeClaim, vol);
  if (!verdict.adopt) return { kind: 'refused', reason: verdict.reason, message: verdict.message };
  if (!verdict.alreadyOwned) {
    await mgr.client.patch(
      type,
      vol.metadata.namespace,
      name,
      {
        metadata: {
          labels: { ...desired.metadata.labels },
          ownerReferences: [
            ...(existing.metadata.ownerReferences ?? []),
            ...(desired.metadata.ownerReferences ?? []),
          ],
        },
      },
      { type: 'merge' },
    );
  }
  return { kind: 'present', claim: existing };
}
