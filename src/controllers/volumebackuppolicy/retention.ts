// Which backups a VolumeBackupPolicy keeps and which it deletes. Tiers count
// like restic and borg: each tier walks the Ready backups newest first and
// keeps the newest of each distinct hour, day, ISO week, month or year in the
// policy's time zone until it has its count. Whatever the settings, the
// newest Ready backup of a volume is kept, and nothing a person or a restore
// still needs is ever deleted. docs/backups.md describes the rules.
import { volumeBackupPolicyReasons } from '../../api/v1alpha1/reasons.js';
import { isTimeZone, isoWeek, localTime, type LocalTime } from './timezone.js';

export type BackupPhase = 'Pending' | 'InProgress' | 'Ready' | 'Failed' | 'Deleting';

export interface BackupInfo {
  readonly name: string;
  /** spec.volumeName. */
  readonly volume: string;
  readonly phase: BackupPhase;
  /** When the backup was taken: status.startedAt, else metadata.creationTimestamp. Orders and buckets backups. */
  readonly createdAt: Date;
  readonly readyAt?: Date;
  /** When the backup failed; the failure grace counts from it (createdAt when unknown). */
  readonly failedAt?: Date;
  /** No spec.policyName: created by hand, never pruned, never counted in tiers. */
  readonly onDemand: boolean;
  /** Carries the hold annotation. */
  readonly held: boolean;
  /** A restore is still reading from it. */
  readonly inUseByRestore: boolean;
}

/** spec.retention as the API server stored it (defaults applied). */
export interface RetentionSettings {
  readonly keepLast?: number;
  readonly keepHourly?: number;
  readonly keepDaily?: number;
  readonly keepWeekly?: number;
  readonly keepMonthly?: number;
  readonly keepYearly?: number;
  /** Hours, minutes and seconds, such as 720h or 36h30m. */
  readonly maxAge?: string;
  /** Default 3, as in the CRD. */
  readonly keepFailed?: number;
}

export interface RetentionInput {
  /** The backups of the policy's volumes, any phase, on-demand ones included or not. */
  readonly backups: readonly BackupInfo[];
  readonly retention: RetentionSettings;
  /** spec.timeZone: the zone the hour, day, week, month and year buckets are read in. */
  readonly timeZone: string;
  readonly now: Date;
  /** A Failed backup is kept at least this long after it failed. Default 86400 (a day). */
  readonly failedRetentionSeconds?: number;
}

/** The rules a kept backup can be kept by, in this order (named in logs and tests, not in any status). */
export const retentionTiers = [
  'Last',
  'Hourly',
  'Daily',
  'Weekly',
  'Monthly',
  'Yearly',
  'Newest',
  'Failed',
] as const;
export type RetentionTier = (typeof retentionTiers)[number];

/** Why a backup is kept whatever the rules say. */
export type ProtectionReason = 'NotFinished' | 'OnDemand' | 'Held' | 'InUse' | 'NewestReady';

export type DeleteReason =
  /** Ready, older than maxAge. */
  | 'Expired'
  /** Failed, neither among the newest keepFailed nor within the failure grace. */
  | 'Failed'
  /** Ready, kept by no tier. */
  | 'OutsideRetention';

interface Named {
  readonly name: string;
  readonly volume: string;
}

export type KeepVerdict = Named & {
  readonly action: 'keep';
  /** The rules that keep it ('Newest' for the newest Ready, 'Failed' for failures). */
  readonly retainedBy: readonly RetentionTier[];
  /** Why it is kept regardless of the rules; empty when only retainedBy keeps it. */
  readonly protectedBy: readonly ProtectionReason[];
};
export type DeleteVerdict = Named & { readonly action: 'delete'; readonly reason: DeleteReason };
/** Already being deleted: neither counted nor deleted again. */
export type IgnoreVerdict = Named & { readonly action: 'ignore'; readonly reason: 'AlreadyDeleting' };
export type BackupVerdict = KeepVerdict | DeleteVerdict | IgnoreVerdict;

export interface RetentionPlan {
  readonly kind: 'plan';
  /** One verdict per input backup, in input order. */
  readonly verdicts: readonly BackupVerdict[];
  /** The deletions, in input order. */
  readonly delete: readonly DeleteVerdict[];
}

export interface RetentionError {
  readonly kind: 'invalid';
  readonly field: 'spec.retention.maxAge' | 'spec.timeZone';
  readonly reason: 'InvalidRetention' | 'UnknownTimeZone';
  readonly message: string;
}

export const DEFAULT_KEEP_FAILED = 3;
export const DEFAULT_FAILED_RETENTION_SECONDS = 86_400;

// The schema's durationPattern with its groups made to capture the numbers; a test checks the
// two accept the same strings.
const durationRegExp = /^(?:([0-9]{1,6})h)?(?:([0-9]{1,8})m)?(?:([0-9]{1,9})s)?$/;

function invalidMaxAge(value: string, why: string): RetentionError {
  return {
    kind: 'invalid',
    field: 'spec.retention.maxAge',
    reason: volumeBackupPolicyReasons.InvalidRetention,
    message: `spec.retention.maxAge: "${value}" ${why}`,
  };
}

/** A maxAge in milliseconds: hours, minutes and seconds in that order, each optional, above zero. */
export function parseMaxAge(value: string): number | RetentionError {
  const match = durationRegExp.exec(value);
  if (value === '' || match === null) {
    const days = /^([0-9]+)d$/.exec(value);
    const hint = days?.[1] !== undefined ? `; days are not a unit, write ${Number(days[1]) * 24}h` : '';
    return invalidMaxAge(
      value,
      `is not a duration such as 720h or 36h30m (hours h, minutes m, seconds s)${hint}`,
    );
  }
  const [hours, minutes, seconds] = [match[1], match[2], match[3]].map((g) => Number(g ?? 0));
  const ms = (((hours ?? 0) * 60 + (minutes ?? 0)) * 60 + (seconds ?? 0)) * 1000;
  return ms > 0 ? ms : invalidMaxAge(value, 'must be longer than zero');
}

type BucketTier = Exclude<RetentionTier, 'Newest' | 'Failed'>;

// Hours carry the UTC offset, so the two real hours of a fall-back overlap are two buckets.
const bucketOf: Record<BucketTier, (t: LocalTime, b: BackupInfo) => string> = {
  Last: (_t, b) => b.name,
  Hourly: (t) => `${t.year}-${t.month}-${t.day}T${t.hour}${t.offsetMs}`,
  Daily: (t) => `${t.year}-${t.month}-${t.day}`,
  Weekly: (t) => {
    const w = isoWeek(t.year, t.month, t.day);
    return `${w.year}W${w.week}`;
  },
  Monthly: (t) => `${t.year}-${t.month}`,
  Yearly: (t) => `${t.year}`,
};

const countOf: Record<BucketTier, keyof RetentionSettings> = {
  Last: 'keepLast',
  Hourly: 'keepHourly',
  Daily: 'keepDaily',
  Weekly: 'keepWeekly',
  Monthly: 'keepMonthly',
  Yearly: 'keepYearly',
};

interface Context {
  readonly timeZone: string;
  readonly now: number;
  readonly maxAgeMs: number | undefined;
  readonly counts: Readonly<Record<BucketTier, number>>;
  readonly keepFailed: number;
  readonly failedGraceMs: number;
}

function count(value: number | string | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(0, Math.floor(value)) : 0;
}

function newestFirst(a: BackupInfo, b: BackupInfo): number {
  const byTime = b.createdAt.getTime() - a.createdAt.getTime();
  if (byTime !== 0) return byTime;
  return a.name < b.name ? 1 : a.name > b.name ? -1 : 0;
}

/** The tiers that keep each of the given Ready backups (newest first, none expired). */
function tierMarks(ready: readonly BackupInfo[], ctx: Context): Map<BackupInfo, RetentionTier[]> {
  const marks = new Map<BackupInfo, RetentionTier[]>();
  const local = ready.map((b) => localTime(ctx.timeZone, b.createdAt.getTime()));
  for (const tier of Object.keys(bucketOf) as BucketTier[]) {
    const seen = new Set<string>();
    ready.forEach((b, i) => {
      const t = local[i];
      if (t === undefined || seen.size >= ctx.counts[tier]) return;
      const bucket = bucketOf[tier](t, b);
      if (seen.has(bucket)) return;
      seen.add(bucket);
      marks.set(b, [...(marks.get(b) ?? []), tier]);
    });
  }
  return marks;
}

function keptFailures(backups: readonly BackupInfo[], ctx: Context): Set<BackupInfo> {
  const failed = backups.filter((b) => b.phase === 'Failed' && !b.onDemand).sort(newestFirst);
  const recent = failed.filter((b) => ctx.now - (b.failedAt ?? b.createdAt).getTime() < ctx.failedGraceMs);
  return new Set([...failed.slice(0, ctx.keepFailed), ...recent]);
}

function isExpired(b: BackupInfo, ctx: Context): boolean {
  return ctx.maxAgeMs !== undefined && ctx.now - b.createdAt.getTime() > ctx.maxAgeMs;
}

/** What the rules decide for one volume, before looking at single backups. */
interface VolumePlan {
  /** The newest Ready backup made by the policy. */
  readonly newest?: BackupInfo;
  readonly marks: ReadonlyMap<BackupInfo, readonly RetentionTier[]>;
  readonly failures: ReadonlySet<BackupInfo>;
}

function planVolume(backups: readonly BackupInfo[], ctx: Context): VolumePlan {
  // On-demand backups belong to whoever made them: counting them would let a hand deletion
  // leave the policy with fewer backups than its rules promise.
  const ready = backups.filter((b) => b.phase === 'Ready' && !b.onDemand).sort(newestFirst);
  const marks = tierMarks(
    ready.filter((b) => !isExpired(b, ctx)),
    ctx,
  );
  return { newest: ready[0], marks, failures: keptFailures(backups, ctx) };
}

function protections(b: BackupInfo, plan: VolumePlan): ProtectionReason[] {
  const reasons: ProtectionReason[] = [];
  if (b.phase === 'Pending' || b.phase === 'InProgress') reasons.push('NotFinished');
  if (b.onDemand) reasons.push('OnDemand');
  if (b.held) reasons.push('Held');
  if (b.inUseByRestore) reasons.push('InUse');
  if (b === plan.newest) reasons.push('NewestReady');
  return reasons;
}

function verdict(b: BackupInfo, plan: VolumePlan, ctx: Context): BackupVerdict {
  const named = { name: b.name, volume: b.volume };
  if (b.phase === 'Deleting') return { ...named, action: 'ignore', reason: 'AlreadyDeleting' };
  const kept = new Set<RetentionTier>(plan.marks.get(b) ?? []);
  if (b === plan.newest) kept.add('Newest');
  if (plan.failures.has(b)) kept.add('Failed');
  const retainedBy = retentionTiers.filter((t) => kept.has(t));
  const protectedBy = protections(b, plan);
  if (retainedBy.length > 0 || protectedBy.length > 0)
    return { ...named, action: 'keep', retainedBy, protectedBy };
  const reason = b.phase === 'Failed' ? 'Failed' : isExpired(b, ctx) ? 'Expired' : 'OutsideRetention';
  return { ...named, action: 'delete', reason };
}

function context(input: RetentionInput): Context | RetentionError {
  if (!isTimeZone(input.timeZone)) {
    return {
      kind: 'invalid',
      field: 'spec.timeZone',
      reason: volumeBackupPolicyReasons.UnknownTimeZone,
      message: `spec.timeZone: "${input.timeZone}" is not a time zone the operator knows; use an IANA name such as Europe/Berlin or UTC`,
    };
  }
  const r = input.retention;
  const maxAgeMs = r.maxAge === undefined ? undefined : parseMaxAge(r.maxAge);
  if (typeof maxAgeMs === 'object') return maxAgeMs;
  const counts = Object.fromEntries(
    (Object.keys(countOf) as BucketTier[]).map((tier) => [tier, count(r[countOf[tier]])]),
  ) as Record<BucketTier, number>;
  return {
    timeZone: input.timeZone,
    now: input.now.getTime(),
    maxAgeMs,
    counts,
    keepFailed: r.keepFailed === undefined ? DEFAULT_KEEP_FAILED : count(r.keepFailed),
    failedGraceMs: (input.failedRetentionSeconds ?? DEFAULT_FAILED_RETENTION_SECONDS) * 1000,
  };
}

/**
 * Keep or delete, for every backup given, volume by volume. Deterministic: the
 * same input gives the same plan, and applying a plan and planning again with
 * the same clock deletes nothing more.
 */
export function selectRetention(input: RetentionInput): RetentionPlan | RetentionError {
  const ctx = context(input);
  if ('kind' in ctx) return ctx;
  const byVolume = new Map<string, BackupInfo[]>();
  for (const b of input.backups) {
    const list = byVolume.get(b.volume);
    if (list === undefined) byVolume.set(b.volume, [b]);
    else list.push(b);
  }
  const plans = new Map<string, VolumePlan>();
  for (const [volume, backups] of byVolume) plans.set(volume, planVolume(backups, ctx));
  const empty: VolumePlan = { marks: new Map(), failures: new Set() };
  const verdicts = input.backups.map((b) => verdict(b, plans.get(b.volume) ?? empty, ctx));
  return {
    kind: 'plan',
    verdicts,
    delete: verdicts.filter((v): v is DeleteVerdict => v.action === 'delete'),
  };
}

export function isRetentionError(r: RetentionPlan | RetentionError): r is RetentionError {
  return r.kind === 'invalid';
}
