// The VolumeBackupPolicy reconcile: its steps, in order, and one status write.
import type { ReconcileRequest } from '../../runtime/controller.js';
import { done, type Result } from '../../runtime/result.js';
import type { PolicyDeps } from './deps.js';
import { recordAgeBound } from './max-age.js';
import { observe } from './observe.js';
import { retain, type Retained } from './prune.js';
import { nextPass, passStatus, reportInvalid, writeWhenDue } from './report.js';
import { isScheduleError, parseSchedule } from './schedule.js';
import { tick } from './tick.js';
import { volumeBackupPolicyType, type Policy } from './types.js';

export async function reconcileVolumeBackupPolicy(deps: PolicyDeps, req: ReconcileRequest): Promise<Result> {
  // 1. Fetch and validate.
  const policy = deps.cache.get<Policy>(volumeBackupPolicyType, req.namespace, req.name);
  if (policy === undefined || policy.metadata.deletionTimestamp !== undefined) {
    deps.ageBounds.delete(req.key);
    deps.statusWrites.forget(`${req.namespace}/${req.name}`);
    return done;
  }
  const schedule = parseSchedule(policy.spec.schedule, policy.spec.timeZone ?? 'UTC');
  // 2-3. The selected volumes and the backups already there.
  const world = await observe(deps, policy);
  if (isScheduleError(schedule)) {
    deps.ageBounds.delete(req.key);
    return reportInvalid(deps, policy, world, schedule);
  }
  recordAgeBound(deps, req.key, policy, schedule, world.selection);
  // 4-5. The schedule decision from the persisted status, and the run it asks for (suspended: none).
  const result = await tick(deps, policy, schedule, world);
  const backups = [...world.own, ...result.created.filter((b) => !world.existing.has(b.metadata.name ?? ''))];
  // 6. Retention, never while suspended.
  const kept: Retained =
    result.report.kind === 'suspended' ? { left: backups } : await retain(deps, policy, world, backups);
  // 7. Status, once; a failed creation is thrown only after it, so it retries with backoff.
  const base = { policy, selection: world.selection, now: deps.clock.now(), schedule };
  const progressDue = await writeWhenDue(deps, passStatus(base, result, kept));
  if (result.error !== undefined) throw new Error(result.error);
  return nextPass(result, kept, progressDue);
}
