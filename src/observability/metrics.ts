// The runtime's Prometheus metrics. They carry controller-runtime's and
// client-go's names and labels, so dashboards and alerts made for any
// kubebuilder operator work unchanged; the series the operator adds share the
// prefix stateful_volume_operator_. Nothing here knows a kind: each controller
// defines its own series with metricSet, on the same registry.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type ReconcileResult = 'success' | 'error' | 'requeue' | 'requeue_after';

/** Prefix of every series that is the operator's own, not the runtime's. */
export const ownPrefix = 'stateful_volume_operator_';

/** controller-runtime's buckets for reconcile and request durations, in seconds. */
const durationBuckets = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5,
  1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

/** client-go's work queue buckets: powers of ten from 10 ns to 1000 s. */
const queueBuckets = Array.from({ length: 12 }, (_, i) => Number((1e-8 * 10 ** i).toPrecision(1)));

/**
 * Declares a controller's own series. The returned function gives the same
 * metrics for the same Metrics however often it is called (a registry refuses
 * a name twice), and new ones for another: each manager, and each test's, has
 * its own registry.
 */
export function metricSet<T>(define: (registry: Registry) => T): (metrics: Metrics) => T {
  const made = new WeakMap<Metrics, T>();
  return (metrics) => {
    let set = made.get(metrics);
    if (set === undefined) {
      set = define(metrics.registry);
      made.set(metrics, set);
    }
    return set;
  };
}

export interface MetricsOptions {
  /** Node.js process metrics (process_*, nodejs_*); off in tests that run many managers. */
  processMetrics?: boolean;
  /** The operator's release, for stateful_volume_operator_build_info. */
  version?: string;
  /** The source revision the build came from, when known. */
  revision?: string;
}

export class Metrics {
  readonly registry = new Registry();

  readonly reconcileTotal = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Total number of reconciliations per controller and result.',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });

  readonly reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Total number of reconciliation errors per controller.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });

  readonly terminalReconcileErrors = new Counter({
    name: 'controller_runtime_terminal_reconcile_errors_total',
    help: 'Total number of terminal reconciliation errors (not retried) per controller.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });

  readonly reconcilePanics = new Counter({
    name: 'controller_runtime_reconcile_panics_total',
    help: 'Total number of reconciliations that threw a programming error (TypeError, ReferenceError, RangeError) per controller.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });

  readonly reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of time per reconciliation per controller.',
    labelNames: ['controller'] as const,
    buckets: durationBuckets,
    registers: [this.registry],
  });

  readonly maxConcurrentReconciles = new Gauge({
    name: 'controller_runtime_max_concurrent_reconciles',
    help: 'Maximum number of concurrent reconciles per controller.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });

  readonly activeWorkers = new Gauge({
    name: 'controller_runtime_active_workers',
    help: 'Number of currently used workers per controller.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });

  // Work queue series carry both `name` (client-go's) and `controller` (controller-runtime's
  // newer label), with the same value, as controller-runtime does.
  readonly queueDepth = new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of the work queue.',
    labelNames: ['name', 'controller'] as const,
    registers: [this.registry],
  });

  readonly queueAdds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by the work queue.',
    labelNames: ['name', 'controller'] as const,
    registers: [this.registry],
  });

  readonly queueRetries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Total number of retries handled by the work queue.',
    labelNames: ['name', 'controller'] as const,
    registers: [this.registry],
  });

  readonly queueDuration = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long in seconds an item stays in the work queue before being requested.',
    labelNames: ['name', 'controller'] as const,
    buckets: queueBuckets,
    registers: [this.registry],
  });

  readonly workDuration = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long in seconds processing an item from the work queue takes.',
    labelNames: ['name', 'controller'] as const,
    buckets: queueBuckets,
    registers: [this.registry],
  });

  readonly unfinishedWork = new Gauge({
    name: 'workqueue_unfinished_work_seconds',
    help:
      'How many seconds of work is in progress and not yet observed by work_duration. Large values ' +
      'indicate stuck workers; the rate at which it grows is the number of stuck workers.',
    labelNames: ['name', 'controller'] as const,
    registers: [this.registry],
  });

  readonly queueLongestRunning = new Gauge({
    name: 'workqueue_longest_running_processor_seconds',
    help: 'How many seconds the longest running processor of the work queue has been running.',
    labelNames: ['name', 'controller'] as const,
    registers: [this.registry],
  });

  readonly leaderStatus = new Gauge({
    name: 'leader_election_master_status',
    help: '1 while this process holds the leader lease, else 0.',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });

  readonly restRequests = new Counter({
    name: 'rest_client_requests_total',
    help: 'Number of HTTP requests, partitioned by status code (0: no response), method, and host.',
    labelNames: ['code', 'method', 'host'] as const,
    registers: [this.registry],
  });

  readonly restLatency = new Histogram({
    name: 'rest_client_request_duration_seconds',
    help: 'Request latency in seconds, by verb and host.',
    labelNames: ['verb', 'host'] as const,
    buckets: durationBuckets,
    registers: [this.registry],
  });

  readonly buildInfo = new Gauge({
    name: `${ownPrefix}build_info`,
    help: 'Always 1; the labels say which build of the operator runs.',
    labelNames: ['version', 'revision', 'nodejs'] as const,
    registers: [this.registry],
  });

  readonly informerErrors = new Counter({
    name: `${ownPrefix}informer_errors_total`,
    help: 'Informer failures: handler exceptions, failed lists and broken watches, per resource.',
    labelNames: ['resource', 'kind'] as const,
    registers: [this.registry],
  });

  readonly eventsEmitted = new Counter({
    name: `${ownPrefix}events_total`,
    help: 'Kubernetes Events recorded, by type and reason.',
    labelNames: ['type', 'reason'] as const,
    registers: [this.registry],
  });

  private readonly collectors: (() => void)[] = [];

  /** Runs fn before each scrape, so gauges derived from the cache are as fresh as the cache. */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  constructor(opts: MetricsOptions = {}) {
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.buildInfo.set(
      { version: opts.version ?? 'unknown', revision: opts.revision ?? 'unknown', nodejs: process.version },
      1,
    );
  }

  /** Names of every series family this registry exports. */
  names(): string[] {
    return this.registry.getMetricsAsArray().map((m) => m.name);
  }

  /** Text exposition for /metrics. */
  async render(): Promise<{ contentType: string; body: string }> {
    for (const c of this.collectors) c();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  // ---- What the cache holds and receives: its cost, visible in production.

  private cacheSizes: () => ReadonlyMap<string, number> = () => new Map();

  /** Where the cache_objects gauge reads the objects held per resource at scrape time. */
  sampleCacheWith(sizes: () => ReadonlyMap<string, number>): void {
    this.cacheSizes = sizes;
  }

  readonly cacheObjects = new Gauge({
    name: 'stateful_volume_operator_cache_objects',
    help: 'Objects held in the cache per resource (sampled at scrape).',
    labelNames: ['resource'] as const,
    registers: [this.registry],
    collect: () => {
      this.cacheObjects.reset();
      for (const [resource, n] of this.cacheSizes()) this.cacheObjects.set({ resource }, n);
    },
  });

  readonly watchEvents = new Counter({
    name: 'stateful_volume_operator_watch_events_total',
    help: 'Watch events received per resource and type (ADDED, MODIFIED, DELETED, BOOKMARK).',
    labelNames: ['resource', 'type'] as const,
    registers: [this.registry],
  });
}
