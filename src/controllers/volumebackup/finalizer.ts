// Step: the snapshot-protection finalizer. A deleted backup deletes its
// snapshot, but not while a restore still reads from it, and never a snapshot
// it does not control. The finalizer goes only after that, so a failure here is
// retried, never lost.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { volumeBackupReasons as reasons } from '../../api/v1alpha1/reasons.js';
import type { VolumeBackup } from '../../api/v1alpha1/types.generated.js';
import { isNotFound } from '../../kube/errors.js';
import { coreTypes } from '../../kube/resource.js';
import type { Stored } from '../../kube/wire.js';
import type { ApiClient, ApiReader, ApiWriter, CacheReader, Recorder } from '../../runtime/capabilities.js';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizers.js';
import { done, requeueAfter, type Result } from '../../runtime/result.js';
import { writeStatus } from '../../runtime/status.js';
import { restoresReading } from './restore.js';
import { ownedBy, snapshotNameOf } from './snapshot.js';
import { deletingStatus } from './status.js';
import { finalizers } from '../../api/v1alpha1/vocabulary.js';
import { volumeBackupType, volumeSnapshotType, type VolumeSnapshot } from './types.js';

/** A safety net only: a claim that binds or goes wakes the backup through the claim watch. */
export const restoreRecheckMs = 30_000;

export function ensureFinalizer(deps: { client: ApiWriter }, backup: VolumeBackup): Promise<VolumeBackup> {
  return addFinalizer(deps.client, volumeBackupType, backup, finalizers.snapshotProtection);
}

/** The backup's own snapshot, read from the API server when the cache has none (it may lag a create). */
async function ownSnapshot(
  deps: { cache: CacheReader; client: ApiReader },
  backup: VolumeBackup,
): Promise<VolumeSnapshot | undefined> {
  const ns = backup.metadata.namespace;
  const name = backup.status?.volumeSnapshotName ?? snapshotNameOf(backup);
  const snapshot =
    deps.cache.get<VolumeSnapshot>(volumeSnapshotType, ns, name) ??
    (await deps.client.find<VolumeSnapshot>(volumeSnapshotType, ns, name));
  return snapshot !== undefined && ownedBy(snapshot, backup) ? snapshot : undefined;
}

function waitForRestores(
  deps: { recorder: Recorder },
  backup: VolumeBackup,
  snapshot: string,
  claims: string[],
): Result {
  deps.recorder.normal(
    backup,
    reasons.RestoreInProgress,
    `Keeping VolumeSnapshot ${snapshot} until ${claims.length === 1 ? 'claim' : 'claims'} ${claims.join(', ')} ` +
      'restored from it are Bound; the backup is deleted after that.',
  );
  return requeueAfter(restoreRecheckMs);
}

/** Deletes the owned snapshot unless a restore reads from it, then removes the finalizer. */
export async function finalize(
  deps: { cache: CacheReader; client: ApiClient; recorder: Recorder },
  found: VolumeBackup,
): Promise<Result> {
  if (!hasFinalizer(found, finalizers.snapshotProtection)) return done;
  const snapshot = await ownSnapshot(deps, found);
  // Deleting is shown for as long as the backup lingers, whatever holds it.
  const { object: backup } = await writeStatus(deps.client, volumeBackupType, found, deletingStatus(found));
  if (snapshot !== undefined) {
    const ns = backup.metadata.namespace ?? '';
    const name = snapshot.metadata.name ?? '';
    const claims = deps.cache.list<Stored<V1PersistentVolumeClaim>>(coreTypes.persistentVolumeClaim, ns);
    const readers = restoresReading(name, ns, claims);
    if (readers.length > 0) return waitForRestores(deps, backup, name, readers);
    if (snapshot.metadata.deletionTimestamp === undefined) {
      await deps.client.delete(volumeSnapshotType, ns, name, { preconditionUid: snapshot.metadata.uid });
      deps.recorder.normal(
        backup,
        reasons.SnapshotDeleted,
        `Deleted VolumeSnapshot ${name} with the backup.`,
      );
    }
  }
  try {
    await removeFinalizer(deps.client, volumeBackupType, backup, finalizers.snapshotProtection);
  } catch (err) {
    // Gone already: another pass finished the job.
    if (!isNotFound(err)) throw err;
  }
  return done;
}
