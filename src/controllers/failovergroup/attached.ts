// Are the group's volumes attached where its pods now run? A pod that is
// Running elsewhere is not yet recovered: its volume must have followed it,
// which the attach/detach controller reports as a VolumeAttachment for the
// volume and the pod's node with status.attached. A CSI driver that declares
// attachRequired: false never gets one, so its volumes count as attached.
import type {
  V1CSIDriver,
  V1PersistentVolume,
  V1PersistentVolumeClaim,
  V1VolumeAttachment,
} from '@kubernetes/client-node';
import { coreTypes } from '../../kube/resource.js';
import type { Stored } from '../../kube/wire.js';
import type { CacheReader } from '../../runtime/capabilities.js';
import type { Pod } from './workload.js';

/** What the answer reads; the cache in the controller, plain maps in tests. */
export interface AttachmentLookup {
  claim(namespace: string, name: string): Stored<V1PersistentVolumeClaim> | undefined;
  volume(name: string): Stored<V1PersistentVolume> | undefined;
  driver(name: string): Stored<V1CSIDriver> | undefined;
  /** Attachments of a PersistentVolume, on any node. */
  attachments(volume: string): readonly Stored<V1VolumeAttachment>[];
}

function needsAttach(lookup: AttachmentLookup, pv: Stored<V1PersistentVolume>): boolean {
  const driver = pv.spec?.csi?.driver;
  if (driver === undefined) return true;
  // Without a CSIDriver object Kubernetes attaches, as it does when the field is unset.
  return lookup.driver(driver)?.spec.attachRequired !== false;
}

function claimAttached(lookup: AttachmentLookup, namespace: string, claim: string, node: string): boolean {
  const pvName = lookup.claim(namespace, claim)?.spec?.volumeName;
  const pv = pvName === undefined || pvName === '' ? undefined : lookup.volume(pvName);
  if (pvName === undefined || pv === undefined) return false;
  if (!needsAttach(lookup, pv)) return true;
  return lookup
    .attachments(pvName)
    .some(
      (va) =>
        va.spec.nodeName === node &&
        va.status?.attached === true &&
        va.metadata.deletionTimestamp === undefined,
    );
}

/** Every pod is on a node, and every claim it mounts is attached to that node. */
export function volumesAttached(lookup: AttachmentLookup, pods: readonly Pod[]): boolean {
  return pods.every((pod) => {
    const node = pod.spec?.nodeName;
    if (node === undefined || node === '') return false;
    const ns = pod.metadata.namespace ?? '';
    return (pod.spec?.volumes ?? []).every((v) => {
      // A generic ephemeral volume's claim is named after the pod and the volume.
      const claim =
        v.persistentVolumeClaim?.claimName ??
        (v.ephemeral !== undefined ? `${pod.metadata.name ?? ''}-${v.name}` : undefined);
      return claim === undefined || claimAttached(lookup, ns, claim, node);
    });
  });
}

export function cacheLookup(cache: CacheReader): AttachmentLookup {
  return {
    claim: (ns, name) => cache.get(coreTypes.persistentVolumeClaim, ns, name),
    volume: (name) => cache.get(coreTypes.persistentVolume, undefined, name),
    driver: (name) => cache.get(coreTypes.csiDriver, undefined, name),
    attachments: (volume) =>
      cache.list<Stored<V1VolumeAttachment>>(
        coreTypes.volumeAttachment,
        undefined,
        (va) => va.spec.source.persistentVolumeName === volume,
      ),
  };
}
