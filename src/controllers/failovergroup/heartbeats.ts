// When the operator first saw each node's current Lease renewTime, on its own
// clock, and how often it sees the node renew. Kept in memory on purpose:
// after a restart every node starts fresh, which can only delay a failure
// verdict, never hasten one.
import type { KubeObject } from '../../kube/wire.js';
import type { Clock } from '../../runtime/clock.js';
import type { InformerEvent } from '../../runtime/informer.js';
import { assumedHeartbeatSeconds } from './health.js';

// The RBAC grants Lease reads in this namespace only, and the cache watches only it.
export { nodeLeaseNamespace } from '../permissions.js';

interface NodeLease extends KubeObject {
  spec?: { renewTime?: string; holderIdentity?: string; leaseDurationSeconds?: number };
}

/** A kubelet renews its node Lease every quarter of the Lease's duration (NodeLeaseRenewIntervalFraction). */
export const kubeletRenewFraction = 0.25;

interface Seen {
  renewTime: string;
  at: Date;
  /** When renewals resumed after a silence (or were first seen): the node is back since then. */
  since: Date;
  /** True once a renewal was watched happening (the first sighting is only a snapshot). */
  watched: boolean;
  interval?: number;
  /** The Lease's own leaseDurationSeconds, from which a kubelet derives its renew interval. */
  duration?: number;
}

function nextSighting(prior: Seen | undefined, renewTime: string, at: Date): Seen {
  if (prior === undefined) return { renewTime, at, since: at, watched: false };
  // A renewal after a silence of more than two intervals starts the node's time back afresh.
  const gap = (at.getTime() - prior.at.getTime()) / 1000;
  const resumed = gap > 2 * (prior.interval ?? assumedHeartbeatSeconds);
  const next: Seen = { renewTime, at, since: resumed ? at : prior.since, watched: true };
  // An interval counts only between two watched renewals.
  const interval = prior.watched ? gap : prior.interval;
  if (interval !== undefined) next.interval = interval;
  return next;
}

export class Heartbeats {
  private readonly seen = new Map<string, Seen>();

  constructor(private readonly clock: Clock) {}

  /** Informer handler for Leases in kube-node-lease (one per node, named after it). */
  readonly onLease = (event: InformerEvent, obj: KubeObject): void => {
    const name = obj.metadata.name ?? '';
    if (event === 'delete') {
      this.seen.delete(name);
      return;
    }
    const spec = (obj as NodeLease).spec;
    const renewTime = spec?.renewTime ?? '';
    const prior = this.seen.get(name);
    if (prior?.renewTime === renewTime) return;
    const next = nextSighting(prior, renewTime, this.clock.now());
    const duration = spec?.leaseDurationSeconds;
    if (duration !== undefined && duration > 0) next.duration = duration;
    this.seen.set(name, next);
  };

  /** When the current renewTime of the node's Lease was first seen; undefined if never. */
  seenAt(node: string): Date | undefined {
    return this.seen.get(node)?.at;
  }

  /**
   * Since when the node has renewed its Lease without a silence, on the
   * operator's clock; a restart of the operator starts it afresh, which can
   * only delay a decision that waits for a node to be back for a while.
   */
  backSince(node: string): Date | undefined {
    return this.seen.get(node)?.since;
  }

  /**
   * When the operator last watched this node renew its Lease (a renewTime
   * change it saw happen, not the first sighting after a start): proof that
   * the node is alive now, whatever its Ready condition still says.
   */
  watchedRenewalAt(node: string): Date | undefined {
    const seen = this.seen.get(node);
    return seen?.watched === true ? seen.at : undefined;
  }

  /**
   * The renewTime the node's Lease states (the kubelet's clock): compared
   * only with times other cluster components state, never with the operator's.
   */
  renewTimeOf(node: string): Date | undefined {
    const ms = Date.parse(this.seen.get(node)?.renewTime ?? '');
    return Number.isNaN(ms) ? undefined : new Date(ms);
  }

  /** Seconds between this node's last two watched renewals; undefined until measured. */
  intervalOf(node: string): number | undefined {
    return this.seen.get(node)?.interval;
  }

  /**
   * The interval to judge silence by: the one measured, else the one the
   * Lease declares (a quarter of its duration, as a kubelet renews), so an
   * operator that has just started does not assume 10 s for a node that
   * renews every second. Undefined when neither is known.
   */
  expectedIntervalOf(node: string): number | undefined {
    const seen = this.seen.get(node);
    if (seen?.interval !== undefined) return seen.interval;
    return seen?.duration !== undefined ? seen.duration * kubeletRenewFraction : undefined;
  }
}
