import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { Stored } from '../../kube/wire.js';

export { failoverGroupType } from '../kinds.js';

/** A claim and a PV as the group reads them, from the API server or the cache. */
export type Claim = Stored<V1PersistentVolumeClaim>;
export type Volume = Stored<V1PersistentVolume>;
