// The local cluster: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and one KWOK process per zone, all on loopback with free
// ports. `up` returns once six nodes in three zones are Ready.
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  lstatSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Node } from '@kubernetes/client-node';
import { ensureBinaries, type Binaries } from './build.js';
import {
  apiserverArgs,
  apiserverRestartsPath,
  auditPolicy,
  auditPolicyPath,
  controllerManagerArgs,
  etcdArgs,
  kwokArgs,
  kwokControllerLabel,
  schedulerArgs,
  upstreamKubeApiLimits,
  type KubeApiLimits,
  type Ports,
} from './components.js';
import { httpGet, httpsGet, tlsClientFor, writeKubeconfig } from './kubeconfig.js';
import { currentRunLink, runsDir } from './layout.js';
import { createPki, pkiOf, type Pki } from './pki.js';
import {
  isAlive,
  readState,
  startProcess,
  stopProcess,
  tailLog,
  writeState,
  type ComponentRecord,
  type RunState,
} from './processes.js';
import { liftShutdown } from './shutdown.js';
import { restartCsiDriver, startStorage } from './storage.js';
import { timingProfiles, type TimingProfile } from './timings.js';

// Kept importable from here, where it lived first.
export { pkiOf };

export const zones = ['zone-a', 'zone-b', 'zone-c'] as const;
export const nodesPerZone = 2;
export const zoneLabel = 'topology.kubernetes.io/zone';

export interface UpOptions {
  /** Name of the run folder; "dev" for a person's cluster, test-<pid> for a test run. */
  readonly name: string;
  /** A test run's owner: when this PID is gone, the next start cleans the run up. */
  readonly owner?: number;
  readonly timings?: TimingProfile;
  /**
   * Start the storage stack too (CSI driver, sidecars, snapshot controller;
   * see storage.ts). Default: the SVO_CLUSTER_STORAGE environment variable ("1" or "true").
   */
  readonly storage?: boolean;
  /** Client rate limits of the CSI sidecars and the snapshot controller; default: upstream's 5 QPS, burst 10. */
  readonly storageApiLimits?: KubeApiLimits;
  readonly log?: (line: string) => void;
}

function storageFromEnv(): boolean {
  const value = process.env.SVO_CLUSTER_STORAGE ?? '';
  return value === '1' || value.toLowerCase() === 'true';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => {
        resolve(port);
      });
    });
  });
}

async function allocatePorts(): Promise<Ports> {
  const names = [
    'etcdClient',
    'etcdPeer',
    'apiserver',
    'controllerManager',
    'scheduler',
    ...zones.map((z) => `kwok-${z}`),
  ];
  const ports: Record<string, number> = {};
  const used = new Set<number>();
  for (const name of names) {
    let port = await freePort();
    while (used.has(port)) port = await freePort();
    used.add(port);
    ports[name] = port;
  }
  return ports as unknown as Ports;
}

/** Stops every component of a run and removes its folder. */
export async function destroyRun(runDir: string): Promise<void> {
  if (existsSync(join(runDir, 'state.json'))) {
    const state = readState(runDir);
    // Reverse start order: nodes first, the datastore last.
    for (const rec of Object.values(state.components).reverse()) await stopProcess(rec);
  }
  rmSync(runDir, { recursive: true, force: true });
}

/** Runs whose owner died, or whose components are all gone, are removed before a new start. */
export async function cleanStaleRuns(log: (line: string) => void, alsoName?: string): Promise<void> {
  if (!existsSync(runsDir())) return;
  for (const entry of readdirSync(runsDir())) {
    const dir = join(runsDir(), entry);
    if (entry === 'current' || !lstatSync(dir).isDirectory()) continue;
    if (!existsSync(join(dir, 'state.json'))) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    const state = readState(dir);
    const ownerGone = state.owner !== undefined && !isAlive(state.owner);
    const allDead = Object.values(state.components).every((c) => !isAlive(c.pid));
    if (ownerGone || allDead || entry === alsoName) {
      log(`removing stale run ${entry}`);
      await destroyRun(dir);
    }
  }
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  logFile?: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(250);
  }
  const tail = logFile !== undefined ? `\n--- last lines of ${logFile}:\n${tailLog(logFile)}` : '';
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000} s ${lastError}${tail}`);
}

function record(state: RunState, name: string, rec: ComponentRecord): void {
  state.components[name] = rec;
  writeState(state);
}

function nodeName(zone: string, i: number): string {
  return `kwok-${zone}-${i}`;
}

function nodeObject(zone: string, i: number): V1Node {
  const name = nodeName(zone, i);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        [zoneLabel]: zone,
        'topology.kubernetes.io/region': 'local',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
        [kwokControllerLabel]: zone,
      },
      annotations: {
        'kwok.x-k8s.io/node': 'fake',
        'node.alpha.kubernetes.io/ttl': '0',
        // What every kubelet sets by default (--enable-controller-attach-detach):
        // attachable volumes of pods here are attached by the attach/detach controller.
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {},
  };
}

function adminKubeConfig(state: RunState): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  return kc;
}

function adminClient(state: RunState): CoreV1Api {
  return adminKubeConfig(state).makeApiClient(CoreV1Api);
}

function isReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export async function readyNodes(state: RunState): Promise<string[]> {
  const list = await adminClient(state).listNode();
  return list.items.filter(isReady).map((n) => n.metadata?.name ?? '');
}

function writeKubeconfigs(runDir: string, pki: Pki, server: string): string {
  const admin = join(runDir, 'kubeconfig');
  writeKubeconfig(admin, server, pki.caCert, pki.clients.admin, 'svo-admin');
  writeKubeconfig(join(runDir, 'kcm.kubeconfig'), server, pki.caCert, pki.clients.controllerManager, 'kcm');
  writeKubeconfig(
    join(runDir, 'scheduler.kubeconfig'),
    server,
    pki.caCert,
    pki.clients.scheduler,
    'scheduler',
  );
  writeKubeconfig(join(runDir, 'kwok.kubeconfig'), server, pki.caCert, pki.clients.kwok, 'kwok');
  writeKubeconfig(join(runDir, 'csi.kubeconfig'), server, pki.caCert, pki.clients.csi, 'csi');
  return admin;
}

async function startEtcd(state: RunState, bins: Binaries, ports: Ports): Promise<void> {
  const rec = startProcess('etcd', bins.paths.etcd, etcdArgs(state.runDir, ports), state.runDir);
  record(state, 'etcd', rec);
  await waitFor(
    'etcd',
    async () =>
      (await httpGet(`http://127.0.0.1:${ports.etcdClient}/health`)).body.includes('"health":"true"'),
    30_000,
    rec.log,
  );
}

export async function apiserverReady(state: RunState, pki: Pki): Promise<boolean> {
  const tls = tlsClientFor(pki.caCert, pki.clients.admin);
  const res = await httpsGet(`https://127.0.0.1:${state.ports.apiserver}/readyz`, tls);
  return res.status === 200;
}

async function startApiserver(
  state: RunState,
  bins: Binaries,
  ports: Ports,
  pki: Pki,
  profile: TimingProfile,
): Promise<void> {
  writeFileSync(auditPolicyPath(state.runDir), auditPolicy);
  const args = apiserverArgs(state.runDir, ports, pki, timingProfiles[profile]);
  const rec = startProcess('kube-apiserver', bins.paths['kube-apiserver'], args, state.runDir);
  record(state, 'kube-apiserver', rec);
  await waitFor('kube-apiserver', () => apiserverReady(state, pki), 120_000, rec.log);
}

function startKwok(state: RunState, zone: string, bins: Binaries): void {
  const port = state.ports[`kwok-${zone}`] ?? 0;
  const args = kwokArgs(
    state.runDir,
    zone,
    port,
    bins.kwokStages,
    timingProfiles[state.timings as TimingProfile],
  );
  record(state, `kwok-${zone}`, startProcess(`kwok-${zone}`, bins.paths.kwok, args, state.runDir));
}

async function createNodes(state: RunState): Promise<void> {
  const core = adminClient(state);
  for (const zone of zones) {
    for (let i = 1; i <= nodesPerZone; i++) await core.createNode({ body: nodeObject(zone, i) });
  }
  state.zones = Object.fromEntries(
    zones.map((z) => [z, Array.from({ length: nodesPerZone }, (_, i) => nodeName(z, i + 1))]),
  );
  writeState(state);
}

function pointCurrentAt(runDir: string): void {
  const link = currentRunLink();
  if (existsSync(link) || lstatExists(link)) unlinkSync(link);
  symlinkSync(runDir, link);
}

function lstatExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export async function up(opts: UpOptions): Promise<RunState> {
  const log =
    opts.log ??
    ((line: string): void => {
      process.stderr.write(`${line}\n`);
    });
  const started = Date.now();
  const storage = opts.storage ?? storageFromEnv();
  await cleanStaleRuns(log, opts.name);
  const bins = await ensureBinaries({ storage });
  const runDir = join(runsDir(), opts.name);
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  mkdirSync(join(runDir, 'pki'), { recursive: true });
  const profile = opts.timings ?? 'fast';
  const ports = await allocatePorts();
  const state: RunState = {
    runDir,
    kubeconfig: join(runDir, 'kubeconfig'),
    ports: { ...ports },
    components: {},
    zones: {},
    timings: profile,
    storage,
    createdAt: new Date().toISOString(),
    ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
  };
  writeState(state);
  try {
    await bringUp(state, bins, ports, profile, log);
    if (bins.storage !== undefined) {
      log('starting storage: CSI driver, sidecars and snapshot controller');
      await startStorage(state, {
        kc: adminKubeConfig(state),
        bins: bins.storage,
        limits: opts.storageApiLimits ?? upstreamKubeApiLimits,
        record: (name, rec) => {
          record(state, name, rec);
        },
        waitFor,
        log,
      });
    }
  } catch (err) {
    await destroyRun(runDir).catch(() => undefined);
    throw err;
  }
  pointCurrentAt(runDir);
  log(
    `cluster ${opts.name} up in ${((Date.now() - started) / 1000).toFixed(1)} s; KUBECONFIG=${state.kubeconfig}`,
  );
  return state;
}

async function bringUp(
  state: RunState,
  bins: Binaries,
  ports: Ports,
  profile: TimingProfile,
  log: (l: string) => void,
): Promise<void> {
  const pki = createPki(join(state.runDir, 'pki'));
  writeKubeconfigs(state.runDir, pki, `https://127.0.0.1:${ports.apiserver}`);
  log(`starting etcd on 127.0.0.1:${ports.etcdClient}`);
  await startEtcd(state, bins, ports);
  log(`starting kube-apiserver on 127.0.0.1:${ports.apiserver}`);
  await startApiserver(state, bins, ports, pki, profile);
  const timings = timingProfiles[profile];
  record(
    state,
    'kube-controller-manager',
    startProcess(
      'kube-controller-manager',
      bins.paths['kube-controller-manager'],
      controllerManagerArgs(state.runDir, ports, pki, timings),
      state.runDir,
    ),
  );
  record(
    state,
    'kube-scheduler',
    startProcess(
      'kube-scheduler',
      bins.paths['kube-scheduler'],
      schedulerArgs(state.runDir, ports),
      state.runDir,
    ),
  );
  await createNodes(state);
  for (const zone of zones) startKwok(state, zone, bins);
  const total = zones.length * nodesPerZone;
  log(`waiting for ${total} nodes to become Ready`);
  await waitFor(
    'nodes',
    async () => (await readyNodes(state)).length === total,
    90_000,
    state.components['kwok-zone-a']?.log,
  );
  await waitForDefaultServiceAccount(state);
}

// Pods are refused until the service-account controller has made "default";
// tests that start right after `up` would otherwise race it.
async function waitForDefaultServiceAccount(state: RunState): Promise<void> {
  const core = adminClient(state);
  await waitFor(
    'default service account',
    async () => {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      return true;
    },
    60_000,
    state.components['kube-controller-manager']?.log,
  );
}

export async function down(runDir: string): Promise<void> {
  await destroyRun(runDir);
  const link = currentRunLink();
  if (lstatExists(link) && !existsSync(link)) unlinkSync(link);
}

// ---- failure injection -------------------------------------------------------

async function setNodeController(state: RunState, node: string, value: string | null): Promise<void> {
  await adminClient(state).patchNode(
    { name: node, body: { metadata: { labels: { [kwokControllerLabel]: value } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

function zoneOf(state: RunState, node: string): string {
  const zone = Object.entries(state.zones).find(([, nodes]) => nodes.includes(node))?.[0];
  if (zone === undefined) throw new Error(`unknown node ${node}`);
  return zone;
}

/**
 * Fails one node the way a dead kubelet does: its KWOK controller lets go of
 * it, so neither its Lease nor its status is renewed any more and the node
 * lifecycle controller marks it NotReady after the grace period.
 */
export async function failNode(state: RunState, node: string): Promise<void> {
  zoneOf(state, node);
  await setNodeController(state, node, 'failed');
}

/** Brings a failed node back; a shutdown confirmation on it goes, as its writer would lift it. */
export async function restoreNode(state: RunState, node: string): Promise<void> {
  await liftShutdown(state, node);
  await setNodeController(state, node, zoneOf(state, node));
}

/**
 * A kubelet restart, or a node cut off from the control plane for a while:
 * its Lease and status go unrenewed for silentMs (long enough for the node
 * lifecycle controller to mark it NotReady) while its pods keep running, and
 * nothing confirms a shutdown. Then it renews again.
 */
export async function restartKubelet(state: RunState, node: string, silentMs: number): Promise<void> {
  await failNode(state, node);
  await sleep(silentMs);
  await setNodeController(state, node, zoneOf(state, node));
}

/** Fails a whole zone by stopping the KWOK process that plays its kubelets. */
export async function failZone(state: RunState, zone: string): Promise<void> {
  const rec = state.components[`kwok-${zone}`];
  if (rec === undefined) throw new Error(`unknown zone ${zone}`);
  await stopProcess(rec);
}

export function restoreZone(state: RunState, zone: string): void {
  const rec = state.components[`kwok-${zone}`];
  if (rec === undefined) throw new Error(`unknown zone ${zone}`);
  if (isAlive(rec.pid)) return;
  record(state, `kwok-${zone}`, startProcess(`kwok-${zone}`, rec.bin, rec.args, state.runDir));
}

/**
 * Stops a component, waits, starts it again with identical flags; for the API
 * server, waits for /readyz; the CSI driver comes back with its sidecars (see
 * restartCsiDriver).
 */
export async function restartComponent(runDir: string, name: string, downMs = 0): Promise<void> {
  const state = readState(runDir);
  if (name === 'csi-driver') {
    await restartCsiDriver(
      state,
      (n, r) => {
        record(state, n, r);
      },
      downMs,
    );
    return;
  }
  const rec = state.components[name];
  if (rec === undefined) throw new Error(`unknown component ${name}`);
  const stoppedAt = new Date().toISOString();
  await stopProcess(rec);
  if (downMs > 0) await sleep(downMs);
  const fresh = startProcess(name, rec.bin, rec.args, runDir);
  record(state, name, fresh);
  if (name === 'kube-apiserver') {
    await waitFor('kube-apiserver', () => apiserverReady(state, pkiOf(runDir)), 120_000, fresh.log);
    const window = { from: stoppedAt, to: new Date().toISOString() };
    appendFileSync(apiserverRestartsPath(runDir), `${JSON.stringify(window)}\n`);
  }
}
