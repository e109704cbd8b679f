// The VolumeBackup controller: its own kind, the VolumeSnapshots it owns, and
// what a waiting backup waits for (its volume, its claim, its class, the
// backup ahead of it, and restores that still read from its snapshot).
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { StatefulVolume, VolumeBackup } from '../../api/v1alpha1/types.generated.js';
import type { OperatorConfig } from '../../config.js';
import { coreTypes } from '../../kube/resource.js';
import { objectKey, type KubeObject, type Stored } from '../../kube/wire.js';
import { ownerKeys, type WatchSpec } from '../../runtime/controller.js';
import type { Manager } from '../../runtime/manager.js';
import { exportBackupMetrics } from './metrics.js';
import { reconcileVolumeBackup } from './reconcile.js';
import { snapshotSourceOf } from './restore.js';
import { SnapshotSlots } from './slots.js';
import {
  statefulVolumeType,
  volumeBackupType,
  volumeSnapshotClassType,
  volumeSnapshotType,
} from './types.js';

function unfinished(b: VolumeBackup): boolean {
  return b.status?.phase !== 'Ready' && b.status?.phase !== 'Failed';
}

function watchesOf(mgr: Manager, slots: SnapshotSlots): WatchSpec[] {
  const backupsOfVolume = (namespace: string | undefined, volume: string | undefined): string[] =>
    volume === undefined
      ? []
      : mgr.cache
          .list<VolumeBackup>(
            volumeBackupType,
            namespace,
            (b) => b.spec.volumeName === volume && unfinished(b),
          )
          .map(objectKey);
  const volumeOwners = ownerKeys(statefulVolumeType);
  return [
    { type: volumeSnapshotType, map: ownerKeys(volumeBackupType) },
    // A backup that finishes lets the next one of the same volume start, and frees a snapshot slot.
    {
      type: volumeBackupType,
      map: (obj: KubeObject) => [
        ...backupsOfVolume(obj.metadata.namespace, (obj as VolumeBackup).spec.volumeName).filter(
          (key) => key !== objectKey(obj),
        ),
        ...(unfinished(obj as VolumeBackup) ? [] : slots.next()),
      ],
    },
    {
      type: statefulVolumeType,
      map: (obj: KubeObject) =>
        backupsOfVolume(obj.metadata.namespace, (obj as StatefulVolume).metadata.name),
    },
    // A claim wakes the backups of its volume (it may have bound) and the backup it restores from.
    // The volume is found through the owner reference: the volume label holds a long name cut and hashed.
    {
      type: coreTypes.persistentVolumeClaim,
      map: (obj: KubeObject) => {
        const claim = obj as Stored<V1PersistentVolumeClaim>;
        const source = snapshotSourceOf(claim);
        return [
          ...volumeOwners(obj).flatMap((key) =>
            backupsOfVolume(obj.metadata.namespace, key.slice(key.indexOf('/') + 1)),
          ),
          ...(source !== undefined ? [`${obj.metadata.namespace ?? ''}/${source}`] : []),
        ];
      },
    },
    // A class that appears unblocks the backups waiting for it.
    {
      type: volumeSnapshotClassType,
      map: () => mgr.cache.list<VolumeBackup>(volumeBackupType, undefined, unfinished).map(objectKey),
    },
  ];
}

/** The default of --backup-max-in-flight. */
export const defaultMaxSnapshotsInFlight = 50;

export function registerVolumeBackup(
  mgr: Manager,
  config: Pick<OperatorConfig, 'concurrency'> & Partial<Pick<OperatorConfig, 'backupMaxInFlight'>>,
): void {
  const slots = new SnapshotSlots(
    config.backupMaxInFlight ?? defaultMaxSnapshotsInFlight,
    () => mgr.cache.list<VolumeBackup>(volumeBackupType),
    mgr.clock,
  );
  mgr.add({
    name: 'volumebackup',
    forType: volumeBackupType,
    watches: watchesOf(mgr, slots),
    concurrency: config.concurrency,
    reconcile: (req) => reconcileVolumeBackup(mgr, slots, req),
  });
  exportBackupMetrics(mgr);
}
