// A controller: one root type, keyed and level-triggered. Events on the root
// type and on watched children only enqueue keys; each pass reads the world
// again from the cache, so it does not matter which event woke it.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { errorMessage, isConflict, isNotLeader } from '../kube/errors.js';
import type { ResourceType } from '../kube/resource.js';
import { objectKey, splitKey, type KubeObject } from '../kube/wire.js';
import type { Metrics } from '../observability/metrics.js';
import type { Cache } from './cache.js';
import type { InformerEvent } from './informer.js';
import { WorkQueue, defaultBackoff, type BackoffPolicy } from './queue.js';
import { TerminalError, type Result } from './result.js';

export interface ReconcileRequest {
  key: string;
  namespace?: string;
  name: string;
}

export interface ReconcileContext {
  log: Logger;
  reconcileId: string;
}

export type Reconciler = (req: ReconcileRequest, ctx: ReconcileContext) => Promise<Result>;

/** A related type whose changes wake the root objects that map returns keys for. */
export interface WatchSpec<T extends KubeObject = KubeObject> {
  type: ResourceType;
  map: (obj: T) => readonly string[];
  /** Skip changes no root object cares about (a heartbeat on a busy type); every change maps when absent. */
  filter?: (event: InformerEvent, obj: T, old?: T) => boolean;
}

export interface ControllerSpec {
  /** Name in logs, metrics and the work queue. */
  name: string;
  forType: ResourceType;
  watches?: readonly WatchSpec[];
  /**
   * Types the reconciler reads from the cache but is not woken by: their
   * informers start and sync with the others, and no change to them enqueues.
   */
  caches?: readonly ResourceType[];
  reconcile: Reconciler;
  /** Skip events the reconciler does not care about, e.g. status-only updates. */
  filter?: (event: InformerEvent, obj: KubeObject, old?: KubeObject) => boolean;
  concurrency?: number;
  backoff?: BackoffPolicy;
  /** Delay before retrying after a 409 Conflict, which only means "read again". */
  conflictRequeueMs?: number;
}

/** Maps a child to the key of its controlling owner of the given kind. */
export function ownerKeys(owner: ResourceType): (obj: KubeObject) => string[] {
  return (obj) =>
    (obj.metadata.ownerReferences ?? [])
      .filter(
        (ref) =>
          ref.kind === owner.kind && ref.apiVersion.startsWith(owner.group === '' ? 'v' : `${owner.group}/`),
      )
      .map((ref) => (owner.namespaced ? `${obj.metadata.namespace ?? ''}/${ref.name}` : ref.name));
}

/** Maps a child to the root object a label names (in the child's namespace). */
export function labelKeys(label: string): (obj: KubeObject) => string[] {
  return (obj) => {
    const value = obj.metadata.labels?.[label];
    return value === undefined || value === '' ? [] : [`${obj.metadata.namespace ?? ''}/${value}`];
  };
}

/**
 * What a Go reconciler would panic on: a bug in the reconciler, not a failure of
 * the world it reads. Counted as controller-runtime counts recovered panics.
 */
export function isProgrammingError(err: unknown): boolean {
  return err instanceof TypeError || err instanceof ReferenceError || err instanceof RangeError;
}

export class Controller {
  readonly queue: WorkQueue;
  private workers: Promise<void>[] = [];
  private registered = false;

  constructor(
    readonly spec: ControllerSpec,
    private readonly cache: Cache,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    /** Asked before every pass; false puts the key back (a leader whose lease may have lapsed). */
    private readonly mayReconcile: () => boolean = () => true,
  ) {
    const labels = this.queueLabels;
    this.queue = new WorkQueue(spec.backoff ?? defaultBackoff, {
      added: () => {
        metrics.queueAdds.inc(labels);
      },
      retried: () => {
        metrics.queueRetries.inc(labels);
      },
      started: (waited) => {
        metrics.queueDuration.observe(labels, waited);
      },
      finished: (worked) => {
        metrics.workDuration.observe(labels, worked);
      },
    });
  }

  /** Work queue series are labelled as controller-runtime labels them: name and controller alike. */
  private get queueLabels(): { name: string; controller: string } {
    return { name: this.spec.name, controller: this.spec.name };
  }

  /** Creates the informers this controller needs (before the cache starts, so they sync together). */
  prepare(): void {
    this.cache.informersFor(this.spec.forType);
    for (const w of this.spec.watches ?? []) this.cache.informersFor(w.type);
    for (const type of this.spec.caches ?? []) this.cache.informersFor(type);
  }

  /** Starts the workers; the cache replays every object it holds as an add. */
  start(): void {
    if (!this.registered) {
      this.registered = true;
      this.cache.addHandler(this.spec.forType, (event, obj, old) => {
        if (this.spec.filter === undefined || this.spec.filter(event, obj, old))
          this.queue.add(objectKey(obj));
      });
      for (const w of this.spec.watches ?? []) {
        this.cache.addHandler(w.type, (event, obj, old) => {
          if (w.filter !== undefined && !w.filter(event, obj, old)) return;
          for (const key of w.map(obj)) this.queue.add(key);
        });
      }
    }
    const n = Math.max(1, this.spec.concurrency ?? 1);
    this.metrics.maxConcurrentReconciles.set({ controller: this.spec.name }, n);
    for (let i = 0; i < n; i++) this.workers.push(this.work());
  }

  /** Stops taking keys and waits for running passes to finish. */
  async stop(timeoutMs?: number): Promise<void> {
    await this.queue.shutdown(timeoutMs);
    await Promise.all(this.workers);
    this.workers = [];
  }

  /** Queue gauges are sampled when metrics are scraped. */
  sample(): void {
    const labels = this.queueLabels;
    this.metrics.queueDepth.set(labels, this.queue.depth);
    this.metrics.queueLongestRunning.set(labels, this.queue.longestRunningSeconds());
    this.metrics.unfinishedWork.set(labels, this.queue.unfinishedWorkSeconds());
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.process(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async process(key: string): Promise<void> {
    const name = this.spec.name;
    if (!this.mayReconcile()) {
      this.queue.addAfter(key, 1_000);
      this.metrics.reconcileTotal.inc({ controller: name, result: 'requeue' });
      return;
    }
    const reconcileId = randomUUID().slice(0, 8);
    const log = this.log.child({ controller: name, key, reconcileId });
    const stopTimer = this.metrics.reconcileTime.startTimer({ controller: name });
    this.metrics.activeWorkers.inc({ controller: name });
    try {
      const result = await this.spec.reconcile({ key, ...splitKey(key) }, { log, reconcileId });
      this.queue.forget(key);
      if (result.requeueAfterMs !== undefined) {
        this.queue.addAfter(key, result.requeueAfterMs);
        this.metrics.reconcileTotal.inc({ controller: name, result: 'requeue_after' });
      } else {
        this.metrics.reconcileTotal.inc({ controller: name, result: 'success' });
      }
    } catch (err) {
      this.onError(key, err, log);
    } finally {
      stopTimer();
      this.metrics.activeWorkers.dec({ controller: name });
    }
  }

  private onError(key: string, err: unknown, log: Logger): void {
    const name = this.spec.name;
    if (isNotLeader(err)) {
      // Woken after a freeze with the lease lapsed: the next pass waits for leadership.
      log.warn({ err: errorMessage(err) }, 'write withheld: leadership uncertain; requeueing');
      this.queue.addAfter(key, 1_000);
      this.metrics.reconcileTotal.inc({ controller: name, result: 'requeue' });
      return;
    }
    if (isConflict(err)) {
      // Someone wrote the object since it was read: read again soon, nothing is wrong.
      log.debug({ err: errorMessage(err) }, 'conflict; requeueing');
      this.queue.addAfter(key, this.spec.conflictRequeueMs ?? 1_000);
      this.metrics.reconcileTotal.inc({ controller: name, result: 'requeue' });
      return;
    }
    this.metrics.reconcileTotal.inc({ controller: name, result: 'error' });
    this.metrics.reconcileErrors.inc({ controller: name });
    if (isProgrammingError(err)) this.metrics.reconcilePanics.inc({ controller: name });
    if (err instanceof TerminalError) {
      this.metrics.terminalReconcileErrors.inc({ controller: name });
      this.queue.forget(key);
      log.error(
        { err: errorMessage(err) },
        'reconcile failed permanently; not retrying until the object changes',
      );
      return;
    }
    const delay = this.queue.addRateLimited(key);
    log.warn(
      { err: errorMessage(err), retryInMs: delay, failures: this.queue.failuresOf(key) },
      'reconcile failed; retrying with backoff',
    );
  }
}
