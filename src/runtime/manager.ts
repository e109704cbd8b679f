// The manager owns what controllers share: the client, the cache, the Event
// recorder, metrics, probes and leader election. Every replica syncs its cache
// and serves probes; only the leader runs controllers.
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/client.js';
import type { Metrics } from '../observability/metrics.js';
import { Cache } from './cache.js';
import { systemClock, type Clock } from './clock.js';
import { Controller, type ControllerSpec } from './controller.js';
import { EventRecorder } from './events.js';
import { LeaderElector, type LeaderElectionOptions } from './leaderelection.js';
import { MetricsGuard } from './metrics-auth.js';
import { HttpEndpoint, type EndpointOptions, type Route } from './server.js';
import { certDirTls, selfSignedTls } from './tls.js';

export interface ManagerOptions {
  client: KubeClient;
  log: Logger;
  metrics: Metrics;
  clock?: Clock;
  /** Component name on Events. */
  component: string;
  /** Namespaces to watch; empty for all. */
  namespaces: readonly string[];
  /** Address for /metrics; undefined disables it. */
  metricsAddress?: string;
  /** Address for /healthz and /readyz; undefined disables them. May equal metricsAddress unless secureMetrics. */
  probeAddress?: string;
  /**
   * Serve /metrics over HTTPS, only to callers the API server authenticates
   * and allows `get` on /metrics; plain HTTP to anyone when absent. Without
   * certDir (tls.crt, tls.key) a self-signed certificate is made at start.
   */
  secureMetrics?: { certDir?: string };
  /** Leader election; undefined runs controllers unconditionally. */
  leaderElection?: LeaderElectionOptions;
  /** How long a shutdown waits for running reconciles. */
  shutdownTimeoutMs?: number;
  informerWatchTimeoutSeconds?: readonly [number, number];
}

export type RunOutcome = 'stopped' | 'lost-leadership';

export class Manager {
  readonly cache: Cache;
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  private readonly controllers: Controller[] = [];
  private readonly endpoints: HttpEndpoint[] = [];
  private elector: LeaderElector | undefined;
  private running = false;
  private readonly writer: KubeClient;
  readonly ports: { metrics?: number; probe?: number } = {};

  constructor(readonly opts: ManagerOptions) {
    const { client, log, metrics } = opts;
    this.clock = opts.clock ?? systemClock;
    const host = client.transport.host;
    client.observer = (method, code, seconds): void => {
      metrics.restRequests.inc({ code: String(code), method, host });
      metrics.restLatency.observe({ verb: method, host }, seconds);
    };
    this.cache = new Cache(client, log.child({ component: 'cache' }), {
      namespaces: opts.namespaces,
      informer: {
        onError: (kind, _err, resource): void => {
          metrics.informerErrors.inc({ resource, kind });
        },
        onEvent: (resource, type): void => {
          metrics.watchEvents.inc({ resource, type });
        },
        ...(opts.informerWatchTimeoutSeconds !== undefined
          ? { watchTimeoutSeconds: opts.informerWatchTimeoutSeconds }
          : {}),
      },
    });
    metrics.sampleCacheWith(() => this.cache.sizes());
    this.writer = client.fenced(() => this.mayWrite());
    this.recorder = new EventRecorder(this.writer, log.child({ component: 'events' }), this.clock, {
      component: opts.component,
      onRecord: (type, reason): void => {
        metrics.eventsEmitted.inc({ type, reason });
      },
    });
  }

  /**
   * The client controllers and the Event recorder write through: with leader
   * election, every write is refused unless the lease is certainly ours at
   * the moment it is sent. The elector and the metrics guard use the plain
   * client, since they must write (the Lease, reviews) without leading.
   */
  get client(): KubeClient {
    return this.writer;
  }

  get metrics(): Metrics {
    return this.opts.metrics;
  }

  get log(): Logger {
    return this.opts.log;
  }

  get isLeader(): boolean {
    return this.opts.leaderElection === undefined ? this.running : (this.elector?.isLeader ?? false);
  }

  /** Without leader election always; with it, only while the lease is certainly ours. */
  private mayWrite(): boolean {
    if (this.opts.leaderElection === undefined) return true;
    return this.elector?.holdsValidLease() ?? false;
  }

  add(spec: ControllerSpec): Controller {
    const controller = new Controller(spec, this.cache, this.opts.metrics, this.opts.log, () =>
      this.mayWrite(),
    );
    controller.prepare();
    this.controllers.push(controller);
    return controller;
  }

  /** Runs until the signal aborts (graceful stop) or leadership is lost. */
  async run(signal: AbortSignal): Promise<RunOutcome> {
    await this.serve();
    this.cache.start();
    let outcome: RunOutcome = 'stopped';
    try {
      await this.cache.waitForSync(signal);
      if (!signal.aborted) outcome = await this.lead(signal);
    } finally {
      await this.shutdown();
    }
    return outcome;
  }

  private async lead(signal: AbortSignal): Promise<RunOutcome> {
    const le = this.opts.leaderElection;
    if (le === undefined) {
      this.startControllers();
      await new Promise<void>((resolve) => {
        signal.addEventListener(
          'abort',
          () => {
            resolve();
          },
          { once: true },
        );
      });
      return 'stopped';
    }
    const elector = new LeaderElector(
      this.opts.client,
      le,
      this.opts.log.child({ component: 'leader-election' }),
    );
    this.elector = elector;
    const gauge = this.opts.metrics.leaderStatus;
    gauge.set({ name: le.name }, 0);
    // Stop the controllers before the lease is released, so two leaders never overlap.
    const stopping = new AbortController();
    signal.addEventListener(
      'abort',
      () =>
        void this.stopControllers().then(() => {
          stopping.abort();
        }),
      { once: true },
    );
    const result = await elector.run(stopping.signal, {
      onStartedLeading: () => {
        gauge.set({ name: le.name }, 1);
        this.startControllers();
      },
      onStoppedLeading: () => {
        gauge.set({ name: le.name }, 0);
      },
      onNewLeader: (identity) => {
        this.opts.log.info({ leader: identity }, 'leader observed');
      },
    });
    gauge.set({ name: le.name }, 0);
    return result === 'lost' ? 'lost-leadership' : 'stopped';
  }

  private startControllers(): void {
    this.running = true;
    for (const c of this.controllers) c.start();
    this.opts.log.info({ controllers: this.controllers.map((c) => c.spec.name) }, 'controllers started');
  }

  private async stopControllers(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await Promise.all(this.controllers.map((c) => c.stop(this.opts.shutdownTimeoutMs)));
  }

  private async shutdown(): Promise<void> {
    await this.stopControllers();
    await this.recorder.flush();
    await this.cache.stop();
    await Promise.all(this.endpoints.map((e) => e.close()));
    this.opts.client.close();
  }

  private metricsSecurity(): EndpointOptions {
    const secure = this.opts.secureMetrics;
    if (secure === undefined) return {};
    const log = this.opts.log.child({ component: 'metrics' });
    const tls = secure.certDir !== undefined ? certDirTls(secure.certDir, log) : selfSignedTls();
    // The wall clock, not the injected one: how long a review is trusted is real time.
    const guard = new MetricsGuard(this.opts.client, log);
    log.info({ tls: tls.describe }, 'metrics served over HTTPS to authorized callers');
    return { tls, guard: (req) => guard.check(req) };
  }

  private async serve(): Promise<void> {
    const metricsRoute: Route = async () => {
      for (const c of this.controllers) c.sample();
      const out = await this.opts.metrics.render();
      return { status: 200, contentType: out.contentType, body: out.body };
    };
    const healthz: Route = () => Promise.resolve({ status: 200, body: 'ok\n' });
    const readyz: Route = () =>
      Promise.resolve(
        this.cache.hasSynced ? { status: 200, body: 'ok\n' } : { status: 503, body: 'cache not synced\n' },
      );
    const { metricsAddress, probeAddress, secureMetrics } = this.opts;
    // Probes stay plain HTTP without a token (the kubelet has none), so they share a port only with plain metrics.
    if (metricsAddress !== undefined && metricsAddress === probeAddress && secureMetrics === undefined) {
      const all = new HttpEndpoint({ '/metrics': metricsRoute, '/healthz': healthz, '/readyz': readyz });
      this.ports.metrics = this.ports.probe = await all.listen(metricsAddress);
      this.endpoints.push(all);
      return;
    }
    if (metricsAddress !== undefined) {
      const m = new HttpEndpoint({ '/metrics': metricsRoute }, this.metricsSecurity());
      this.ports.metrics = await m.listen(metricsAddress);
      this.endpoints.push(m);
    }
    if (probeAddress !== undefined) {
      const p = new HttpEndpoint({ '/healthz': healthz, '/readyz': readyz });
      this.ports.probe = await p.listen(probeAddress);
      this.endpoints.push(p);
    }
  }
}
