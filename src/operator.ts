// Wires a configured process: client, logger, metrics, manager, controllers,
// signals. main.ts passes the product's controllers; tests pass their own.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import type { LevelWithSilent } from 'pino';
import { managerName } from './api/v1alpha1/vocabulary.js';
import type { OperatorConfig } from './config.js';
import { KubeClient } from './kube/client.js';
import { createLogger, type Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { Manager, type RunOutcome } from './runtime/manager.js';
import { buildRevision, version } from './version.js';

export const component = managerName;
export const userAgent = `${component}/${version}`;

export type Register = (mgr: Manager, config: OperatorConfig) => void;

export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path !== undefined) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

export function createManager(config: OperatorConfig, log: Logger): Manager {
  // The pid makes replicas on one host (and in tests) tell apart; the UA carries
  // the identity so the API server's audit log shows which replica wrote.
  const identity = `${hostname()}_${String(process.pid)}_${randomBytes(3).toString('hex')}`;
  const client = new KubeClient(loadKubeConfig(config.kubeconfig), {
    userAgent: `${userAgent} (${identity})`,
    qps: config.qps,
    burst: config.burst,
  });
  return new Manager({
    client,
    log,
    metrics: new Metrics({ version, revision: buildRevision() }),
    component,
    namespaces: config.namespaces,
    ...(config.metricsAddress !== '0' ? { metricsAddress: config.metricsAddress } : {}),
    ...(config.metricsSecure
      ? { secureMetrics: config.metricsCertDir !== undefined ? { certDir: config.metricsCertDir } : {} }
      : {}),
    ...(config.probeAddress !== '0' ? { probeAddress: config.probeAddress } : {}),
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    ...(config.leaderElect
      ? {
          leaderElection: {
            namespace: config.leaderElectionNamespace,
            name: config.leaderElectionId,
            identity,
            leaseDurationMs: config.leaseDurationMs,
            renewDeadlineMs: config.renewDeadlineMs,
            retryPeriodMs: config.retryPeriodMs,
          },
        }
      : {}),
  });
}

/**
 * Runs until SIGTERM/SIGINT (exit code 0 after draining) or until leadership
 * is lost (exit code 1, so the pod restarts as a clean standby).
 */
export async function runOperator(config: OperatorConfig, register: Register): Promise<number> {
  const log = createLogger(config.logLevel as LevelWithSilent);
  const mgr = createManager(config, log);
  register(mgr, config);
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info({ signal }, 'shutting down: draining running reconciles');
    stop.abort();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  log.info(
    {
      namespaces: config.namespaces.length > 0 ? config.namespaces : 'all',
      leaderElection: config.leaderElect,
      concurrency: config.concurrency,
    },
    'starting',
  );
  let outcome: RunOutcome;
  try {
    outcome = await mgr.run(stop.signal);
  } catch (err) {
    log.fatal({ err }, 'operator failed');
    return 1;
  }
  log.info({ outcome }, 'stopped');
  return outcome === 'lost-leadership' ? 1 : 0;
}
