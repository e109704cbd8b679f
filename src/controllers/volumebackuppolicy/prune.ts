// Step: delete the policy's backups its retention rules no longer keep. The
// verdicts come from selectRetention (retention.ts); this file maps
// VolumeBackups to its input, carries out the deletions and says why in an
// Event. The verdicts are not written on the backups: the VolumeBackup
// controller is the only writer of their status, and keeping a per-backup list
// of tiers current would rewrite most of a volume's backups after every run.
import { volumeBackupConditions as types } from '../../api/v1alpha1/types.generated.js';
import type { StatefulVolume } from '../../api/v1alpha1/types.generated.js';
import type { ApiWriter, Clock, Recorder } from '../../runtime/capabilities.js';
import type { World } from './observe.js';
import {
  DEFAULT_FAILED_RETENTION_SECONDS,
  DEFAULT_KEEP_FAILED,
  isRetentionError,
  selectRetention,
  type BackupInfo,
  type DeleteVerdict,
  type RetentionError,
  type RetentionPlan,
  type RetentionSettings,
} from './retention.js';
import { volumeBackupPolicyReasons as reasons } from '../../api/v1alpha1/reasons.js';
import { annotations } from '../../api/v1alpha1/vocabulary.js';
import { volumeBackupType, type Backup, type Policy, type PolicyControllerOptions } from './types.js';

/** What the API server defaults spec.retention to; used when a policy was stored without it. */
const defaultRetention: RetentionSettings = { keepLast: 7, keepFailed: DEFAULT_KEEP_FAILED };

function date(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * When a backup was taken: status.startedAt, else the run it belongs to, else
 * its creation. The run's time comes before the creation time because a run
 * caught up after a restart is about the data of that run.
 */
export function takenAt(b: Backup): Date {
  return (
    date(b.status?.startedAt) ??
    date(b.metadata.annotations?.[annotations.scheduledTime]) ??
    date(b.metadata.creationTimestamp) ??
    new Date(0)
  );
}

function failedAt(b: Backup): Date | undefined {
  if (b.status?.phase !== 'Failed') return undefined;
  return date(b.status.conditions?.find((c) => c.type === types.Ready)?.lastTransitionTime);
}

/**
 * Backups a restore may still read from: the source of a StatefulVolume not
 * yet provisioned, or of a standby replica still being filled.
 */
function restoringFrom(v: StatefulVolume): string[] {
  const source = v.spec.source?.volumeBackupName;
  const provisioned =
    v.status?.conditions?.some((c) => c.type === 'Provisioned' && c.status === 'True') === true;
  const primary = source !== undefined && !provisioned ? [source] : [];
  const filling = (v.status?.replicas ?? []).filter(
    (r) => r.phase === 'Restoring' || r.phase === 'Provisioning',
  );
  return [...primary, ...filling.flatMap((r) => (r.sourceBackup !== undefined ? [r.sourceBackup] : []))];
}

export function backupsInUse(volumes: readonly StatefulVolume[]): Set<string> {
  return new Set(volumes.flatMap(restoringFrom));
}

export function backupInfo(b: Backup, inUse: ReadonlySet<string>): BackupInfo {
  const name = b.metadata.name ?? '';
  const readyAt = date(b.status?.readyAt);
  const failed = failedAt(b);
  return {
    name,
    volume: b.spec.volumeName,
    // A backup the VolumeBackup controller has not looked at yet is Pending.
    phase: b.metadata.deletionTimestamp !== undefined ? 'Deleting' : (b.status?.phase ?? 'Pending'),
    createdAt: takenAt(b),
    ...(readyAt !== undefined ? { readyAt } : {}),
    ...(failed !== undefined ? { failedAt: failed } : {}),
    onDemand: b.spec.policyName === undefined || b.spec.policyName === '',
    held: b.metadata.annotations?.[annotations.hold] === 'true',
    inUseByRestore: inUse.has(name),
  };
}

export interface RetentionRequest {
  readonly policy: Policy;
  /** The policy's backups (spec.policyName), any phase. */
  readonly backups: readonly Backup[];
  /** The StatefulVolumes of the namespace, to see which backups a restore reads. */
  readonly volumes: readonly StatefulVolume[];
  readonly now: Date;
  readonly failedRetentionSeconds?: number;
}

/** The retention verdict for each of the policy's backups, in the policy's time zone. */
export function planRetention(req: RetentionRequest): RetentionPlan | RetentionError {
  const inUse = backupsInUse(req.volumes);
  return selectRetention({
    backups: req.backups.map((b) => backupInfo(b, inUse)),
    retention: req.policy.spec.retention ?? defaultRetention,
    timeZone: req.policy.spec.timeZone ?? 'UTC',
    now: req.now,
    failedRetentionSeconds: req.failedRetentionSeconds ?? DEFAULT_FAILED_RETENTION_SECONDS,
  });
}

const tierSettings = [
  'keepLast',
  'keepHourly',
  'keepDaily',
  'keepWeekly',
  'keepMonthly',
  'keepYearly',
] as const;

/** The rules as written, e.g. "keepLast 2, keepDaily 7". */
export function describeRules(r: RetentionSettings): string {
  const set = tierSettings.flatMap((k) => (r[k] !== undefined && r[k] > 0 ? [`${k} ${r[k]}`] : []));
  return set.length > 0 ? set.join(', ') : 'no tier';
}

/** Why a backup is deleted, naming the rule that no longer keeps it. */
export function pruneMessage(v: DeleteVerdict, b: Backup, retention: RetentionSettings): string {
  const head = `Deleted VolumeBackup ${v.name} of volume ${v.volume} (taken ${takenAt(b).toISOString()})`;
  if (v.reason === 'Expired') return `${head}: older than retention.maxAge ${retention.maxAge ?? ''}.`;
  if (v.reason === 'Failed') {
    const keep = retention.keepFailed ?? DEFAULT_KEEP_FAILED;
    return `${head}: a Failed backup beyond the newest ${keep} failures (retention.keepFailed), failed long enough ago to have been seen.`;
  }
  return `${head}: no retention tier keeps it any more (${describeRules(retention)}).`;
}

/**
 * Deletes what the plan says, at most max of them, each with the uid read as
 * precondition so that a newer object that reused the name is never deleted.
 * Returns the names deleted.
 */
export async function prune(
  deps: { client: ApiWriter; recorder: Recorder },
  policy: Policy,
  plan: RetentionPlan,
  opts: { readonly byName: ReadonlyMap<string, Backup>; readonly max: number },
): Promise<readonly string[]> {
  const deleted: string[] = [];
  const retention = policy.spec.retention ?? defaultRetention;
  const byName = opts.byName;
  for (const v of plan.delete.slice(0, Math.max(0, opts.max))) {
    const b = byName.get(v.name);
    if (b === undefined) continue;
    const preconditionUid = b.metadata.uid;
    await deps.client.delete(volumeBackupType, b.metadata.namespace, v.name, {
      ...(preconditionUid !== undefined ? { preconditionUid } : {}),
    });
    deps.recorder.normal(policy, reasons.BackupPruned, pruneMessage(v, b, retention));
    deleted.push(v.name);
  }
  return deleted;
}

export interface Retained {
  readonly left: readonly Backup[];
  /** More deletions are due than one pass may make. */
  readonly more?: boolean;
  readonly error?: string;
}

/** Step 6: retention, unless suspended. Returns the backups left and why retention could not run. */
export async function retain(
  deps: {
    clock: Clock;
    client: ApiWriter;
    recorder: Recorder;
    options: Pick<PolicyControllerOptions, 'failedRetentionSeconds' | 'maxDeletesPerPass'>;
  },
  policy: Policy,
  world: World,
  backups: readonly Backup[],
): Promise<Retained> {
  const plan = planRetention({
    policy,
    backups: world.own,
    volumes: world.volumes,
    now: deps.clock.now(),
    failedRetentionSeconds: deps.options.failedRetentionSeconds,
  });
  if (isRetentionError(plan)) return { left: backups, error: plan.message };
  const max = deps.options.maxDeletesPerPass;
  const deleted = new Set(await prune(deps, policy, plan, { byName: world.existing, max }));
  return { left: backups.filter((b) => !deleted.has(b.metadata.name ?? '')), more: plan.delete.length > max };
}
