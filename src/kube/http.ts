// One HTTP transport to the API server for requests and watch streams.
// Credentials come from @kubernetes/client-node's KubeConfig (files, in-cluster
// token, exec plugins); the requests themselves are plain node:http(s) so the
// operator controls content types, timeouts, keep-alive, the user agent and
// how errors surface.
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import type { KubeConfig } from '@kubernetes/client-node';
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

export class KubeTransport {
  private readonly server: URL;
  private readonly limiter: TokenBucket;
  private agent: http.Agent | undefined;
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
    this.server = new URL(cluster.server);
    this.limiter = new TokenBucket(opts.qps, opts.burst);
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
    const req = await this.open({ method: 'GET', path, query }, signal);
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
    const req = await this.open(spec, signal);
    const res = await responseOf(req);
    return { status: res.statusCode ?? 0, text: await readAll(res) };
  }

  private async open(spec: RequestSpec, signal: AbortSignal): Promise<http.ClientRequest> {
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
      agent: this.agentFor(isHttps, auth),
      signal,
      ...(auth.auth !== undefined ? { auth: auth.auth } : {}),
    };
    spec.admit?.();
    const req = (isHttps ? https : http).request(url, options);
    req.end(body);
    return req;
  }

  // One keep-alive agent for the life of the transport; TLS material is read
  // from the kubeconfig on first use.
  private agentFor(isHttps: boolean, tls: https.RequestOptions): http.Agent {
    if (this.agent !== undefined) return this.agent;
    const common = { keepAlive: true, maxSockets: 64 };
    this.agent = isHttps
      ? new https.Agent({
          ...common,
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
          ...(tls.rejectUnauthorized !== undefined ? { rejectUnauthorized: tls.rejectUnauthorized } : {}),
          ...(tls.servername !== undefined ? { servername: tls.servername } : {}),
        })
      : new http.Agent(common);
    return this.agent;
  }

  close(): void {
    this.agent?.destroy();
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
