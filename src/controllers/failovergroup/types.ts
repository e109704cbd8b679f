import { failoverGroupResource } from '../../api/v1alpha1/types.generated.js';
import type { ResourceType } from '../../kube/resource.js';

export const failoverGroupType: ResourceType = { ...failoverGroupResource, namespaced: true };
