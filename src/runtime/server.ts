// The HTTP endpoints Kubernetes and Prometheus poll: /healthz, /readyz and
// /metrics, on one or two addresses.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Route = () => Promise<{ status: number; contentType?: string; body: string }>;

/** ":8080" → all interfaces, port 8080; "127.0.0.1:0" → loopback, any free port. */
export function parseAddress(address: string): { host?: string; port: number } {
  const colon = address.lastIndexOf(':');
  const host = colon > 0 ? address.slice(0, colon) : undefined;
  const port = Number(address.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid bind address "${address}"`);
  return host !== undefined && host !== '' ? { host, port } : { port };
}

export class HttpEndpoint {
  private server: http.Server | undefined;

  constructor(private readonly routes: Record<string, Route>) {}

  async listen(address: string): Promise<number> {
    const { host, port } = parseAddress(address);
    const server = http.createServer((req, res) => {
      const route = this.routes[(req.url ?? '/').split('?')[0] ?? '/'];
      if (route === undefined) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
        return;
      }
      route().then(
        (out) => res.writeHead(out.status, { 'Content-Type': out.contentType ?? 'text/plain' }).end(out.body),
        (err: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${String(err)}\n`),
      );
    });
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
