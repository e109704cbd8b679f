// What the VolumeBackupPolicy reconcile is given: the manager's capabilities
// and the state the controller keeps between passes. Each step's signature
// names only the parts of it that the step uses.
import type { ApiClient, CacheReader, CacheWriter } from '../../runtime/capabilities.js';
import type { BackupAgeBounds } from './max-age.js';
import type { ReportDeps } from './report.js';
import type { TickDeps } from './tick.js';
import type { PolicyControllerOptions } from './types.js';

export interface PolicyDeps extends TickDeps, ReportDeps {
  readonly cache: CacheReader & CacheWriter;
  readonly client: ApiClient;
  readonly options: PolicyControllerOptions;
  /** Each policy's bound on the age of its volumes' newest backups, for the metric. */
  readonly ageBounds: BackupAgeBounds;
}
