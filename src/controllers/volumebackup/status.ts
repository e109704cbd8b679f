// Step: the status this pass observed, and the Events its transitions deserve.
// Pure: computed from the verdict and the facts the steps gathered.
import type { VolumeBackup, VolumeBackupStatus } from '../../api/v1alpha1/types.generated.js';
import { volumeBackupConditions as types } from '../../api/v1alpha1/types.generated.js';
import { rfc3339 } from '../../runtime/clock.js';
import { setCondition, type ConditionUpdate } from '../../runtime/conditions.js';
import { sameJson } from '../../runtime/status.js';
import { volumeBackupReasons as reasons } from '../../api/v1alpha1/reasons.js';
import type { Verdict } from './progress.js';

/** What the steps learnt about the snapshot, recorded once known. */
export interface Facts {
  readonly volumeSnapshotName?: string;
  readonly sourceClaimName?: string;
  readonly startedAt?: string;
}

function readyCondition(verdict: Verdict): ConditionUpdate {
  if (verdict.phase === 'Ready')
    return { type: types.Ready, status: 'True', reason: reasons.SnapshotReady, message: verdict.message };
  return { type: types.Ready, status: 'False', reason: verdict.reason, message: verdict.message };
}

export function computeStatus(
  backup: VolumeBackup,
  verdict: Verdict,
  facts: Facts,
  now: Date,
): VolumeBackupStatus {
  const gen = backup.metadata.generation;
  const previous = backup.status ?? {};
  const status: VolumeBackupStatus = {
    ...previous,
    ...facts,
    phase: verdict.phase,
    conditions: setCondition(previous.conditions, readyCondition(verdict), gen, now),
  };
  if (gen !== undefined) status.observedGeneration = gen;
  delete status.error;
  if (verdict.phase === 'Ready') {
    // When the operator first saw it ready, not the snapshot's creationTime (the instant of the cut).
    status.readyAt = previous.readyAt ?? rfc3339(now);
    if (verdict.restoreSize !== undefined) status.restoreSize = verdict.restoreSize;
  }
  if (verdict.phase === 'Failed') status.error = { reason: verdict.reason, message: verdict.message };
  return status;
}

/** The status while the backup waits for a restore to finish before it lets go of its snapshot. */
export function deletingStatus(backup: VolumeBackup): VolumeBackupStatus {
  return { ...backup.status, phase: 'Deleting' };
}

export interface EventSpec {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

// Waiting reasons a person should hear about; the others resolve by themselves.
const warnWhileWaiting = new Set<string>([reasons.VolumeNotFound, reasons.SnapshotClassNotFound]);

function readyOf(status: VolumeBackupStatus | undefined): { reason?: string; message?: string } | undefined {
  return status?.conditions?.find((c) => c.type === types.Ready);
}

function started(before: VolumeBackupStatus | undefined, after: VolumeBackupStatus): EventSpec[] {
  if (before?.startedAt !== undefined || after.startedAt === undefined) return [];
  const snapshot = after.volumeSnapshotName ?? '';
  const claim = after.sourceClaimName ?? '';
  return [
    {
      type: 'Normal',
      reason: reasons.BackupStarted,
      message: `Requested VolumeSnapshot ${snapshot} of claim ${claim}.`,
    },
  ];
}

function finished(before: VolumeBackupStatus | undefined, after: VolumeBackupStatus): EventSpec[] {
  if (after.phase === before?.phase) return [];
  if (after.phase === 'Ready') {
    return [
      {
        type: 'Normal',
        reason: reasons.BackupReady,
        message: readyOf(after)?.message ?? 'The backup is ready.',
      },
    ];
  }
  if (after.phase !== 'Failed') return [];
  const why = `${after.error?.reason ?? 'Failed'}: ${after.error?.message ?? ''}`;
  return [{ type: 'Warning', reason: reasons.BackupFailed, message: why }];
}

function stuck(before: VolumeBackupStatus | undefined, after: VolumeBackupStatus): EventSpec[] {
  const now = readyOf(after);
  if (after.phase !== 'Pending' || now?.reason === undefined || !warnWhileWaiting.has(now.reason)) return [];
  if (readyOf(before)?.reason === now.reason) return [];
  return [{ type: 'Warning', reason: now.reason, message: now.message ?? '' }];
}

/** Made by a VolumeBackupPolicy, which tells of its backups' start and readiness itself. */
export function madeByPolicy(backup: VolumeBackup): boolean {
  return backup.spec.policyName !== undefined && backup.spec.policyName !== '';
}

/**
 * Events for what changed between the status read and the status written.
 * A policy's backups tell their start and readiness through the policy, one
 * Event per run, instead of two Normal Events per backup; their Warnings stay.
 */
export function eventsFor(
  before: VolumeBackupStatus | undefined,
  after: VolumeBackupStatus,
  madeByPolicy = false,
): EventSpec[] {
  const all = [...started(before, after), ...finished(before, after), ...stuck(before, after)];
  return madeByPolicy ? all.filter((e) => e.type === 'Warning') : all;
}

/**
 * Whether the computed status is worth a write. A backup that has no status
 * yet and only waits for a snapshot slot stays without one: it is queued
 * inside the operator, and at most --backup-max-in-flight snapshots run at
 * once, so a large run would otherwise pay a Pending write for most of its
 * backups, to be replaced by InProgress moments or minutes later.
 */
export function shouldWriteStatus(
  before: VolumeBackupStatus | undefined,
  after: VolumeBackupStatus,
): boolean {
  if (sameJson(before, after)) return false;
  const queuedOnly =
    before?.phase === undefined &&
    after.phase === 'Pending' &&
    readyOf(after)?.reason === reasons.WaitingForSnapshotSlot;
  return !queuedOnly;
}
