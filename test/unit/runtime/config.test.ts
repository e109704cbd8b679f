// Flags and environment of the operator process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig, parseDuration, type OperatorConfig } from '../../../src/config.js';
import { parseAddress } from '../../../src/runtime/server.js';

function config(argv: string[], env: NodeJS.ProcessEnv = {}): OperatorConfig {
  const parsed = parseConfig(argv, env);
  if (parsed.help) throw new Error('unexpected --help');
  return parsed.config;
}

test('defaults match the documented ones', () => {
  const c = config([]);
  assert.deepEqual(
    {
      namespaces: c.namespaces,
      concurrency: c.concurrency,
      metrics: c.metricsAddress,
      metricsSecure: c.metricsSecure,
      metricsCertDir: c.metricsCertDir,
      probe: c.probeAddress,
      leaderElect: c.leaderElect,
      lease: [c.leaseDurationMs, c.renewDeadlineMs, c.retryPeriodMs],
      qps: [c.qps, c.burst],
      backupCreate: [c.backupCreateQps, c.backupCreateBurst, c.backupMaxInFlight],
    },
    {
      namespaces: [],
      concurrency: 4,
      metrics: ':8443',
      metricsSecure: true,
      metricsCertDir: undefined,
      probe: ':8081',
      leaderElect: true,
      lease: [15_000, 10_000, 2_000],
      qps: [50, 100],
      backupCreate: [10, 20, 50],
    },
  );
});

const metricsCases: { name: string; argv: string[]; want: Partial<OperatorConfig> }[] = [
  {
    name: 'metrics are served over HTTPS with a self-signed certificate unless told otherwise',
    argv: [],
    want: { metricsAddress: ':8443', metricsSecure: true, probeAddress: ':8081' },
  },
  {
    name: 'a certificate directory is passed on',
    argv: ['--metrics-cert-dir=/certs'],
    want: { metricsSecure: true, metricsCertDir: '/certs' },
  },
  {
    name: '--metrics-secure works bare',
    argv: ['--metrics-secure'],
    want: { metricsSecure: true },
  },
  {
    name: 'plain metrics for development may share the probes address',
    argv: ['--metrics-secure=false', '--metrics-bind-address=:8080', '--health-probe-bind-address=:8080'],
    want: { metricsAddress: ':8080', metricsSecure: false, probeAddress: ':8080' },
  },
  {
    name: 'secure metrics that are switched off may name the probes address',
    argv: ['--metrics-bind-address=0', '--health-probe-bind-address=0'],
    want: { metricsAddress: '0', metricsSecure: true },
  },
];
for (const c of metricsCases) {
  test(c.name, () => {
    const got = config(c.argv);
    for (const [key, value] of Object.entries(c.want))
      assert.deepEqual(got[key as keyof OperatorConfig], value, key);
  });
}

test('the backup creation rate takes fractions; its burst is a whole number', () => {
  const c = config(['--backup-create-qps=0.5', '--backup-create-burst=3']);
  assert.deepEqual([c.backupCreateQps, c.backupCreateBurst], [0.5, 3]);
});

test('flags win over the environment, and the environment over defaults', () => {
  const env = {
    SVO_WATCH_NAMESPACES: 'a, b',
    SVO_CONCURRENCY: '9',
    POD_NAMESPACE: 'ops',
    SVO_LOG_LEVEL: 'debug',
  };
  const fromEnv = config([], env);
  assert.deepEqual(fromEnv.namespaces, ['a', 'b']);
  assert.equal(fromEnv.concurrency, 9);
  assert.equal(fromEnv.leaderElectionNamespace, 'ops');
  assert.equal(fromEnv.logLevel, 'debug');
  const fromFlags = config(['--namespaces=c', '--concurrency', '2', '--log-level=warn'], env);
  assert.deepEqual(fromFlags.namespaces, ['c']);
  assert.equal(fromFlags.concurrency, 2);
  assert.equal(fromFlags.logLevel, 'warn');
});

test('--leader-elect works bare and with =false', () => {
  assert.equal(config(['--leader-elect']).leaderElect, true);
  assert.equal(config(['--leader-elect=false']).leaderElect, false);
});

const rejected: [string, string[], RegExp][] = [
  ['a zero concurrency is refused', ['--concurrency=0'], /--concurrency: "0" must be a positive integer/],
  [
    'an unknown flag is refused with the usage',
    ['--frobnicate'],
    /Unknown option '--frobnicate'[\s\S]*Flags/,
  ],
  ['a bad duration names the flag', ['--lease-duration=soon'], /--lease-duration: "soon" is not a duration/],
  [
    'a renew deadline longer than the lease is refused',
    ['--renew-deadline=20s'],
    /lease duration must be greater than the renew deadline/,
  ],
  ['a zero backup creation rate is refused', ['--backup-create-qps=0'], /--backup-create-qps: "0" must be/],
  ['an unknown log level is refused', ['--log-level=loud'], /--log-level: "loud"/],
  ['a non-boolean leader-elect is refused', ['--leader-elect=maybe'], /must be true or false/],
  [
    'a non-boolean metrics-secure is refused',
    ['--metrics-secure=no'],
    /--metrics-secure: "no" must be true or false/,
  ],
  [
    'secure metrics on the probes address are refused: the kubelet has no token',
    ['--metrics-bind-address=:9000', '--health-probe-bind-address=:9000'],
    /must differ while --metrics-secure/,
  ],
  [
    'a certificate directory for plain metrics is refused',
    ['--metrics-secure=false', '--metrics-cert-dir=/certs'],
    /--metrics-cert-dir: certificates are only served with --metrics-secure=true/,
  ],
];
for (const [name, argv, message] of rejected) {
  test(name, () => {
    assert.throws(
      () => parseConfig(argv, {}),
      (err: unknown) => err instanceof ConfigError && message.test(err.message),
    );
  });
}

test('durations accept ms, s, m and bare seconds', () => {
  assert.equal(parseDuration('x', '500ms'), 500);
  assert.equal(parseDuration('x', '15s'), 15_000);
  assert.equal(parseDuration('x', '2m'), 120_000);
  assert.equal(parseDuration('x', '3'), 3_000);
});

test('bind addresses parse like controller-runtime', () => {
  assert.deepEqual(parseAddress(':8080'), { port: 8080 });
  assert.deepEqual(parseAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.throws(() => parseAddress(':http'), /invalid bind address/);
});
