// The group's side of a promotion: it decides, and records the decision in its
// own status (status.promotions, one record per StatefulVolume, naming every
// claim and volume the rebind may touch with its UID). The StatefulVolume
// controller, the one writer of the volume's claims and PVs, carries the record
// out and reports in the volume's status.promotion; the group reads that to
// know when each rebind is done, and only then drops the record. The group
// itself never writes a claim or a PV.
import type {
  FailoverGroup,
  PromotionRecord,
  PromotionReason,
  StatefulVolume,
  VolumeBackup,
} from '../../api/v1alpha1/types.generated.js';
import { statefulVolumeConditions as types } from '../../api/v1alpha1/types.generated.js';
import { failoverGroupReasons as reasons } from '../../api/v1alpha1/reasons.js';
import { labels } from '../../api/v1alpha1/vocabulary.js';
import { coreTypes } from '../../kube/resource.js';
import type { ApiReader } from '../../runtime/capabilities.js';
import { statefulVolumeType } from '../kinds.js';
import { claimNameOf } from '../statefulvolume/claim.js';
import { seedOf, standbyClaimName } from '../statefulvolume/standbys.js';
import { failoverGroupType, type Claim, type Volume } from './types.js';

export type Progress =
  | { kind: 'completed' }
  | { kind: 'pending'; message: string }
  | { kind: 'stuck'; reason: string; message: string }
  /** The volume is gone or being deleted: nothing left to carry out. */
  | { kind: 'gone' };

/** The records as the API server has them now: a decision is never judged from a stale cache. */
export async function livePromotions(
  deps: { client: ApiReader },
  fg: FailoverGroup,
): Promise<PromotionRecord[]> {
  const fresh = await deps.client.find<FailoverGroup>(
    failoverGroupType,
    fg.metadata.namespace,
    fg.metadata.name ?? '',
  );
  return fresh?.status?.promotions ?? [];
}

function followed(fg: FailoverGroup, record: PromotionRecord, vol: StatefulVolume): boolean {
  const p = vol.status?.promotion;
  return (
    p !== undefined &&
    p.group.uid === fg.metadata.uid &&
    p.record.startedAt === record.startedAt &&
    p.record.volume.uid === record.volume.uid
  );
}

function gone(record: PromotionRecord, vol: StatefulVolume | undefined): vol is undefined {
  return (
    vol === undefined ||
    vol.metadata.uid !== record.volume.uid ||
    vol.metadata.deletionTimestamp !== undefined
  );
}

/** How far the volume got with this record, from its own status. */
export function progressOf(
  fg: FailoverGroup,
  record: PromotionRecord,
  vol: StatefulVolume | undefined,
): Progress {
  if (gone(record, vol)) return { kind: 'gone' };
  const name = vol.metadata.name ?? '';
  const p = vol.status?.promotion;
  if (p === undefined || !followed(fg, record, vol))
    return { kind: 'pending', message: `${name}: waiting for the StatefulVolume to take the record` };
  if (p.phase === 'Completed') return { kind: 'completed' };
  return progressMessage(vol, p.phase, p.message ?? '');
}

/** How far the record's volume got, as the API server has the volume now. */
export async function liveProgress(
  deps: { client: ApiReader },
  fg: FailoverGroup,
  record: PromotionRecord,
): Promise<Progress> {
  const vol = await deps.client.find<StatefulVolume>(
    statefulVolumeType,
    fg.metadata.namespace,
    record.volume.name,
  );
  return progressOf(fg, record, vol);
}

function progressMessage(vol: StatefulVolume, phase: string, message: string): Progress {
  const name = vol.metadata.name ?? '';
  if (phase === 'Refused')
    return {
      kind: 'stuck',
      reason: reasons.PromotionRefused,
      message: `StatefulVolume ${name} refused the promotion: ${message}`,
    };
  const cond = vol.status?.conditions?.find((c) => c.type === types.Promoting);
  if (cond?.status === 'False')
    return { kind: 'stuck', reason: cond.reason, message: `StatefulVolume ${name}: ${message}` };
  return { kind: 'pending', message: `${name}: ${message}` };
}

/** The volume's claim already holds a volume in the zone. */
export function arrived(claim: Claim | undefined, zone: string): boolean {
  return (
    claim?.status?.phase === 'Bound' &&
    claim.metadata.deletionTimestamp === undefined &&
    claim.metadata.labels?.[labels.zone] === zone
  );
}

export interface EntryInput {
  reason: PromotionReason;
  zone: string;
  startedAt: string;
  /** The standby claim to promote, or the backup to restore one from when the zone has none. */
  from: { standby: string } | { restore: VolumeBackup };
  backupTakenAt?: string;
}

const identity = (o: { metadata: { name?: string; uid?: string } }): { name: string; uid: string } => ({
  name: o.metadata.name ?? '',
  uid: o.metadata.uid ?? '',
});

const claimType = coreTypes.persistentVolumeClaim;
const volumeType = coreTypes.persistentVolume;

function findClaim(
  deps: { client: ApiReader },
  ns: string | undefined,
  name: string | undefined,
): Promise<Claim | undefined> {
  return name === undefined || name === ''
    ? Promise.resolve(undefined)
    : deps.client.find<Claim>(claimType, ns, name);
}

function findVolume(deps: { client: ApiReader }, name: string | undefined): Promise<Volume | undefined> {
  return name === undefined || name === ''
    ? Promise.resolve(undefined)
    : deps.client.find<Volume>(volumeType, undefined, name);
}

/** The primary claim and its PV as the promotion finds them: only these objects may be replaced. */
async function oldPrimary(
  deps: { client: ApiReader },
  vol: StatefulVolume,
): Promise<Pick<PromotionRecord, 'oldClaim' | 'oldVolume'>> {
  const claim = await findClaim(deps, vol.metadata.namespace, claimNameOf(vol));
  if (claim === undefined || claim.metadata.deletionTimestamp !== undefined) return {};
  const pv = await findVolume(deps, claim.spec?.volumeName);
  return { oldClaim: identity(claim), ...(pv !== undefined ? { oldVolume: identity(pv) } : {}) };
}

async function standbyOf(
  deps: { client: ApiReader },
  vol: StatefulVolume,
  name: string,
  zone: string,
): Promise<Pick<PromotionRecord, 'standbyClaim' | 'standbyVolume' | 'sourceBackup'> | { stuck: string }> {
  const standby = await findClaim(deps, vol.metadata.namespace, name);
  const pv = await findVolume(deps, standby?.spec?.volumeName);
  if (standby === undefined || pv === undefined || standby.status?.phase !== 'Bound')
    return { stuck: `no Bound standby claim of ${claimNameOf(vol)} in ${zone}` };
  // The label holds at most 63 characters of the backup's name; seedOf reads a longer one back.
  const source = standby.metadata.labels?.[labels.sourceBackup] !== undefined ? seedOf(standby) : undefined;
  return {
    standbyClaim: identity(standby),
    standbyVolume: identity(pv),
    ...(source !== undefined && source !== 'none' ? { sourceBackup: source } : {}),
  };
}

/**
 * The record for one volume, from what the API server shows now: the primary
 * claim and its PV, the standby claim and its PV, each with its UID. The group
 * reads only objects of its own namespace and the PVs they are bound to.
 */
export async function buildRecord(
  deps: { client: ApiReader },
  vol: StatefulVolume,
  input: EntryInput,
): Promise<PromotionRecord | { stuck: string }> {
  const base = {
    volume: identity(vol),
    reason: input.reason,
    zone: input.zone,
    startedAt: input.startedAt,
    ...(await oldPrimary(deps, vol)),
    ...(input.backupTakenAt !== undefined ? { backupTakenAt: input.backupTakenAt } : {}),
  };
  if ('restore' in input.from) {
    const backup = input.from.restore.metadata.name ?? '';
    const name = standbyClaimName(claimNameOf(vol), input.zone, backup);
    return { ...base, standbyClaim: { name }, restoreFrom: backup, sourceBackup: backup };
  }
  const standby = await standbyOf(deps, vol, input.from.standby, input.zone);
  return 'stuck' in standby ? standby : { ...base, ...standby };
}

export interface Advanced {
  /** The records to keep in status: those not finished, and those added this pass. */
  promotions: PromotionRecord[];
  /** Records whose volume reported Completed this pass (dropped from status). */
  completed: PromotionRecord[];
  /** What is still being waited for. */
  waiting: string[];
  stuck?: { reason: string; message: string };
}

/** A volume without a record: already there, a record to add, still being prepared, or stuck. */
export type Next =
  | { kind: 'arrived' }
  | { kind: 'record'; record: PromotionRecord }
  | { kind: 'waiting'; progress: string }
  | { kind: 'stuck'; reason: string; message: string };

/** The live records: dropped once their volume finished (or is gone), the others kept and waited for. */
async function settle(
  deps: { client: ApiReader },
  fg: FailoverGroup,
  live: readonly PromotionRecord[],
  out: Advanced,
): Promise<void> {
  for (const record of live) {
    const progress = await liveProgress(deps, fg, record);
    if (progress.kind === 'completed') out.completed.push(record);
    if (progress.kind === 'completed' || progress.kind === 'gone') continue;
    out.promotions.push(record);
    if (progress.kind === 'stuck') out.stuck ??= { reason: progress.reason, message: progress.message };
    else out.waiting.push(progress.message);
  }
}

/**
 * One pass over the group's promotions: records whose volume finished are
 * dropped, volumes without one get one (next), the rest are waited for. A
 * record is dropped only once its volume said Completed or is gone.
 */
export async function advance(
  deps: { client: ApiReader },
  fg: FailoverGroup,
  volumes: readonly StatefulVolume[],
  next: (vol: StatefulVolume) => Promise<Next>,
): Promise<Advanced> {
  const live = await livePromotions(deps, fg);
  const out: Advanced = { promotions: [], completed: [], waiting: [] };
  await settle(deps, fg, live, out);
  const handled = new Set(live.map((r) => r.volume.uid));
  for (const vol of volumes.filter((v) => !handled.has(v.metadata.uid))) {
    const n = await next(vol);
    if (n.kind === 'record') {
      out.promotions.push(n.record);
      out.waiting.push(`${vol.metadata.name ?? ''}: record written, waiting for the StatefulVolume`);
    } else if (n.kind === 'waiting') out.waiting.push(n.progress);
    else if (n.kind === 'stuck') out.stuck ??= { reason: n.reason, message: n.message };
  }
  return out;
}
