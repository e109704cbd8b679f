// The HTTP endpoints Kubernetes and Prometheus poll: /healthz and /readyz in
// plain HTTP for the kubelet, /metrics over HTTPS behind a guard that asks the
// API server who the caller is and whether it may read them (plain HTTP only
// when told, for local development).
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Reply } from './metrics-auth.js';
import type { TlsSource } from './tls.js';

export type Route = () => Promise<Reply>;

/** Checks a request before its route runs: undefined lets it through, a Reply refuses it. */
export type Guard = (req: http.IncomingMessage) => Promise<Reply | undefined>;

export interface EndpointOptions {
  /** Serve HTTPS with these credentials; plain HTTP when absent. */
  tls?: TlsSource;
  guard?: Guard;
}

/** ":8080" → all interfaces, port 8080; "127.0.0.1:0" → loopback, any free port. */
export function parseAddress(address: string): { host?: string; port: number } {
  const colon = address.lastIndexOf(':');
  const host = colon > 0 ? address.slice(0, colon) : undefined;
  const port = Number(address.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid bind address "${address}"`);
  return host !== undefined && host !== '' ? { host, port } : { port };
}

function send(res: http.ServerResponse, out: Reply): void {
  res.writeHead(out.status, { 'Content-Type': out.contentType ?? 'text/plain' }).end(out.body);
}

export class HttpEndpoint {
  private server: http.Server | undefined;
  private stopWatching: (() => void) | undefined;

  constructor(
    private readonly routes: Record<string, Route>,
    private readonly opts: EndpointOptions = {},
  ) {}

  private async handle(req: http.IncomingMessage): Promise<Reply> {
    const refused = await this.opts.guard?.(req);
    if (refused !== undefined) return refused;
    const route = this.routes[(req.url ?? '/').split('?')[0] ?? '/'];
    if (route === undefined) return { status: 404, body: 'not found\n' };
    return route();
  }

  async listen(address: string): Promise<number> {
    const { host, port } = parseAddress(address);
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      this.handle(req).then(
        (out) => {
          send(res, out);
        },
        (err: unknown) => {
          send(res, { status: 500, body: `${String(err)}\n` });
        },
      );
    };
    const tls = this.opts.tls;
    let server: http.Server;
    if (tls === undefined) server = http.createServer(handler);
    else {
      const secure = https.createServer({ ...(await tls.load()), minVersion: 'TLSv1.2' }, handler);
      this.stopWatching = tls.watch?.((c) => {
        secure.setSecureContext({ ...c, minVersion: 'TLSv1.2' });
      });
      server = secure;
    }
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.stopWatching?.();
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  }
}
