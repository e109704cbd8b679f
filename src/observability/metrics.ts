// Prometheus metrics, named like controller-runtime's and client-go's so
// existing dashboards and alerts work unchanged.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type ReconcileResult = 'success' | 'error' | 'requeue' | 'requeue_after';

export class Metrics {
  readonly registry = new Registry();

  readonly reconcileTotal = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Reconcile passes per controller and result.',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });

  readonly reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Reconcile passes that ended in an error, per controller.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });

  readonly reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Duration of reconcile passes per controller.',
    labelNames: ['controller'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly activeWorkers = new Gauge({
    name: 'controller_runtime_active_workers',
    help: 'Workers currently reconciling, per controller.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'workqueue_depth',
    help: 'Keys waiting in the work queue.',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });

  readonly queueAdds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Keys added to the work queue.',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });

  readonly queueRetries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Keys re-added after a failed reconcile.',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });

  readonly queueLongestRunning = new Gauge({
    name: 'workqueue_longest_running_processor_seconds',
    help: 'How long the longest-running reconcile of the queue has been running.',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });

  readonly leaderStatus = new Gauge({
    name: 'leader_election_master_status',
    help: '1 while this process holds the leader lease, else 0.',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });

  readonly informerErrors = new Counter({
    name: 'informer_errors_total',
    help: 'Informer failures: handler exceptions, failed lists and broken watches, per resource.',
    labelNames: ['resource', 'kind'] as const,
    registers: [this.registry],
  });

  readonly restRequests = new Counter({
    name: 'rest_client_requests_total',
    help: 'Requests to the API server by method and HTTP code (0: no response).',
    labelNames: ['method', 'code'] as const,
    registers: [this.registry],
  });

  readonly restLatency = new Histogram({
    name: 'rest_client_request_duration_seconds',
    help: 'Latency of requests to the API server by method.',
    labelNames: ['method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly eventsEmitted = new Counter({
    name: 'operator_events_total',
    help: 'Kubernetes Events recorded, by type and reason.',
    labelNames: ['type', 'reason'] as const,
    registers: [this.registry],
  });

  readonly failoverRecovery = new Histogram({
    name: 'failover_recovery_seconds',
    help: 'Seconds from the first silence of a failed node (or zone) until the group’s pods were Ready again.',
    labelNames: ['reason'] as const,
    buckets: [5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600],
    registers: [this.registry],
  });

  readonly nodesFenced = new Counter({
    name: 'failover_nodes_fenced_total',
    help: 'Nodes fenced (out-of-service taint added) by FailoverGroups.',
    registers: [this.registry],
  });

  /** Filled at scrape time from the cache by the collector a controller installs. */
  readonly backups = new Gauge({
    name: 'volumebackup_backups',
    help: 'VolumeBackups per namespace and phase (a backup with no status yet counts as Pending).',
    labelNames: ['namespace', 'phase'] as const,
    registers: [this.registry],
    collect: () => {
      for (const c of this.collectors) c();
    },
  });

  readonly lastBackupSuccess = new Gauge({
    name: 'volumebackup_last_success_timestamp_seconds',
    help: 'When the newest Ready VolumeBackup of each StatefulVolume became ready (Unix seconds).',
    labelNames: ['namespace', 'volume'] as const,
    registers: [this.registry],
  });

  readonly scheduleLateness = new Histogram({
    name: 'volumebackuppolicy_schedule_lateness_seconds',
    help: 'Seconds from a run’s scheduled time to the pass that created its first VolumeBackup.',
    labelNames: ['namespace', 'policy'] as const,
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });

  readonly missedRuns = new Counter({
    name: 'volumebackuppolicy_missed_runs_total',
    help: 'Scheduled runs skipped because they were later than startingDeadlineSeconds.',
    labelNames: ['namespace', 'policy'] as const,
    registers: [this.registry],
  });

  private readonly collectors: (() => void)[] = [];

  /** Runs fn before each scrape, so gauges derived from the cache are as fresh as the cache. */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Text exposition for /metrics. */
  async render(): Promise<{ contentType: string; body: string }> {
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
