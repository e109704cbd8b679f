// Which pod mounts a StatefulVolume's primary claim, where, and since when.
// Every move of that pod to another node is counted and timed: from the moment
// the old pod was lost (deleted, or its node went NotReady) until the new pod
// was scheduled elsewhere. That is what a user experiences as the volume being
// away, and what failover work tries to shrink.
import type { PodView } from '../../runtime/projections.js';

export interface AttachmentStatus {
  readonly pod: string;
  readonly node: string;
  readonly zone?: string;
  /** When the current pod was first seen on its node (RFC 3339). */
  readonly since: string;
  /** How many times the consuming pod has moved to another node. */
  readonly moves: number;
  /** Seconds from losing the previous pod to scheduling the current one, when the loss was seen. */
  readonly lastMoveSeconds?: number;
  /** When the current pod was seen to be lost (deleted, or its node NotReady); cleared by the move. */
  readonly interruptedAt?: string;
}

export interface AttachmentInput {
  readonly claimName: string;
  /** Pods of the claim's namespace (from the cache). */
  readonly pods: readonly PodView[];
  readonly zoneOfNode: (node: string) => string | undefined;
  /** When the node stopped being Ready, or undefined while it is Ready. */
  readonly nodeLostAt: (node: string) => Date | undefined;
  /** What status said last time; the source of truth across restarts. */
  readonly previous: AttachmentStatus | undefined;
  readonly now: Date;
}

function mountsClaim(pod: PodView, claim: string): boolean {
  return (pod.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim);
}

function isLive(pod: PodView): boolean {
  const phase = pod.status?.phase;
  return pod.spec?.nodeName !== undefined && phase !== 'Succeeded' && phase !== 'Failed';
}

function scheduledAt(pod: PodView, now: Date): Date {
  const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'True');
  const t = cond?.lastTransitionTime ?? pod.metadata.creationTimestamp;
  return t !== undefined ? new Date(t) : now;
}

/**
 * The consumer is the live, scheduled pod that mounts the claim; a pod being
 * deleted only counts when no replacement exists yet (a pod stuck Terminating on
 * a dead node still holds the volume).
 */
export function currentConsumer(claimName: string, pods: readonly PodView[]): PodView | undefined {
  const candidates = pods.filter((p) => mountsClaim(p, claimName) && isLive(p));
  const fresh = candidates.filter((p) => p.metadata.deletionTimestamp === undefined);
  const pool = fresh.length > 0 ? fresh : candidates;
  return [...pool].sort((a, b) => stamp(b) - stamp(a))[0];
}

function stamp(p: PodView): number {
  const t = p.metadata.creationTimestamp;
  return t !== undefined ? new Date(t).getTime() : 0;
}

function lossTime(pod: PodView, input: AttachmentInput): Date | undefined {
  const deleted = pod.metadata.deletionTimestamp;
  const nodeLost = input.nodeLostAt(pod.spec?.nodeName ?? '');
  const times = [deleted !== undefined ? new Date(deleted) : undefined, nodeLost].filter(
    (t) => t !== undefined,
  );
  return times.length > 0 ? new Date(Math.min(...times.map((t) => t.getTime()))) : undefined;
}

function stillThere(prev: AttachmentStatus, pod: PodView, input: AttachmentInput): AttachmentStatus {
  if (prev.interruptedAt !== undefined) return prev;
  const lost = lossTime(pod, input);
  return lost !== undefined ? { ...prev, interruptedAt: lost.toISOString() } : prev;
}

function moved(prev: AttachmentStatus, base: AttachmentStatus, since: Date): AttachmentStatus {
  if (prev.interruptedAt === undefined) return { ...base, moves: prev.moves + 1 };
  const seconds = Math.max(0, (since.getTime() - new Date(prev.interruptedAt).getTime()) / 1000);
  return { ...base, moves: prev.moves + 1, lastMoveSeconds: Math.round(seconds * 10) / 10 };
}

function freshStatus(
  pod: PodView,
  prev: AttachmentStatus | undefined,
  input: AttachmentInput,
): AttachmentStatus {
  const node = pod.spec?.nodeName ?? '';
  const zone = input.zoneOfNode(node);
  const status: { -readonly [K in keyof AttachmentStatus]: AttachmentStatus[K] } = {
    pod: pod.metadata.name ?? '',
    node,
    since: scheduledAt(pod, input.now).toISOString(),
    moves: prev?.moves ?? 0,
  };
  if (zone !== undefined) status.zone = zone;
  if (prev?.lastMoveSeconds !== undefined) status.lastMoveSeconds = prev.lastMoveSeconds;
  return status;
}

/** Folds what the cache shows now into the attachment status kept from last time. */
export function observeAttachment(input: AttachmentInput): AttachmentStatus | undefined {
  const pod = currentConsumer(input.claimName, input.pods);
  const prev = input.previous;
  if (pod === undefined) return prev;
  const samePod = prev?.node === pod.spec?.nodeName && prev?.pod === pod.metadata.name;
  if (prev !== undefined && samePod) return stillThere(prev, pod, input);
  const base = freshStatus(pod, prev, input);
  if (prev === undefined || prev.node === base.node) return base;
  return moved(prev, base, new Date(base.since));
}
