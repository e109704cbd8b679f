// Is a silent node known to be shut down? Lease silence says only that the
// kubelet stopped talking: a restarting kubelet or a node cut off from the
// control plane goes silent too, and may still write to its volumes.
// KEP-2268 (non-graceful node shutdown) reserves the out-of-service taint for
// nodes verified to be shut down or powered off, so the operator fences only
// on a confirmation written by someone who can know, onto the Node itself
// (cluster-scoped: no namespace tenant can write it):
//
// - the cloud provider's taint node.cloudprovider.kubernetes.io/shutdown, which
//   its node lifecycle controller adds while the instance is shut down and the
//   node NotReady, and removes once the node is Ready again;
// - the annotation storage.stateful.dev/shutdown-confirmed-at: <RFC 3339 time>,
//   written by a fencing agent (power off over IPMI/Redfish, a hypervisor API)
//   after it has turned the node off.
//
// A confirmation counts only if it is newer than the node's last Lease
// renewal: one left over from an earlier incident says nothing about this
// one. Its time is the one it states (the annotation's value, a taint's
// timeAdded), compared with the Lease's renewTime; and, on the operator's own
// clock, the operator must not have watched the node renew after it first saw
// the confirmation (a taint without timeAdded, as the cloud provider writes
// it, is judged by that alone).
import { annotations } from '../../api/v1alpha1/vocabulary.js';
import type { KubeObject } from '../../kube/wire.js';
import type { Clock } from '../../runtime/clock.js';
import type { InformerEvent } from '../../runtime/informer.js';
import type { Node } from './fence.js';

export const cloudShutdownTaintKey = 'node.cloudprovider.kubernetes.io/shutdown';

export type ConfirmationSource = 'CloudProvider' | 'FencingAgent';

export interface Confirmation {
  source: ConfirmationSource;
  /** The time it states, when it states one. */
  statedAt?: Date;
  /** What it says, for messages and to tell one confirmation from the next. */
  value: string;
}

const describe: Record<ConfirmationSource, string> = {
  CloudProvider: `the cloud provider's taint ${cloudShutdownTaintKey}`,
  FencingAgent: `the fencing agent's annotation ${annotations.shutdownConfirmedAt}`,
};

function parseTime(value: string): Date | undefined {
  // RFC 3339 with a zone; Date.parse alone also takes local times and "2026".
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** The confirmations on a node, and what is wrong with one that cannot count at all. */
export function confirmationsOf(node: Node): { found: Confirmation[]; unreadable?: string } {
  const found: Confirmation[] = [];
  const taint = node.spec?.taints?.find((t) => t.key === cloudShutdownTaintKey);
  if (taint !== undefined) {
    const added = taint.timeAdded === undefined ? undefined : parseTime(taint.timeAdded);
    found.push({
      source: 'CloudProvider',
      value: `${taint.key}:${taint.effect}@${taint.timeAdded ?? ''}`,
      ...(added !== undefined ? { statedAt: added } : {}),
    });
  }
  const raw = node.metadata.annotations?.[annotations.shutdownConfirmedAt];
  if (raw === undefined) return { found };
  const at = parseTime(raw.trim());
  if (at === undefined)
    return { found, unreadable: `${annotations.shutdownConfirmedAt}="${raw}" is not an RFC 3339 time` };
  found.push({ source: 'FencingAgent', statedAt: at, value: raw });
  return { found };
}

export interface ShutdownInput {
  node: Node;
  /** renewTime of the node's Lease as last seen: the kubelet's last word. */
  leaseRenewTime: Date | undefined;
  /** When the operator last watched the node renew its Lease (its own clock). */
  watchedRenewalAt: Date | undefined;
  /** When the operator first saw this confirmation (its own clock); undefined: just now. */
  seenAt: (c: Confirmation) => Date | undefined;
}

export type ShutdownVerdict = { confirmed: true; by: string } | { confirmed: false; why: string };

function staleness(c: Confirmation, input: ShutdownInput): string | undefined {
  const renew = input.leaseRenewTime;
  if (c.statedAt !== undefined && renew !== undefined && c.statedAt.getTime() <= renew.getTime())
    return (
      `${describe[c.source]} says ${c.statedAt.toISOString()}, not after the node's last Lease renewal ` +
      `(${renew.toISOString()}): it is left from an earlier incident`
    );
  const seen = input.seenAt(c);
  const watched = input.watchedRenewalAt;
  if (seen !== undefined && watched !== undefined && watched.getTime() >= seen.getTime())
    return `the node renewed its Lease after ${describe[c.source]} appeared: it is left from an earlier incident`;
  return undefined;
}

/** Whether a current confirmation says the node is shut down; why not otherwise. Pure. */
export function shutdownVerdict(input: ShutdownInput): ShutdownVerdict {
  const { found, unreadable } = confirmationsOf(input.node);
  const reasons: string[] = [];
  for (const c of found) {
    const stale = staleness(c, input);
    if (stale === undefined) return { confirmed: true, by: describe[c.source] };
    reasons.push(stale);
  }
  if (unreadable !== undefined) reasons.push(unreadable);
  return {
    confirmed: false,
    why: reasons.length > 0 ? reasons.join('; ') : 'nothing confirms that it is shut down',
  };
}

/**
 * When the operator first saw each node's current confirmations, on its own
 * clock. In memory: after a restart every confirmation is first seen anew,
 * and only the operator's later sightings of renewals can make it stale.
 */
export class ShutdownSightings {
  private readonly seen = new Map<string, Map<string, Date>>();

  constructor(private readonly clock: Clock) {}

  private static key(c: Confirmation): string {
    return `${c.source}=${c.value}`;
  }

  /** Informer handler for Nodes. */
  readonly onNode = (event: InformerEvent, obj: KubeObject): void => {
    const name = obj.metadata.name ?? '';
    if (event === 'delete') {
      this.seen.delete(name);
      return;
    }
    const prior = this.seen.get(name);
    const next = new Map<string, Date>();
    for (const c of confirmationsOf(obj).found) {
      const key = ShutdownSightings.key(c);
      next.set(key, prior?.get(key) ?? this.clock.now());
    }
    if (next.size === 0) this.seen.delete(name);
    else this.seen.set(name, next);
  };

  seenAt(node: string, c: Confirmation): Date | undefined {
    return this.seen.get(node)?.get(ShutdownSightings.key(c));
  }
}
