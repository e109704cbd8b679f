// An informer keeps a local copy of one resource type in sync with the API
// server: list, then watch from the listed resourceVersion. It covers the
// gaps of client-node 1.4's informer (see docs/design.md): bookmarks are
// requested, every watch has a randomised server-side timeout, a silent
// stream is cut by a watchdog, 410 Gone relists, any other failure retries
// with backoff from the last resourceVersion, and a handler that throws is
// logged and counted, never swallowed.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/client.js';
import { ApiError, errorMessage, isGone } from '../kube/errors.js';
import { resourceName, resourcePath, type ResourceType } from '../kube/resource.js';
import { objectKey, type KubeObject } from '../kube/wire.js';
import { backoffDelay, type BackoffPolicy } from './queue.js';

/**
 * Drops metadata.managedFields, the default projection: no controller reads
 * them, they are often the larger part of an object, and an update that omits
 * them leaves them as they are on the server.
 */
function lean(obj: KubeObject): KubeObject {
  delete obj.metadata.managedFields;
  return obj;
}

export type InformerEvent = 'add' | 'update' | 'delete';
export type InformerHandler<T> = (event: InformerEvent, obj: T, old?: T) => void;

export interface InformerOptions {
  /** Watch one namespace; all namespaces when unset (and for cluster-scoped types). */
  namespace?: string;
  labelSelector?: string;
  /** Page size of the initial list. */
  pageSize?: number;
  /** Bounds of the random server-side watch timeout, in seconds. */
  watchTimeoutSeconds?: readonly [number, number];
  /** A stream silent this much longer than its timeout is considered dead. */
  watchdogGraceSeconds?: number;
  backoff?: BackoffPolicy;
  /**
   * Applied to every listed, watched and written object before it is stored
   * and before handlers see it: what the cache keeps of the type (see
   * projections.ts). Drops managedFields when unset.
   */
  project?: (obj: KubeObject) => KubeObject;
  /** Called for every watch event received (bookmarks included), e.g. to count them. */
  onEvent?: (resource: string, type: string) => void;
  /** Called for every handler exception and watch failure, e.g. to count them. */
  onError?: (kind: 'handler' | 'watch' | 'list', err: unknown, resource: string) => void;
}

interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T & { code?: number; reason?: string; message?: string };
}

export class Informer<T extends KubeObject> {
  private store = new Map<string, T>();
  /** The store's keys per namespace, so a namespace's objects are read without walking the rest. */
  private byNamespace = new Map<string, Set<string>>();
  private readonly handlers: InformerHandler<T>[] = [];
  private resourceVersion: string | undefined;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private syncedResolve: (() => void) | undefined;
  private isSynced = false;
  private live: Date | undefined;
  readonly synced: Promise<void>;
  readonly name: string;

  constructor(
    private readonly client: KubeClient,
    readonly type: ResourceType,
    private readonly log: Logger,
    private readonly opts: InformerOptions = {},
  ) {
    this.name = resourceName(type) + (opts.namespace !== undefined ? ` in ${opts.namespace}` : '');
    this.synced = new Promise((resolve) => {
      this.syncedResolve = resolve;
    });
  }

  /** The namespace it lists and watches; undefined for all namespaces (or a cluster-scoped type). */
  get namespace(): string | undefined {
    return this.opts.namespace;
  }

  /** Registers a handler; objects already in the cache are replayed to it as adds. */
  addHandler(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
    for (const obj of this.store.values()) this.dispatch(handler, 'add', obj);
  }

  /**
   * Since when this informer's view has been continuously live (listed or
   * watching), undefined while it is failing. A watch that merely timed out
   * and was reopened does not reset it.
   */
  get liveSince(): Date | undefined {
    return this.live;
  }

  get hasSynced(): boolean {
    return this.isSynced;
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  /** The objects of one namespace, through the namespace index. */
  listIn(namespace: string): T[] {
    const out: T[] = [];
    for (const key of this.byNamespace.get(namespace) ?? []) {
      const obj = this.store.get(key);
      if (obj !== undefined) out.push(obj);
    }
    return out;
  }

  /** Objects held. */
  get size(): number {
    return this.store.size;
  }

  private projected(obj: T): T {
    return (this.opts.project ?? lean)(obj) as T;
  }

  private put(key: string, obj: T): void {
    this.store.set(key, obj);
    this.index(key, obj);
  }

  // Cluster-scoped objects have no namespace and are not indexed: no namespace lists them.
  private index(key: string, obj: T): void {
    const ns = obj.metadata.namespace;
    if (ns === undefined || ns === '') return;
    let keys = this.byNamespace.get(ns);
    if (keys === undefined) this.byNamespace.set(ns, (keys = new Set()));
    keys.add(key);
  }

  private remove(key: string, obj: T): void {
    this.store.delete(key);
    const ns = obj.metadata.namespace ?? '';
    const keys = this.byNamespace.get(ns);
    keys?.delete(key);
    if (keys?.size === 0) this.byNamespace.delete(ns);
  }

  /**
   * Takes in the answer to this process's own write before its watch event
   * arrives, so the next pass does not write from the version it replaced and
   * fail with 409 Conflict. Only when the store still holds exactly the
   * version the write started from: anything newer already came in. Handlers
   * are not called; the watch event still delivers the change to them.
   */
  advance(from: T, to: T): boolean {
    const key = objectKey(to);
    const held = this.store.get(key);
    if (held === undefined || held.metadata.resourceVersion !== from.metadata.resourceVersion) return false;
    if (held.metadata.uid !== to.metadata.uid) return false;
    this.put(key, this.projected(to));
    return true;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.abort.signal.aborted) {
      try {
        if (this.resourceVersion === undefined) await this.relist();
        await this.watch();
        failures = 0;
      } catch (err) {
        this.live = undefined;
        if (this.stopped()) break;
        if (isGone(err)) {
          this.log.info({ informer: this.name }, 'resourceVersion expired (410 Gone); relisting');
          this.resourceVersion = undefined;
          continue;
        }
        failures++;
        const delay = backoffDelay(this.opts.backoff ?? { baseMs: 500, maxMs: 30_000 }, failures);
        this.opts.onError?.(
          this.resourceVersion === undefined ? 'list' : 'watch',
          err,
          resourceName(this.type),
        );
        this.log.warn(
          { informer: this.name, err: errorMessage(err), retryInMs: delay, failures },
          'list/watch failed; retrying from the last resourceVersion',
        );
        await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => undefined);
      }
    }
  }

  // A method, not a property read, because the signal flips while awaiting.
  private stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.listAll();
    this.replace(items);
    this.resourceVersion = resourceVersion;
    this.live ??= new Date();
    if (!this.isSynced) {
      this.isSynced = true;
      this.syncedResolve?.();
    }
  }

  /** Every page of a list; the pages share the first page's resourceVersion. */
  private async listAll(): Promise<{ items: Map<string, T>; resourceVersion: string }> {
    const items = new Map<string, T>();
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.client.list<T>(this.type, this.opts.namespace, {
        limit: this.opts.pageSize ?? 500,
        ...(cont !== undefined ? { continue: cont } : {}),
        ...(this.opts.labelSelector !== undefined ? { labelSelector: this.opts.labelSelector } : {}),
      });
      for (const item of page.items) items.set(objectKey(item), this.projected(item));
      cont = page.metadata.continue === '' ? undefined : page.metadata.continue;
      resourceVersion = page.metadata.resourceVersion ?? '';
    } while (cont !== undefined && !this.stopped());
    return { items, resourceVersion };
  }

  // Diff the fresh list against the cache so handlers see exactly what changed
  // while the watch was down, deletions included.
  private replace(next: Map<string, T>): void {
    const previous = this.store;
    this.store = next;
    this.byNamespace = new Map();
    for (const [key, obj] of next) this.index(key, obj);
    for (const [key, obj] of next) {
      const old = previous.get(key);
      if (old === undefined) this.emit('add', obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit('update', obj, old);
    }
    for (const [key, old] of previous) {
      if (!next.has(key)) this.emit('delete', old);
    }
  }

  private async watch(): Promise<void> {
    const [lo, hi] = this.opts.watchTimeoutSeconds ?? [300, 600];
    const timeoutSeconds = Math.floor(lo + Math.random() * (hi - lo));
    const silentLimitMs = (timeoutSeconds + (this.opts.watchdogGraceSeconds ?? 60)) * 1000;
    const stream = new AbortController();
    const onStop = (): void => {
      stream.abort();
    };
    this.abort.signal.addEventListener('abort', onStop);
    const state = { silent: false };
    let watchdog = setTimeout(() => undefined, 0);
    const arm = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        state.silent = true;
        stream.abort();
      }, silentLimitMs);
    };
    arm();
    try {
      await this.client.transport.stream(
        resourcePath(this.type, this.opts.namespace),
        {
          watch: 1,
          allowWatchBookmarks: true,
          resourceVersion: this.resourceVersion,
          timeoutSeconds,
          labelSelector: this.opts.labelSelector,
        },
        (line) => {
          arm();
          this.onLine(line);
        },
        stream.signal,
        () => {
          this.live ??= new Date();
        },
      );
    } finally {
      clearTimeout(watchdog);
      this.abort.signal.removeEventListener('abort', onStop);
    }
    if (state.silent) throw new ApiError(0, 'WatchSilent', `watch silent for ${silentLimitMs / 1000} s`);
  }

  private onLine(line: string): void {
    const event = JSON.parse(line) as WatchEvent<T>;
    if (event.type === 'ERROR') {
      const status = event.object;
      throw new ApiError(status.code ?? 0, status.reason ?? 'WatchError', status.message ?? 'watch error');
    }
    const rv = event.object.metadata.resourceVersion;
    this.opts.onEvent?.(resourceName(this.type), event.type);
    if (event.type !== 'BOOKMARK') this.apply(event.type, event.object);
    if (rv !== undefined) this.resourceVersion = rv;
  }

  private apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', full: T): void {
    const obj = this.projected(full);
    const key = objectKey(obj);
    const old = this.store.get(key);
    if (type === 'DELETED') {
      this.remove(key, old ?? obj);
      this.emit('delete', obj);
      return;
    }
    this.put(key, obj);
    if (old === undefined) this.emit('add', obj);
    else this.emit('update', obj, old);
  }

  private emit(event: InformerEvent, obj: T, old?: T): void {
    for (const handler of this.handlers) this.dispatch(handler, event, obj, old);
  }

  private dispatch(handler: InformerHandler<T>, event: InformerEvent, obj: T, old?: T): void {
    try {
      handler(event, obj, old);
    } catch (err) {
      this.opts.onError?.('handler', err, resourceName(this.type));
      this.log.error(
        { informer: this.name, event, object: objectKey(obj), err },
        'informer handler threw; the event was still applied to the cache',
      );
    }
  }
}
