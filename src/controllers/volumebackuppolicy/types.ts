// Where VolumeBackupPolicies and VolumeBackups live on the API server, and the
// names this controller writes on the objects it makes.
import type { VolumeBackup, VolumeBackupPolicy } from '../../api/v1alpha1/types.generated.js';
import type { Stored } from '../../kube/wire.js';

export { volumeBackupPolicyType, volumeBackupType } from '../kinds.js';

/** The generated types already use string timestamps, so they are their own wire form. */
export type Policy = Stored<VolumeBackupPolicy>;
export type Backup = Stored<VolumeBackup>;

export const backupLabels = {
  policy: 'storage.stateful.dev/policy',
  volume: 'storage.stateful.dev/volume',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

export const backupAnnotations = {
  /** The run a backup belongs to (RFC 3339, UTC): groups a run's backups and orders them. */
  scheduledTime: 'storage.stateful.dev/scheduled-time',
  /** "true" keeps a backup whatever the retention rules say (docs/backups.md). */
  hold: 'storage.stateful.dev/hold',
} as const;

export const managerName = 'stateful-volume-operator';

/** Event reasons and condition reasons of the policy. */
export const reasons = {
  BackupCreated: 'BackupCreated',
  BackupSkipped: 'BackupSkipped',
  BackupCreateFailed: 'BackupCreateFailed',
  BackupNameTaken: 'BackupNameTaken',
  BackupPruned: 'BackupPruned',
  MissedSchedule: 'MissedSchedule',
  InvalidRetention: 'InvalidRetention',
  VolumeNotFound: 'VolumeNotFound',
  Scheduled: 'Scheduled',
  RunInProgress: 'RunInProgress',
  LastRunSucceeded: 'LastRunSucceeded',
  RunSucceeded: 'RunSucceeded',
  BackupFailed: 'BackupFailed',
  Suspended: 'Suspended',
  NotSuspended: 'NotSuspended',
  BackupsStale: 'BackupsStale',
  BackupsFresh: 'BackupsFresh',
} as const;

/** Options of the controller that are not in the policy's spec. */
export interface PolicyControllerOptions {
  /** Creations of VolumeBackups per second, over all policies. */
  readonly createQps: number;
  readonly createBurst: number;
  /** At most this many creations per pass; the rest follow in the next pass a second later. */
  readonly maxCreatesPerPass: number;
  /** At most this many deletions per pass, so a tightened rule does not delete hundreds at once. */
  readonly maxDeletesPerPass: number;
  /** How long a Failed backup is kept at least, counted from its failure. */
  readonly failedRetentionSeconds: number;
}

export const defaultPolicyControllerOptions: PolicyControllerOptions = {
  createQps: 10,
  createBurst: 20,
  maxCreatesPerPass: 50,
  maxDeletesPerPass: 50,
  failedRetentionSeconds: 86_400,
};
