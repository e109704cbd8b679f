// When the operator first saw each node's current Lease renewTime, on its own
// clock, and how often it sees the node renew. Kept in memory on purpose:
// after a restart every node starts fresh, which can only delay a failure
// verdict, never hasten one.
import type { KubeObject } from '../../kube/wire.js';
import type { Clock } from '../../runtime/clock.js';
import type { InformerEvent } from '../../runtime/informer.js';

export const nodeLeaseNamespace = 'kube-node-lease';

interface NodeLease extends KubeObject {
  spec?: { renewTime?: string; holderIdentity?: string };
}

interface Seen {
  renewTime: string;
  at: Date;
  /** True once a renewal was watched happening (the first sighting is only a snapshot). */
  watched: boolean;
  interval?: number;
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
    const renewTime = (obj as NodeLease).spec?.renewTime ?? '';
    const prior = this.seen.get(name);
    if (prior?.renewTime === renewTime) return;
    const at = this.clock.now();
    const next: Seen = { renewTime, at, watched: prior !== undefined };
    // An interval counts only between two watched renewals.
    const interval = prior?.watched === true ? (at.getTime() - prior.at.getTime()) / 1000 : prior?.interval;
    if (interval !== undefined) next.interval = interval;
    this.seen.set(name, next);
  };

  /** When the current renewTime of the node's Lease was first seen; undefined if never. */
  seenAt(node: string): Date | undefined {
    return this.seen.get(node)?.at;
  }

  /** Seconds between this node's last two watched renewals; undefined until measured. */
  intervalOf(node: string): number | undefined {
    return this.seen.get(node)?.interval;
  }
}
