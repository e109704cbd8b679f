// Deterministic names and delays for the backups of a run. Deterministic so a
// restarted operator, or a second pass over the same run, arrives at the same
// answer and adopts what the first one made instead of making it twice.
import { createHash } from 'node:crypto';
import { maxLabelValueLength, shortHash, trimEnds } from '../../kube/names.js';

/** DNS-1123 label length: the name also fits where a label value or a Pod name is needed. */
export const MAX_NAME_LENGTH = maxLabelValueLength;
const hashLength = shortHash('').length;

/** yyyymmddhhmm of an instant, in UTC, so the name does not depend on the policy's zone. */
export function runStamp(scheduledTime: Date): string {
  return scheduledTime.toISOString().slice(0, 16).replace(/[-T:]/g, '');
}

/**
 * `<volume>-<policy>-<yyyymmddhhmm>`. When that is longer than 63 characters
 * the volume and policy part is cut and a hash of the full pair is appended,
 * so two long pairs that share a prefix still get different names.
 */
export function backupName(volume: string, policy: string, scheduledTime: Date): string {
  return stampedName(volume, policy, runStamp(scheduledTime));
}

/** `<volume>-<owner>-<stamp>`, cut and hashed as backupName is when too long. */
export function stampedName(volume: string, policy: string, stamp: string): string {
  const stem = `${volume}-${policy}`;
  const room = MAX_NAME_LENGTH - stamp.length - 1;
  if (stem.length <= room) return `${stem}-${stamp}`;
  const cut = trimEnds(stem.slice(0, room - hashLength - 1));
  return `${cut}-${shortHash(`${volume}/${policy}`)}-${stamp}`;
}

/**
 * How many seconds after the scheduled time a volume's backup is created:
 * spread over 0..jitterSeconds by a hash of the policy and volume, not by
 * Math.random, so every pass and every restart computes the same delay.
 */
export function jitterSecondsFor(
  namespace: string,
  policy: string,
  volume: string,
  jitterSeconds: number,
): number {
  if (!(jitterSeconds > 0)) return 0;
  const digest = createHash('sha256').update(`${namespace}/${policy}/${volume}`).digest();
  return digest.readUInt32BE(0) % (Math.floor(jitterSeconds) + 1);
}
