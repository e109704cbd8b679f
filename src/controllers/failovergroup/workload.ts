// The group's pods: those of its workload (by the workload's matchLabels).
import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { FailoverGroup } from '../../api/v1alpha1/types.generated.js';
import { coreTypes } from '../../kube/resource.js';
import type { Stored } from '../../kube/wire.js';
import type { CacheReader } from '../../runtime/capabilities.js';
import type { PodView } from '../../runtime/projections.js';

/** A Pod as the cache keeps it: no containers, only the claims it mounts. */
export type Pod = PodView;

/** The workload's matchLabels, or undefined when it does not exist (yet). */
export function workloadSelector(cache: CacheReader, fg: FailoverGroup): Record<string, string> | undefined {
  const ns = fg.metadata.namespace;
  const { kind, name } = fg.spec.workload;
  const type = kind === 'StatefulSet' ? coreTypes.statefulSet : coreTypes.deployment;
  const workload = cache.get<Stored<V1StatefulSet> | Stored<V1Deployment>>(type, ns, name);
  const labels = workload?.spec?.selector.matchLabels;
  return labels !== undefined && Object.keys(labels).length > 0 ? labels : undefined;
}

export function groupPods(cache: CacheReader, namespace: string, selector: Record<string, string>): Pod[] {
  return cache.list<Pod>(coreTypes.pod, namespace, (pod) =>
    Object.entries(selector).every(([k, v]) => pod.metadata.labels?.[k] === v),
  );
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Names of the claims the pods mount. */
export function claimsOf(pods: readonly Pod[]): Set<string> {
  const out = new Set<string>();
  for (const pod of pods)
    for (const v of pod.spec?.volumes ?? [])
      if (v.persistentVolumeClaim) out.add(v.persistentVolumeClaim.claimName);
  return out;
}

/**
 * The node a pod makes one of the group's: its spec.nodeName, but only once
 * something a tenant cannot write says the pod belongs there. A tenant may
 * create a pod with spec.nodeName set to any node (the scheduler is skipped);
 * counted blindly, that would let one namespace aim fencing at another's node.
 * The pod's status is wiped on create and written only through pods/status and
 * pods/binding: PodScheduled True is set when the scheduler binds the pod and
 * by the kubelet, startTime and containerStatuses only by the kubelet (or the
 * simulated one) that started it. A finished pod holds nothing on its node.
 */
export function boundNodeOf(pod: Pod): string | undefined {
  const node = pod.spec?.nodeName ?? '';
  if (node === '' || isFinished(pod)) return undefined;
  return wasScheduled(pod) || wasStarted(pod) ? node : undefined;
}

function isFinished(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

function wasScheduled(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'True') ?? false;
}

function wasStarted(pod: Pod): boolean {
  return pod.status?.startTime !== undefined || (pod.status?.containerStatuses ?? []).length > 0;
}
