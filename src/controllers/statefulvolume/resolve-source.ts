// Step: what the cache holds for the volume's source, handed to decideSource.
// Sources are looked up in the volume's own namespace only, so one namespace
// can never restore another namespace's data.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { StatefulVolume, VolumeBackup } from '../../api/v1alpha1/types.generated.js';
import { coreTypes, type ResourceType } from '../../kube/resource.js';
import type { KubeObject, Stored } from '../../kube/wire.js';
import type { CacheReader } from '../../runtime/capabilities.js';
import { claimNameOf } from './claim.js';
import { decideSource, type SourceDecision, type SourceLookup } from './source.js';
import { volumeBackupType } from './types.js';

interface StoredSnapshot extends KubeObject {
  status?: { readyToUse?: boolean; restoreSize?: string; error?: { message?: string } };
}

function snapshotLookup(s: StoredSnapshot): NonNullable<SourceLookup['snapshot']> {
  const st = s.status;
  return {
    ...(st?.readyToUse !== undefined ? { readyToUse: st.readyToUse } : {}),
    ...(st?.restoreSize !== undefined ? { restoreSize: st.restoreSize } : {}),
    ...(st?.error?.message !== undefined ? { error: st.error.message } : {}),
  };
}

function claimLookup(c: Stored<V1PersistentVolumeClaim>): NonNullable<SourceLookup['claim']> {
  return {
    ...(c.status?.phase !== undefined ? { phase: c.status.phase } : {}),
    ...(c.spec?.storageClassName !== undefined ? { storageClassName: c.spec.storageClassName } : {}),
  };
}

function lookup(deps: { cache: CacheReader }, vol: StatefulVolume): SourceLookup {
  const ns = vol.metadata.namespace;
  const src = vol.spec.source ?? {};
  const get = (type: ResourceType, name: string | undefined): KubeObject | undefined =>
    name === undefined ? undefined : deps.cache.get(type, ns, name);
  const backup = get(volumeBackupType, src.volumeBackupName) as VolumeBackup | undefined;
  const snapshot = get(coreTypes.volumeSnapshot, src.volumeSnapshotName);
  const claim = get(coreTypes.persistentVolumeClaim, src.persistentVolumeClaimName);
  return {
    ...(backup !== undefined ? { backup: { ...backup.status } } : {}),
    ...(snapshot !== undefined ? { snapshot: snapshotLookup(snapshot) } : {}),
    ...(claim !== undefined ? { claim: claimLookup(claim) } : {}),
  };
}

export function resolveSource(deps: { cache: CacheReader }, vol: StatefulVolume): SourceDecision {
  return decideSource(vol.spec.source, lookup(deps, vol), claimNameOf(vol));
}
