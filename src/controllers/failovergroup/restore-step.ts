// Step: the active zone is lost and the next zone holds no standby. With
// promotion Automatic (or a person's promote annotation) and the newest Ready
// backup of every volume recent enough, a claim is restored from that backup
// in the first healthy zone. It is labelled like a standby of that zone, so
// once Bound the ordinary promotion takes it. It is owned by the group, not
// the StatefulVolume, whose controller would remove a standby its placement
// does not want.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { FailoverGroup, StatefulVolume, VolumeBackup } from '../../api/v1alpha1/types.generated.js';
import { isAlreadyExists } from '../../kube/errors.js';
import { labelValue } from '../../kube/names.js';
import { coreTypes } from '../../kube/resource.js';
import type { Stored } from '../../kube/wire.js';
import type { Manager } from '../../runtime/manager.js';
import { volumeBackupType } from '../kinds.js';
import { claimNameOf, desiredClaim } from '../statefulvolume/claim.js';
import { sourceBackupLabel, standbyClaimName } from '../statefulvolume/standbys.js';
import { isNodeReady } from './fence.js';
import type { GroupView } from './observe.js';
import { zoneLabel } from './observe.js';

/** On a claim restored for a promotion: the StatefulVolume it stands in for. */
export const restoredForLabel = 'storage.stateful.dev/restored-for';

export type RestoreOutcome =
  | { kind: 'none' }
  | { kind: 'restoring'; zone: string; message: string }
  | { kind: 'refused'; reason: string; message: string };

function backupTime(b: VolumeBackup): Date | undefined {
  const at = b.status?.startedAt ?? b.status?.readyAt;
  return at === undefined ? undefined : new Date(at);
}

function newestReady(backups: readonly VolumeBackup[], vol: StatefulVolume): VolumeBackup | undefined {
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

function restoreClaimFor(
  fg: FailoverGroup,
  vol: StatefulVolume,
  at: { zone: string; node: string },
  backup: VolumeBackup,
): Stored<V1PersistentVolumeClaim> {
  const backupName = backup.metadata.name ?? '';
  const claim = desiredClaim(vol, {
    name: standbyClaimName(claimNameOf(vol), at.zone, backupName),
    role: 'Standby',
    zone: at.zone,
    pinNode: at.node,
    dataSource: {
      apiGroup: 'snapshot.storage.k8s.io',
      kind: 'VolumeSnapshot',
      name: backup.status?.volumeSnapshotName ?? '',
    },
  });
  const restoreSize = backup.status?.restoreSize;
  if (restoreSize !== undefined) claim.spec.resources = { requests: { storage: restoreSize } };
  claim.metadata.labels[sourceBackupLabel] = labelValue(backupName);
  claim.metadata.labels[restoredForLabel] = labelValue(vol.metadata.name ?? '');
  claim.metadata.ownerReferences = [
    {
      apiVersion: fg.apiVersion,
      kind: 'FailoverGroup',
      name: fg.metadata.name ?? '',
      uid: fg.metadata.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
  return claim as Stored<V1PersistentVolumeClaim>;
}

async function restoreClaim(
  mgr: Manager,
  fg: FailoverGroup,
  vol: StatefulVolume,
  at: { zone: string; node: string },
  backup: VolumeBackup,
): Promise<void> {
  const claim = restoreClaimFor(fg, vol, at, backup);
  try {
    await mgr.client.create(coreTypes.persistentVolumeClaim, claim);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    return;
  }
  mgr.recorder.normal(
    fg,
    'RestoringFromBackup',
    `no standby of ${vol.metadata.name ?? ''} in ${at.zone}: restoring claim ${claim.metadata.name ?? ''} ` +
      `there from backup ${backup.metadata.name ?? ''}`,
  );
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
    reason: 'DataLossTooLarge',
    message:
      `no standby in ${zone}, and the newest Ready backup is ${loss.toFixed(0)} s old, more than ` +
      `maxDataLossSeconds (${String(max)} s); if losing that is acceptable, annotate the group ` +
      `storage.stateful.dev/promote=${zone}`,
  };
}

/**
 * Restores the volumes that lack a standby in the target zone from their
 * newest Ready backups; 'none' when that is not allowed or not possible.
 */
export async function restoreFromBackups(
  mgr: Manager,
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
  const backups = (await mgr.client.list<VolumeBackup>(volumeBackupType, fg.metadata.namespace)).items;
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
  for (const c of chosen) await restoreClaim(mgr, fg, c.vol, at, c.backup);
  return {
    kind: 'restoring',
    zone: at.zone,
    message: `no standby in ${at.zone}: restoring ${String(chosen.length)} volume(s) there from their newest Ready backups`,
  };
}
