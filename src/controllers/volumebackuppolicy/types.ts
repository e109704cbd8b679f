// Where VolumeBackupPolicies and VolumeBackups live on the API server, and the
// options of the controller.
import type { VolumeBackup, VolumeBackupPolicy } from '../../api/v1alpha1/types.generated.js';
import type { Stored } from '../../kube/wire.js';

export { volumeBackupPolicyType, volumeBackupType } from '../kinds.js';

/** The generated types already use string timestamps, so they are their own wire form. */
export type Policy = Stored<VolumeBackupPolicy>;
export type Backup = Stored<VolumeBackup>;

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
