// Step: why a Pending primary claim is not bound yet. A claim on a
// WaitForFirstConsumer class that no pod uses waits for one; any other
// Pending claim waits for the external provisioner, which reports a refusal
// (a size or access mode the driver cannot serve) only as ProvisioningFailed
// Events on the claim. Those are read here, but only for a claim that stayed
// Pending past a grace period, and at most once per interval: one filtered
// list per stuck claim every half minute, and no request at all for claims
// that bind normally. An informer on Events would hold a cluster-wide watch
// that the API server has to match against every Event written, to serve a
// case that is rare.
//
// Any tenant may create Events in its own namespace, so a forged
// ProvisioningFailed Event changes the message of that namespace's own
// StatefulVolume and nothing else; the claim and its binding are untouched.
import type { CoreV1Event, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { errorMessage } from '../../kube/errors.js';
import { coreTypes } from '../../kube/resource.js';
import type { Stored } from '../../kube/wire.js';
import type { ApiReader, Clock } from '../../runtime/capabilities.js';
import { selectedNodeAnnotation } from './claim.js';
import type { ClaimOutcome } from './ensure-claim.js';
import type { ClassCheck } from './storage-class.js';

export const provisioningFailedReason = 'ProvisioningFailed';

/** What a Pending primary claim waits for, as far as this pass knows. */
export type PendingClaim =
  | { readonly kind: 'consumer' }
  | { readonly kind: 'provisioner' }
  | { readonly kind: 'failed'; readonly message: string };

/** Long enough for a normal provisioning to finish without a single Event list. */
const graceMs = 10_000;
/** How often the Events of a claim still Pending are read again. */
const intervalMs = 30_000;
/** The provisioner's message is kept readable in a condition; its Events keep the rest. */
const maxMessageLength = 512;
/** Claims remembered at most; a volume deleted while Pending leaves its entry behind. */
const maxRemembered = 4096;

type Claim = Stored<V1PersistentVolumeClaim>;

/**
 * Pure: what a Pending claim waits for before any Event is read, or undefined
 * when it is not Pending or is bound by hand (spec.volumeName), which no
 * provisioner serves.
 */
export function pendingWait(claim: ClaimOutcome, cls: ClassCheck): 'consumer' | 'provisioner' | undefined {
  if (claim.kind !== 'present') return undefined;
  const c = claim.claim;
  if ((c.status?.phase ?? 'Pending') !== 'Pending' || c.spec?.volumeName !== undefined) return undefined;
  const selected = c.metadata.annotations?.[selectedNodeAnnotation];
  if (cls.kind === 'ok' && cls.waitForFirstConsumer && selected === undefined) return 'consumer';
  return 'provisioner';
}

type Event = Stored<CoreV1Event>;

function eventTime(e: Event): number {
  const raw = e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
  return raw === undefined ? 0 : Date.parse(raw) || 0;
}

/** Pure: the newest message of these Events, shortened for a condition. */
export function newestFailure(events: readonly Event[]): string | undefined {
  const newest = [...events].sort((a, b) => eventTime(b) - eventTime(a))[0];
  const message = newest?.message?.trim();
  if (message === undefined || message === '') return undefined;
  return message.length > maxMessageLength ? `${message.slice(0, maxMessageLength - 1)}…` : message;
}

interface Seen {
  readonly checkedAt: number;
  readonly failure: string | undefined;
}

export interface PendingObservation {
  readonly pending: PendingClaim | undefined;
  /** When to look again without any event: the provisioner writes nothing the cache sees. */
  readonly recheckInMs?: number;
}

/** The provisioner's latest refusal per claim, read from its Events at a bounded rate. */
export class ProvisioningFailures {
  private readonly seen = new Map<string, Seen>();

  async observe(
    deps: { client: ApiReader; clock: Clock; log: Logger },
    claim: ClaimOutcome,
    cls: ClassCheck,
  ): Promise<PendingObservation> {
    const wait = pendingWait(claim, cls);
    const c = claim.kind === 'present' ? claim.claim : undefined;
    if (wait !== 'provisioner' || c === undefined) {
      this.seen.delete(c?.metadata.uid ?? '');
      return { pending: wait === 'consumer' ? { kind: 'consumer' } : undefined };
    }
    return this.provisionerVerdict(deps, c);
  }

  /** Nothing for a claim younger than the grace period; the remembered or a fresh reading after it. */
  private async provisionerVerdict(
    deps: { client: ApiReader; clock: Clock; log: Logger },
    c: Claim,
  ): Promise<PendingObservation> {
    const now = deps.clock.now().getTime();
    const created = Date.parse(c.metadata.creationTimestamp ?? '') || now;
    if (now - created < graceMs)
      return { pending: { kind: 'provisioner' }, recheckInMs: created + graceMs - now };
    const last = this.seen.get(c.metadata.uid ?? '');
    const fresh =
      last !== undefined && now - last.checkedAt < intervalMs ? last : await this.read(deps, c, now);
    return {
      pending:
        fresh.failure !== undefined ? { kind: 'failed', message: fresh.failure } : { kind: 'provisioner' },
      recheckInMs: fresh.checkedAt + intervalMs - now,
    };
  }

  private async read(deps: { client: ApiReader; log: Logger }, c: Claim, now: number): Promise<Seen> {
    const uid = c.metadata.uid ?? '';
    let failure = this.seen.get(uid)?.failure;
    try {
      const list = await deps.client.list<Event>(coreTypes.event, c.metadata.namespace, {
        fieldSelector: `involvedObject.uid=${uid},reason=${provisioningFailedReason}`,
      });
      failure = newestFailure(list.items);
    } catch (err) {
      // Reading Events only improves a message: the claim is reported Pending as before.
      deps.log.warn({ claim: c.metadata.name, err: errorMessage(err) }, 'could not read the claim Events');
    }
    const seen = { checkedAt: now, failure };
    this.seen.delete(uid);
    this.seen.set(uid, seen);
    if (this.seen.size > maxRemembered) this.seen.delete(this.seen.keys().next().value ?? '');
    return seen;
  }
}
