// Entry point of the test bed's CSI driver process. The cluster harness starts
// it with node's tsx loader (see test/cluster/storage.ts); it serves until
// SIGTERM. Directories and the index live under --data-dir, so a restart with
// the same flags finds every volume and snapshot again.
import { parseArgs } from 'node:util';
import { Driver } from './controller.js';
import { loadCsi } from './proto.js';
import { serve } from './server.js';
import { Store } from './store.js';

export const driverVersion = '0.1.0';

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

/** `--node kwok-zone-a-1=zone-a`, once per node the driver may attach to. */
function parseNodes(values: string[]): Record<string, string> {
  const nodes: Record<string, string> = {};
  for (const v of values) {
    const [node, zone] = v.split('=');
    if (node === undefined || zone === undefined || node === '' || zone === '')
      throw new Error(`--node expects <node>=<zone>, got "${v}"`);
    nodes[node] = zone;
  }
  return nodes;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      endpoint: { type: 'string' },
      'data-dir': { type: 'string' },
      proto: { type: 'string' },
      'driver-name': { type: 'string' },
      'topology-key': { type: 'string', default: 'topology.kubernetes.io/zone' },
      node: { type: 'string', multiple: true, default: [] },
      attach: { type: 'boolean', default: false },
    },
  });
  const { endpoint, proto } = values;
  const dataDir = values['data-dir'];
  const name = values['driver-name'];
  if (endpoint === undefined || dataDir === undefined || proto === undefined || name === undefined)
    throw new Error('--endpoint, --data-dir, --proto and --driver-name are required');
  const store = await Store.open(dataDir);
  const driver = new Driver(store, {
    name,
    version: driverVersion,
    topologyKey: values['topology-key'],
    nodeZones: parseNodes(values.node),
    attach: values.attach,
  });
  const server = await serve(endpoint, loadCsi(proto), driver, log);
  log(
    `${name} ${driverVersion} serving on ${endpoint}; ${store.volumes().length} volumes and ` +
      `${store.snapshots().length} snapshots in ${dataDir}`,
  );
  const stop = (): void => {
    log('stopping');
    server.tryShutdown(() => process.exit(0));
    // Sidecars keep connections open; do not wait for them for long.
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  log(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
