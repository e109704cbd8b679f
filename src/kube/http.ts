// One HTTP transport to the API server for requests and watch streams.
// Credentials and connections come from @kubernetes/client-node's KubeConfig:
// it reads the TLS material and the credentials (files, in-cluster token, exec
// plugins) anew for each request, and it picks the agent (proxy-url over HTTP
// or SOCKS, or a direct one). The requests themselves are plain node:http(s) so
// the operator controls content types, timeouts, keep-alive, the user agent and
// how errors surface.
import { createHash, type Hash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { Cluster, KubeConfig } from '@kubernetes/client-node';
import { ApiError, type StatusDetails } from './errors.js';
import { TokenBucket } from './ratelimit.js';

export interface TransportOptions {
  /** Sent as User-Agent so the API server's logs and audit name the operator. */
  userAgent: string;
  /** Client-side rate limit for non-watch requests. */
  qps: number;
  burst: number;
  /** Per-request timeout for non-watch requests. */
  timeoutMs?: number;
  /** Connections open at once for non-watch requests (64 unless set); each watch has its own. */
  maxConnections?: number;
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /**
   * Asked at the last moment before the request is sent, after rate limiting
   * and credentials, so a process frozen while it waited is judged when it
   * wakes; throwing stops the request.
   */
  admit?: () => void;
}

/** Observes every finished request: for the client metrics. */
export type RequestObserver = (method: string, code: number, seconds: number) => void;

interface StatusBody {
  kind?: string;
  reason?: string;
  message?: string;
  code?: number;
  details?: StatusDetails & { retryAfterSeconds?: number };
}

/** Watches hold their connection for minutes, so they never wait behind, or crowd out, requests. */
type Pool = 'requests' | 'watches';

export class KubeTransport {
  private readonly cluster: Cluster;
  private readonly server: URL;
  private readonly limiter: TokenBucket;
  private readonly createAgent: AgentFactory;
  private readonly agents = new Map<Pool, { material: string; agent: http.Agent }>();
  private readonly retired = new Set<http.Agent>();
  private readonly connections: Slots;
  observer: RequestObserver | undefined;

  get host(): string {
    return this.server.host;
  }

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: TransportOptions,
  ) {
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new Error('kubeconfig has no current cluster');
    this.cluster = cluster;
    this.server = new URL(cluster.server);
    this.limiter = new TokenBucket(opts.qps, opts.burst);
    this.createAgent = clientNodeAgentFactory(kc);
    this.connections = new Slots(opts.maxConnections ?? 64);
  }

  async request<T>(spec: RequestSpec): Promise<T> {
    await this.limiter.take();
    const started = performance.now();
    let code = 0;
    const sent = { admitted: false };
    const admit = (): void => {
      spec.admit?.();
      sent.admitted = true;
    };
    try {
      const { status, text } = await this.send({ ...spec, admit });
      code = status;
      if (status >= 200 && status < 300) return (text === '' ? undefined : JSON.parse(text)) as T;
      throw toApiError(status, text);
    } finally {
      // A request refused before it was sent is not a request the server saw.
      if (sent.admitted) this.observer?.(spec.method, code, (performance.now() - started) / 1000);
    }
  }

  /**
   * Opens a stream of newline-delimited JSON (a watch) and calls onLine for
   * each line. Resolves when the server ends the stream; rejects on a non-200
   * answer or a broken connection. Aborting the signal ends it quietly.
   */
  async stream(
    path: string,
    query: RequestSpec['query'],
    onLine: (line: string) => void,
    signal: AbortSignal,
    onOpen?: () => void,
  ): Promise<void> {
    const req = await this.open({ method: 'GET', path, query }, signal, 'watches');
    const res = await responseOf(req);
    if (res.statusCode !== 200) {
      const text = await readAll(res);
      throw toApiError(res.statusCode ?? 0, text);
    }
    onOpen?.();
    const lines = createInterface({ input: res, crlfDelay: Infinity });
    // onLine may throw (an ERROR event, bad JSON): that ends the stream with its error.
    let failure: unknown;
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        if (failure !== undefined)
          reject(failure instanceof Error ? failure : new Error(JSON.stringify(failure)));
        else if (signal.aborted || (err === undefined && res.complete)) resolve();
        else
          reject(err instanceof Error ? err : new ApiError(0, 'StreamBroken', 'watch stream closed early'));
      };
      lines.on('line', (line) => {
        if (line === '' || failure !== undefined) return;
        try {
          onLine(line);
        } catch (err) {
          failure = err;
          res.destroy();
        }
      });
      lines.on('close', () => {
        settle();
      });
      lines.on('error', (err) => {
        settle(err);
      });
      res.on('close', () => {
        settle();
      });
      res.on('error', (err) => {
        settle(err);
      });
    });
  }

  private async send(spec: RequestSpec): Promise<{ status: number; text: string }> {
    const signal = AbortSignal.timeout(this.opts.timeoutMs ?? 30_000);
    // The agent's maxSockets counts a socket only once it is connected; a
    // proxy agent connects asynchronously (CONNECT first), so a burst would
    // open one tunnel per request. Requests in flight are bounded here instead.
    const release = await this.connections.take(signal);
    try {
      const req = await this.open(spec, signal, 'requests');
      const res = await responseOf(req);
      return { status: res.statusCode ?? 0, text: await readAll(res) };
    } finally {
      release();
    }
  }

  private async open(spec: RequestSpec, signal: AbortSignal, pool: Pool): Promise<http.ClientRequest> {
    // Every request asks again: tokens from exec plugins and token files
    // expire and are replaced, certificate files are rotated on disk.
    const auth: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(auth);
    const url = new URL(this.server.pathname.replace(/\/$/, '') + spec.path, this.server);
    for (const [k, v] of Object.entries(spec.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const headers: http.OutgoingHttpHeaders = {
      ...(auth.headers as http.OutgoingHttpHeaders | undefined),
      Accept: 'application/json',
      'User-Agent': this.opts.userAgent,
    };
    if (body !== undefined) {
      headers['Content-Type'] = spec.contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const isHttps = url.protocol === 'https:';
    const options: https.RequestOptions = {
      method: spec.method,
      headers,
      agent: this.agentFor(pool, auth),
      signal,
      ...(auth.auth !== undefined ? { auth: auth.auth } : {}),
    };
    spec.admit?.();
    const req = (isHttps ? https : http).request(url, options);
    req.end(body);
    return req;
  }

  /**
   * client-node's agent for the cluster, kept for keep-alive as long as the
   * TLS material stays the same; new material (a rotated certificate, a new
   * CA) gets a new agent, and the old one serves only what it already carries.
   */
  private agentFor(pool: Pool, auth: https.RequestOptions): http.Agent {
    const tls = tlsMaterialOf(auth);
    const material = fingerprint(tls);
    const current = this.agents.get(pool);
    if (current?.material === material) return current.agent;
    if (current !== undefined) this.retire(current.agent);
    const agent = this.createAgent(this.cluster, {
      ...tls,
      keepAlive: true,
      maxSockets: pool === 'requests' ? (this.opts.maxConnections ?? 64) : Infinity,
    });
    this.agents.set(pool, { material, agent });
    return agent;
  }

  // Open watches and requests in flight finish on the old connections; idle
  // ones close now, busy ones when they come free. The transport holds on to
  // the agent only until its last connection has closed (close() ends those).
  private retire(agent: http.Agent): void {
    for (const sockets of Object.values(agent.freeSockets))
      for (const socket of sockets ?? []) socket.destroy();
    // Node's own listener runs first and may hand the socket to a request
    // queued on this agent; only a socket it put back as idle is closed.
    agent.on('free', (socket: Socket) => {
      if (Object.values(agent.freeSockets).some((idle) => idle?.includes(socket))) socket.destroy();
    });
    const busy = Object.values(agent.sockets).flatMap((sockets) => sockets ?? []);
    if (busy.length === 0) return;
    this.retired.add(agent);
    let open = busy.length;
    for (const socket of busy)
      socket.once('close', () => {
        open -= 1;
        if (open === 0) this.retired.delete(agent);
      });
  }

  close(): void {
    for (const { agent } of this.agents.values()) agent.destroy();
    for (const agent of this.retired) agent.destroy();
    this.agents.clear();
    this.retired.clear();
  }
}

type AgentFactory = (cluster: Cluster, options: https.AgentOptions) => http.Agent;

/**
 * KubeConfig.createAgent: how client-node connects to a cluster (proxy-url
 * http(s):// through hpagent, socks:// through socks-proxy-agent, otherwise
 * node's own agents). applyToHTTPSOptions makes a new one on each call, with
 * no keep-alive and no socket limit; the transport asks it for its own, with
 * both. Private in client-node's typings, hence looked up and checked here.
 */
function clientNodeAgentFactory(kc: KubeConfig): AgentFactory {
  const createAgent = (kc as unknown as { createAgent?: unknown }).createAgent;
  if (typeof createAgent !== 'function')
    throw new Error(
      '@kubernetes/client-node has no KubeConfig.createAgent: the transport needs it to connect',
    );
  return (cluster, options) => createAgent.call(kc, cluster, options) as http.Agent;
}

/** What applyToHTTPSOptions hands to its agent (its timeout aside: ours is per request). */
const tlsKeys = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'rejectUnauthorized',
  'servername',
  'ciphers',
  'honorCipherOrder',
  'ecdhCurve',
  'crl',
  'dhparam',
  'secureOptions',
  'secureProtocol',
  'sessionIdContext',
] as const satisfies readonly (keyof https.AgentOptions)[];

type TlsMaterial = Pick<https.AgentOptions, (typeof tlsKeys)[number]>;

function tlsMaterialOf(auth: https.RequestOptions): TlsMaterial {
  const tls: Record<string, unknown> = {};
  for (const key of tlsKeys) if (auth[key] !== undefined) tls[key] = auth[key];
  return tls;
}

function fingerprint(tls: TlsMaterial): string {
  const hash = createHash('sha256');
  for (const key of tlsKeys) {
    if (tls[key] === undefined) continue;
    hash.update(`\0${key}=`);
    feed(hash, tls[key]);
  }
  return hash.digest('hex');
}

function feed(hash: Hash, value: unknown): void {
  if (Buffer.isBuffer(value) || typeof value === 'string') hash.update(value);
  else if (Array.isArray(value)) for (const part of value) feed(hash, part);
  else if (typeof value === 'object' && value !== null)
    for (const [k, v] of Object.entries(value)) {
      hash.update(`\0${k}:`);
      feed(hash, v);
    }
  else hash.update(String(value));
  hash.update('\0');
}

/** At most `size` holders at once; the others wait in order. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  async take(signal: AbortSignal): Promise<() => void> {
    if (this.free > 0) this.free -= 1;
    else await this.wait(signal);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.free += 1;
    };
  }

  // Resolves when a holder hands its slot over; a timeout while waiting fails
  // as it would have failed waiting in the agent's queue.
  private wait(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const turn = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const at = this.waiting.indexOf(turn);
        if (at >= 0) this.waiting.splice(at, 1);
        const reason: unknown = signal.reason;
        const message = reason instanceof Error ? reason.message : 'aborted';
        reject(new ApiError(0, 'ConnectionFailed', `API server unreachable: ${message}`));
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      this.waiting.push(turn);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function responseOf(req: http.ClientRequest): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', (err) => {
      reject(new ApiError(0, 'ConnectionFailed', `API server unreachable: ${err.message}`));
    });
  });
}

async function readAll(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function toApiError(status: number, text: string): ApiError {
  let parsed: StatusBody = {};
  try {
    parsed = JSON.parse(text) as StatusBody;
  } catch {
    // Not a Status object (e.g. a proxy's HTML); keep the raw text.
  }
  const message = parsed.message ?? (text.slice(0, 500) || `HTTP ${status}`);
  return new ApiError(
    status,
    parsed.reason ?? `HTTP${status}`,
    message,
    parsed.details,
    parsed.details?.retryAfterSeconds,
  );
}
