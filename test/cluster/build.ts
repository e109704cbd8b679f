// Builds the control plane and its companions from their Go modules into the
// cache, keyed by everything that decides the bytes: go.mod, go.sum, flags and
// the Go version. A key that is already built is never rebuilt.
import { createHash } from 'node:crypto';
import { spawn, execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { binRoot, toolsDir } from './layout.js';

export interface ToolModule {
  /** Folder under test/cluster/tools holding the build-only go.mod. */
  readonly module: string;
  /** Go packages to build, and the file name each becomes. */
  readonly commands: readonly { readonly pkg: string; readonly bin: string }[];
  readonly ldflags?: (version: string) => string;
  /** Module whose version names this tool in logs and docs. */
  readonly versionOf: string;
  /** Extra files the tool needs next to its binaries (KWOK's stage definitions). */
  readonly afterBuild?: (outDir: string, moduleDir: (path: string) => string) => void;
  /** Part of the optional storage stack: built only when a cluster with storage needs it. */
  readonly storage?: boolean;
}

function k8sVersionFlags(version: string): string {
  const [, major = '1', minor = '0'] = /^v(\d+)\.(\d+)/.exec(version) ?? [];
  const pkgs = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'];
  const fields = (p: string): string =>
    [
      `-X ${p}.gitVersion=${version}`,
      `-X ${p}.gitMajor=${major}`,
      `-X ${p}.gitMinor=${minor}`,
      `-X ${p}.gitTreeState=clean`,
    ].join(' ');
  return ['-s -w', ...pkgs.map(fields)].join(' ');
}

// KWOK reads its node and pod lifecycles from Stage objects; these are the ones
// the module ships. The heartbeat-with-lease stage keeps nodes alive the way a
// kubelet does (a Lease), which is what node failure detection watches.
const kwokStages = [
  'kustomize/stage/node/fast/node-initialize.yaml',
  'kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
  'kustomize/stage/pod/fast/pod-ready.yaml',
  'kustomize/stage/pod/fast/pod-complete.yaml',
  'kustomize/stage/pod/fast/pod-delete.yaml',
];

// The VolumeSnapshot API as external-snapshotter ships it. The group snapshot
// CRDs come along because the snapshot controller watches them when its
// group-snapshot feature is on, and an operator may one day want them.
const snapshotCrds = [
  'snapshot.storage.k8s.io_volumesnapshotclasses.yaml',
  'snapshot.storage.k8s.io_volumesnapshotcontents.yaml',
  'snapshot.storage.k8s.io_volumesnapshots.yaml',
  'groupsnapshot.storage.k8s.io_volumegroupsnapshotclasses.yaml',
  'groupsnapshot.storage.k8s.io_volumegroupsnapshotcontents.yaml',
  'groupsnapshot.storage.k8s.io_volumegroupsnapshots.yaml',
];

// helm stamps its version and the Kubernetes version `helm template` assumes
// (.Capabilities.KubeVersion) the way its Makefile does: major + 1 and minor of
// the client-go it was built with.
function helmVersionFlags(version: string): string {
  const gomod = readFileSync(join(toolsDir(), 'helm', 'go.mod'), 'utf8');
  const [, major = '0', minor = '0'] = /k8s\.io\/client-go v(\d+)\.(\d+)/.exec(gomod) ?? [];
  const pkg = 'helm.sh/helm/v3';
  return [
    '-s -w',
    `-X ${pkg}/internal/version.version=${version}`,
    `-X ${pkg}/internal/version.gitTreeState=clean`,
    ...['pkg/lint/rules', 'pkg/chartutil'].flatMap((p) => [
      `-X ${pkg}/${p}.k8sVersionMajor=${Number(major) + 1}`,
      `-X ${pkg}/${p}.k8sVersionMinor=${minor}`,
    ]),
  ].join(' ');
}

/** The sidecars print this from --version; stamping it keeps their logs honest. */
function sidecarVersionFlags(version: string): string {
  return `-s -w -X main.version=${version}`;
}

export const toolModules: readonly ToolModule[] = [
  {
    module: 'k8s',
    versionOf: 'k8s.io/kubernetes',
    ldflags: k8sVersionFlags,
    commands: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'].map((bin) => ({
      pkg: `k8s.io/kubernetes/cmd/${bin}`,
      bin,
    })),
  },
  {
    module: 'etcd',
    versionOf: 'go.etcd.io/etcd/server/v3',
    ldflags: () => '-s -w',
    commands: [{ pkg: 'go.etcd.io/etcd/server/v3', bin: 'etcd' }],
  },
  {
    module: 'kwok',
    versionOf: 'sigs.k8s.io/kwok',
    ldflags: () => '-s -w',
    commands: [{ pkg: 'sigs.k8s.io/kwok/cmd/kwok', bin: 'kwok' }],
    afterBuild: (outDir, moduleDir) => {
      const root = moduleDir('sigs.k8s.io/kwok');
      const docs = kwokStages.map((rel) => readFileSync(join(root, rel), 'utf8').trim());
      writeFileSync(join(outDir, 'kwok-stages.yaml'), docs.join('\n---\n') + '\n');
    },
  },
  {
    // Not part of the cluster: the shipping tests lint, render and install the chart with it.
    module: 'helm',
    versionOf: 'helm.sh/helm/v3',
    ldflags: helmVersionFlags,
    commands: [{ pkg: 'helm.sh/helm/v3/cmd/helm', bin: 'helm' }],
  },
  {
    module: 'csi-spec',
    versionOf: 'github.com/container-storage-interface/spec',
    storage: true,
    // Nothing to compile: the test bed's driver is TypeScript and loads the proto at run time.
    commands: [],
    afterBuild: (outDir, moduleDir) => {
      copyFileSync(
        join(moduleDir('github.com/container-storage-interface/spec'), 'csi.proto'),
        join(outDir, 'csi.proto'),
      );
    },
  },
  {
    module: 'csi-provisioner',
    versionOf: 'github.com/kubernetes-csi/external-provisioner/v6',
    storage: true,
    ldflags: sidecarVersionFlags,
    commands: [
      {
        pkg: 'github.com/kubernetes-csi/external-provisioner/v6/cmd/csi-provisioner',
        bin: 'csi-provisioner',
      },
    ],
  },
  {
    module: 'csi-snapshotter',
    versionOf: 'github.com/kubernetes-csi/external-snapshotter/v8',
    storage: true,
    ldflags: sidecarVersionFlags,
    commands: ['snapshot-controller', 'csi-snapshotter'].map((bin) => ({
      pkg: `github.com/kubernetes-csi/external-snapshotter/v8/cmd/${bin}`,
      bin,
    })),
    afterBuild: (outDir, moduleDir) => {
      const root = join(
        moduleDir('github.com/kubernetes-csi/external-snapshotter/client/v8'),
        'config',
        'crd',
      );
      const docs = snapshotCrds.map((file) => readFileSync(join(root, file), 'utf8').trim());
      writeFileSync(join(outDir, 'snapshot-crds.yaml'), docs.join('\n---\n') + '\n');
    },
  },
  {
    module: 'csi-resizer',
    versionOf: 'github.com/kubernetes-csi/external-resizer/v2',
    storage: true,
    ldflags: sidecarVersionFlags,
    commands: [{ pkg: 'github.com/kubernetes-csi/external-resizer/v2/cmd/csi-resizer', bin: 'csi-resizer' }],
  },
  {
    module: 'csi-attacher',
    versionOf: 'github.com/kubernetes-csi/external-attacher/v4',
    storage: true,
    ldflags: sidecarVersionFlags,
    commands: [
      { pkg: 'github.com/kubernetes-csi/external-attacher/v4/cmd/csi-attacher', bin: 'csi-attacher' },
    ],
  },
];

function goEnv(): NodeJS.ProcessEnv {
  // A toolchain download cannot work here; failing fast says what is wrong.
  return { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly' };
}

export function moduleVersion(tool: ToolModule): string {
  const gomod = readFileSync(join(toolsDir(), tool.module, 'go.mod'), 'utf8');
  const escaped = tool.versionOf.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = new RegExp(`${escaped}\\s+(v\\S+)`).exec(gomod);
  if (match?.[1] === undefined) throw new Error(`${tool.module}/go.mod does not require ${tool.versionOf}`);
  return match[1];
}

export function buildKey(tool: ToolModule): string {
  const dir = join(toolsDir(), tool.module);
  const goVersion = execFileSync('go', ['env', 'GOVERSION'], { env: goEnv() }).toString().trim();
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'tools.go']) hash.update(readFileSync(join(dir, file)));
  hash.update(goVersion);
  hash.update(tool.ldflags?.(moduleVersion(tool)) ?? '');
  hash.update(JSON.stringify(tool.commands));
  hash.update(tool.afterBuild?.toString() ?? '');
  return `${tool.module}-${moduleVersion(tool)}-${hash.digest('hex').slice(0, 12)}`;
}

export function toolBinDir(tool: ToolModule): string {
  return join(binRoot(), buildKey(tool));
}

function isBuilt(tool: ToolModule): boolean {
  return existsSync(join(toolBinDir(tool), '.complete'));
}

function runGo(args: string[], cwd: string, label: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const started = Date.now();
    const child = spawn('go', args, { cwd, env: goEnv(), stdio: ['ignore', 'inherit', 'inherit'] });
    // Builds take minutes; a line every 30 s tells a person it has not hung.
    const ticker = setInterval(() => {
      process.stderr.write(
        `  ... still building ${label} (${Math.round((Date.now() - started) / 1000)} s)\n`,
      );
    }, 30_000);
    child.on('error', (err) => {
      clearInterval(ticker);
      reject(err);
    });
    child.on('exit', (code) => {
      clearInterval(ticker);
      if (code === 0) resolvePromise();
      else reject(new Error(`go ${args.join(' ')} failed in ${cwd} with exit code ${code}`));
    });
  });
}

export async function buildTool(tool: ToolModule): Promise<string> {
  const outDir = toolBinDir(tool);
  if (isBuilt(tool)) return outDir;
  const cwd = join(toolsDir(), tool.module);
  const version = moduleVersion(tool);
  const started = Date.now();
  process.stderr.write(
    `building ${tool.commands.map((c) => c.bin).join(', ') || tool.module} (${tool.versionOf} ${version})\n`,
  );
  const staging = `${outDir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  await runGo(['mod', 'download'], cwd, `${tool.module} modules`);
  const ldflags = tool.ldflags?.(version) ?? '';
  if (tool.commands.length > 0) {
    await runGo(
      ['build', '-trimpath', '-ldflags', ldflags, '-o', `${staging}/`, ...tool.commands.map((c) => c.pkg)],
      cwd,
      tool.module,
    );
  }
  const moduleDir = (path: string): string =>
    execFileSync('go', ['list', '-m', '-f', '{{.Dir}}', path], { cwd, env: goEnv() }).toString().trim();
  tool.afterBuild?.(staging, moduleDir);
  renameBuilt(staging, tool);
  writeFileSync(join(staging, '.complete'), `${new Date().toISOString()}\n`);
  rmSync(outDir, { recursive: true, force: true });
  renameSync(staging, outDir);
  process.stderr.write(
    `built ${tool.module} in ${Math.round((Date.now() - started) / 1000)} s -> ${outDir}\n`,
  );
  return outDir;
}

// `go build -o dir/` names each binary after its package path, skipping a
// major-version suffix, so etcd's server module comes out as "server".
function renameBuilt(dir: string, tool: ToolModule): void {
  for (const { pkg, bin } of tool.commands) {
    const parts = pkg.split('/');
    const last = parts.at(-1) ?? bin;
    const produced = /^v\d+$/.test(last) ? (parts.at(-2) ?? bin) : last;
    if (produced !== bin && existsSync(join(dir, produced))) renameSync(join(dir, produced), join(dir, bin));
  }
}

/** Binaries from KUBEBUILDER_ASSETS win over our own builds, one by one. */
function prebuiltDir(): string | undefined {
  const dir = process.env.KUBEBUILDER_ASSETS;
  return dir !== undefined && dir !== '' && existsSync(dir) ? dir : undefined;
}

export type BinaryName =
  'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kubectl' | 'etcd' | 'kwok' | 'helm';

export type StorageBinaryName =
  'csi-provisioner' | 'snapshot-controller' | 'csi-snapshotter' | 'csi-resizer' | 'csi-attacher';

export interface StorageBinaries {
  readonly paths: Record<StorageBinaryName, string>;
  /** csi.proto of the pinned CSI spec, for the test bed's driver. */
  readonly csiProto: string;
  /** The VolumeSnapshot (and group snapshot) CRDs, one YAML stream. */
  readonly snapshotCrds: string;
}

export interface Binaries {
  readonly paths: Record<BinaryName, string>;
  readonly kwokStages: string;
  /** Present only when asked for with `storage: true`. */
  readonly storage?: StorageBinaries;
}

function needsBuild(tool: ToolModule, assets: string | undefined): boolean {
  if (assets === undefined) return true;
  return tool.commands.some((c) => !existsSync(join(assets, c.bin)));
}

async function storageBinaries(): Promise<StorageBinaries> {
  const paths: Partial<Record<StorageBinaryName, string>> = {};
  const dirs: Record<string, string> = {};
  for (const tool of toolModules.filter((t) => t.storage === true)) {
    const dir = await buildTool(tool);
    dirs[tool.module] = dir;
    for (const c of tool.commands) paths[c.bin as StorageBinaryName] = join(dir, c.bin);
  }
  return {
    paths: paths as Record<StorageBinaryName, string>,
    csiProto: join(dirs['csi-spec'] ?? '', 'csi.proto'),
    snapshotCrds: join(dirs['csi-snapshotter'] ?? '', 'snapshot-crds.yaml'),
  };
}

/**
 * Builds whatever is missing and returns the path of every binary the cluster
 * runs; the storage stack (CSI sidecars, snapshot controller, CSI spec) only
 * with `storage: true`, so a cluster without storage never waits for its build.
 */
export async function ensureBinaries(opts: { storage?: boolean } = {}): Promise<Binaries> {
  const assets = prebuiltDir();
  const paths: Partial<Record<BinaryName, string>> = {};
  let kwokStagesFile = '';
  for (const tool of toolModules.filter((t) => t.storage !== true)) {
    const dir = needsBuild(tool, assets) ? await buildTool(tool) : (assets ?? '');
    for (const c of tool.commands) {
      const fromAssets = assets !== undefined ? join(assets, c.bin) : '';
      paths[c.bin as BinaryName] = existsSync(fromAssets) ? fromAssets : join(dir, c.bin);
    }
    if (tool.module === 'kwok') kwokStagesFile = join(await buildTool(tool), 'kwok-stages.yaml');
  }
  const core = { paths: paths as Record<BinaryName, string>, kwokStages: kwokStagesFile };
  return opts.storage === true ? { ...core, storage: await storageBinaries() } : core;
}

/**
 * Path of one binary (KUBEBUILDER_ASSETS first), building what is missing: for
 * tests that run kubectl or helm themselves.
 */
export async function binaryPath(name: BinaryName): Promise<string> {
  return (await ensureBinaries()).paths[name];
}

/** Removes cached builds whose key no longer matches the pinned versions. */
export function pruneStaleBuilds(): string[] {
  if (!existsSync(binRoot())) return [];
  const keep = new Set(toolModules.map((t) => buildKey(t)));
  const removed: string[] = [];
  for (const entry of readdirSync(binRoot())) {
    if (keep.has(entry)) continue;
    rmSync(join(binRoot(), entry), { recursive: true, force: true });
    removed.push(entry);
  }
  return removed;
}
