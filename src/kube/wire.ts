// Objects exactly as the API server sends them. @kubernetes/client-node's
// model classes type timestamps as Date, but only its generated API methods
// convert them, and only on list: watch events carry strings. This client never
// converts, so every object, listed or watched, has string timestamps, and the
// types say so.
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';

/** T with every Date replaced by the RFC 3339 string the API server actually sends. */
export type Wire<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

export type ObjectMeta = Wire<V1ObjectMeta>;
/** client-node renames `continue` to `_continue` (a reserved word); on the wire it is `continue`. */
export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}
export type OwnerReference = Wire<V1OwnerReference>;

/** What every object the runtime handles has. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/** A client-node model type as a stored object: wire timestamps, metadata present. */
export type Stored<T> = Wire<T> & KubeObject;

export interface KubeList<T extends KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

/** namespace/name, or name for cluster-scoped objects: the key of caches and work queues. */
export function objectKey(obj: KubeObject): string {
  const { namespace, name } = obj.metadata;
  return namespace !== undefined && namespace !== '' ? `${namespace}/${name ?? ''}` : (name ?? '');
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  if (slash < 0) return { name: key };
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
