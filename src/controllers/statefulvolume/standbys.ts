// Step: one standby claim per standby zone, filled from the newest Ready
// backup of the volume. A claim's data source cannot change after creation,
// so a refresh is a new claim from the newer backup; the older claim is
// deleted only once the newer one is Bound, so a zone always keeps a copy.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { statefulVolumeReasons as reasons } from '../../api/v1alpha1/reasons.js';
import { labels } from '../../api/v1alpha1/vocabulary.js';
import type { ReplicaStatus, StatefulVolume, VolumeBackup } from '../../api/v1alpha1/types.generated.js';
import { errorMessage, isAlreadyExists, isInvalid, isNotFound, isQuotaExceeded } from '../../kube/errors.js';
import { boundedName, labelValue, nameFragment, shortHash } from '../../kube/names.js';
import { coreTypes } from '../../kube/resource.js';
import type { Stored } from '../../kube/wire.js';
import type { ApiWriter, CacheReader, Recorder } from '../../runtime/capabilities.js';
import { claimNameOf, desiredClaim, snapshotSource } from './claim.js';
import { claimSize } from './ensure-claim.js';
import { standbyClaimsOf, type PlacementView } from './place.js';
import { volumeBackupType } from './types.js';

const emptySeed = 'none';

export interface SeedBackup {
  readonly name: string;
  readonly volumeSnapshotName: string;
  readonly restoreSize?: string;
}

export interface ExistingStandby {
  readonly name: string;
  readonly zone: string;
  readonly seed: string;
  readonly bound: boolean;
  readonly deleting: boolean;
}

export interface StandbyDecision {
  readonly create: readonly { readonly name: string; readonly zone: string; readonly seed?: SeedBackup }[];
  readonly remove: readonly string[];
  readonly replicas: readonly ReplicaStatus[];
  /** Standbys not holding the newest backup, or holding no backup at all. */
  readonly outOfSync: number;
  readonly seededEmpty: boolean;
}

/**
 * A claim name for a zone's standby from one seed: stable, so a restart adopts
 * instead of duplicating. The zone is made fit for a name (a zone may hold
 * upper case or `_`), and a name past 253 characters is cut and hashed whole,
 * so it neither ends in a dash nor equals the primary's or another standby's.
 */
export function standbyClaimName(claimName: string, zone: string, seed: string): string {
  const tag = seed === emptySeed ? 'empty' : shortHash(seed);
  return boundedName(`${claimName}-${nameFragment(zone)}-${tag}`);
}

function replicaFor(s: ExistingStandby, newest: string): ReplicaStatus {
  const fromBackup = s.seed !== emptySeed;
  let phase: ReplicaStatus['phase'] = 'InSync';
  if (!s.bound) phase = fromBackup ? 'Restoring' : 'Provisioning';
  else if (s.seed !== newest) phase = 'Stale';
  return {
    name: s.name,
    claim: s.name,
    zone: s.zone,
    role: 'Standby',
    phase,
    ...(fromBackup ? { sourceBackup: s.seed } : {}),
  };
}

interface ZoneOutcome {
  create?: { name: string; zone: string; seed?: SeedBackup };
  remove: string[];
  shown: ExistingStandby[];
}

function decideZone(
  claimName: string,
  zone: string,
  mine: readonly ExistingStandby[],
  newest: SeedBackup | undefined,
): ZoneOutcome {
  const want = newest?.name ?? emptySeed;
  const current = mine.find((s) => s.seed === want && !s.deleting);
  const live = mine.filter((s) => !s.deleting);
  if (current === undefined) {
    // A zone that already holds a backup's data keeps it rather than swapping it for an empty claim.
    if (want === emptySeed && live.length > 0) return { remove: [], shown: live };
    const name = standbyClaimName(claimName, zone, want);
    return {
      create: { name, zone, ...(newest !== undefined ? { seed: newest } : {}) },
      remove: [],
      shown: live,
    };
  }
  if (!current.bound) return { remove: [], shown: live };
  return { remove: live.filter((s) => s !== current).map((s) => s.name), shown: [current] };
}

/**
 * What to create and delete so that each standby zone holds the newest Ready
 * backup, and what status says about each replica. Pure.
 */
export function decideStandbys(input: {
  readonly claimName: string;
  readonly zones: readonly string[];
  readonly existing: readonly ExistingStandby[];
  readonly newest: SeedBackup | undefined;
}): StandbyDecision {
  const newestName = input.newest?.name ?? emptySeed;
  const create: StandbyDecision['create'][number][] = [];
  const remove: string[] = [];
  const replicas: ReplicaStatus[] = [];
  for (const zone of input.zones) {
    const out = decideZone(
      input.claimName,
      zone,
      input.existing.filter((s) => s.zone === zone),
      input.newest,
    );
    if (out.create !== undefined) {
      create.push(out.create);
      replicas.push({
        name: out.create.name,
        claim: out.create.name,
        zone,
        role: 'Standby',
        phase: 'Pending',
      });
    }
    remove.push(...out.remove);
    replicas.push(...out.shown.map((s) => replicaFor(s, newestName)));
  }
  // Standbys in zones the placement no longer wants (spec lowered the replica count).
  remove.push(
    ...input.existing.filter((s) => !input.zones.includes(s.zone) && !s.deleting).map((s) => s.name),
  );
  const inSyncZones = new Set(replicas.filter((r) => r.phase === 'InSync').map((r) => r.zone));
  const outOfSync = input.zones.filter((z) => !inSyncZones.has(z)).length;
  return {
    create,
    remove,
    replicas,
    outOfSync,
    seededEmpty: input.newest === undefined && input.zones.length > 0,
  };
}

/** The newest Ready backup of the volume, the one standbys are filled from. */
export function newestReadyBackup(deps: { cache: CacheReader }, vol: StatefulVolume): SeedBackup | undefined {
  const ready = deps.cache.list<VolumeBackup>(
    volumeBackupType,
    vol.metadata.namespace,
    (b) =>
      b.spec.volumeName === vol.metadata.name &&
      b.status?.phase === 'Ready' &&
      b.status.volumeSnapshotName !== undefined &&
      b.metadata.deletionTimestamp === undefined,
  );
  const at = (b: VolumeBackup): string => b.status?.readyAt ?? b.metadata.creationTimestamp ?? '';
  const newest = ready.sort((a, b) => at(b).localeCompare(at(a)))[0];
  if (newest?.status?.volumeSnapshotName === undefined) return undefined;
  return {
    name: newest.metadata.name ?? '',
    volumeSnapshotName: newest.status.volumeSnapshotName,
    ...(newest.status.restoreSize !== undefined ? { restoreSize: newest.status.restoreSize } : {}),
  };
}

/**
 * The backup a standby was filled from. The label holds at most 63 characters
 * of its name; the claim's data source is the backup's VolumeSnapshot, which
 * carries the backup's whole name, so a long name is read back from there.
 */
export function seedOf(c: Stored<V1PersistentVolumeClaim>): string {
  const label = c.metadata.labels?.[labels.sourceBackup];
  if (label === undefined) return emptySeed;
  const snapshot = c.spec?.dataSource?.name;
  return snapshot !== undefined && labelValue(snapshot) === label ? snapshot : label;
}

function existingStandbys(deps: { cache: CacheReader }, vol: StatefulVolume): ExistingStandby[] {
  return standbyClaimsOf(deps, vol).map((c: Stored<V1PersistentVolumeClaim>) => ({
    name: c.metadata.name ?? '',
    zone: c.metadata.labels?.[labels.zone] ?? '',
    seed: seedOf(c),
    bound: c.status?.phase === 'Bound',
    deleting: c.metadata.deletionTimestamp !== undefined,
  }));
}

export type StandbyOutcome = StandbyDecision & { readonly problem?: { reason: string; message: string } };

async function createStandby(
  deps: { client: ApiWriter; recorder: Recorder },
  vol: StatefulVolume,
  placement: PlacementView,
  want: StandbyDecision['create'][number],
): Promise<void> {
  const seed = want.seed;
  const size = claimSize(vol.spec.size, seed?.restoreSize);
  const pinNode = placement.pinNodeOf(want.zone);
  const claim = desiredClaim(
    { ...vol, spec: { ...vol.spec, size } },
    {
      name: want.name,
      role: 'Standby',
      zone: want.zone,
      ...(pinNode !== undefined ? { pinNode } : {}),
      ...(seed !== undefined ? { dataSource: snapshotSource(seed.volumeSnapshotName) } : {}),
    },
  );
  claim.metadata.labels[labels.sourceBackup] = labelValue(seed?.name ?? emptySeed);
  try {
    await deps.client.create(coreTypes.persistentVolumeClaim, claim as Stored<V1PersistentVolumeClaim>);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    return;
  }
  const from = seed !== undefined ? `from backup ${seed.name}` : 'empty (no Ready backup yet)';
  deps.recorder.normal(
    vol,
    reasons.StandbyCreated,
    `Created standby claim ${want.name} in zone ${want.zone}, ${from}.`,
  );
}

async function removeStandby(
  deps: { client: ApiWriter; recorder: Recorder },
  vol: StatefulVolume,
  name: string,
): Promise<void> {
  try {
    await deps.client.delete(coreTypes.persistentVolumeClaim, vol.metadata.namespace, name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return;
  }
  deps.recorder.normal(
    vol,
    reasons.StandbyReplaced,
    `Deleted standby claim ${name}: superseded or no longer wanted.`,
  );
}

/** Creates and deletes standby claims as decided; an API refusal is reported, not thrown. */
export async function ensureStandbys(
  deps: { cache: CacheReader; client: ApiWriter; recorder: Recorder },
  vol: StatefulVolume,
  placement: PlacementView,
  primaryBound: boolean,
): Promise<StandbyOutcome> {
  const decision = decideStandbys({
    claimName: claimNameOf(vol),
    zones: placement.standbyZones,
    existing: existingStandbys(deps, vol),
    newest: newestReadyBackup(deps, vol),
  });
  // Standbys copy the primary's backups; before the primary is bound there is nothing to copy.
  if (!primaryBound) return { ...decision, create: [], remove: [] };
  try {
    for (const want of decision.create) await createStandby(deps, vol, placement, want);
    for (const name of decision.remove) await removeStandby(deps, vol, name);
  } catch (err) {
    if (!isQuotaExceeded(err) && !isInvalid(err)) throw err;
    return {
      ...decision,
      problem: {
        reason: isQuotaExceeded(err) ? reasons.QuotaExceeded : reasons.ClaimInvalid,
        message: errorMessage(err),
      },
    };
  }
  return decision;
}
