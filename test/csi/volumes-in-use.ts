// The one piece of a kubelet's volume manager that Kubernetes' control plane
// depends on: `node.status.volumesInUse`. KWOK runs pods without mounting
// anything and never reports it. Without it the attach/detach controller
// believes no volume is ever mounted and detaches at once, even from a node
// that has died with the volume in use, where a real cluster waits for the
// unmount (up to six minutes) unless the node is fenced with the
// out-of-service taint. Failover tests must see the real behaviour, so this
// process reports, for every node whose simulated kubelet is alive, the CSI
// volumes of the pods that run there; for a failed node it stops, leaving the
// last report in place exactly as a dead kubelet leaves its node status.
//
// It talks to the API server over plain HTTPS rather than through
// @kubernetes/client-node: loading that library alone costs about 150 MiB of
// memory, more than everything this process does.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  V1Lease,
  V1Node,
  V1PersistentVolume,
  V1PersistentVolumeClaim,
  V1Pod,
} from '@kubernetes/client-node';

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

interface Options {
  readonly driver: string;
  /** Label tying a node to the KWOK process that plays its kubelet, and its expected value's source. */
  readonly controllerLabel: string;
  readonly zoneLabel: string;
}

interface World {
  readonly nodes: V1Node[];
  readonly pods: V1Pod[];
  readonly claims: Map<string, V1PersistentVolumeClaim>;
  readonly volumes: Map<string, V1PersistentVolume>;
  readonly leases: Map<string, V1Lease>;
}

/** The unique name the attach/detach controller gives a CSI volume: plugin/driver^handle. */
function uniqueName(pv: V1PersistentVolume): string | undefined {
  const csi = pv.spec?.csi;
  return csi === undefined ? undefined : `kubernetes.io/csi/${csi.driver}^${csi.volumeHandle}`;
}

function renewedRecently(lease: V1Lease | undefined, now: number): boolean {
  const renew = lease?.spec?.renewTime as unknown as string | Date | undefined;
  const seconds = lease?.spec?.leaseDurationSeconds;
  if (renew === undefined || seconds === undefined) return false;
  return new Date(renew).getTime() + seconds * 1000 > now;
}

/**
 * A node's kubelet is alive when KWOK manages it (its controller label names
 * its zone, see test/cluster/cluster.ts) and its Lease is being renewed: a
 * failed node loses the first at once, a failed zone the second within one
 * lease duration.
 */
function kubeletAlive(node: V1Node, world: World, opts: Options, now: number): boolean {
  const labels = node.metadata?.labels ?? {};
  const zone = labels[opts.zoneLabel];
  if (zone === undefined || labels[opts.controllerLabel] !== zone) return false;
  return renewedRecently(world.leases.get(node.metadata?.name ?? ''), now);
}

function claimNames(pod: V1Pod): string[] {
  const podName = pod.metadata?.name ?? '';
  return (pod.spec?.volumes ?? []).flatMap((v) => {
    if (v.persistentVolumeClaim !== undefined) return [v.persistentVolumeClaim.claimName];
    // Generic ephemeral volumes get a claim named after the pod and the volume.
    if (v.ephemeral !== undefined) return [`${podName}-${v.name}`];
    return [];
  });
}

function inUseOn(node: string, world: World, driver: string): string[] {
  const names = new Set<string>();
  for (const pod of world.pods) {
    if (pod.spec?.nodeName !== node) continue;
    // A kubelet unmounts the volumes of pods that have finished.
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    const ns = pod.metadata?.namespace ?? '';
    for (const claim of claimNames(pod)) {
      const pvName = world.claims.get(`${ns}/${claim}`)?.spec?.volumeName;
      const pv = pvName !== undefined ? world.volumes.get(pvName) : undefined;
      const unique = pv?.spec?.csi?.driver === driver ? uniqueName(pv) : undefined;
      if (unique !== undefined) names.add(unique);
    }
  }
  return [...names].sort();
}

class Api {
  private readonly agent: Agent;

  constructor(
    private readonly server: string,
    tls: { ca: string; cert: string; key: string },
  ) {
    this.agent = new Agent({ keepAlive: true, ...tls });
  }

  call(method: 'GET' | 'PATCH', path: string, body?: unknown): Promise<unknown> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (payload !== undefined) headers['Content-Type'] = 'application/merge-patch+json';
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.server}${path}`,
        { method, agent: this.agent, headers, timeout: 10_000 },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            const code = res.statusCode ?? 0;
            if (code >= 200 && code < 300) resolve(JSON.parse(text) as unknown);
            else reject(new Error(`${method} ${path}: HTTP ${code} ${text.slice(0, 300)}`));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  async list(path: string): Promise<unknown[]> {
    return ((await this.call('GET', path)) as { items: unknown[] }).items;
  }
}

async function observe(api: Api): Promise<World> {
  const [nodes, pods, claims, volumes, leases] = await Promise.all([
    api.list('/api/v1/nodes') as Promise<V1Node[]>,
    api.list(`/api/v1/pods?fieldSelector=${encodeURIComponent('spec.nodeName!=')}`) as Promise<V1Pod[]>,
    api.list('/api/v1/persistentvolumeclaims') as Promise<V1PersistentVolumeClaim[]>,
    api.list('/api/v1/persistentvolumes') as Promise<V1PersistentVolume[]>,
    api.list('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases') as Promise<V1Lease[]>,
  ]);
  return {
    nodes,
    pods,
    claims: new Map(claims.map((c) => [`${c.metadata?.namespace ?? ''}/${c.metadata?.name ?? ''}`, c])),
    volumes: new Map(volumes.map((v) => [v.metadata?.name ?? '', v])),
    leases: new Map(leases.map((l) => [l.metadata?.name ?? '', l])),
  };
}

async function reconcile(api: Api, world: World, opts: Options): Promise<void> {
  const now = Date.now();
  for (const node of world.nodes) {
    const name = node.metadata?.name ?? '';
    if (!kubeletAlive(node, world, opts, now)) continue;
    const desired = inUseOn(name, world, opts.driver);
    const current = [...(node.status?.volumesInUse ?? [])].sort();
    if (JSON.stringify(desired) === JSON.stringify(current)) continue;
    await api.call('PATCH', `/api/v1/nodes/${name}/status`, {
      status: { volumesInUse: desired.length > 0 ? desired : null },
    });
    log(`${name}: volumesInUse [${desired.join(', ')}]`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      server: { type: 'string' },
      ca: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      driver: { type: 'string' },
      'controller-label': { type: 'string' },
      'zone-label': { type: 'string', default: 'topology.kubernetes.io/zone' },
      'interval-ms': { type: 'string', default: '1000' },
    },
  });
  const { server, ca, cert, key, driver } = values;
  const controllerLabel = values['controller-label'];
  if ([server, ca, cert, key, driver, controllerLabel].includes(undefined))
    throw new Error('--server, --ca, --cert, --key, --driver and --controller-label are required');
  const file = (path: string | undefined): string => readFileSync(path ?? '', 'utf8');
  const api = new Api(server ?? '', { ca: file(ca), cert: file(cert), key: file(key) });
  const opts: Options = {
    driver: driver ?? '',
    controllerLabel: controllerLabel ?? '',
    zoneLabel: values['zone-label'],
  };
  const interval = Number(values['interval-ms']);
  const signals = { stop: false };
  const stop = (): void => {
    signals.stop = true;
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  log(`reporting volumesInUse for ${driver} every ${interval} ms`);
  while (!signals.stop) {
    try {
      await reconcile(api, await observe(api), opts);
    } catch (err) {
      log(`error: ${err instanceof Error ? err.message : String(err)}`);
    }
    await sleep(interval);
  }
  log('stopping');
}

main().catch((err: unknown) => {
  log(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
