// Step: the snapshot-protection finalizer. A deleted backup deletes its
// snapshot, but not while a restore still reads from it, and never a snapshot
// it does not control. The finalizer goes only after that, so a failure here is
// retried, never lost.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { VolumeBackup } from '../../api/v1alpha1/types.generated.js';
import { isNotFound } from '../../kube/errors.js';
import { coreTypes } from '../../kube/resource.js';
import type { Stored } from '../../kube/wire.js';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizers.js';
import type { Manager } from '../../runtime/manager.js';
import { done, requeueAfter, type Result } from '../../runtime/result.js';
import { writeStatus } from '../../runtime/status.js';
import { restoresReading } from './restore.js';
import { ownedBy, snapshotNameOf } from './snapshot.js';
import { deletingStatus } from './status.js';
import { snapshotProtection, volumeBackupType, volumeSnapshotType, type VolumeSnapshot } from './types.js';

/** A safety net only: a claim that binds or goes wakes the backup through the claim watch. */
export const restoreRecheckMs = 30_000;

export function ensureFinalizer(mgr: Manager, backup: VolumeBackup): Promise<VolumeBackup> {
  return addFinalizer(mgr.client, volumeBackupType, backup, snapshotProtection);
}

/** The backup's own snapshot, read from the API server when the cache has none (it may lag a create). */
async function ownSnapshot(mgr: Manager, backup: VolumeBackup): Promise<VolumeSnapshot | undefined> {
  const ns = backup.metadata.namespace;
  const name = backup.status?.volumeSnapshotName ?? snapshotNameOf(backup);
  const snapshot =
    mgr.cache.get<VolumeSnapshot>(volumeSnapshotType, ns, name) ??
    (await mgr.client.find<VolumeSnapshot>(volumeSnapshotType, ns, name));
  return snapshot !== undefined && ownedBy(snapshot, backup) ? snapshot : undefined;
}

function waitForRestores(mgr: Manager, backup: VolumeBackup, snapshot: string, claims: string[]): Result {
  mgr.recorder.normal(
    backup,
    'RestoreInProgress',
    `Keeping VolumeSnapshot ${snapshot} until ${claims.length === 1 ? 'claim' : 'claims'} ${claims.join(', ')} ` +
      'restored from it are Bound; the backup is deleted after that.',
  );
  return requeueAfter(restoreRecheckMs);
}

/** Deletes the owned snapshot unless a restore reads from it, then removes the finalizer. */
export async function finalize(mgr: Manager, found: VolumeBackup): Promise<Result> {
  if (!hasFinalizer(found, snapshotProtection)) return done;
  const snapshot = await ownSnapshot(mgr, found);
  // Deleting is shown for as long as the backup lingers, whatever holds it.
  const { object: backup } = await writeStatus(mgr.client, volumeBackupType, found, deletingStatus(found));
  if (snapshot !== undefined) {
    const ns = backup.metadata.namespace ?? '';
    const name = snapshot.metadata.name ?? '';
    const claims = mgr.cache.list<Stored<V1PersistentVolumeClaim>>(coreTypes.persistentVolumeClaim, ns);
    const readers = restoresReading(name, ns, claims);
    if (readers.length > 0) return waitForRestores(mgr, backup, name, readers);
    if (snapshot.metadata.deletionTimestamp === undefined) {
      await mgr.client.delete(volumeSnapshotType, ns, name, { preconditionUid: snapshot.metadata.uid });
      mgr.recorder.normal(backup, 'SnapshotDeleted', `Deleted VolumeSnapshot ${name} with the backup.`);
    }
  }
  try {
    await removeFinalizer(mgr.client, volumeBackupType, backup, snapshotProtection);
  } catch (err) {
    // Gone already: another pass finished the job.
    if (!isNotFound(err)) throw err;
  }
  return done;
}
