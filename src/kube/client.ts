// Typed verbs on any resource type. Writes name their field manager; patches
// say which patch they are, because client-node's typed methods silently
// default to JSON Patch.
import type { KubeConfig } from '@kubernetes/client-node';
import { managerName } from '../api/v1alpha1/vocabulary.js';
import { isNotFound, NotLeaderError } from './errors.js';
import { KubeTransport, type RequestObserver, type RequestSpec, type TransportOptions } from './http.js';
import { resourcePath, type ResourceType } from './resource.js';
import type { KubeList, KubeObject } from './wire.js';

export const fieldManager = managerName;

export type PatchType = 'merge' | 'json' | 'apply';

const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export class KubeClient {
  readonly transport: KubeTransport;
  private readonly mayWrite: (() => boolean) | undefined;

  constructor(source: KubeConfig | KubeTransport, opts: TransportOptions | { mayWrite: () => boolean }) {
    if (source instanceof KubeTransport) {
      this.transport = source;
      this.mayWrite = 'mayWrite' in opts ? opts.mayWrite : undefined;
    } else {
      this.transport = new KubeTransport(source, opts as TransportOptions);
      this.mayWrite = undefined;
    }
  }

  /**
   * The same connection, with every write asked mayWrite() just before it is
   * sent and refused with NotLeaderError when it says no. A leader that was
   * frozen mid-reconcile (SIGSTOP, a long GC pause, a suspended VM) wakes up
   * in the middle of its steps; this is what stops its next write, before its
   * renew loop has even noticed the lease is gone.
   */
  fenced(mayWrite: () => boolean): KubeClient {
    return new KubeClient(this.transport, { mayWrite });
  }

  set observer(observer: RequestObserver | undefined) {
    this.transport.observer = observer;
  }

  get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): Promise<T> {
    return this.send<T>({ method: 'GET', path: resourcePath(type, namespace, name) });
  }

  /** get, with undefined for an object that does not exist. */
  async find<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined> {
    try {
      return await this.get<T>(type, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  list<T extends KubeObject>(
    type: ResourceType,
    namespace?: string,
    opts: ListOptions = {},
  ): Promise<KubeList<T>> {
    return this.send<KubeList<T>>({
      method: 'GET',
      path: resourcePath(type, namespace),
      query: { ...opts },
    });
  }

  create<T extends KubeObject>(type: ResourceType, obj: T): Promise<T> {
    return this.send<T>({
      method: 'POST',
      path: resourcePath(type, obj.metadata.namespace),
      query: { fieldManager },
      body: obj,
    });
  }

  /** A full update; carries metadata.resourceVersion, so a stale object gets 409 Conflict. */
  update<T extends KubeObject>(type: ResourceType, obj: T): Promise<T> {
    return this.send<T>({
      method: 'PUT',
      path: resourcePath(type, obj.metadata.namespace, obj.metadata.name),
      query: { fieldManager },
      body: obj,
    });
  }

  patch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    opts: { type?: PatchType; subresource?: 'status' } = {},
  ): Promise<T> {
    const patchType = opts.type ?? 'merge';
    const subresource = opts.subresource;
    const path = resourcePath(type, namespace, name) + (subresource === undefined ? '' : `/${subresource}`);
    return this.send<T>({
      method: 'PATCH',
      path,
      query: { fieldManager, ...(patchType === 'apply' ? { force: true } : {}) },
      body: patch,
      contentType: patchContentTypes[patchType],
    });
  }

  /** Replaces the status subresource; metadata.resourceVersion makes it conditional. */
  updateStatus<T extends KubeObject>(type: ResourceType, obj: T): Promise<T> {
    return this.send<T>({
      method: 'PUT',
      path: `${resourcePath(type, obj.metadata.namespace, obj.metadata.name)}/status`,
      query: { fieldManager },
      body: obj,
    });
  }

  /**
   * Deletes; a missing object counts as deleted. preconditionUid guards
   * against deleting a newer object that reused the name.
   */
  async delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: {
      preconditionUid?: string;
      propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
      /** 0 force-deletes a pod whose kubelet is gone. */
      gracePeriodSeconds?: number;
    } = {},
  ): Promise<void> {
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      ...(opts.preconditionUid !== undefined ? { preconditions: { uid: opts.preconditionUid } } : {}),
      ...(opts.propagationPolicy !== undefined ? { propagationPolicy: opts.propagationPolicy } : {}),
      ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
    };
    try {
      await this.send({ method: 'DELETE', path: resourcePath(type, namespace, name), body });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  close(): void {
    this.transport.close();
  }

  private send<T>(spec: RequestSpec): Promise<T> {
    const mayWrite = this.mayWrite;
    if (mayWrite === undefined || spec.method === 'GET') return this.transport.request<T>(spec);
    return this.transport.request<T>({
      ...spec,
      admit: () => {
        if (!mayWrite()) throw new NotLeaderError(spec.method, spec.path);
      },
    });
  }
}
