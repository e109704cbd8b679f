// Finalizers are added and removed with a merge patch that carries the
// resourceVersion read, so a concurrent change to the list is never lost.
import type { ResourceType } from '../kube/resource.js';
import type { KubeObject } from '../kube/wire.js';
import type { ApiWriter, CacheWriter } from './capabilities.js';

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata.finalizers?.includes(finalizer) ?? false;
}

/** With the cache, the next pass reads the object with its finalizer rather than adding it again. */
export async function addFinalizer<T extends KubeObject>(
  client: ApiWriter,
  type: ResourceType,
  obj: T,
  finalizer: string,
  cache?: CacheWriter,
): Promise<T> {
  if (hasFinalizer(obj, finalizer)) return obj;
  const next = await patchFinalizers(client, type, obj, [...(obj.metadata.finalizers ?? []), finalizer]);
  cache?.written(type, obj, next);
  return next;
}

export async function removeFinalizer<T extends KubeObject>(
  client: ApiWriter,
  type: ResourceType,
  obj: T,
  finalizer: string,
): Promise<T> {
  if (!hasFinalizer(obj, finalizer)) return obj;
  return patchFinalizers(
    client,
    type,
    obj,
    (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer),
  );
}

function patchFinalizers<T extends KubeObject>(
  client: ApiWriter,
  type: ResourceType,
  obj: T,
  finalizers: string[],
): Promise<T> {
  return client.patch<T>(type, obj.metadata.namespace, obj.metadata.name ?? '', {
    metadata: { finalizers, resourceVersion: obj.metadata.resourceVersion },
  });
}
