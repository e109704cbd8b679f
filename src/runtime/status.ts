// Status is written last and only when it changed: a converged object costs
// no API writes, and a reconcile that finds nothing to do stays silent.
import type { ResourceType } from '../kube/resource.js';
import type { KubeObject } from '../kube/wire.js';
import type { ApiWriter, CacheWriter } from './capabilities.js';

/** JSON with object keys sorted, so equal values compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b ?? {});
}

/**
 * Replaces obj's status when it differs from the one read. The write carries
 * the resourceVersion read, so a concurrent change fails with 409 Conflict,
 * which the controller turns into a quick requeue.
 */
export async function writeStatus<T extends KubeObject & { status?: S }, S>(
  client: ApiWriter,
  type: ResourceType,
  current: T,
  status: S,
  cache?: CacheWriter,
): Promise<{ written: boolean; object: T }> {
  if (sameJson(current.status, status)) return { written: false, object: current };
  const object = await client.updateStatus<T>(type, { ...current, status });
  cache?.written(type, current, object);
  return { written: true, object };
}
