// The VolumeBackupPolicy controller: its own kind, the VolumeBackups that name
// it, and the StatefulVolumes it may select.
import type { OperatorConfig } from '../../config.js';
import { TokenBucket } from '../../kube/ratelimit.js';
import type { Manager } from '../../runtime/manager.js';
import { objectKey, type KubeObject } from '../../kube/wire.js';
import { statefulVolumeType } from '../statefulvolume/types.js';
import type { PolicyDeps } from './deps.js';
import { BackupAgeBounds, exportBackupAgeBounds } from './max-age.js';
import { volumeBackupPolicyMetrics } from './metrics.js';
import { reconcileVolumeBackupPolicy } from './reconcile.js';
import { RecentCreations } from './recent.js';
import { StatusWrites } from './status-write.js';
import type { CreationLimiter } from './run.js';
import {
  defaultPolicyControllerOptions,
  volumeBackupPolicyType,
  volumeBackupType,
  type Backup,
  type PolicyControllerOptions,
} from './types.js';

export interface VolumeBackupPolicyConfig
  extends
    Pick<OperatorConfig, 'concurrency'>,
    Partial<Pick<OperatorConfig, 'backupCreateQps' | 'backupCreateBurst'>> {
  /** Overrides of the controller's own limits. */
  readonly backupPolicy?: Partial<PolicyControllerOptions>;
  /** One bucket for every policy, so a thousand volumes on one schedule are created at a steady rate. */
  readonly creationLimiter?: CreationLimiter;
}

/** The policy a backup names; hand-made backups name one too, or none. */
function policyKeys(obj: KubeObject): string[] {
  const named = (obj as Backup).spec.policyName;
  return named !== undefined && named !== '' ? [`${obj.metadata.namespace ?? ''}/${named}`] : [];
}

export function registerVolumeBackupPolicy(mgr: Manager, config: VolumeBackupPolicyConfig): void {
  const options = {
    ...defaultPolicyControllerOptions,
    ...(config.backupCreateQps !== undefined ? { createQps: config.backupCreateQps } : {}),
    ...(config.backupCreateBurst !== undefined ? { createBurst: config.backupCreateBurst } : {}),
    ...config.backupPolicy,
  };
  const limiter = config.creationLimiter ?? new TokenBucket(options.createQps, options.createBurst);
  const recent = new RecentCreations(mgr.clock);
  const ageBounds = new BackupAgeBounds();
  exportBackupAgeBounds(mgr.metrics, ageBounds);
  const statusWrites = new StatusWrites();
  const { cache, client, recorder, clock } = mgr;
  const metrics = volumeBackupPolicyMetrics(mgr.metrics);
  const deps: PolicyDeps = {
    cache,
    client,
    recorder,
    clock,
    metrics,
    limiter,
    options,
    recent,
    ageBounds,
    statusWrites,
  };
  const policiesIn = (obj: KubeObject): string[] =>
    mgr.cache.list(volumeBackupPolicyType, obj.metadata.namespace).map(objectKey);
  mgr.add({
    name: 'volumebackuppolicy',
    forType: volumeBackupPolicyType,
    watches: [
      { type: volumeBackupType, map: policyKeys },
      { type: statefulVolumeType, map: policiesIn },
    ],
    concurrency: config.concurrency,
    reconcile: (req) => reconcileVolumeBackupPolicy(deps, req),
  });
}
