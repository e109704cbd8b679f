// When the operator first saw each node's current Lease renewTime, on its own
// clock. Kept in memory on purpose: after a restart every node starts fresh,
// which can only delay a failure verdict, never hasten one.
import type { KubeObject } from '../../kube/wire.js';
import type { Clock } from '../../runtime/clock.js';
import type { InformerEvent } from '../../runtime/informer.js';

export const nodeLeaseNamespace = 'kube-node-lease';

interface NodeLease extends KubeObject {
  spec?: { renewTime?: string; holderIdentity?: string };
}

export class Heartbeats {
  private readonly seen = new Map<string, { renewTime: string; at: Date }>();

  constructor(private readonly clock: Clock) {}

  /** Informer handler for Leases in kube-node-lease (one per node, named after it). */
  readonly onLease = (event: InformerEvent, obj: KubeObject): void => {
    const name = obj.metadata.name ?? '';
    if (event === 'delete') {
      this.seen.delete(name);
      return;
    }
    const renewTime = (obj as NodeLease).spec?.renewTime ?? '';
    if (this.seen.get(name)?.renewTime !== renewTime)
      this.seen.set(name, { renewTime, at: this.clock.now() });
  };

  /** When the current renewTime of the node's Lease was first seen; undefined if never. */
  seenAt(node: string): Date | undefined {
    return this.seen.get(node)?.at;
  }
}
