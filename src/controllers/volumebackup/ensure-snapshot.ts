// Step: the backup's VolumeSnapshot, found or created. Found by its name, it is
// adopted only when this backup controls it; anything else under that name
// belongs to someone else and is never touched.
import type { VolumeBackup } from '../../api/v1alpha1/types.generated.js';
import { isAlreadyExists } from '../../kube/errors.js';
import type { ApiClient, ApiReader, CacheReader } from '../../runtime/capabilities.js';
import { desiredSnapshot, ownedBy, snapshotNameOf } from './snapshot.js';
import { volumeSnapshotType, type VolumeSnapshot } from './types.js';

export type SnapshotLookup =
  | { readonly kind: 'absent' }
  | { readonly kind: 'owned'; readonly snapshot: VolumeSnapshot; readonly created?: boolean }
  | { readonly kind: 'foreign'; readonly snapshot: VolumeSnapshot };

function judge(backup: VolumeBackup, snapshot: VolumeSnapshot | undefined): SnapshotLookup {
  if (snapshot === undefined) return { kind: 'absent' };
  return ownedBy(snapshot, backup) ? { kind: 'owned', snapshot } : { kind: 'foreign', snapshot };
}

/**
 * The snapshot under the backup's name. When the backup's status says it was
 * requested, a cache miss is confirmed with a GET: the cache may not have seen
 * our own create yet, and a lost snapshot is a verdict that is never undone.
 */
export async function lookupSnapshot(
  deps: { cache: CacheReader; client: ApiReader },
  backup: VolumeBackup,
): Promise<SnapshotLookup> {
  const ns = backup.metadata.namespace;
  const name = backup.status?.volumeSnapshotName ?? snapshotNameOf(backup);
  const cached = deps.cache.get<VolumeSnapshot>(volumeSnapshotType, ns, name);
  if (cached !== undefined || !startedBefore(backup)) return judge(backup, cached);
  return judge(backup, await deps.client.find<VolumeSnapshot>(volumeSnapshotType, ns, name));
}

/** The status says a snapshot was requested (or seen) in an earlier pass. */
export function startedBefore(backup: VolumeBackup): boolean {
  return backup.status?.startedAt !== undefined || backup.status?.volumeSnapshotName !== undefined;
}

/** Creates the snapshot; one that already exists is judged like a found one. */
export async function createSnapshot(
  deps: { client: ApiClient },
  backup: VolumeBackup,
  claimName: string,
  className: string | undefined,
): Promise<SnapshotLookup> {
  const desired = desiredSnapshot(backup, claimName, className);
  try {
    const created = await deps.client.create<VolumeSnapshot>(volumeSnapshotType, desired);
    return { kind: 'owned', snapshot: created, created: true };
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  const existing = await deps.client.find<VolumeSnapshot>(
    volumeSnapshotType,
    backup.metadata.namespace,
    snapshotNameOf(backup),
  );
  return judge(backup, existing);
}
