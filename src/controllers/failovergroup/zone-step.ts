// Step: the active zone is lost. Decide (decidePromotion) whether to promote
// the standbys of the next preferred zone (or copies restored from the newest
// Ready backup where the zone has none, restore-step.ts), write that decision
// to status, and in later passes record one promotion per volume in status
// (promotions.ts) for the StatefulVolume controller to carry out, without
// deciding again.
import type {
  FailoverGroup,
  FailoverRecord,
  PromotionRecord,
  StatefulVolume,
  VolumeBackup,
} from '../../api/v1alpha1/types.generated.js';
import { failoverGroupReasons as reasons } from '../../api/v1alpha1/reasons.js';
import { labelValue } from '../../kube/names.js';
import { coreTypes } from '../../kube/resource.js';
import { rfc3339 } from '../../runtime/clock.js';
import type { ApiReader } from '../../runtime/capabilities.js';
import { statefulVolumeType, volumeBackupType } from '../kinds.js';
import { annotations, labels } from '../../api/v1alpha1/vocabulary.js';
import { claimNameOf } from '../statefulvolume/claim.js';
import { matchesSelector } from '../volumebackuppolicy/select.js';
import { decidePromotion, zoneHealth, type PromotionCandidate } from './health.js';
import type { GroupView } from './observe.js';
import { zoneLabel } from './observe.js';
import { advance, arrived, buildRecord, type Advanced, type EntryInput, type Next } from './promotions.js';
import { newestReady, restoreFromBackups } from './restore-step.js';
import type { Claim } from './types.js';

export interface ZoneOutcome {
  /** The zone failover to show as lastFailover; `replaces` when it continues the current record. */
  record?: FailoverRecord;
  replaces?: boolean;
  /** Why the operator does not promote although the active zone is lost. */
  refusal?: { reason: string; message: string };
  /** A step is under way; look again soon. */
  busy?: boolean;
  /** This pass decided to promote: the record is new, nothing was touched yet. */
  begun?: boolean;
  /** Nothing to do yet, but a wait (a failback delay) ends then. */
  lookAfterMs?: number;
  /** What a failover in progress waits for now, for the FailingOver condition. */
  progress?: string;
  /** status.promotions as this pass leaves it; absent when the pass did not look. */
  promotions?: PromotionRecord[];
  /** Records dropped this pass because their volume finished the rebind. */
  promoted?: PromotionRecord[];
}

/** The group's StatefulVolumes, read from the API server (this runs only when a zone is lost). */
export async function groupVolumes(
  deps: { client: ApiReader },
  fg: FailoverGroup,
): Promise<StatefulVolume[]> {
  const ns = fg.metadata.namespace ?? '';
  const all = (await deps.client.list<StatefulVolume>(statefulVolumeType, ns)).items.filter(
    (v) => v.metadata.deletionTimestamp === undefined,
  );
  const names = fg.spec.volumes.names;
  if (names !== undefined) return all.filter((v) => names.includes(v.metadata.name ?? ''));
  return all.filter((v) => matchesSelector(v.metadata.labels, fg.spec.volumes.selector ?? {}));
}

/** When the data in a backup was captured: when the snapshot was requested (errs towards more loss). */
function backupTime(b: VolumeBackup | undefined): Date | undefined {
  const at = b?.status?.startedAt ?? b?.status?.readyAt;
  return at === undefined ? undefined : new Date(at);
}

interface ZoneStandbys {
  candidate: PromotionCandidate;
  /** Standby claim per volume name. */
  claims: Map<string, string>;
}

/** Per zone: a candidate only when every volume has a Bound standby there; its age is the oldest one's. */
async function candidates(
  deps: { client: ApiReader },
  fg: FailoverGroup,
  volumes: readonly StatefulVolume[],
): Promise<Map<string, ZoneStandbys>> {
  const { claims, backups } = await standbysIn(deps, fg);
  const out = new Map<string, ZoneStandbys>();
  for (const zone of fg.spec.zones) {
    const chosen = new Map<string, string>();
    const times: (Date | undefined)[] = [];
    for (const vol of volumes) {
      const standby = newestStandby(claims, backups, vol, zone);
      if (standby === undefined) continue;
      chosen.set(vol.metadata.name ?? '', standby.claim);
      times.push(standby.at);
    }
    const complete = volumes.length > 0 && chosen.size === volumes.length;
    // A standby whose backup time is unknown makes the zone's loss unknown (infinite).
    const oldest = times.some((t) => t === undefined)
      ? undefined
      : times.reduce<Date | undefined>(
          (a, t) => (a === undefined || (t !== undefined && t < a) ? t : a),
          undefined,
        );
    const standby = complete ? { claim: [...chosen.values()].join(', '), backupTakenAt: oldest } : undefined;
    out.set(zone, { candidate: { zone, ...(standby !== undefined ? { standby } : {}) }, claims: chosen });
  }
  return out;
}

function newestStandby(
  claims: readonly Claim[],
  backups: readonly VolumeBackup[],
  vol: StatefulVolume,
  zone: string,
): { claim: string; at: Date | undefined } | undefined {
  const mine = claims.filter(
    (c) =>
      c.metadata.labels?.[labels.volume] === labelValue(vol.metadata.name ?? '') &&
      c.metadata.labels[labels.zone] === zone &&
      (c.metadata.ownerReferences?.some((o) => o.uid === vol.metadata.uid) === true ||
        c.metadata.labels[labels.restoredFor] === labelValue(vol.metadata.name ?? '')) &&
      c.status?.phase === 'Bound' &&
      c.metadata.deletionTimestamp === undefined,
  );
  const dated = mine.map((c) => ({
    claim: c.metadata.name ?? '',
    at: backupTime(
      backups.find((b) => labelValue(b.metadata.name ?? '') === c.metadata.labels?.[labels.sourceBackup]),
    ),
  }));
  dated.sort((a, b) => (b.at?.getTime() ?? -1) - (a.at?.getTime() ?? -1));
  return dated[0];
}

function zoneOfNode(view: GroupView, node: string | undefined): string | undefined {
  return view.nodes.find((n) => n.metadata.name === node)?.metadata.labels?.[zoneLabel];
}

/** When the zone went quiet: its nodes' longest silence before now. */
function lostSince(view: GroupView, zone: string, now: Date): Date {
  const silent = view.report.nodes
    .filter((n) => n.zone === zone && n.state !== 'Healthy')
    .map((n) => (n.state === 'Healthy' ? 0 : n.failedForSeconds))
    .filter((s) => Number.isFinite(s));
  return new Date(now.getTime() - Math.max(0, ...silent) * 1000);
}

interface StartInput {
  current: FailoverRecord | undefined;
  view: GroupView;
  from: string;
  to: string;
  backupAt: Date | undefined;
  now: Date;
}

/** A node of the lost zone fenced first: that failover becomes this zone failover. */
function continuesNodeFailover(current: FailoverRecord | undefined, from: string): current is FailoverRecord {
  return (
    current?.completedAt === undefined &&
    current?.reason === 'NodeFailure' &&
    (current.fromZone === undefined || current.fromZone === from)
  );
}

function startRecord(input: StartInput): { record: FailoverRecord; replaces: boolean } {
  const { current, view, from, to, backupAt, now } = input;
  const at = rfc3339(now);
  const continues = continuesNodeFailover(current, from);
  const base: FailoverRecord = continues
    ? { ...current }
    : { startedAt: rfc3339(lostSince(view, from, now)), timeline: { detectedAt: at } };
  // An upper bound: the zone may have run (and taken writes) until its loss was confirmed, now.
  const loss = backupAt === undefined ? undefined : Math.max(0, (now.getTime() - backupAt.getTime()) / 1000);
  const timeline = base.timeline ?? {};
  return {
    replaces: continues,
    record: {
      ...base,
      reason: 'ZoneFailure',
      fromZone: from,
      toZone: to,
      ...(loss !== undefined ? { dataLossWindowSeconds: Math.round(loss * 10) / 10 } : {}),
      timeline: { ...timeline, detectedAt: timeline.detectedAt ?? at, fencedAt: timeline.fencedAt ?? at },
    },
  };
}

async function standbysIn(
  deps: { client: ApiReader },
  fg: FailoverGroup,
): Promise<{ claims: Claim[]; backups: VolumeBackup[] }> {
  const ns = fg.metadata.namespace ?? '';
  const claims = (
    await deps.client.list<Claim>(coreTypes.persistentVolumeClaim, ns, {
      labelSelector: `${labels.role}=standby`,
    })
  ).items;
  const backups = (await deps.client.list<VolumeBackup>(volumeBackupType, ns)).items;
  return { claims, backups };
}

/** The volume's newest Bound standby in the zone, else its newest Ready backup to restore one from. */
function sourceFor(
  vol: StatefulVolume,
  zone: string,
  found: { claims: Claim[]; backups: VolumeBackup[] },
): { from: EntryInput['from']; at: Date | undefined } | undefined {
  const standby = newestStandby(found.claims, found.backups, vol, zone);
  if (standby !== undefined) return { from: { standby: standby.claim }, at: standby.at };
  const backup = newestReady(found.backups, vol);
  return backup === undefined ? undefined : { from: { restore: backup }, at: backupTime(backup) };
}

/** One volume without a record: its claim already there, or a record naming its standby (or a backup to restore). */
async function nextFor(
  deps: { client: ApiReader },
  vol: StatefulVolume,
  record: FailoverRecord,
  found: { claims: Claim[]; backups: VolumeBackup[] },
): Promise<Next> {
  const zone = record.toZone ?? '';
  const claim = found.claims.find((c) => c.metadata.name === claimNameOf(vol));
  if (arrived(claim, zone)) return { kind: 'arrived' };
  const from = sourceFor(vol, zone, found);
  if (from === undefined)
    return {
      kind: 'stuck',
      reason: reasons.NoStandby,
      message: `no Bound standby and no Ready backup of ${vol.metadata.name ?? ''} for ${zone}`,
    };
  const built = await buildRecord(deps, vol, {
    reason: 'ZoneFailure',
    zone,
    startedAt: record.startedAt ?? '',
    from: from.from,
    ...(from.at !== undefined ? { backupTakenAt: rfc3339(from.at) } : {}),
  });
  if ('stuck' in built) return { kind: 'stuck', reason: reasons.NoStandby, message: built.stuck };
  return { kind: 'record', record: built };
}

/** Records the promotion of every volume, waits for each to finish; volumesAttachedAt when all did. */
async function carryOn(
  deps: { client: ApiReader },
  fg: FailoverGroup,
  record: FailoverRecord,
  now: Date,
): Promise<ZoneOutcome> {
  const ns = fg.metadata.namespace ?? '';
  const { claims: standbys, backups } = await standbysIn(deps, fg);
  const claims = [
    ...standbys,
    ...(await deps.client.list<Claim>(coreTypes.persistentVolumeClaim, ns)).items.filter(
      (c) => c.metadata.labels?.[labels.role] !== 'standby',
    ),
  ];
  const result = await advance(deps, fg, await groupVolumes(deps, fg), (vol) =>
    nextFor(deps, vol, record, { claims, backups }),
  );
  const underway = rebindUnderway(record, result);
  if (underway !== undefined) return underway;
  return {
    record: { ...record, timeline: { ...record.timeline, volumesAttachedAt: rfc3339(now) } },
    replaces: true,
    ...recordsOf(result),
  };
}

/** status.promotions as a rebind pass leaves it, and the records it finished. */
export function recordsOf(result: Advanced): Pick<ZoneOutcome, 'promotions' | 'promoted'> {
  return { promotions: result.promotions, promoted: result.completed };
}

/**
 * The outcome of a rebind pass (a zone loss's or a move's) that is stuck, still under way, or
 * already stamped attached; undefined in the pass where every volume arrived, which the caller
 * stamps with what it measures.
 */
export function rebindUnderway(record: FailoverRecord, result: Advanced): ZoneOutcome | undefined {
  const kept = recordsOf(result);
  if (result.stuck !== undefined) return { record, replaces: true, refusal: result.stuck, ...kept };
  const busy = result.waiting.length > 0 || result.promotions.length > 0;
  if (busy || record.timeline?.volumesAttachedAt !== undefined)
    return {
      record,
      replaces: true,
      busy,
      ...kept,
      ...(busy ? { progress: result.waiting.join('; ') } : {}),
    };
  return undefined;
}

function activeZoneLost(fg: FailoverGroup, view: GroupView, active: string): boolean {
  if (view.report.kind !== 'Assessed') return false;
  const health = zoneHealth(fg.spec.zones, view.report).find((z) => z.zone === active);
  return health !== undefined && health.nodes > 0 && health.readyNodes === 0;
}

type Decided =
  { kind: 'outcome'; outcome: ZoneOutcome } | { kind: 'promote'; zone: string; backupAt: Date | undefined };

function earliest(times: readonly (string | undefined)[]): Date | undefined {
  if (times.length === 0 || times.some((t) => t === undefined)) return undefined;
  return new Date(Math.min(...times.map((t) => Date.parse(t ?? ''))));
}

/** Records still in status (a decision whose failover record was replaced) are finished, not decided again. */
function resumed(fg: FailoverGroup): Decided | undefined {
  const pending = (fg.status?.promotions ?? []).filter((r) => r.reason === 'ZoneFailure');
  const first = pending[0];
  if (first === undefined) return undefined;
  return { kind: 'promote', zone: first.zone, backupAt: earliest(pending.map((r) => r.backupTakenAt)) };
}

function requestedZone(fg: FailoverGroup): { requestedZone?: string } {
  const requested = fg.metadata.annotations?.[annotations.promote];
  return requested !== undefined && requested !== '' ? { requestedZone: requested } : {};
}

/** Without standbys: promote onto copies restored from the newest backups, if allowed; undefined when not possible. */
async function restoreDecision(
  deps: { client: ApiReader },
  fg: FailoverGroup,
  view: GroupView,
  volumes: readonly StatefulVolume[],
  input: { active: string; now: Date; byZone: Map<string, ZoneStandbys> },
): Promise<Decided | undefined> {
  const restored = await restoreFromBackups(deps, fg, view, volumes, {
    active: input.active,
    requested: requestedZone(fg).requestedZone,
    now: input.now,
    missing: (vol, zone) => input.byZone.get(zone)?.claims.has(vol.metadata.name ?? '') !== true,
  });
  if (restored.kind === 'restore')
    return { kind: 'promote', zone: restored.zone, backupAt: restored.backupAt };
  if (restored.kind === 'refused')
    return { kind: 'outcome', outcome: { refusal: { reason: restored.reason, message: restored.message } } };
  return undefined;
}

/** Promote where a promotion already began on the volumes, else where decidePromotion says. */
async function decide(
  deps: { client: ApiReader },
  fg: FailoverGroup,
  view: GroupView,
  active: string,
  now: Date,
): Promise<Decided> {
  const volumes = await groupVolumes(deps, fg);
  const again = resumed(fg);
  if (again !== undefined) return again;
  const byZone = await candidates(deps, fg, volumes);
  const decision = decidePromotion({
    activeZone: active,
    zones: fg.spec.zones,
    report: view.report,
    candidates: [...byZone.values()].map((z) => z.candidate),
    promotion: fg.spec.zoneFailure?.promotion ?? 'Manual',
    maxDataLossSeconds: fg.spec.zoneFailure?.maxDataLossSeconds,
    now,
    ...requestedZone(fg),
  });
  if (decision.action === 'stay') return { kind: 'outcome', outcome: {} };
  if (decision.action === 'refuse' && decision.reason === reasons.NoStandby) {
    const restored = await restoreDecision(deps, fg, view, volumes, { active, now, byZone });
    if (restored !== undefined) return restored;
  }
  if (decision.action === 'refuse')
    return { kind: 'outcome', outcome: { refusal: { reason: decision.reason, message: decision.message } } };
  const target = byZone.get(decision.zone);
  return {
    kind: 'promote',
    zone: decision.zone,
    backupAt: target?.candidate.standby?.backupTakenAt,
  };
}

function inProgress(current: FailoverRecord | undefined): current is FailoverRecord {
  return (
    current?.reason === 'ZoneFailure' && current.completedAt === undefined && current.toZone !== undefined
  );
}

/** Fenced first: none of the group's pods may still be on a node of the lost zone. */
function waitForFencing(view: GroupView, active: string): ZoneOutcome | undefined {
  const left = view.pods.filter((p) => zoneOfNode(view, p.spec?.nodeName) === active);
  if (left.length === 0) return undefined;
  return {
    busy: true,
    refusal: {
      reason: reasons.WaitingForFencing,
      message: `${String(left.length)} pod(s) of the group are still on nodes of ${active}; promoting once they are fenced`,
    },
  };
}

/** Only reads: what it decides reaches the cluster through the group's status, which the caller writes. */
export async function handleZoneLoss(
  deps: { client: ApiReader },
  fg: FailoverGroup,
  view: GroupView,
  current: FailoverRecord | undefined,
  now: Date,
): Promise<ZoneOutcome> {
  if (inProgress(current)) return carryOn(deps, fg, current, now);
  const active = fg.status?.activeZone ?? fg.spec.zones[0] ?? '';
  if (!activeZoneLost(fg, view, active)) return {};
  const decided = await decide(deps, fg, view, active, now);
  if (decided.kind === 'outcome') return decided.outcome;
  const fencing = waitForFencing(view, active);
  if (fencing !== undefined) return fencing;
  const { record, replaces } = startRecord({
    current,
    view,
    from: active,
    to: decided.zone,
    backupAt: decided.backupAt,
    now,
  });
  // The record is written (status) before any volume is touched; the next pass carries it on. A pass
  // whose status write fails has done nothing, and the next one decides again.
  return { record, replaces, busy: true, begun: true };
}
