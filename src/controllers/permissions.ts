// Every API permission the controllers use, and nothing more. The generator
// renders these lists as config/rbac and as the chart's RBAC, so a controller
// that needs a new verb changes this file and nowhere else. No wildcards and no
// secrets: a storage operator has no reason to read credentials.

/** One RBAC rule, shaped like rbac.authorization.k8s.io/v1 PolicyRule. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

const ownGroup = 'storage.stateful.dev';
const ownKinds = ['statefulvolumes', 'volumebackuppolicies', 'volumebackups', 'failovergroups'];
/** What an informer needs: the cache never asks for a single object. */
const cached = ['list', 'watch'];

/**
 * Cluster-scoped resources, and the namespaced ones that must be visible
 * cluster-wide. Always granted through a ClusterRole.
 */
export const clusterRules: readonly PolicyRule[] = [
  // Failover fences a dead node with the out-of-service taint; placement reads zones from node labels.
  { apiGroups: [''], resources: ['nodes'], verbs: [...cached, 'patch'] },
  // A claim's zone and reclaim policy live on its bound PersistentVolume. Promotion reads the volume
  // afresh and patches its reclaim policy and claimRef to hand it to the promoted claim; never more.
  { apiGroups: [''], resources: ['persistentvolumes'], verbs: [...cached, 'get', 'patch'] },
  // A missing StorageClass or one that cannot expand is reported as a condition before a claim is made.
  { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: cached },
  // A failover is over when the volumes are attached to the new nodes; drivers that need no attach say so here.
  { apiGroups: ['storage.k8s.io'], resources: ['csidrivers'], verbs: cached },
  // Fencing deletes the stale attachment a dead node still holds so the volume can attach elsewhere.
  { apiGroups: ['storage.k8s.io'], resources: ['volumeattachments'], verbs: [...cached, 'delete'] },
  // A missing VolumeSnapshotClass becomes a condition on the policy or backup, not a failed snapshot.
  { apiGroups: ['snapshot.storage.k8s.io'], resources: ['volumesnapshotclasses'], verbs: cached },

  // /metrics names every tenant's namespaces, volumes and policies: each scrape's bearer token is checked
  // with a TokenReview, and its user's right to get /metrics with a SubjectAccessReview.
  { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
  { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
];

/**
 * Namespaced resources: a Role in each watched namespace, or part of the
 * ClusterRole when the operator watches all namespaces.
 */
export const namespacedRules: readonly PolicyRule[] = [
  // Reconcile the four kinds from the cache.
  { apiGroups: [ownGroup], resources: ownKinds, verbs: cached },
  // Read afresh where the cache may lag: a policy's volumes, a backup by its run's name, a promotion's volume,
  // and the group whose status records a promotion, before a volume follows it.
  {
    apiGroups: [ownGroup],
    resources: ['statefulvolumes', 'volumebackuppolicies', 'volumebackups', 'failovergroups'],
    verbs: ['get'],
  },
  // Patches add and remove the operator's finalizer and record a promotion's or a switch's progress.
  {
    apiGroups: [ownGroup],
    resources: ['statefulvolumes', 'volumebackups', 'failovergroups'],
    verbs: ['patch'],
  },
  // Status is written through its subresource, so it is the only part of the object the operator owns.
  { apiGroups: [ownGroup], resources: ownKinds.map((k) => `${k}/status`), verbs: ['update'] },
  // A VolumeBackupPolicy creates a backup per run and deletes those its retention no longer keeps.
  { apiGroups: [ownGroup], resources: ['volumebackups'], verbs: ['create', 'delete'] },
  // With OwnerReferencesPermissionEnforcement, blockOwnerDeletion on owned objects needs this: claims
  // (StatefulVolume, FailoverGroup) and snapshots (VolumeBackup). No client call; the admission asks.
  {
    apiGroups: [ownGroup],
    resources: ['statefulvolumes/finalizers', 'volumebackups/finalizers', 'failovergroups/finalizers'],
    verbs: ['update'],
  },
  // A StatefulVolume creates, adopts, expands and (reclaimPolicy Delete only) deletes its claims.
  {
    apiGroups: [''],
    resources: ['persistentvolumeclaims'],
    verbs: [...cached, 'get', 'create', 'patch', 'delete'],
  },
  // Attachment follows the pod that mounts a claim; failover evicts pods stuck on a fenced node.
  { apiGroups: [''], resources: ['pods'], verbs: [...cached, 'delete'] },
  // Every decision the operator takes is recorded as an Event on the object it concerns. A claim left Pending
  // has its ProvisioningFailed Events listed (filtered by the claim's uid) to say why the provisioner refuses it.
  { apiGroups: [''], resources: ['events'], verbs: ['list', 'create', 'patch'] },
  // Backups are CSI VolumeSnapshots the operator creates and deletes when retention says so.
  {
    apiGroups: ['snapshot.storage.k8s.io'],
    resources: ['volumesnapshots'],
    verbs: [...cached, 'get', 'create', 'delete'],
  },
  // A FailoverGroup's workload is a StatefulSet whose pods and claims it follows; it is never modified.
  { apiGroups: ['apps'], resources: ['statefulsets', 'deployments'], verbs: cached },
];

/** Granted by a Role in the operator's own namespace only. */
export const leaderElectionRules: readonly PolicyRule[] = [
  // One replica leads at a time by holding a Lease; the others wait to take it over.
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

/** The namespace where kubelets renew their node Leases. */
export const nodeLeaseNamespace = 'kube-node-lease';

/** Granted by a Role in kube-node-lease only: no other Lease in the cluster is the operator's business. */
export const nodeLeaseRules: readonly PolicyRule[] = [
  // Node heartbeats: a node is failed only when its Lease stops being renewed.
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: cached },
];
