// Deterministic names and delays for the backups of a run. Deterministic so a
// restarted operator, or a second pass over the same run, arrives at the same
// answer and adopts what the first one made instead of making it twice.
import { createHash } from 'node:crypto';

/** DNS-1123 label length: the name also fits where a label value or a Pod name is needed. */
export const MAX_NAME_LENGTH = 63;
const hashLength = 8;

function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, hashLength);
}

/** yyyymmddhhmm of an instant, in UTC, so the name does not depend on the policy's zone. */
export function runStamp(scheduledTime: Date): string {
  return scheduledTime.toISOString().slice(0, 16).replace(/[-T:]/g, '');
}

/** Cuts a DNS-1123 fragment so that it neither ends with a separator nor is empty. */
function trimEnd(value: string): string {
  return value.replace(/[-.]+$/, '');
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
  const cut = trimEnd(stem.slice(0, room - hashLength - 1));
  return `${cut}-${shortHash(`${volume}/${policy}`)}-${stamp}`;
}

/** A label value (at most 63 characters) naming an object whose name may be longer. */
export function labelValue(name: string): string {
  if (name.length <= MAX_NAME_LENGTH) return name;
  return `${trimEnd(name.slice(0, MAX_NAME_LENGTH - hashLength - 1))}-${shortHash(name)}`;
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
