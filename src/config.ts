// The operator's settings from flags and environment. Flags win over the
// environment; parsing is pure so every rule is tested without a process.
import { parseArgs } from 'node:util';
import { managerName } from './api/v1alpha1/vocabulary.js';
import { fencingModes, type FencingMode, type FencingPolicy } from './controllers/failovergroup/consent.js';
import { parseLabelSelector } from './kube/selector.js';
import { isLogLevel } from './observability/logger.js';
import { defaultLeaderTimings, validateLeaderTimings } from './runtime/leaderelection.js';
import { versionLine } from './version.js';

export interface OperatorConfig {
  kubeconfig?: string;
  namespaces: string[];
  concurrency: number;
  metricsAddress: string;
  /** HTTPS with TokenReview and SubjectAccessReview; false serves plain HTTP to anyone. */
  metricsSecure: boolean;
  /** tls.crt and tls.key to serve; a self-signed certificate when unset. */
  metricsCertDir?: string;
  probeAddress: string;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  logLevel: string;
  qps: number;
  burst: number;
  /** VolumeBackups every policy together may create per second, and their burst. */
  backupCreateQps: number;
  backupCreateBurst: number;
  /** Snapshots in progress at most, over all namespaces; further backups wait for a slot. */
  backupMaxInFlight: number;
  shutdownTimeoutMs: number;
  /** Whether, and on which nodes, FailoverGroups may fence: the administrator's decision, not a tenant's. */
  fencing: FencingPolicy;
}

export const usage = `stateful-volume-operator: reconciles StatefulVolumes, VolumeBackupPolicies, VolumeBackups and FailoverGroups.

Flags (environment variable in brackets):
  --kubeconfig PATH                  kubeconfig file; in-cluster config when unset [KUBECONFIG]
  --namespaces a,b                   namespaces to watch; all when empty [SVO_WATCH_NAMESPACES]
  --concurrency N                    parallel reconciles per controller (default 4) [SVO_CONCURRENCY]
  --metrics-bind-address ADDR        /metrics address; "0" disables (default :8443)
  --metrics-secure[=false]           serve /metrics over HTTPS to callers allowed "get" on the
                                     non-resource URL /metrics, checked with TokenReview and
                                     SubjectAccessReview (default true); false: plain HTTP to
                                     anyone, for local development only
  --metrics-cert-dir DIR             tls.crt and tls.key for /metrics, re-read when they change;
                                     without it a self-signed certificate is made at start
  --health-probe-bind-address ADDR   /healthz and /readyz address, plain HTTP (default :8081)
  --leader-elect[=false]             run controllers only while holding the Lease (default true)
  --leader-election-namespace NS     namespace of the Lease (default: the pod's) [POD_NAMESPACE]
  --leader-election-id NAME          name of the Lease (default stateful-volume-operator)
  --lease-duration 15s               how long a silent leader keeps the Lease
  --renew-deadline 10s               how long the leader retries renewing before it steps down
  --retry-period 2s                  interval between Lease attempts
  --log-level info                   trace, debug, info, warn, error, fatal, silent [SVO_LOG_LEVEL]
  --kube-api-qps 50                  client-side request rate limit
  --kube-api-burst 100               client-side burst
  --backup-create-qps 10             VolumeBackups all policies together create per second, so a
                                     thousand volumes on one schedule reach the snapshot controller
                                     at a steady rate
  --backup-create-burst 20           burst of those creations
  --backup-max-in-flight 50          snapshots in progress at most; further backups wait for a slot,
                                     so a large run does not flood the snapshot controller
  --shutdown-timeout 30s             how long SIGTERM waits for running reconciles
  --fencing-mode ConfirmedShutdown   when a FailoverGroup may fence a failed node (out-of-service taint,
                                     its pods force-deleted, their VolumeAttachments deleted):
                                     ConfirmedShutdown: Lease silent, Ready False/Unknown, and the node
                                       confirmed shut down (taint node.cloudprovider.kubernetes.io/shutdown
                                       or annotation storage.stateful.dev/shutdown-confirmed-at), as
                                       KEP-2268 asks;
                                     LeaseSilence: Lease silence alone; faster, but a node that is only
                                       restarting its kubelet or cut off may still write: split brain;
                                     Disabled: never
  --fencing-node-selector SELECTOR   label selector (kubectl -l syntax) of the nodes that may ever be
                                     fenced; empty: every node
  --version                          print the version and exit
  --help                             print this text
`;

const options = {
  kubeconfig: { type: 'string' },
  namespaces: { type: 'string' },
  concurrency: { type: 'string' },
  'metrics-bind-address': { type: 'string' },
  'metrics-secure': { type: 'string' },
  'metrics-cert-dir': { type: 'string' },
  'health-probe-bind-address': { type: 'string' },
  'leader-elect': { type: 'string' },
  'leader-election-namespace': { type: 'string' },
  'leader-election-id': { type: 'string' },
  'lease-duration': { type: 'string' },
  'renew-deadline': { type: 'string' },
  'retry-period': { type: 'string' },
  'log-level': { type: 'string' },
  'kube-api-qps': { type: 'string' },
  'kube-api-burst': { type: 'string' },
  'backup-create-qps': { type: 'string' },
  'backup-create-burst': { type: 'string' },
  'backup-max-in-flight': { type: 'string' },
  'shutdown-timeout': { type: 'string' },
  'fencing-mode': { type: 'string' },
  'fencing-node-selector': { type: 'string' },
  version: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** "15s", "500ms", "2m" or plain seconds. */
export function parseDuration(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (m === null) throw new ConfigError(`--${flag}: "${value}" is not a duration like 15s, 500ms or 2m`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return n * unit;
}

function positiveNumber(flag: string, value: string, integer: boolean): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new ConfigError(`--${flag}: "${value}" must be a positive ${integer ? 'integer' : 'number'}`);
  return n;
}

function parseBool(flag: string, value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'true') return true;
  if (value === 'false') return false;
  throw new ConfigError(`--${flag}: "${value}" must be true or false`);
}

/** Splits "--flag=value" pairs so a bare boolean flag like --leader-elect still parses. */
function normaliseArgv(argv: readonly string[]): string[] {
  return argv.map((a) => (a === '--leader-elect' || a === '--metrics-secure' ? `${a}=true` : a));
}

/**
 * `help`: the process prints `output` (the usage for --help, the version for
 * --version) and exits 0 without running; otherwise it runs with `config`.
 */
export type ParsedArgs = { help: true; output: string } | { help: false; config: OperatorConfig };

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedArgs {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; strict: true }>>;
  try {
    parsed = parseArgs({ args: normaliseArgv(argv), options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new ConfigError(`${err instanceof Error ? err.message : String(err)}\n\n${usage}`);
  }
  const v = parsed.values;
  if (v.help === true) return { help: true, output: usage };
  if (v.version === true) return { help: true, output: versionLine };
  return { help: false, config: buildConfig(v, env) };
}

type Lookup = (name: string, fallback: string, envName?: string) => string;

function lookup(v: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv): Lookup {
  return (name, fallback, envName) => {
    const value = v[name];
    if (typeof value === 'string') return value;
    const fromEnv = envName === undefined ? undefined : env[envName];
    return fromEnv === undefined || fromEnv === '' ? fallback : fromEnv;
  };
}

function leaderConfig(
  get: Lookup,
): Pick<
  OperatorConfig,
  | 'leaderElect'
  | 'leaderElectionNamespace'
  | 'leaderElectionId'
  | 'leaseDurationMs'
  | 'renewDeadlineMs'
  | 'retryPeriodMs'
> {
  const d = defaultLeaderTimings;
  const timings = {
    leaseDurationMs: parseDuration('lease-duration', get('lease-duration', `${d.leaseDurationMs}ms`)),
    renewDeadlineMs: parseDuration('renew-deadline', get('renew-deadline', `${d.renewDeadlineMs}ms`)),
    retryPeriodMs: parseDuration('retry-period', get('retry-period', `${d.retryPeriodMs}ms`)),
  };
  try {
    validateLeaderTimings(timings);
  } catch (err) {
    throw new ConfigError(`leader election: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    leaderElect: parseBool('leader-elect', get('leader-elect', 'true')),
    leaderElectionNamespace: get('leader-election-namespace', 'default', 'POD_NAMESPACE'),
    leaderElectionId: get('leader-election-id', managerName),
    ...timings,
  };
}

function metricsConfig(
  get: Lookup,
): Pick<OperatorConfig, 'metricsAddress' | 'metricsSecure' | 'metricsCertDir' | 'probeAddress'> {
  const metricsAddress = get('metrics-bind-address', ':8443');
  const probeAddress = get('health-probe-bind-address', ':8081');
  const metricsSecure = parseBool('metrics-secure', get('metrics-secure', 'true'));
  const metricsCertDir = get('metrics-cert-dir', '');
  if (metricsCertDir !== '' && !metricsSecure)
    throw new ConfigError('--metrics-cert-dir: certificates are only served with --metrics-secure=true');
  // The kubelet probes without a token: probes cannot sit behind the metrics guard.
  if (metricsSecure && metricsAddress !== '0' && metricsAddress === probeAddress)
    throw new ConfigError(
      '--metrics-bind-address and --health-probe-bind-address must differ while --metrics-secure: probes stay plain HTTP',
    );
  return {
    metricsAddress,
    metricsSecure,
    ...(metricsCertDir !== '' ? { metricsCertDir } : {}),
    probeAddress,
  };
}

function buildConfig(
  v: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
): OperatorConfig {
  const get = lookup(v, env);
  const logLevel = get('log-level', 'info', 'SVO_LOG_LEVEL');
  if (!isLogLevel(logLevel)) throw new ConfigError(`--log-level: "${logLevel}" is not a pino level`);
  const kubeconfig = get('kubeconfig', '');
  return {
    ...(kubeconfig !== '' ? { kubeconfig } : {}),
    namespaces: get('namespaces', '', 'SVO_WATCH_NAMESPACES')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    concurrency: positiveNumber('concurrency', get('concurrency', '4', 'SVO_CONCURRENCY'), true),
    ...metricsConfig(get),
    ...leaderConfig(get),
    logLevel,
    qps: positiveNumber('kube-api-qps', get('kube-api-qps', '50'), false),
    burst: positiveNumber('kube-api-burst', get('kube-api-burst', '100'), true),
    backupCreateQps: positiveNumber('backup-create-qps', get('backup-create-qps', '10'), false),
    backupCreateBurst: positiveNumber('backup-create-burst', get('backup-create-burst', '20'), true),
    backupMaxInFlight: positiveNumber('backup-max-in-flight', get('backup-max-in-flight', '50'), true),
    shutdownTimeoutMs: parseDuration('shutdown-timeout', get('shutdown-timeout', '30s')),
    fencing: fencingConfig(get),
  };
}

function fencingConfig(get: Lookup): FencingPolicy {
  const mode = get('fencing-mode', 'ConfirmedShutdown');
  if (!(fencingModes as readonly string[]).includes(mode))
    throw new ConfigError(`--fencing-mode: "${mode}" must be one of ${fencingModes.join(', ')}`);
  const text = get('fencing-node-selector', '');
  try {
    return { mode: mode as FencingMode, nodeSelector: parseLabelSelector(text), nodeSelectorText: text };
  } catch (err) {
    throw new ConfigError(
      `--fencing-node-selector: "${text}" is not a label selector: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
