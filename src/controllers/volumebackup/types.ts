// Where the kinds this controller reads and writes live on the API server, and
// the shape of the CSI snapshot objects it handles (external-snapshotter's
// snapshot.storage.k8s.io/v1; client-node has no models for them).
import { coreTypes, type ResourceType } from '../../kube/resource.js';
import type { KubeObject } from '../../kube/wire.js';

export { statefulVolumeType, volumeBackupPolicyType, volumeBackupType } from '../kinds.js';

export const volumeSnapshotType: ResourceType = coreTypes.volumeSnapshot;

export const volumeSnapshotClassType: ResourceType = {
  group: 'snapshot.storage.k8s.io',
  version: 'v1',
  kind: 'VolumeSnapshotClass',
  plural: 'volumesnapshotclasses',
  namespaced: false,
};

export const snapshotApiGroup = 'snapshot.storage.k8s.io';

/** A VolumeSnapshot as the API server sends it, reduced to the fields the operator uses. */
export interface VolumeSnapshot extends KubeObject {
  spec: {
    source: { persistentVolumeClaimName?: string; volumeSnapshotContentName?: string };
    volumeSnapshotClassName?: string;
  };
  status?: {
    readyToUse?: boolean;
    restoreSize?: string;
    creationTime?: string;
    boundVolumeSnapshotContentName?: string;
    error?: { message?: string; time?: string };
  };
}

/** A VolumeSnapshotClass; only its existence matters here. */
export interface VolumeSnapshotClass extends KubeObject {
  driver?: string;
  deletionPolicy?: string;
}
