// Kubernetes Events for what a person cares about. Repeats of the same event
// on the same object are folded into one Event whose count grows, like
// client-go's correlator, so a failing reconcile does not flood etcd.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/client.js';
import { errorMessage, isNotFound } from '../kube/errors.js';
import { boundedName, maxNameLength } from '../kube/names.js';
import { coreTypes } from '../kube/resource.js';
import type { KubeObject } from '../kube/wire.js';
import type { Clock } from './clock.js';
import { rfc3339 } from './clock.js';

export type EventType = 'Normal' | 'Warning';

interface Seen {
  name: string;
  namespace: string;
  count: number;
  /** Count last written to the API server. */
  written: number;
  lastWrite: number;
}

export interface RecorderOptions {
  component: string;
  /** Repeats closer together than this are counted locally and written with the next one. */
  minWriteIntervalMs?: number;
  /** How long an Event may be reused for repeats. */
  windowMs?: number;
  /** Observes every recorded event (for metrics). */
  onRecord?: (type: EventType, reason: string) => void;
}

const reasonPattern = /^[A-Z][A-Za-z0-9]*$/;
const maxSeen = 4096;

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();
  private pending = new Set<Promise<void>>();
  private readonly instance = hostname();

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly opts: RecorderOptions,
  ) {}

  normal(obj: KubeObject, reason: string, message: string): void {
    this.record(obj, 'Normal', reason, message);
  }

  warning(obj: KubeObject, reason: string, message: string): void {
    this.record(obj, 'Warning', reason, message);
  }

  /** Records without blocking the caller; failures are logged, never thrown. */
  record(obj: KubeObject, type: EventType, reason: string, message: string): void {
    if (!reasonPattern.test(reason)) {
      this.log.error({ reason }, 'event reason must be CamelCase; event dropped');
      return;
    }
    this.opts.onRecord?.(type, reason);
    const task = this.write(obj, type, reason, message.slice(0, 1024)).catch((err: unknown) => {
      this.log.warn({ reason, object: obj.metadata.name, err: errorMessage(err) }, 'could not record event');
    });
    this.pending.add(task);
    void task.finally(() => this.pending.delete(task));
  }

  /** Resolves when every event recorded so far has been written (for tests and shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async write(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const key = `${obj.metadata.uid ?? obj.metadata.name ?? ''}|${type}|${reason}|${message}`;
    const now = this.clock.now().getTime();
    const prior = this.seen.get(key);
    if (prior !== undefined && now - prior.lastWrite < (this.opts.windowMs ?? 10 * 60_000)) {
      prior.count++;
      if (now - prior.lastWrite < (this.opts.minWriteIntervalMs ?? 5_000)) return;
      prior.lastWrite = now;
      const patched = await this.bump(prior);
      if (patched) return;
    }
    await this.create(obj, { type, reason, message }, key, now);
  }

  private async bump(seen: Seen): Promise<boolean> {
    try {
      await this.client.patch(coreTypes.event, seen.namespace, seen.name, {
        count: seen.count,
        lastTimestamp: rfc3339(this.clock.now()),
      });
      seen.written = seen.count;
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  private async create(
    obj: KubeObject,
    { type, reason, message }: { type: EventType; reason: string; message: string },
    key: string,
    now: number,
  ): Promise<void> {
    const namespace = obj.metadata.namespace ?? 'default';
    const suffix = `.${randomBytes(8).toString('hex')}`;
    // An object named with all 253 characters would otherwise get an Event the API server refuses.
    const name = `${boundedName(obj.metadata.name ?? 'object', maxNameLength - suffix.length)}${suffix}`;
    const at = rfc3339(this.clock.now());
    await this.client.create(coreTypes.event, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: at,
      lastTimestamp: at,
      source: { component: this.opts.component },
      reportingComponent: this.opts.component,
      reportingInstance: this.instance,
    } as KubeObject);
    if (this.seen.size >= maxSeen) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    this.seen.set(key, { name, namespace, count: 1, written: 1, lastWrite: now });
  }
}
