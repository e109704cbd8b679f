// The real operator (src/main.ts) as a child process against the test
// cluster: for tests and benchmarks that kill it, restart it, or measure it.
// It runs as the operator's shipped ServiceAccount, with a token minted for
// this start (test/support/identity.ts); a fixture program from test/ runs as
// the runtime fixture's account instead.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { repoRoot } from '../cluster/layout.js';
import { mintIdentity, operatorNamespace } from './identity.js';
import { testKubeconfigPath } from './kube.js';
import { eventually } from './wait.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface OperatorProcess {
  /** Which start this is, for messages: #0, #1, ... */
  readonly n: number;
  readonly child: ChildProcess;
  /** The loopback port of /healthz and /readyz (plain HTTP). */
  readonly port: number;
  /** The loopback port of /metrics (HTTPS; read it with scrapeMetrics of metrics.ts). */
  readonly metricsPort: number;
  readonly exited: Promise<Exit>;
  /** Set just before a kill by the test; an exit without it is a crash. */
  killed: boolean;
  exit?: Exit;
  /** The last lines it wrote (pino's JSON on stdout, crashes on stderr). */
  readonly output: string[];
}

export interface OperatorOptions {
  readonly n?: number;
  /** The program to run, relative to the repository; src/main.ts unless told. */
  readonly entry?: string;
  /**
   * The admin kubeconfig of the cluster to run in, used only to mint the
   * process's token: the test cluster's unless told (benchmarks pass the one
   * they started).
   */
  readonly cluster?: string;
  /** The run folder to record the start in; SVO_CLUSTER_RUN unless told. */
  readonly runDir?: string;
  /** The test that starts it (testName(t)), for the record of who got a 403. */
  readonly test?: string;
  /** Run entry as compiled JavaScript, without tsx (as the image does). */
  readonly compiled?: boolean;
  /** Namespaces to watch; empty or absent: the whole cluster. */
  readonly namespaces?: readonly string[];
  /** Flags after the defaults; a later flag wins. */
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Called with every line the process writes. */
  readonly onLine?: (line: string) => void;
  readonly keepLines?: number;
}

/** For onLine: what the old stdio 'inherit' showed, the process's warnings and errors. */
export function echoProblems(line: string): void {
  if (!/"level":"(info|debug|trace)"/.test(line)) process.stderr.write(`${line}\n`);
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function collect(stream: NodeJS.ReadableStream, tail: string[], opts: OperatorOptions): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > (opts.keepLines ?? 40)) tail.shift();
      opts.onLine?.(line);
    }
  });
}

/**
 * Starts src/main.ts under tsx in a process group of its own, so a kill takes
 * tsx's helpers with it. Leader election, when a test turns it on, uses the
 * operator's namespace, the only one whose Leases its RBAC lets it write.
 */
export async function startOperator(opts: OperatorOptions = {}): Promise<OperatorProcess> {
  const entry = opts.entry ?? 'src/main.ts';
  const fixture = entry.startsWith('test/');
  const admin = new KubeConfig();
  admin.loadFromFile(opts.cluster ?? testKubeconfigPath());
  const identity = await mintIdentity(admin, fixture ? 'runtime-fixture' : 'operator', {
    ...(opts.test !== undefined ? { test: opts.test } : {}),
    ...(opts.runDir !== undefined ? { runDir: opts.runDir } : {}),
  });
  const port = await freePort();
  let metricsPort = await freePort();
  while (metricsPort === port) metricsPort = await freePort();
  const namespaces = opts.namespaces ?? [];
  const child = spawn(
    process.execPath,
    [
      ...(opts.compiled === true ? [] : ['--import', 'tsx']),
      join(repoRoot, entry),
      `--kubeconfig=${identity.kubeconfigPath}`,
      ...(namespaces.length > 0 ? [`--namespaces=${namespaces.join(',')}`] : []),
      '--leader-elect=false',
      ...(fixture ? [] : [`--leader-election-namespace=${operatorNamespace}`]),
      `--metrics-bind-address=127.0.0.1:${String(metricsPort)}`,
      `--health-probe-bind-address=127.0.0.1:${String(port)}`,
      '--log-level=warn',
      ...(opts.args ?? []),
    ],
    {
      cwd: repoRoot,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.env !== undefined ? { env: opts.env } : {}),
    },
  );
  const output: string[] = [];
  collect(child.stdout, output, opts);
  collect(child.stderr, output, opts);
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  const proc: OperatorProcess = { n: opts.n ?? 0, child, port, metricsPort, exited, killed: false, output };
  void exited.then((e) => {
    proc.exit = e;
  });
  return proc;
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Signals the whole process group (SIGKILL unless told) and waits until no process of it is left. */
export async function stopOperator(proc: OperatorProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
  const pid = proc.child.pid;
  if (pid === undefined) throw new Error(`operator #${String(proc.n)} never started`);
  // A process that is already gone died by itself: it stays unmarked, a crash.
  if (proc.exit === undefined) {
    proc.killed = true;
    process.kill(-pid, signal);
  }
  const exit = await proc.exited;
  if (signal !== 'SIGKILL' && groupAlive(pid)) process.kill(-pid, 'SIGKILL');
  await eventually(`process group ${String(pid)} to be gone`, () => Promise.resolve(!groupAlive(pid)), {
    timeoutMs: 10_000,
    intervalMs: 50,
  });
  return exit;
}

export async function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${String(port)}${path}`, { signal: AbortSignal.timeout(2_000) });
  return { status: res.status, body: await res.text() };
}

/** Resolves, with the milliseconds it took, once the operator's caches have synced; fails if it exits first. */
export async function waitReady(proc: OperatorProcess, timeoutMs = 60_000): Promise<number> {
  const startedAt = Date.now();
  await eventually(
    `operator #${String(proc.n)} to be ready`,
    async () => {
      if (proc.exit !== undefined)
        throw new Error(`operator exited: ${JSON.stringify(proc.exit)}\n${proc.output.join('\n')}`);
      try {
        return (await httpGet(proc.port, '/readyz')).status === 200;
      } catch {
        return false;
      }
    },
    { timeoutMs, intervalMs: 100 },
  );
  return Date.now() - startedAt;
}
