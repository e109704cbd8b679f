// Step: one backup per selected volume for the run at scheduledTime. The plan
// is pure; carrying it out creates VolumeBackups through a shared token bucket,
// adopts the ones a previous pass (or a previous process) already made, and
// leaves the rest to the next pass when jitter or the per-pass cap says so.
import { rfc3339 } from '../../runtime/clock.js';
import { errorMessage, isAlreadyExists } from '../../kube/errors.js';
import type { ApiClient } from '../../runtime/capabilities.js';
import { labelValue } from '../../kube/names.js';
import { annotations, labels, finalizers, managerName } from '../../api/v1alpha1/vocabulary.js';
import { backupName, jitterSecondsFor } from './naming.js';
import { volumeBackupType, type Backup, type Policy } from './types.js';

/** Takes one creation token; resolves when a creation may be sent. */
export interface CreationLimiter {
  take(): Promise<void>;
}

export type VolumeStep =
  /** The run's backup of the volume exists and is ours. */
  | { readonly kind: 'present'; readonly volume: string; readonly name: string }
  /** An object of that name exists but belongs to something else: refused, with a Warning. */
  | { readonly kind: 'taken'; readonly volume: string; readonly name: string; readonly message: string }
  /** Another backup of the volume is still Pending or InProgress: skipped for this run. */
  | { readonly kind: 'busy'; readonly volume: string; readonly inFlight: string }
  /** Its jittered time has not come yet. */
  | { readonly kind: 'later'; readonly volume: string; readonly dueAt: Date }
  | { readonly kind: 'create'; readonly volume: string; readonly name: string };

export interface RunInput {
  readonly namespace: string;
  readonly policy: string;
  readonly scheduledTime: Date;
  readonly jitterSeconds: number;
  readonly now: Date;
  /** Names of the selected volumes. */
  readonly volumes: readonly string[];
  /** Every VolumeBackup of the namespace, by name: a name may be taken by anything. */
  readonly existing: ReadonlyMap<string, Backup>;
}

const unfinished = new Set<string | undefined>([undefined, 'Pending', 'InProgress']);

/** Whether a backup was made for this policy and volume, so taking it over is safe. */
export function isOurs(b: Backup, policy: string, volume: string): boolean {
  return b.spec.policyName === policy && b.spec.volumeName === volume;
}

/**
 * Per volume, one unfinished backup of the policy, keyed by volume so that a
 * thousand volumes with seven backups each are read once, not once per volume.
 * The run's own backup is not "in flight": it is adopted.
 */
function inFlightByVolume(input: RunInput): Map<string, string> {
  const own = new Set(input.volumes.map((v) => backupName(v, input.policy, input.scheduledTime)));
  const out = new Map<string, string>();
  for (const b of input.existing.values()) {
    const name = b.metadata.name ?? '';
    if (b.spec.policyName !== input.policy || own.has(name) || b.metadata.deletionTimestamp !== undefined)
      continue;
    if (unfinished.has(b.status?.phase) && !out.has(b.spec.volumeName)) out.set(b.spec.volumeName, name);
  }
  return out;
}

function stepFor(input: RunInput, volume: string, inFlight: ReadonlyMap<string, string>): VolumeStep {
  const name = backupName(volume, input.policy, input.scheduledTime);
  const found = input.existing.get(name);
  if (found !== undefined) {
    if (isOurs(found, input.policy, volume)) return { kind: 'present', volume, name };
    return { kind: 'taken', volume, name, message: takenMessage(name, found) };
  }
  const busy = inFlight.get(volume);
  if (busy !== undefined) return { kind: 'busy', volume, inFlight: busy };
  const delay = jitterSecondsFor(input.namespace, input.policy, volume, input.jitterSeconds) * 1000;
  const dueAt = new Date(input.scheduledTime.getTime() + delay);
  if (dueAt.getTime() > input.now.getTime()) return { kind: 'later', volume, dueAt };
  return { kind: 'create', volume, name };
}

function takenMessage(name: string, found: Backup): string {
  const policy = found.spec.policyName ?? '(none: on-demand)';
  return (
    `VolumeBackup ${name} already exists for volume ${found.spec.volumeName} and policy ${policy}; ` +
    'rename or delete it so that this policy can back the volume up'
  );
}

/** What to do for each selected volume in this pass, in the order of input.volumes. */
export function planRun(input: RunInput): readonly VolumeStep[] {
  const inFlight = inFlightByVolume(input);
  return input.volumes.map((v) => stepFor(input, v, inFlight));
}

/**
 * The VolumeBackup the policy makes for a volume and a run. It names its
 * policy in spec and a label but carries no owner reference: deleting a policy
 * (an Argo CD prune, a rename in git) must not garbage-collect every backup it
 * made. A policy of the same name created again takes its backups back.
 */
export function desiredBackup(policy: Policy, volume: string, scheduledTime: Date): Backup {
  const policyName = policy.metadata.name ?? '';
  const spec: Backup['spec'] = { volumeName: volume, policyName };
  if (policy.spec.volumeSnapshotClassName !== undefined)
    spec.volumeSnapshotClassName = policy.spec.volumeSnapshotClassName;
  if (policy.spec.backupDeadlineSeconds !== undefined)
    spec.deadlineSeconds = policy.spec.backupDeadlineSeconds;
  return {
    apiVersion: 'storage.stateful.dev/v1alpha1',
    kind: 'VolumeBackup',
    metadata: {
      name: backupName(volume, policyName, scheduledTime),
      namespace: policy.metadata.namespace ?? '',
      labels: {
        [labels.policy]: labelValue(policyName),
        [labels.volume]: labelValue(volume),
        [labels.managedBy]: managerName,
      },
      annotations: { [annotations.scheduledTime]: rfc3339(scheduledTime) },
      // Born with the VolumeBackup controller's finalizer, which would otherwise cost an update of each backup.
      finalizers: [finalizers.snapshotProtection],
    },
    spec,
  };
}

/** What a pass did for one volume: a plan step, or the outcome of carrying it out. */
export type RunOutcome =
  | Exclude<VolumeStep, { kind: 'create' }>
  | { readonly kind: 'created'; readonly volume: string; readonly name: string }
  /** Left for the next pass by the per-pass cap. */
  | { readonly kind: 'deferred'; readonly volume: string }
  | { readonly kind: 'error'; readonly volume: string; readonly name: string; readonly error: unknown };

async function createOne(
  deps: { client: ApiClient; limiter: CreationLimiter },
  desired: Backup,
  volume: string,
): Promise<RunOutcome> {
  const name = desired.metadata.name ?? '';
  const policy = desired.spec.policyName ?? '';
  await deps.limiter.take();
  try {
    await deps.client.create(volumeBackupType, desired);
    return { kind: 'created', volume, name };
  } catch (err) {
    if (!isAlreadyExists(err)) return { kind: 'error', volume, name, error: err };
  }
  // The cache lags our own creations (a restart mid-run, a pass right after the last one).
  const found = await deps.client.find<Backup>(volumeBackupType, desired.metadata.namespace, name);
  if (found === undefined || isOurs(found, policy, volume)) return { kind: 'present', volume, name };
  return { kind: 'taken', volume, name, message: takenMessage(name, found) };
}

/** Carries out a plan: at most maxCreates creations, one token each. */
export async function executeRun(
  deps: { client: ApiClient; limiter: CreationLimiter },
  policy: Policy,
  plan: { readonly steps: readonly VolumeStep[]; readonly scheduledTime: Date; readonly maxCreates: number },
): Promise<readonly RunOutcome[]> {
  let budget = plan.maxCreates;
  const outcomes: RunOutcome[] = [];
  for (const step of plan.steps) {
    if (step.kind !== 'create') {
      outcomes.push(step);
      continue;
    }
    if (budget <= 0) {
      outcomes.push({ kind: 'deferred', volume: step.volume });
      continue;
    }
    budget--;
    outcomes.push(await createOne(deps, desiredBackup(policy, step.volume, plan.scheduledTime), step.volume));
  }
  return outcomes;
}

/** The run is over when every volume has its backup, was refused, or was skipped as busy. */
export function runComplete(outcomes: readonly RunOutcome[]): boolean {
  return outcomes.every(
    (o) => o.kind === 'present' || o.kind === 'created' || o.kind === 'taken' || o.kind === 'busy',
  );
}

/** The earliest jittered creation still to come, for the requeue. */
export function nextDue(outcomes: readonly RunOutcome[]): Date | undefined {
  const times = outcomes.flatMap((o) => (o.kind === 'later' ? [o.dueAt.getTime()] : []));
  return times.length === 0 ? undefined : new Date(Math.min(...times));
}

export function firstError(outcomes: readonly RunOutcome[]): string | undefined {
  const failed = outcomes.find((o) => o.kind === 'error');
  return failed?.kind === 'error'
    ? `creating VolumeBackup ${failed.name}: ${errorMessage(failed.error)}`
    : undefined;
}
