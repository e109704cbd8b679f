// What the transport tests share: kubeconfigs written to disk as a user would
// write them, proxies on loopback that count what passes through them, client
// certificates signed by the test bed's CA, and the API server's answer to
// "who am I".
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import type { KubeTransport } from '../../../src/kube/http.js';
import { coreTypes, resourcePath } from '../../../src/kube/resource.js';
import type { KubeObject } from '../../../src/kube/wire.js';
import { loadTestKubeConfig, testKubeconfigPath } from '../../support/kube.js';

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'svo-transport-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** The test cluster's address and CA file, from the admin kubeconfig. */
export function testCluster(): { server: string; caFile: string; host: string; port: number } {
  const cluster = loadTestKubeConfig().getCurrentCluster();
  if (cluster?.caFile === undefined) throw new Error('the test kubeconfig names no CA file');
  const url = new URL(cluster.server);
  return { server: cluster.server, caFile: cluster.caFile, host: url.hostname, port: Number(url.port) };
}

/** Writes a kubeconfig of one cluster and one user and loads it as the operator would. */
export function kubeconfigFile(
  dir: string,
  cluster: Record<string, unknown>,
  user: Record<string, unknown>,
): KubeConfig {
  const { server, caFile } = testCluster();
  const path = join(dir, `kubeconfig-${randomBytes(3).toString('hex')}`);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server, 'certificate-authority': caFile, ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  };
  writeFileSync(path, JSON.stringify(config, null, 2));
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/** The user name the API server authenticated this transport's next request as. */
export async function whoAmI(transport: KubeTransport): Promise<string> {
  const review = await transport.request<{ status?: { userInfo?: { username?: string } } }>({
    method: 'POST',
    path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  });
  return review.status?.userInfo?.username ?? '';
}

/** The test bed's CA key, or undefined against a cluster this run did not start. */
export function caKeyPath(): string | undefined {
  const run = process.env.SVO_CLUSTER_RUN;
  return run === undefined || run === '' ? undefined : join(run, 'pki', 'ca.key');
}

/** A client certificate for user `name`, signed by the test bed's CA with openssl. */
export function clientCertificate(dir: string, name: string): { cert: string; key: string } {
  const caKey = caKeyPath();
  if (caKey === undefined) throw new Error('SVO_CLUSTER_RUN is not set: no CA key to sign with');
  const { caFile } = testCluster();
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n');
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  openssl(['req', '-new', '-key', key, '-subj', `/CN=${name}`, '-out', csr]);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      caFile,
      '-CAkey',
      caKey,
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
    ].concat(['-days', '1', '-extfile', ext, '-out', cert]),
  );
  return { cert, key };
}

export function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** What a proxy saw: each tunnel's target, and the most tunnels open at once. */
export interface ProxyRecord {
  url: string;
  targets: string[];
  open: number;
  maxOpen: number;
}

/** Connects to the target, then answers the client with `greeting` and pipes both ways. */
function tunnel(record: ProxyRecord, client: net.Socket, host: string, port: number, greeting: Buffer): void {
  record.targets.push(`${host}:${String(port)}`);
  record.open += 1;
  record.maxOpen = Math.max(record.maxOpen, record.open);
  let open = true;
  const upstream = net.connect(port, host, () => {
    client.write(greeting);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  const close = (): void => {
    if (!open) return;
    open = false;
    record.open -= 1;
    upstream.destroy();
    client.destroy();
  };
  upstream.on('close', close).on('error', close);
  client.on('close', close).on('error', close);
}

/** An HTTP proxy that only tunnels (CONNECT), as a corporate egress proxy does for HTTPS. */
export async function connectProxy(t: TestContext): Promise<ProxyRecord> {
  const server = http.createServer((_req, res) => {
    res.writeHead(405).end('only CONNECT');
  });
  const sockets = new Set<net.Socket>();
  const record: ProxyRecord = { url: '', targets: [], open: 0, maxOpen: 0 };
  // A client speaks TLS only after the 200, so nothing arrives ahead of it (head is empty).
  server.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    sockets.add(client);
    const target = new URL(`http://${req.url ?? ''}`);
    tunnel(
      record,
      client,
      target.hostname,
      Number(target.port),
      Buffer.from('HTTP/1.1 200 Connection Established\r\n\r\n'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  record.url = `http://127.0.0.1:${String((server.address() as net.AddressInfo).port)}`;
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return record;
}

/** A SOCKS5 proxy (RFC 1928, no authentication, CONNECT only). */
export async function socksProxy(t: TestContext): Promise<ProxyRecord> {
  const record: ProxyRecord = { url: '', targets: [], open: 0, maxOpen: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('error', () => undefined);
    void socksHandshake(client).then(
      ({ host, port }) => {
        // Succeeded, bound to 0.0.0.0:0 (clients ignore the address).
        tunnel(record, client, host, port, Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
      },
      () => client.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  record.url = `socks5://127.0.0.1:${String((server.address() as net.AddressInfo).port)}`;
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return record;
}

async function socksHandshake(client: net.Socket): Promise<{ host: string; port: number }> {
  const read = byteReader(client);
  const [version, methods] = await read(2);
  if (version !== 5) throw new Error('not SOCKS5');
  await read(methods ?? 0);
  client.write(Buffer.from([5, 0]));
  const [, command, , addressType] = await read(4);
  if (command !== 1) throw new Error('only CONNECT');
  let host: string;
  if (addressType === 1) host = [...(await read(4))].join('.');
  else if (addressType === 3) host = (await read((await read(1))[0] ?? 0)).toString('latin1');
  else throw new Error('no IPv6 here');
  const port = (await read(2)).readUInt16BE(0);
  return { host, port };
}

/** Reads exact byte counts from a socket that may deliver them in any chunks. */
function byteReader(socket: net.Socket): (n: number) => Promise<Buffer> {
  let buffered = Buffer.alloc(0);
  return async (n) => {
    while (buffered.length < n) {
      const chunk = await new Promise<Buffer>((resolve, reject) => {
        const onData = (data: Buffer): void => {
          socket.off('close', onClose);
          socket.pause();
          resolve(data);
        };
        const onClose = (): void => {
          socket.off('data', onData);
          reject(new Error('closed during the SOCKS handshake'));
        };
        socket.once('data', onData).once('close', onClose);
        socket.resume();
      });
      buffered = Buffer.concat([buffered, chunk]);
    }
    const out = buffered.subarray(0, n);
    buffered = buffered.subarray(n);
    return out;
  };
}

/** The admin's client certificate, as the test kubeconfig names it. */
export function adminUser(): Record<string, unknown> {
  const doc = load(readFileSync(testKubeconfigPath(), 'utf8')) as {
    users: { user: Record<string, unknown> }[];
  };
  const user = doc.users[0]?.user;
  if (user === undefined) throw new Error('the test kubeconfig has no user');
  return user;
}

/** Starts a watch of the namespace's ConfigMaps; resolves once the server answered it. */
export async function watchConfigMaps(
  t: TestContext,
  transport: KubeTransport,
  ns: string,
): Promise<{ names: Set<string>; ended: Promise<void> }> {
  const names = new Set<string>();
  const stop = new AbortController();
  let opened: () => void = () => undefined;
  const open = new Promise<void>((resolve) => {
    opened = resolve;
  });
  const ended = transport.stream(
    resourcePath(coreTypes.configMap, ns),
    { watch: true, timeoutSeconds: 120 },
    (line) => {
      const event = JSON.parse(line) as { type: string; object: ConfigMap };
      if (event.type === 'ADDED') names.add(event.object.metadata.name ?? '');
    },
    stop.signal,
    opened,
  );
  t.after(async () => {
    stop.abort();
    await ended.catch(() => undefined);
  });
  await Promise.race([open, ended]);
  return { names, ended };
}
