// How far a backup is, judged from its snapshot's state and the clock alone.
// Pure: the reconcile gathers the facts, these decide what they mean.
import { volumeBackupReasons as reasons } from '../../api/v1alpha1/reasons.js';
import { defaultBackupDeadlineSeconds } from '../../api/v1alpha1/vocabulary.js';

export type Reason = (typeof reasons)[keyof typeof reasons];

/** What the snapshot's status says, reduced to what the verdict needs. */
export interface SnapshotState {
  readonly readyToUse?: boolean;
  readonly restoreSize?: string;
  /** status.error.message: reported, never final by itself, because snapshotters retry. */
  readonly error?: string;
}

export type Verdict =
  | {
      readonly phase: 'Pending' | 'InProgress';
      readonly reason: Reason;
      readonly message: string;
      /** When to look again at the latest: the deadline, or sooner while waiting on a poll. */
      readonly requeueAfterMs: number;
    }
  | { readonly phase: 'Ready'; readonly message: string; readonly restoreSize?: string }
  | { readonly phase: 'Failed'; readonly reason: Reason; readonly message: string };

/** How long a waiting backup may go without a fresh look: watches wake it sooner. */
export const waitingPollMs = 30_000;

/**
 * The instant the backup must be Ready by: deadlineSeconds after the snapshot
 * was requested, or after the VolumeBackup was created when it never started.
 */
export function deadlineOf(
  startedAt: string | undefined,
  createdAt: string | undefined,
  deadlineSeconds: number | undefined,
): Date | undefined {
  const from = startedAt ?? createdAt;
  if (from === undefined) return undefined;
  const start = Date.parse(from);
  if (Number.isNaN(start)) return undefined;
  return new Date(start + (deadlineSeconds ?? defaultBackupDeadlineSeconds) * 1000);
}

/** Milliseconds left until the deadline; Infinity without one, never below 0. */
export function remainingMs(deadline: Date | undefined, now: Date): number {
  if (deadline === undefined) return Number.POSITIVE_INFINITY;
  return Math.max(0, deadline.getTime() - now.getTime());
}

function seconds(deadlineSeconds: number | undefined): number {
  return deadlineSeconds ?? defaultBackupDeadlineSeconds;
}

/** A backup that has not started yet: it waits, unless its deadline has passed. */
export function judgeWaiting(
  wait: { readonly reason: Reason; readonly message: string },
  deadline: Date | undefined,
  deadlineSeconds: number | undefined,
  now: Date,
): Verdict {
  const left = remainingMs(deadline, now);
  if (left <= 0) {
    return {
      phase: 'Failed',
      reason: reasons.DeadlineExceeded,
      message: `The backup did not start within ${seconds(deadlineSeconds)} s: ${wait.message}`,
    };
  }
  return { phase: 'Pending', ...wait, requeueAfterMs: Math.min(left, waitingPollMs) };
}

function ready(name: string, restoreSize: string | undefined): Verdict {
  const size = restoreSize !== undefined ? ` (restore size ${restoreSize})` : '';
  return {
    phase: 'Ready',
    message: `VolumeSnapshot ${name} is ready to restore from${size}.`,
    ...(restoreSize !== undefined ? { restoreSize } : {}),
  };
}

/** A backup whose snapshot exists: Ready once the snapshot is, Failed at the deadline. */
export function judgeSnapshot(
  name: string,
  snapshot: SnapshotState,
  deadline: Date | undefined,
  deadlineSeconds: number | undefined,
  now: Date,
): Verdict {
  if (snapshot.readyToUse === true) return ready(name, snapshot.restoreSize);
  const lastError = snapshot.error !== undefined ? `; last error: ${snapshot.error}` : '';
  const left = remainingMs(deadline, now);
  if (left <= 0) {
    return {
      phase: 'Failed',
      reason: reasons.DeadlineExceeded,
      message: `VolumeSnapshot ${name} was not ready within ${seconds(deadlineSeconds)} s${lastError}. It is kept for inspection until the VolumeBackup is deleted.`,
    };
  }
  return {
    phase: 'InProgress',
    reason: reasons.SnapshotInProgress,
    message: `Waiting for VolumeSnapshot ${name} to be ready to use${lastError}.`,
    // The snapshot watch brings readiness; the requeue is only for the deadline.
    requeueAfterMs: Number.isFinite(left) ? left : waitingPollMs,
  };
}

/**
 * A Ready backup is a fact: it stays Ready while its snapshot exists, and
 * becomes Failed when the snapshot is gone. It never takes a new snapshot,
 * which would hold later data than the backup claims to.
 */
export function judgeReadyBackup(
  name: string,
  snapshot: (SnapshotState & { readonly deleting?: boolean }) | undefined,
  recordedSize: string | undefined,
): Verdict {
  if (snapshot === undefined || snapshot.deleting === true) {
    const how = snapshot === undefined ? 'was deleted' : 'is being deleted';
    return {
      phase: 'Failed',
      reason: reasons.SnapshotLost,
      message: `VolumeSnapshot ${name} of this Ready backup ${how} outside the operator; the backup can no longer be restored from. Create a new VolumeBackup.`,
    };
  }
  return ready(name, snapshot.restoreSize ?? recordedSize);
}

/** A started backup whose snapshot vanished before it was ready. */
export function lostInProgress(name: string): Verdict {
  return {
    phase: 'Failed',
    reason: reasons.SnapshotLost,
    message: `VolumeSnapshot ${name} was deleted outside the operator before it became ready. Create a new VolumeBackup.`,
  };
}

/** The name is held by a snapshot this backup does not control. */
export function nameTaken(name: string, holder: string): Verdict {
  return {
    phase: 'Failed',
    reason: reasons.SnapshotNameTaken,
    message: `VolumeSnapshot ${name} already exists and is controlled by ${holder}; it is left alone. Create the backup under another name.`,
  };
}
