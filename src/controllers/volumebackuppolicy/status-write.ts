// When the policy's status is written. Every change of one of its backups
// wakes the policy, and the status carries per-volume newest backups, counts
// by phase and a Ready message with numbers in it, so writing whatever changed
// would rewrite the policy once or more per backup of a run. What a person or
// program acts on (phase, schedule times, each condition's status and reason,
// the selected volumes) is written at once; counters and messages that only
// follow a run's progress wait until the next such change, or at most
// progressWriteIntervalMs. Pure: the reconcile keeps the time of the last write.
import type { VolumeBackupPolicyStatus } from '../../api/v1alpha1/types.generated.js';
import { sameJson } from '../../runtime/status.js';

/** Progress alone (counts, per-volume newest backups, messages) is written at most this often. */
export const progressWriteIntervalMs = 300_000;

export type StatusWrite =
  | { readonly kind: 'none' }
  | { readonly kind: 'now' }
  /** Only progress changed and the last write is recent: look again after this long. */
  | { readonly kind: 'later'; readonly afterMs: number };

/** The part of the status that is written as soon as it changes. */
function decisive(status: VolumeBackupPolicyStatus | undefined): unknown {
  return {
    phase: status?.phase,
    observedGeneration: status?.observedGeneration,
    lastScheduleTime: status?.lastScheduleTime,
    nextScheduleTime: status?.nextScheduleTime,
    lastSuccessfulTime: status?.lastSuccessfulTime,
    conditions: (status?.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.observedGeneration]),
    volumes: (status?.volumes ?? []).map((v) => v.name),
  };
}

export function decideStatusWrite(
  before: VolumeBackupPolicyStatus | undefined,
  after: VolumeBackupPolicyStatus,
  lastWriteMs: number | undefined,
  nowMs: number,
  intervalMs = progressWriteIntervalMs,
): StatusWrite {
  if (sameJson(before, after)) return { kind: 'none' };
  if (!sameJson(decisive(before), decisive(after))) return { kind: 'now' };
  // After a restart the last write is unknown: one write, then the interval holds.
  if (lastWriteMs === undefined || nowMs - lastWriteMs >= intervalMs) return { kind: 'now' };
  return { kind: 'later', afterMs: intervalMs - (nowMs - lastWriteMs) };
}

/** When this process last wrote each policy's status, by namespace/name. */
export class StatusWrites {
  private readonly at = new Map<string, number>();

  lastWrite(key: string): number | undefined {
    return this.at.get(key);
  }

  wrote(key: string, atMs: number): void {
    this.at.set(key, atMs);
  }

  forget(key: string): void {
    this.at.delete(key);
  }
}
