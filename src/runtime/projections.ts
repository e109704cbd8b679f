// What the cache keeps of the types it holds cluster-wide but reads little
// of. A cluster's Pods and Nodes are most of what the operator would
// otherwise keep: a Pod's containers, env and service-account volumes, a
// Node's image list, capacity and nodeInfo are several KiB each and no
// reconciler reads them. The informer projects every listed and watched
// object before storing it and before any handler sees it, so the full
// object is garbage as soon as it is decoded.
//
// The projected types list exactly what is kept: code that reads a dropped
// field does not compile. Nothing writes a projected object back (Nodes are
// only patched with the fields below, Pods only deleted); an update() of one
// would erase what was dropped.
import type {
  V1ContainerStatus,
  V1NodeCondition,
  V1NodeSpec,
  V1PodCondition,
  V1PodSpec,
  V1PodStatus,
  V1Volume,
} from '@kubernetes/client-node';
import { resourceName, type ResourceType } from '../kube/resource.js';
import type { KubeObject, ObjectMeta, Wire } from '../kube/wire.js';

/**
 * A Node as cached: metadata (labels for zones and fencing selectors,
 * annotations for the fencing record and shutdown confirmations), the taints
 * and unschedulable flag, and the conditions without their heartbeat time, so
 * a status report that changes nothing else changes nothing here.
 */
export interface NodeView extends KubeObject {
  spec?: Pick<Wire<V1NodeSpec>, 'taints' | 'unschedulable'>;
  status?: { conditions?: Omit<Wire<V1NodeCondition>, 'lastHeartbeatTime'>[] };
}

/**
 * A Pod as cached: metadata without annotations, the node it runs on, the
 * claims it mounts, and the status fields that say whether it was scheduled
 * or started there and whether it is Ready. Container statuses keep only
 * their names: their presence is what says the kubelet started the pod.
 */
export interface PodView extends KubeObject {
  spec?: Pick<Wire<V1PodSpec>, 'nodeName'> & {
    /** Claims only: a persistentVolumeClaim source, or a generic ephemeral volume (template dropped). */
    volumes?: (Pick<Wire<V1Volume>, 'name' | 'persistentVolumeClaim'> & {
      ephemeral?: Record<string, never>;
    })[];
  };
  status?: Pick<Wire<V1PodStatus>, 'phase' | 'startTime'> & {
    conditions?: Pick<Wire<V1PodCondition>, 'type' | 'status' | 'lastTransitionTime'>[];
    containerStatuses?: Pick<Wire<V1ContainerStatus>, 'name'>[];
  };
}

export type Projection = (obj: KubeObject) => KubeObject;

/** Metadata without managedFields (and without annotations when told): what every cached object keeps. */
function leanMeta(meta: ObjectMeta, keepAnnotations = true): ObjectMeta {
  const { managedFields: _fields, annotations, ...rest } = meta;
  return keepAnnotations && annotations !== undefined ? { ...rest, annotations } : rest;
}

/** Only metadata.managedFields dropped: for types whose objects the operator writes back or reads whole. */
export function dropManagedFields(obj: KubeObject): KubeObject {
  delete obj.metadata.managedFields;
  return obj;
}

export function projectNode(obj: KubeObject): NodeView {
  const full = obj as KubeObject & {
    spec?: Wire<V1NodeSpec>;
    status?: { conditions?: Wire<V1NodeCondition>[] };
  };
  const out: NodeView = { metadata: leanMeta(obj.metadata) };
  if (obj.apiVersion !== undefined) out.apiVersion = obj.apiVersion;
  if (obj.kind !== undefined) out.kind = obj.kind;
  const { taints, unschedulable } = full.spec ?? {};
  if (full.spec !== undefined)
    out.spec = {
      ...(taints !== undefined ? { taints } : {}),
      ...(unschedulable !== undefined ? { unschedulable } : {}),
    };
  const conditions = full.status?.conditions;
  if (full.status !== undefined)
    out.status =
      conditions === undefined
        ? {}
        : { conditions: conditions.map(({ lastHeartbeatTime: _beat, ...kept }) => kept) };
  return out;
}

/** A volume that is a claim, reduced to what names it; nothing for any other volume. */
function claimVolume(v: Wire<V1Volume>): NonNullable<NonNullable<PodView['spec']>['volumes']> {
  if (v.persistentVolumeClaim !== undefined)
    return [{ name: v.name, persistentVolumeClaim: v.persistentVolumeClaim }];
  // The claim of a generic ephemeral volume is named after the pod and the volume.
  if (v.ephemeral !== undefined) return [{ name: v.name, ephemeral: {} }];
  return [];
}

export function projectPod(obj: KubeObject): PodView {
  const full = obj as KubeObject & { spec?: Wire<V1PodSpec>; status?: Wire<V1PodStatus> };
  const out: PodView = { metadata: leanMeta(obj.metadata, false) };
  if (obj.apiVersion !== undefined) out.apiVersion = obj.apiVersion;
  if (obj.kind !== undefined) out.kind = obj.kind;
  if (full.spec !== undefined) {
    const claims = (full.spec.volumes ?? []).flatMap(claimVolume);
    out.spec = {
      ...(full.spec.nodeName !== undefined ? { nodeName: full.spec.nodeName } : {}),
      ...(claims.length > 0 ? { volumes: claims } : {}),
    };
  }
  const status = full.status;
  if (status !== undefined)
    out.status = {
      ...(status.phase !== undefined ? { phase: status.phase } : {}),
      ...(status.startTime !== undefined ? { startTime: status.startTime } : {}),
      ...(status.conditions !== undefined
        ? {
            conditions: status.conditions.map(({ type, status: s, lastTransitionTime }) => ({
              type,
              status: s,
              ...(lastTransitionTime !== undefined ? { lastTransitionTime } : {}),
            })),
          }
        : {}),
      ...(status.containerStatuses !== undefined
        ? { containerStatuses: status.containerStatuses.map(({ name }) => ({ name })) }
        : {}),
    };
  return out;
}

const byResource: ReadonlyMap<string, Projection> = new Map<string, Projection>([
  ['nodes', projectNode],
  ['pods', projectPod],
]);

/** The projection the cache applies to objects of a type: managedFields dropped at least. */
export function projectionFor(type: ResourceType): Projection {
  return byResource.get(resourceName(type)) ?? dropManagedFields;
}
