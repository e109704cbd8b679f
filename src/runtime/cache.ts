// Shared informers: one per resource type (and watched namespace), however
// many controllers read or watch it. Reconcilers read the world from here,
// not from the API server.
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/client.js';
import { resourceName, type ResourceType } from '../kube/resource.js';
import type { KubeObject } from '../kube/wire.js';
import { Informer, type InformerHandler, type InformerOptions } from './informer.js';
import { projectionFor } from './projections.js';

export interface CacheOptions {
  /** Namespaces to watch for namespaced types; empty means all namespaces. */
  namespaces: readonly string[];
  informer?: Omit<InformerOptions, 'namespace'>;
}

export class Cache {
  private readonly informers = new Map<string, Informer<KubeObject>[]>();
  private started = false;

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    private readonly opts: CacheOptions,
  ) {}

  /** The informers of a type, created on first use (and started if the cache runs). */
  informersFor<T extends KubeObject>(type: ResourceType, inNamespace?: string): Informer<T>[] {
    const id = resourceName(type) + (inNamespace === undefined ? '' : ` in ${inNamespace}`);
    let list = this.informers.get(id);
    if (list === undefined) {
      const namespaces: (string | undefined)[] =
        inNamespace !== undefined
          ? [inNamespace]
          : type.namespaced && this.opts.namespaces.length > 0
            ? [...this.opts.namespaces]
            : [undefined];
      list = namespaces.map(
        (namespace) =>
          new Informer<KubeObject>(this.client, type, this.log, {
            project: projectionFor(type),
            ...this.opts.informer,
            ...(namespace !== undefined ? { namespace } : {}),
          }),
      );
      this.informers.set(id, list);
      if (this.started) for (const inf of list) inf.start();
    }
    return list as unknown as Informer<T>[];
  }

  addHandler<T extends KubeObject>(type: ResourceType, handler: InformerHandler<T>): void {
    for (const inf of this.informersFor<T>(type)) inf.addHandler(handler);
  }

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the kind it reads
  get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): T | undefined {
    const key = type.namespaced ? `${namespace ?? ''}/${name}` : name;
    for (const inf of this.informersFor<T>(type)) {
      const obj = inf.get(key);
      if (obj !== undefined) return obj;
    }
    return undefined;
  }

  /** Records the result of this process's own write of `from` (see Informer.advance). */
  written<T extends KubeObject>(type: ResourceType, from: T, to: T): void {
    for (const inf of this.informersFor<T>(type)) if (inf.advance(from, to)) return;
  }

  /** Objects of a type, optionally in one namespace and matching a filter. */
  list<T extends KubeObject>(type: ResourceType, namespace?: string, filter?: (obj: T) => boolean): T[] {
    const out: T[] = [];
    for (const inf of this.informersFor<T>(type)) {
      for (const obj of namespace === undefined ? inf.list() : inf.listIn(namespace)) {
        if (filter === undefined || filter(obj)) out.push(obj);
      }
    }
    return out;
  }

  /** Objects held per resource (summed over its namespaces), for the cache_objects gauge. */
  sizes(): Map<string, number> {
    const out = new Map<string, number>();
    for (const inf of this.declared()) {
      const resource = resourceName(inf.type);
      out.set(resource, (out.get(resource) ?? 0) + inf.size);
    }
    return out;
  }

  /**
   * Every informer declared so far, whether or not the cache runs: what the
   * process will list and watch, and where (the RBAC test compares it with the
   * shipped rules).
   */
  declared(): readonly Informer<KubeObject>[] {
    return [...this.informers.values()].flat();
  }

  /** True when this cache watches the namespace (always, when it watches all). */
  watches(namespace: string): boolean {
    return this.opts.namespaces.length === 0 || this.opts.namespaces.includes(namespace);
  }

  start(): void {
    this.started = true;
    for (const list of this.informers.values()) for (const inf of list) inf.start();
  }

  get hasSynced(): boolean {
    for (const list of this.informers.values()) for (const inf of list) if (!inf.hasSynced) return false;
    return true;
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    const all = [...this.informers.values()].flat().map((inf) => inf.synced);
    const aborted = new Promise<void>((resolve) =>
      signal?.addEventListener('abort', () => {
        resolve();
      }),
    );
    await Promise.race([Promise.all(all), aborted]);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].flat().map((inf) => inf.stop()));
  }
}
