// Leader election on a coordination.k8s.io Lease, following client-go: a
// candidate takes the lease only when its holder has not renewed it for a
// whole lease duration as measured by the candidate's own clock (so clock skew
// between nodes does not matter), the leader renews every retry period and
// steps down when it could not renew within the renew deadline, and a
// graceful shutdown releases the lease so a standby takes over at once.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/client.js';
import { errorMessage, isAlreadyExists, isConflict } from '../kube/errors.js';
import { coreTypes } from '../kube/resource.js';
import type { KubeObject } from '../kube/wire.js';
import { microTime } from './clock.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export const defaultLeaderTimings = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderCallbacks {
  onStartedLeading(): void;
  /** Leadership lost (not released): the process should stop reconciling at once. */
  onStoppedLeading(): void;
  onNewLeader?(identity: string): void;
}

export function validateLeaderTimings(
  o: Omit<LeaderElectionOptions, 'namespace' | 'name' | 'identity'>,
): void {
  if (!(o.leaseDurationMs > o.renewDeadlineMs))
    throw new Error('lease duration must be greater than the renew deadline');
  if (!(o.renewDeadlineMs > o.retryPeriodMs * 1.2))
    throw new Error('renew deadline must be greater than 1.2 × the retry period');
  if (!(o.retryPeriodMs > 0)) throw new Error('retry period must be positive');
}

export class LeaderElector {
  private observed: { holder: string; renewTime: string } | undefined;
  private observedAt = 0;
  private leading = false;
  private lastRenewAt = 0;
  private reportedLeader = '';

  constructor(
    private readonly client: KubeClient,
    private readonly opts: LeaderElectionOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    validateLeaderTimings(opts);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * True while this process leads and renewed the lease within the renew
   * deadline by its own clock. A process that was frozen (SIGSTOP, a long GC
   * pause, a suspended VM) wakes up with this false, before its renew loop
   * has noticed, so it cannot write as a leader it no longer is.
   */
  holdsValidLease(): boolean {
    return this.leading && this.now() - this.lastRenewAt < this.opts.renewDeadlineMs;
  }

  /**
   * Campaigns until leading, then renews until the signal aborts (the lease is
   * released) or renewal fails past the deadline (onStoppedLeading, and the
   * promise resolves with 'lost').
   */
  async run(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<'released' | 'lost' | 'aborted'> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(callbacks)) break;
      await pause(this.opts.retryPeriodMs * (1 + Math.random() * 0.2), signal);
    }
    if (signal.aborted) return 'aborted';
    this.leading = true;
    this.log.info({ lease: this.opts.name, identity: this.opts.identity }, 'became leader');
    callbacks.onStartedLeading();
    const outcome = await this.renewLoop(signal, callbacks);
    this.leading = false;
    if (outcome === 'lost') {
      this.log.error({ lease: this.opts.name }, 'lost leadership: could not renew the lease in time');
      callbacks.onStoppedLeading();
    }
    return outcome;
  }

  /** Gives the lease up so a standby can take over without waiting for it to expire. */
  async release(): Promise<void> {
    const lease = await this.client.find<Lease>(coreTypes.lease, this.opts.namespace, this.opts.name);
    if (lease?.spec?.holderIdentity !== this.opts.identity) return;
    const now = microTime(new Date(this.now()));
    await this.client.update<Lease>(coreTypes.lease, {
      ...lease,
      spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now },
    });
    this.log.info({ lease: this.opts.name }, 'released the leader lease');
  }

  private async renewLoop(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<'released' | 'lost'> {
    let lastRenew = this.now();
    while (!signal.aborted) {
      if (await pause(this.opts.retryPeriodMs, signal)) break;
      if (await this.tryAcquireOrRenew(callbacks)) {
        lastRenew = this.now();
      } else if (this.now() - lastRenew > this.opts.renewDeadlineMs) {
        return 'lost';
      }
    }
    await this.release().catch((err: unknown) => {
      this.log.warn({ err: errorMessage(err) }, 'could not release the leader lease; it will expire');
    });
    return 'released';
  }

  private async tryAcquireOrRenew(callbacks: LeaderCallbacks): Promise<boolean> {
    try {
      return await this.attempt(callbacks);
    } catch (err) {
      if (!isConflict(err) && !isAlreadyExists(err))
        this.log.warn({ lease: this.opts.name, err: errorMessage(err) }, 'leader election request failed');
      return false;
    }
  }

  private async attempt(callbacks: LeaderCallbacks): Promise<boolean> {
    const { namespace, name, identity } = this.opts;
    const now = this.now();
    const spec: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.opts.leaseDurationMs / 1000),
      acquireTime: microTime(new Date(now)),
      renewTime: microTime(new Date(now)),
      leaseTransitions: 0,
    };
    const lease = await this.client.find<Lease>(coreTypes.lease, namespace, name);
    if (lease === undefined) {
      await this.client.create<Lease>(coreTypes.lease, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace },
        spec,
      });
      this.observe(identity, spec.renewTime ?? '', now, callbacks);
      this.lastRenewAt = now;
      return true;
    }
    const current = lease.spec ?? {};
    const holder = current.holderIdentity ?? '';
    this.observe(holder, current.renewTime ?? '', now, callbacks);
    if (this.heldByAnother(holder, current, now)) return false;
    const next: LeaseSpec =
      holder === identity
        ? { ...current, renewTime: spec.renewTime, leaseDurationSeconds: spec.leaseDurationSeconds }
        : { ...spec, leaseTransitions: (current.leaseTransitions ?? 0) + 1 };
    await this.client.update<Lease>(coreTypes.lease, { ...lease, spec: next });
    this.observe(identity, next.renewTime ?? '', now, callbacks);
    this.lastRenewAt = now;
    return true;
  }

  private heldByAnother(holder: string, current: LeaseSpec, now: number): boolean {
    const durationMs = (current.leaseDurationSeconds ?? 0) * 1000;
    return holder !== '' && holder !== this.opts.identity && this.observedAt + durationMs > now;
  }

  // The expiry clock restarts whenever the record changes, as seen locally.
  private observe(holder: string, renewTime: string, now: number, callbacks: LeaderCallbacks): void {
    if (this.observed?.holder !== holder || this.observed.renewTime !== renewTime) {
      this.observed = { holder, renewTime };
      this.observedAt = now;
    }
    if (holder !== '' && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      callbacks.onNewLeader?.(holder);
    }
  }
}

/** Sleeps; true when the signal aborted the sleep. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return false;
  } catch {
    return true;
  }
}
