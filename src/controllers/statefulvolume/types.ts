// Where StatefulVolumes live on the API server, for the runtime's cache and client.
import { statefulVolumeResource } from '../../api/v1alpha1/types.generated.js';
import type { ResourceType } from '../../kube/resource.js';

export const statefulVolumeType: ResourceType = {
  group: statefulVolumeResource.group,
  version: statefulVolumeResource.version,
  kind: statefulVolumeResource.kind,
  plural: statefulVolumeResource.plural,
  namespaced: true,
};
