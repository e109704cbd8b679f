// Real volumes for the local cluster: the test bed's CSI driver (test/csi/)
// behind the real CSI sidecars (csi-provisioner, csi-attacher, csi-resizer,
// csi-snapshotter) and the real snapshot controller, with the VolumeSnapshot
// CRDs from external-snapshotter, a CSIDriver, one CSINode per simulated node
// and the classes tests use. Optional, because it costs start time and memory.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
  type V1CustomResourceDefinition,
  type V1Node,
} from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import type { StorageBinaries, StorageBinaryName } from './build.js';
import {
  csiAttacherArgs,
  csiProvisionerArgs,
  csiResizerArgs,
  csiSnapshotterArgs,
  kwokControllerLabel,
  snapshotControllerArgs,
  type CsiPaths,
  type KubeApiLimits,
} from './components.js';
import { repoRoot } from './layout.js';
import { pkiOf } from './pki.js';
import {
  isAlive,
  startProcess,
  stopProcess,
  tailLog,
  type ComponentRecord,
  type RunState,
} from './processes.js';

export const csiDriverName = 'hostpath.csi.stateful.dev';
export const storageClassName = 'svo-csi';
export const immediateStorageClassName = 'svo-csi-immediate';
export const snapshotClassName = 'svo-csi-snapclass';
export const topologyKey = 'topology.kubernetes.io/zone';

const fieldManager = 'svo-cluster';

type Manifest = KubernetesObject & Record<string, unknown>;

// Linux limits a unix socket path to 107 bytes; a deep SVO_CLUSTER_CACHE could exceed it.
const maxSocketPath = 107;

/** Where a run keeps its CSI socket and the driver's volumes, snapshots and index. */
export function csiPaths(runDir: string): { socket: string; dataDir: string; kubeconfig: string } {
  return {
    socket: join(runDir, 'csi', 'csi.sock'),
    dataDir: join(runDir, 'csi-data'),
    kubeconfig: join(runDir, 'csi.kubeconfig'),
  };
}

/** The directory that backs a volume, from its PV's volumeHandle. */
export function volumeDirectory(runDir: string, volumeHandle: string): string {
  return join(csiPaths(runDir).dataDir, 'volumes', volumeHandle);
}

/**
 * A process running one of the test bed's TypeScript programs: node with the
 * tsx loader, resolved to a file URL so it works from any working directory
 * (the run folder may live outside the repository, see SVO_CLUSTER_CACHE).
 */
function tsProgram(script: string, args: string[]): { bin: string; args: string[] } {
  return {
    bin: process.execPath,
    args: ['--import', import.meta.resolve('tsx'), join(repoRoot, script), ...args],
  };
}

function nodeZones(state: RunState): string[] {
  return Object.entries(state.zones).flatMap(([zone, nodes]) => nodes.map((n) => `--node=${n}=${zone}`));
}

function driverProcess(state: RunState, bins: StorageBinaries): { bin: string; args: string[] } {
  const paths = csiPaths(state.runDir);
  return tsProgram('test/csi/main.ts', [
    `--endpoint=${paths.socket}`,
    `--data-dir=${paths.dataDir}`,
    `--proto=${bins.csiProto}`,
    `--driver-name=${csiDriverName}`,
    `--topology-key=${topologyKey}`,
    '--attach',
    ...nodeZones(state),
  ]);
}

function volumesInUseProcess(state: RunState): { bin: string; args: string[] } {
  const pki = pkiOf(state.runDir);
  return tsProgram('test/csi/volumes-in-use.ts', [
    `--server=https://127.0.0.1:${state.ports.apiserver ?? 0}`,
    `--ca=${pki.caCert}`,
    `--cert=${pki.clients.csi.cert}`,
    `--key=${pki.clients.csi.key}`,
    `--driver=${csiDriverName}`,
    `--controller-label=${kwokControllerLabel}`,
    `--zone-label=${topologyKey}`,
  ]);
}

// ---- API objects ---------------------------------------------------------------

async function installSnapshotCrds(kc: KubeConfig, file: string): Promise<string[]> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const crds = loadAll(readFileSync(file, 'utf8')).filter(
    (d): d is V1CustomResourceDefinition => typeof d === 'object' && d !== null,
  );
  for (const crd of crds) {
    await api.patchCustomResourceDefinition(
      { name: crd.metadata?.name ?? '', body: crd, fieldManager, force: true },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
  }
  return crds.map((c) => c.metadata?.name ?? '');
}

async function crdsEstablished(kc: KubeConfig, names: string[]): Promise<boolean> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const all = await Promise.all(names.map((name) => api.readCustomResourceDefinition({ name })));
  return all.every(
    (crd) => crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false,
  );
}

// Server-side apply through the generic client: idempotent, so a person
// re-running a step never trips over "already exists".
async function apply(kc: KubeConfig, body: Manifest): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  await client.patch(body, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
}

/**
 * What a kubelet's plugin registration would create for a node plugin: a
 * CSINode entry naming the driver, the node's ID for it and its topology key,
 * owned by the Node so it goes when the Node goes. The provisioner reads the
 * zone of a selected node through it, the attacher the node ID.
 */
function csiNode(node: V1Node): Manifest {
  const name = node.metadata?.name ?? '';
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'CSINode',
    metadata: {
      name,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata?.uid ?? '' }],
    },
    spec: { drivers: [{ name: csiDriverName, nodeID: name, topologyKeys: [topologyKey] }] },
  };
}

function classes(): Manifest[] {
  const storageClass = (name: string, binding: string, isDefault: boolean): Manifest => ({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name,
      annotations: { 'storageclass.kubernetes.io/is-default-class': String(isDefault) },
    },
    provisioner: csiDriverName,
    reclaimPolicy: 'Delete',
    allowVolumeExpansion: true,
    volumeBindingMode: binding,
  });
  return [
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSIDriver',
      metadata: { name: csiDriverName },
      spec: {
        // Real VolumeAttachments: the attach/detach controller creates them for
        // pods on the simulated nodes and csi-attacher answers them, so fencing
        // and force-detach behave as on a real cluster.
        attachRequired: true,
        podInfoOnMount: false,
        volumeLifecycleModes: ['Persistent'],
        storageCapacity: false,
      },
    },
    storageClass(storageClassName, 'WaitForFirstConsumer', true),
    storageClass(immediateStorageClassName, 'Immediate', false),
    {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotClass',
      metadata: {
        name: snapshotClassName,
        annotations: { 'snapshot.storage.kubernetes.io/is-default-class': 'true' },
      },
      driver: csiDriverName,
      deletionPolicy: 'Delete',
    },
  ];
}

async function registerDriver(kc: KubeConfig, state: RunState): Promise<void> {
  for (const obj of classes()) await apply(kc, obj);
  const core = kc.makeApiClient(CoreV1Api);
  for (const name of Object.values(state.zones).flat())
    await apply(kc, csiNode(await core.readNode({ name })));
}

// ---- processes -----------------------------------------------------------------

type Start = (name: string, bin: string, args: string[]) => ComponentRecord;

function startSidecars(state: RunState, bins: StorageBinaries, limits: KubeApiLimits, start: Start): void {
  const paths: CsiPaths = csiPaths(state.runDir);
  const sidecars: [StorageBinaryName, string[]][] = [
    ['csi-provisioner', csiProvisionerArgs(paths, limits)],
    ['csi-attacher', csiAttacherArgs(paths, limits)],
    ['csi-resizer', csiResizerArgs(paths, limits)],
    ['csi-snapshotter', csiSnapshotterArgs(paths, limits)],
    ['snapshot-controller', snapshotControllerArgs(paths.kubeconfig, limits)],
  ];
  for (const [name, args] of sidecars) start(name, bins.paths[name], args);
}

export interface StorageStartOptions {
  readonly kc: KubeConfig;
  readonly bins: StorageBinaries;
  readonly limits: KubeApiLimits;
  readonly record: (name: string, rec: ComponentRecord) => void;
  readonly waitFor: (
    what: string,
    check: () => Promise<boolean>,
    timeoutMs: number,
    log?: string,
  ) => Promise<void>;
  readonly log: (line: string) => void;
}

const storageComponents = new Set([
  'csi-driver',
  'csi-volumes-in-use',
  'csi-provisioner',
  'csi-attacher',
  'csi-resizer',
  'csi-snapshotter',
  'snapshot-controller',
]);

/** Polls `ready` until it holds; fails at once, with its log, if one of the processes exits. */
async function whileAlive(
  recs: ComponentRecord[],
  what: string,
  ready: () => boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = recs.find((r) => !isAlive(r.pid));
    if (dead !== undefined)
      throw new Error(
        `${basename(dead.log, '.log')} exited while waiting for ${what}:\n${tailLog(dead.log)}`,
      );
    if (ready()) return;
    if (Date.now() > deadline) {
      const logs = recs.map((r) => `--- ${r.log}:\n${tailLog(r.log, 10)}`).join('\n');
      throw new Error(`${what} not ready within ${timeoutMs / 1000} s\n${logs}`);
    }
    await sleep(250);
  }
}

/** Counts the sidecars that have asked the driver who it is: each does so once connected. */
function connectedSidecars(driverLog: string): number {
  if (!existsSync(driverLog)) return 0;
  return readFileSync(driverLog, 'utf8')
    .split('\n')
    .filter((l) => l.includes('GetPluginInfo')).length;
}

/**
 * Starts the storage stack on a cluster whose nodes are Ready. The snapshot
 * CRDs are Established before the snapshot controller starts (it exits if
 * they are missing), and `up` returns once every sidecar has reached the driver.
 */
export async function startStorage(state: RunState, opts: StorageStartOptions): Promise<void> {
  const socket = csiPaths(state.runDir).socket;
  if (socket.length > maxSocketPath)
    throw new Error(
      `CSI socket path is ${socket.length} bytes, over the ${maxSocketPath} Linux allows: ${socket}`,
    );
  const start: Start = (name, bin, args) => {
    const rec = startProcess(name, bin, args, state.runDir);
    opts.record(name, rec);
    return rec;
  };
  const driver = driverProcess(state, opts.bins);
  const driverRec = start('csi-driver', driver.bin, driver.args);
  opts.log('installing the VolumeSnapshot CRDs and the CSI driver objects');
  const crds = await installSnapshotCrds(opts.kc, opts.bins.snapshotCrds);
  await opts.waitFor('VolumeSnapshot CRDs', () => crdsEstablished(opts.kc, crds), 30_000);
  await registerDriver(opts.kc, state);
  await whileAlive([driverRec], 'CSI driver socket', () => existsSync(socket), 30_000);
  const inUse = volumesInUseProcess(state);
  start('csi-volumes-in-use', inUse.bin, inUse.args);
  startSidecars(state, opts.bins, opts.limits, start);
  opts.log('waiting for the CSI sidecars to reach the driver');
  const storageRecs = Object.entries(state.components)
    .filter(([name]) => storageComponents.has(name))
    .map(([, rec]) => rec);
  await whileAlive(storageRecs, 'CSI sidecars', () => connectedSidecars(driverRec.log) >= 4, 60_000);
}

/**
 * Restarts the CSI driver the way a crash of its container plays out on a real
 * cluster: the sidecars of the same pod exit when their connection to the
 * driver breaks (csi-lib-utils does that on purpose) and the kubelet starts
 * them again. Here nothing would restart them, so this does the kubelet's part:
 * the driver comes back with the same flags, then every sidecar does.
 */
export async function restartCsiDriver(
  state: RunState,
  record: (name: string, rec: ComponentRecord) => void,
  downMs = 0,
): Promise<void> {
  const driver = state.components['csi-driver'];
  if (driver === undefined) throw new Error('this cluster runs no CSI driver (start it with storage)');
  const sidecars = Object.entries(state.components).filter(([, rec]) =>
    rec.args.some((a) => a.startsWith('--csi-address=')),
  );
  await stopProcess(driver);
  for (const [, rec] of sidecars) await stopProcess(rec);
  if (downMs > 0) await sleep(downMs);
  const fresh = startProcess('csi-driver', driver.bin, driver.args, state.runDir);
  record('csi-driver', fresh);
  const socket = csiPaths(state.runDir).socket;
  await whileAlive([fresh], 'CSI driver socket', () => existsSync(socket), 30_000);
  for (const [name, rec] of sidecars) record(name, startProcess(name, rec.bin, rec.args, state.runDir));
}
