// Where the operator's own kinds live on the API server, for the runtime's
// cache and client. One definition each, shared by every controller that reads
// them; the cache keeps one informer per type either way.
import {
  failoverGroupResource,
  statefulVolumeResource,
  volumeBackupPolicyResource,
  volumeBackupResource,
} from '../api/v1alpha1/types.generated.js';
import type { ResourceType } from '../kube/resource.js';

export const statefulVolumeType: ResourceType = { ...statefulVolumeResource, namespaced: true };
export const volumeBackupType: ResourceType = { ...volumeBackupResource, namespaced: true };
export const volumeBackupPolicyType: ResourceType = { ...volumeBackupPolicyResource, namespaced: true };
export const failoverGroupType: ResourceType = { ...failoverGroupResource, namespaced: true };
