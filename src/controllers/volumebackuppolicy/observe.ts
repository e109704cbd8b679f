// Steps 2–3: the volumes the policy selects and the backups already there,
// from the cache, with what the cache cannot show yet added.
import type { StatefulVolume } from '../../api/v1alpha1/types.generated.js';
import type { ApiReader, CacheReader } from '../../runtime/capabilities.js';
import { statefulVolumeType } from '../statefulvolume/types.js';
import type { RecentCreations } from './recent.js';
import { selectVolumes, type Selection } from './select.js';
import { volumeBackupType, type Backup, type Policy } from './types.js';

export interface World {
  readonly volumes: readonly StatefulVolume[];
  readonly selection: Selection;
  /** Every VolumeBackup of the namespace, by name. */
  readonly existing: ReadonlyMap<string, Backup>;
  /** The policy's own backups (spec.policyName); on-demand ones are never among them. */
  readonly own: readonly Backup[];
}

/**
 * Named volumes the cache does not hold, read from the API server. Each kind
 * has its own watch, so a volume created just before its policy can reach the
 * cache after the policy does; calling it missing then would close the run
 * without its backup.
 */
async function readThrough(
  deps: { client: ApiReader },
  ns: string,
  missing: readonly string[],
): Promise<StatefulVolume[]> {
  const found = await Promise.all(
    missing.map((name) => deps.client.find<StatefulVolume>(statefulVolumeType, ns, name)),
  );
  return found.filter((v): v is StatefulVolume => v !== undefined);
}

export async function observe(
  deps: { cache: CacheReader; client: ApiReader; recent: RecentCreations },
  policy: Policy,
): Promise<World> {
  const ns = policy.metadata.namespace ?? '';
  const cached = deps.cache.list<StatefulVolume>(statefulVolumeType, ns);
  const late = await readThrough(deps, ns, selectVolumes(policy.spec, cached).missing);
  const volumes = [...cached, ...late];
  const listed = deps.cache.list<Backup>(volumeBackupType, ns);
  // A backup created a moment ago counts as in flight before the cache shows it.
  const existing = deps.recent.overlay(ns, new Map(listed.map((b) => [b.metadata.name ?? '', b])));
  return {
    volumes,
    selection: selectVolumes(policy.spec, volumes),
    existing,
    own: [...existing.values()].filter((b) => b.spec.policyName === policy.metadata.name),
  };
}
