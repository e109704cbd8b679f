// Kubeconfig files and a tiny HTTPS client for health checks, without kubectl.
import { readFileSync, writeFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import yaml from 'js-yaml';
import type { ClientCert } from './pki.js';

export function writeKubeconfig(
  path: string,
  server: string,
  caCert: string,
  client: ClientCert,
  user: string,
): void {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'svo-local', cluster: { server, 'certificate-authority': caCert } }],
    users: [{ name: user, user: { 'client-certificate': client.cert, 'client-key': client.key } }],
    contexts: [{ name: 'svo-local', context: { cluster: 'svo-local', user, namespace: 'default' } }],
    'current-context': 'svo-local',
  };
  writeFileSync(path, yaml.dump(doc), { mode: 0o600 });
}

export interface TlsClient {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export function tlsClientFor(caCert: string, client: ClientCert): TlsClient {
  return {
    ca: readFileSync(caCert, 'utf8'),
    cert: readFileSync(client.cert, 'utf8'),
    key: readFileSync(client.key, 'utf8'),
  };
}

type Send = (
  url: string,
  options: RequestOptions,
  onResponse: (res: IncomingMessage) => void,
) => ClientRequest;

/** GET with `send` (http or https); resolves with status and body, never rejects on HTTP codes. */
function get(
  send: Send,
  url: string,
  options: RequestOptions,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = send(url, { ...options, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/** GET over HTTPS with the given client identity; resolves with status and body, never rejects on HTTP codes. */
export function httpsGet(
  url: string,
  tls: TlsClient | 'insecure',
  timeoutMs = 5000,
): Promise<{ status: number; body: string }> {
  return get(request, url, tls === 'insecure' ? { rejectUnauthorized: false } : { ...tls }, timeoutMs);
}

export function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return get(httpRequest, url, {}, timeoutMs);
}
