// Events for what changed between the status read and the one written. Each is
// told once: in the pass whose status write made it true, never in the passes
// that only find it still true.
import type {
  FailoverGroup,
  FailoverGroupStatus,
  FailoverRecord,
} from '../../api/v1alpha1/types.generated.js';
import { failoverGroupReasons as reasons } from '../../api/v1alpha1/reasons.js';
import { failoverGroupConditions as types } from '../../api/v1alpha1/types.generated.js';
import type { Recorder } from '../../runtime/capabilities.js';
import { fencingRefusalReasons } from './consent.js';
import { movesZone } from './status.js';
import type { ZoneOutcome } from './zone-step.js';

/** Called only after the status write succeeded, so a retried pass cannot tell anything twice. */
export function announce(
  recorder: Recorder,
  fg: FailoverGroup,
  status: FailoverGroupStatus,
  zone: ZoneOutcome,
): void {
  announceZoneLoss(recorder, fg, status);
  announceMove(recorder, fg, status);
  announceCompletion(recorder, fg, status);
  announceMissingWorkload(recorder, fg, status);
  announceFencingRefusal(recorder, fg, status);
  announcePromotionRefusal(recorder, fg, status);
  announcePromotions(recorder, fg, zone);
}

/** Records added (a restore asked for) and records dropped because their volume finished, once status says so. */
function announcePromotions(recorder: Recorder, fg: FailoverGroup, zone: ZoneOutcome): void {
  const before = new Set((fg.status?.promotions ?? []).map((p) => `${p.volume.uid ?? ''}@${p.startedAt}`));
  for (const p of zone.promotions ?? []) {
    if (p.restoreFrom === undefined || before.has(`${p.volume.uid ?? ''}@${p.startedAt}`)) continue;
    recorder.normal(
      fg,
      reasons.RestoringFromBackup,
      `no standby of ${p.volume.name} in ${p.zone}: its StatefulVolume restores one there from backup ` +
        `${p.restoreFrom}, then promotes it`,
    );
  }
  for (const p of zone.promoted ?? [])
    recorder.normal(
      fg,
      reasons.StandbyPromoted,
      `claim ${p.oldClaim?.name ?? p.volume.name} of StatefulVolume ${p.volume.name} now uses the standby's volume ` +
        `in ${p.zone}; the old primary's volume is kept (Retain)`,
    );
}

// A group whose workload is not there protects nothing: said once, when it starts.
function announceMissingWorkload(recorder: Recorder, fg: FailoverGroup, status: FailoverGroupStatus): void {
  const ready = status.conditions?.find((c) => c.type === types.Ready);
  const was = fg.status?.conditions?.find((c) => c.type === types.Ready);
  if (ready?.reason !== reasons.WorkloadNotFound || was?.reason === reasons.WorkloadNotFound) return;
  recorder.warning(
    fg,
    reasons.WorkloadNotFound,
    `${ready.message ?? ''}; nothing is protected until it exists`,
  );
}

const fencingRefusals = new Set<string>(Object.values(fencingRefusalReasons));

// A failed node the operator may not fence: said once per reason, with what would let it.
function announceFencingRefusal(recorder: Recorder, fg: FailoverGroup, status: FailoverGroupStatus): void {
  const degraded = status.conditions?.find((c) => c.type === types.Degraded);
  const was = fg.status?.conditions?.find((c) => c.type === types.Degraded);
  if (degraded === undefined || !fencingRefusals.has(degraded.reason) || degraded.reason === was?.reason)
    return;
  recorder.warning(fg, degraded.reason, degraded.message ?? '');
}

const refusalReasons = new Set<string>([
  reasons.PromotionRefused,
  reasons.NoHealthyZone,
  reasons.NoStandby,
  reasons.DataLossTooLarge,
  reasons.ManualPromotion,
  reasons.VolumeMissing,
  reasons.VolumeTaken,
  reasons.ClaimReplaced,
  reasons.TargetZoneUnhealthy,
  reasons.UnknownZone,
  reasons.MoveBackupFailed,
]);

// A promotion or move the operator will not make: said once per reason.
function announcePromotionRefusal(recorder: Recorder, fg: FailoverGroup, status: FailoverGroupStatus): void {
  const degraded = status.conditions?.find((c) => c.type === types.Degraded);
  const was = fg.status?.conditions?.find((c) => c.type === types.Degraded);
  if (degraded === undefined || !refusalReasons.has(degraded.reason)) return;
  if (degraded.reason !== was?.reason)
    recorder.warning(fg, reasons.PromotionRefused, `${degraded.reason}: ${degraded.message}`);
}

function announceZoneLoss(recorder: Recorder, fg: FailoverGroup, status: FailoverGroupStatus): void {
  const last = status.lastFailover;
  const before = fg.status?.lastFailover;
  if (last?.reason !== 'ZoneFailure' || last.completedAt !== undefined) return;
  if (before?.reason === 'ZoneFailure' && before.startedAt === last.startedAt) return;
  const window = last.dataLossWindowSeconds;
  recorder.warning(
    fg,
    reasons.ZoneLost,
    `zone ${last.fromZone ?? ''} has no Ready node; promoting the standbys in ${last.toZone ?? ''} ` +
      `(data loss window ${window !== undefined ? `${String(window)} s` : 'unknown'})`,
  );
}

/** A move (failback or asked for) this pass began. */
function begunMove(fg: FailoverGroup, status: FailoverGroupStatus): FailoverRecord | undefined {
  const last = status.lastFailover;
  if (last === undefined || last.completedAt !== undefined) return undefined;
  if (last.reason !== 'Failback' && last.reason !== 'Manual') return undefined;
  return fg.status?.lastFailover?.startedAt === last.startedAt ? undefined : last;
}

function announceMove(recorder: Recorder, fg: FailoverGroup, status: FailoverGroupStatus): void {
  const last = begunMove(fg, status);
  if (last === undefined) return;
  const why = last.reason === 'Failback' ? 'back to the preferred zone' : 'as the promote annotation asks';
  recorder.normal(
    fg,
    last.reason === 'Failback' ? reasons.FailbackStarted : reasons.MoveStarted,
    `moving from ${last.fromZone ?? ''} to ${last.toZone ?? ''} ${why}; taking a fresh backup of each volume first`,
  );
}

function announceCompletion(recorder: Recorder, fg: FailoverGroup, status: FailoverGroupStatus): void {
  const last = status.lastFailover;
  const before = fg.status?.lastFailover;
  if (last?.completedAt === undefined) return;
  if (before?.completedAt !== undefined && before.startedAt === last.startedAt) return;
  const where = movesZone(last) ? `: running in ${last.toZone ?? ''}` : '';
  recorder.normal(
    fg,
    reasons.FailoverComplete,
    `${last.reason ?? 'NodeFailure'} failover complete in ${String(last.recoverySeconds ?? 0)} s${where}`,
  );
}
