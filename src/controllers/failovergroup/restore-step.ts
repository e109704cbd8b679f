// Decision: the active zone is lost and the next zone holds no standby. With
// promotion Automatic (or a person's promote annotation) and the newest Ready
// backup of every volume recent enough, the group promotes into the first
// healthy zone anyway: each volume's record then names the backup, and the
// StatefulVolume controller restores a standby claim from it (owned by the
// volume, labelled restored-for) before rebinding to it. This step only
// decides; it writes nothing.
import { failoverGroupReasons as reasons } from '../../api/v1alpha1/reasons.js';
import type { FailoverGroup, StatefulVolume, VolumeBackup } from '../../api/v1alpha1/types.generated.js';
import type { ApiReader } from '../../runtime/capabilities.js';
import { volumeBackupType } from '../kinds.js';
import { isNodeReady } from './fence.js';
import type { GroupView } from './observe.js';
import { zoneLabel } from './observe.js';

export type RestoreOutcome =
  | { kind: 'none' }
  /** Promote into zone, restoring from backups; backupAt is the oldest of them. */
  | { kind: 'restore'; zone: string; backupAt: Date | undefined }
  | { kind: 'refused'; reason: string; message: string };

function backupTime(b: VolumeBackup): Date | undefined {
  const at = b.status?.startedAt ?? b.status?.readyAt;
  return at === undefined ? undefined : new Date(at);
}

export function newestReady(backups: readonly VolumeBackup[], vol: StatefulVolume): VolumeBackup | undefined {
  const ready = backups.filter(
    (b) =>
      b.spec.volumeName === vol.metadata.name &&
      b.status?.phase === 'Ready' &&
      b.status.volumeSnapshotName !== undefined &&
      b.metadata.deletionTimestamp === undefined,
  );
  return ready.sort((a, b) => (backupTime(b)?.getTime() ?? 0) - (backupTime(a)?.getTime() ?? 0))[0];
}

/** The first zone of spec.zones, after the lost one, with a Ready node; the node to pin the claim to. */
function targetZone(
  fg: FailoverGroup,
  view: GroupView,
  active: string,
  requested: string | undefined,
): { zone: string; node: string } | undefined {
  const zones = requested !== undefined ? [requested] : fg.spec.zones.filter((z) => z !== active);
  for (const zone of zones) {
    const node = view.nodes
      .filter((n) => n.metadata.labels?.[zoneLabel] === zone && isNodeReady(n))
      .map((n) => n.metadata.name ?? '')
      .sort()[0];
    if (node !== undefined && zone !== active) return { zone, node };
  }
  return undefined;
}

function tooOld(
  fg: FailoverGroup,
  zone: string,
  times: readonly number[],
  input: { requested: string | undefined; now: Date },
): RestoreOutcome | undefined {
  const loss = (input.now.getTime() - Math.min(...times)) / 1000;
  const max = fg.spec.zoneFailure?.maxDataLossSeconds;
  if (input.requested !== undefined || max === undefined || loss <= max) return undefined;
  return {
    kind: 'refused',
    reason: reasons.DataLossTooLarge,
    message:
      `no standby in ${zone}, and the newest Ready backup is ${loss.toFixed(0)} s old, more than ` +
      `maxDataLossSeconds (${String(max)} s); if losing that is acceptable, annotate the group ` +
      `storage.stateful.dev/promote=${zone}`,
  };
}

/**
 * Whether the volumes that lack a standby in the target zone may be restored
 * there from their newest Ready backups; 'none' when that is not allowed or
 * not possible.
 */
export async function restoreFromBackups(
  deps: { client: ApiReader },
  fg: FailoverGroup,
  view: GroupView,
  volumes: readonly StatefulVolume[],
  input: {
    active: string;
    requested: string | undefined;
    now: Date;
    missing: (vol: StatefulVolume, zone: string) => boolean;
  },
): Promise<RestoreOutcome> {
  if (fg.spec.zoneFailure?.promotion !== 'Automatic' && input.requested === undefined)
    return { kind: 'none' };
  const at = targetZone(fg, view, input.active, input.requested);
  if (at === undefined || volumes.length === 0) return { kind: 'none' };
  const backups = (await deps.client.list<VolumeBackup>(volumeBackupType, fg.metadata.namespace)).items;
  const wanted = volumes.filter((v) => input.missing(v, at.zone));
  if (wanted.length === 0) return { kind: 'none' };
  const chosen = wanted.flatMap((vol) => {
    const backup = newestReady(backups, vol);
    return backup !== undefined ? [{ vol, backup }] : [];
  });
  if (chosen.length < wanted.length) return { kind: 'none' };
  const refused = tooOld(
    fg,
    at.zone,
    chosen.map((c) => backupTime(c.backup)?.getTime() ?? 0),
    input,
  );
  if (refused !== undefined) return refused;
  const times = chosen.map((c) => backupTime(c.backup));
  const backupAt = times.some((t) => t === undefined)
    ? undefined
    : new Date(Math.min(...times.map((t) => t?.getTime() ?? 0)));
  return { kind: 'restore', zone: at.zone, backupAt };
}
