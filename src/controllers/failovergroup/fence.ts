// Fencing one failed node for one group, and undoing it. Every write is
// limited to what the group owns: its pods on that node and the attachments
// of their volumes; the node itself only gets (and loses) our taint.
import type { V1PersistentVolumeClaim, V1Taint, V1VolumeAttachment } from '@kubernetes/client-node';
import { annotations } from '../../api/v1alpha1/vocabulary.js';
import { coreTypes } from '../../kube/resource.js';
import type { Stored, Wire } from '../../kube/wire.js';
import type { ApiWriter, CacheReader } from '../../runtime/capabilities.js';
import type { NodeView } from '../../runtime/projections.js';
import { cacheLookup, type AttachmentLookup } from './attached.js';
import { claimsOf, type Pod } from './workload.js';

/** A Node as the cache keeps it: labels, annotations, taints and conditions only. */
export type Node = NodeView;

/** The taint that tells Kubernetes a node is gone for good (non-graceful node shutdown). */
export const outOfServiceTaint: Wire<V1Taint> = {
  key: 'node.kubernetes.io/out-of-service',
  value: 'nodeshutdown',
  effect: 'NoExecute',
};

export function isTainted(node: Node): boolean {
  return node.spec?.taints?.some((t) => t.key === outOfServiceTaint.key) ?? false;
}

/** The node carries the out-of-service taint and this group (namespace/name) added it. */
export function isFencedBy(node: Node, owner: string): boolean {
  return node.metadata.annotations?.[annotations.fencedBy] === owner && isTainted(node);
}

export function isNodeReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Taints the node; the resourceVersion read makes a concurrent taint change a conflict, not a loss. */
export async function taintNode(client: ApiWriter, node: Node, owner: string): Promise<void> {
  if (isTainted(node)) return;
  await client.patch(coreTypes.node, undefined, node.metadata.name ?? '', {
    metadata: {
      resourceVersion: node.metadata.resourceVersion,
      annotations: { [annotations.fencedBy]: owner },
    },
    spec: { taints: [...(node.spec?.taints ?? []), outOfServiceTaint] },
  });
}

export async function untaintNode(client: ApiWriter, node: Node): Promise<void> {
  await client.patch(coreTypes.node, undefined, node.metadata.name ?? '', {
    metadata: {
      resourceVersion: node.metadata.resourceVersion,
      annotations: { [annotations.fencedBy]: null },
    },
    spec: { taints: (node.spec?.taints ?? []).filter((t) => t.key !== outOfServiceTaint.key) },
  });
}

/** Force-deletes the group's pods on the node: its kubelet is gone and will never confirm. */
export async function evictPods(client: ApiWriter, pods: readonly Pod[]): Promise<number> {
  for (const pod of pods) {
    await client.delete(coreTypes.pod, pod.metadata.namespace, pod.metadata.name ?? '', {
      gracePeriodSeconds: 0,
      ...(pod.metadata.uid !== undefined ? { preconditionUid: pod.metadata.uid } : {}),
    });
  }
  return pods.length;
}

/**
 * The volumes of these claims whose binding both sides confirm: the claim is
 * Bound, and its PersistentVolume's claimRef names this claim by UID and
 * namespace. A claim's spec.volumeName alone is what its author wrote (a
 * tenant may name any volume there), so it never chooses which attachment is
 * deleted. Pure.
 */
export function verifiedVolumes(
  lookup: Pick<AttachmentLookup, 'claim' | 'volume'>,
  namespace: string,
  claims: Iterable<string>,
): Set<string> {
  const out = new Set<string>();
  for (const name of claims) {
    const volume = verifiedVolume(lookup, namespace, name);
    if (volume !== undefined) out.add(volume);
  }
  return out;
}

/** A Bound claim's volume and UID, as the claim states them. */
function boundTo(
  claim: Stored<V1PersistentVolumeClaim> | undefined,
): { volume: string; uid: string } | undefined {
  if (claim?.status?.phase !== 'Bound') return undefined;
  const volume = claim.spec?.volumeName ?? '';
  const uid = claim.metadata.uid ?? '';
  return volume === '' || uid === '' ? undefined : { volume, uid };
}

function verifiedVolume(
  lookup: Pick<AttachmentLookup, 'claim' | 'volume'>,
  namespace: string,
  name: string,
): string | undefined {
  const bound = boundTo(lookup.claim(namespace, name));
  if (bound === undefined) return undefined;
  const ref = lookup.volume(bound.volume)?.spec?.claimRef;
  return ref?.uid === bound.uid && ref.namespace === namespace ? bound.volume : undefined;
}

/** Deletes the attachments of the pods' verified volumes to the node, so they can attach elsewhere. */
export async function detachVolumes(
  client: ApiWriter,
  cache: CacheReader,
  node: string,
  pods: readonly Pod[],
): Promise<number> {
  const namespace = pods[0]?.metadata.namespace ?? '';
  const volumes = verifiedVolumes(cacheLookup(cache), namespace, claimsOf(pods));
  const stale = cache.list<Stored<V1VolumeAttachment>>(
    coreTypes.volumeAttachment,
    undefined,
    (va) => va.spec.nodeName === node && volumes.has(va.spec.source.persistentVolumeName ?? ''),
  );
  for (const va of stale) await client.delete(coreTypes.volumeAttachment, undefined, va.metadata.name ?? '');
  return stale.length;
}
