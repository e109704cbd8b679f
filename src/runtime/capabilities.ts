// What a reconcile step may use, by name. A step's signature says whether it
// only looks (CacheReader, ApiReader, Clock) or also changes the cluster
// (ApiWriter) or tells users (Recorder), so a reader can tell the two apart
// without opening the body. The Manager satisfies all of them; tests pass
// narrower fakes only for pure logic, never for the API server.
import type { Cache } from './cache.js';
import type { EventRecorder } from './events.js';
import type { KubeClient } from '../kube/client.js';

/** Reads from the informer cache: no request leaves the process. */
export type CacheReader = Pick<Cache, 'get' | 'list' | 'watches'>;

/** Tells the cache what this process just wrote, so the next pass reads its own write. */
export type CacheWriter = Pick<Cache, 'written'>;

/** Reads that go to the API server, for what the cache does not hold. */
export type ApiReader = Pick<KubeClient, 'get' | 'find' | 'list'>;

/** Writes to the API server (the manager's client, fenced on leadership). */
export type ApiWriter = Pick<KubeClient, 'create' | 'update' | 'patch' | 'updateStatus' | 'delete'>;

/** Reads and writes to the API server. */
export type ApiClient = ApiReader & ApiWriter;

/** Events for `kubectl describe`. */
export type Recorder = Pick<EventRecorder, 'normal' | 'warning' | 'record'>;

export type { Clock } from './clock.js';
