// The StatefulVolume controller: its own kind, the claims it owns, and
// everything a volume waits for or follows (its class, its source, the nodes
// of its zones, the pod that mounts it). Each watch wakes only the volumes the
// changed object concerns.
import type { V1PersistentVolume } from '@kubernetes/client-node';
import type { FailoverGroup, StatefulVolume, VolumeBackup } from '../../api/v1alpha1/types.generated.js';
import type { OperatorConfig } from '../../config.js';
import { coreTypes } from '../../kube/resource.js';
import { objectKey, type KubeObject, type Stored } from '../../kube/wire.js';
import { ownerKeys, type WatchSpec } from '../../runtime/controller.js';
import type { Manager } from '../../runtime/manager.js';
import type { InformerEvent } from '../../runtime/informer.js';
import type { NodeView, PodView } from '../../runtime/projections.js';
import { failoverGroupType } from '../kinds.js';
import { claimNameOf } from './claim.js';
import { ProvisioningFailures } from './provisioning.js';
import { reconcileStatefulVolume } from './reconcile.js';
import { statefulVolumeType, volumeBackupType } from './types.js';

type Volumes = (namespace: string | undefined, match: (v: StatefulVolume) => boolean) => string[];

function claimWatches(volumes: Volumes, mgr: Manager): WatchSpec[] {
  const owners = ownerKeys(statefulVolumeType);
  // A claim wakes its owner, a volume waiting to adopt it, and volumes cloning from it.
  const byClaim = (ns: string | undefined, name: string): string[] =>
    volumes(ns, (v) => claimNameOf(v) === name || v.spec.source?.persistentVolumeClaimName === name);
  return [
    {
      type: coreTypes.persistentVolumeClaim,
      map: (obj: KubeObject) => [...owners(obj), ...byClaim(obj.metadata.namespace, obj.metadata.name ?? '')],
    },
    // A PV's node affinity is where a claim's zone is read from.
    {
      type: coreTypes.persistentVolume,
      map: (obj: KubeObject) => {
        const ref = (obj as Stored<V1PersistentVolume>).spec?.claimRef;
        if (ref?.name === undefined) return [];
        const claim = mgr.cache.get(coreTypes.persistentVolumeClaim, ref.namespace, ref.name);
        return claim !== undefined ? owners(claim) : [];
      },
    },
    {
      type: coreTypes.pod,
      map: (obj: KubeObject) => {
        const mounted = new Set(
          ((obj as PodView).spec?.volumes ?? []).flatMap((v) => v.persistentVolumeClaim?.claimName ?? []),
        );
        return mounted.size === 0 ? [] : volumes(obj.metadata.namespace, (v) => mounted.has(claimNameOf(v)));
      },
    },
  ];
}

function sourceWatches(volumes: Volumes): WatchSpec[] {
  return [
    // A backup wakes its volume (standbys follow the newest) and volumes restoring from it.
    {
      type: volumeBackupType,
      map: (obj: KubeObject) => {
        const b = obj as VolumeBackup;
        return volumes(
          obj.metadata.namespace,
          (v) => v.metadata.name === b.spec.volumeName || v.spec.source?.volumeBackupName === b.metadata.name,
        );
      },
    },
    {
      type: coreTypes.volumeSnapshot,
      map: (obj: KubeObject) =>
        volumes(obj.metadata.namespace, (v) => v.spec.source?.volumeSnapshotName === obj.metadata.name),
    },
  ];
}

/**
 * A FailoverGroup records its promotions in its status; the volumes it names
 * there carry them out, and the volumes that follow one of its records look
 * again when it changes (or goes).
 */
function promotionWatches(volumes: Volumes): WatchSpec[] {
  return [
    {
      type: failoverGroupType,
      map: (obj: KubeObject) => {
        const fg = obj as FailoverGroup;
        const named = new Set((fg.status?.promotions ?? []).map((p) => p.volume.name));
        return volumes(
          obj.metadata.namespace,
          (v) => named.has(v.metadata.name ?? '') || v.status?.promotion?.group.uid === obj.metadata.uid,
        );
      },
    },
  ];
}

function readyOf(node: NodeView): string | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

const labelsOf = (node: NodeView): string =>
  JSON.stringify(Object.entries(node.metadata.labels ?? {}).sort(([a], [b]) => a.localeCompare(b)));

/**
 * What a volume reads from a node is its zone label and whether it is Ready.
 * Heartbeats change neither, and would otherwise wake every unsettled volume
 * each time a kubelet reports.
 */
export function nodeMatters(event: InformerEvent, obj: KubeObject, old?: KubeObject): boolean {
  if (event !== 'update' || old === undefined) return true;
  const [now, before] = [obj as NodeView, old as NodeView];
  return readyOf(now) !== readyOf(before) || labelsOf(now) !== labelsOf(before);
}

function clusterWatches(volumes: Volumes): WatchSpec[] {
  const unsettled = (v: StatefulVolume): boolean => v.status?.phase !== 'Ready';
  return [
    // A class that appears or changes unblocks the volumes that use it.
    {
      type: coreTypes.storageClass,
      map: (obj: KubeObject) =>
        volumes(
          undefined,
          (v) => unsettled(v) && (v.spec.storageClassName ?? obj.metadata.name) === obj.metadata.name,
        ),
    },
    // A node matters to the volume attached on it, and to volumes still waiting for a zone.
    {
      type: coreTypes.node,
      filter: nodeMatters,
      map: (obj: KubeObject) =>
        volumes(undefined, (v) => v.status?.attachment?.node === obj.metadata.name || unsettled(v)),
    },
  ];
}

export function registerStatefulVolume(mgr: Manager, config: Pick<OperatorConfig, 'concurrency'>): void {
  const volumes: Volumes = (namespace, match) =>
    mgr.cache.list<StatefulVolume>(statefulVolumeType, namespace, match).map(objectKey);
  const failures = new ProvisioningFailures();
  mgr.add({
    name: 'statefulvolume',
    forType: statefulVolumeType,
    watches: [
      ...claimWatches(volumes, mgr),
      ...sourceWatches(volumes),
      ...clusterWatches(volumes),
      ...promotionWatches(volumes),
    ],
    concurrency: config.concurrency,
    reconcile: (req) => reconcileStatefulVolume(mgr, req, failures),
  });
}
