// The Dockerfile, without a container engine (there is none here): each promise
// of the image is checked on the file (base images pinned by digest, build on
// the build platform, distroless non-root runtime without shell or package
// managers, exec-form entry point, OCI labels, a build context that keeps
// everything else out), and its steps are carried out for real in a temporary
// directory standing in for each stage's file system, with the build context
// .dockerignore leaves, ending with the image's entry point printing the
// operator's flags and version. hadolint is not available here (docs/install.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { load } from 'js-yaml';
import { chartDir, operatorFlags, repoRoot, run } from './tools.js';

interface Instruction {
  readonly op: string;
  readonly args: string;
}

interface Stage {
  /** The image reference, global ARGs substituted. */
  readonly image: string;
  /** FROM's --platform, as written. */
  readonly platform: string | undefined;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

interface Dockerfile {
  /** ARGs before the first FROM, with their defaults. */
  readonly globalArgs: Map<string, string>;
  readonly stages: Stage[];
}

/** $NAME and ${NAME} replaced from vars; unknown names become empty, as in Docker. */
function expand(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a?: string, b?: string) => vars.get(a ?? b ?? '') ?? '');
}

/** ARG's name and default (undefined when it has none). */
function parseArg(args: string): [string, string | undefined] {
  const [, name = '', value] = /^(\w+)(?:=(.*))?$/.exec(args.trim()) ?? [];
  return [name, value];
}

/** Joins continuation lines and drops comments. */
function logicalLines(text: string): string[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    const continued = line.endsWith('\\');
    pending += (pending ? ' ' : '') + (continued ? line.slice(0, -1).trim() : line);
    if (!continued) {
      logical.push(pending);
      pending = '';
    }
  }
  return logical;
}

/** Splits a Dockerfile into its global ARGs and its stages. */
function parseDockerfile(text: string): Dockerfile {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logicalLines(text)) {
    const [, word = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const op = word.toUpperCase();
    if (op === 'FROM') {
      const [, platform, image = '', name] =
        /^(?:--platform=(\S+)\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ image: expand(image, globalArgs), platform, name, instructions: [] });
    } else if (stages.length === 0 && op === 'ARG') {
      const [name, value] = parseArg(args);
      globalArgs.set(name, value ?? '');
    } else {
      stages.at(-1)?.instructions.push({ op, args });
    }
  }
  return { globalArgs, stages };
}

function all(stage: Stage, op: string): string[] {
  return stage.instructions.filter((i) => i.op === op).map((i) => i.args);
}

/** key=value pairs of LABEL or ENV, quotes removed. */
function pairs(args: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of args.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const value = m[2] ?? '';
    found.set(m[1] ?? '', value.startsWith('"') ? (JSON.parse(value) as string) : value);
  }
  return found;
}

/** COPY's flags, sources and destination. */
function parseCopy(args: string): { from: string | undefined; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((w) => !w.startsWith('--'));
  return { from, sources: paths.slice(0, -1), dest: paths.at(-1) ?? '' };
}

interface IgnoreRule {
  readonly negate: boolean;
  readonly pattern: RegExp;
}

/** A .dockerignore pattern (Go's filepath.Match plus `**`) as a regular expression. */
function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches any number of directories, a trailing `**` anything.
      out += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function parseDockerignore(text: string): IgnoreRule[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const glob = (negate ? l.slice(1) : l).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return { negate, pattern: globToRegExp(glob) };
    });
}

/**
 * Whether the build context leaves `path` (relative to the repository) out: as
 * BuildKit does, a rule applies to a path when it matches the path or one of
 * its parent directories, and the last rule that applies decides.
 */
function ignoredByContext(rules: readonly IgnoreRule[], path: string): boolean {
  const parts = path.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((c) => rule.pattern.test(c))) ignored = !rule.negate;
  }
  return ignored;
}

const text = await readFile(join(repoRoot, 'Dockerfile'), 'utf8');
const { globalArgs, stages } = parseDockerfile(text);
const final = stages.at(-1);
const build = stages.find((s) => s.name !== undefined && s !== final);
const ignoreRules = parseDockerignore(await readFile(join(repoRoot, '.dockerignore'), 'utf8'));
const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  description: string;
  license: string;
};
const lock = JSON.parse(await readFile(join(repoRoot, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }>;
};
/** Paths such as node_modules/typescript that only development needs. */
const devOnly = Object.entries(lock.packages)
  .filter(([path, p]) => path !== '' && p.dev === true)
  .map(([path]) => path);
const digest = /@sha256:[0-9a-f]{64}$/;

/** The comment lines right above the line that starts with `marker`, joined. */
function commentAbove(marker: string): string {
  const lines = text.slice(0, text.indexOf(`\n${marker}`)).split('\n');
  const block: string[] = [];
  while (lines.at(-1)?.startsWith('#')) block.unshift((lines.pop() ?? '').replace(/^#\s?/, ''));
  return block.join(' ');
}

test('both base images are Node 24, pinned by digest; the build stage runs on the build platform', () => {
  assert.ok(final && build, 'a named build stage and a runtime stage');
  assert.equal(stages.length, 2);
  for (const stage of stages) assert.match(stage.image, digest, `${stage.image} is pinned by digest`);
  assert.match(build.image, /^node:24\.\d+\.\d+-bookworm-slim@/, 'the build stage names its Node 24 release');
  assert.match(
    final.image,
    /^gcr\.io\/distroless\/nodejs24-debian12:nonroot@/,
    'distroless Node 24, non-root',
  );
  // The runtime's tag names only the major version: its release is written next to it.
  assert.match(commentAbove('ARG RUNTIME_IMAGE='), /Node\.js 24\.\d+\.\d+/);
  assert.match(commentAbove('ARG BUILD_IMAGE='), /Node\.js 24\.\d+\.\d+/);
  assert.equal(build.platform, '$BUILDPLATFORM', 'compiled once on the build machine, not under emulation');
  assert.ok([undefined, '$TARGETPLATFORM'].includes(final.platform), 'the image is of the target platform');
  assert.ok(all(build, 'ARG').includes('TARGETARCH'), 'npm resolves packages for the target');
  assert.match(all(build, 'RUN').join('\n'), /npm ci\b.*--cpu=/);
});

test('production dependencies need no build on the target platform', () => {
  // node_modules are installed on the build platform and copied into every
  // target's image: that holds only while no production package compiles
  // anything at install time.
  const native = Object.entries(lock.packages)
    .filter(([path, p]) => path !== '' && p.dev !== true && p.hasInstallScript === true)
    .map(([path]) => path);
  assert.deepEqual(native, []);
});

test('the final stage runs as a non-root user by number, the one the chart and config/manager set', async () => {
  assert.ok(final);
  const users = all(final, 'USER');
  assert.equal(users.length, 1, 'the final stage sets USER once');
  const [user = '', group = ''] = (users[0] ?? '').split(':');
  assert.match(user, /^\d+$/, 'numeric, so that the kubelet can check runAsNonRoot');
  assert.match(group, /^\d+$/);
  assert.notEqual(Number(user), 0);
  assert.notEqual(Number(group), 0);
  const values = load(await readFile(join(chartDir, 'values.yaml'), 'utf8')) as {
    podSecurityContext: { runAsUser: number; runAsGroup: number };
  };
  const manager = load(await readFile(join(repoRoot, 'config/manager/manager.yaml'), 'utf8')) as {
    spec: { template: { spec: { securityContext: { runAsUser: number; runAsGroup: number } } } };
  };
  const ids = (c: { runAsUser: number; runAsGroup: number }): string => `${c.runAsUser}:${c.runAsGroup}`;
  assert.equal(ids(values.podSecurityContext), `${user}:${group}`, 'chart podSecurityContext');
  assert.equal(ids(manager.spec.template.spec.securityContext), `${user}:${group}`, 'config/manager');
});

test('the final stage has no shell step and no package manager', () => {
  assert.ok(final);
  // Distroless has no /bin/sh: a RUN could not work there, and none is needed.
  assert.deepEqual(all(final, 'RUN'), []);
  assert.deepEqual(all(final, 'SHELL'), []);
  const copied = all(final, 'COPY').flatMap((c) => parseCopy(c).sources);
  const managers = copied.filter((s) => /\b(npm|npx|yarn|corepack|pnpm)\b/.test(s));
  assert.deepEqual(managers, [], 'no package manager is copied in');
});

test('the entry point is exec form: node itself is PID 1 and handles SIGTERM', async () => {
  assert.ok(final);
  const entrypoints = all(final, 'ENTRYPOINT');
  assert.equal(entrypoints.length, 1);
  const entrypoint = JSON.parse(entrypoints[0] ?? 'null') as unknown;
  assert.deepEqual(entrypoint, ['/nodejs/bin/node', 'dist/src/main.js'], 'exec form, distroless node');
  assert.deepEqual(all(final, 'CMD'), [], 'nothing is appended to the operator arguments');
  // Without an init process, PID 1 must handle SIGTERM itself and have no children to reap.
  const operator = await readFile(join(repoRoot, 'src/operator.ts'), 'utf8');
  assert.match(operator, /process\.once\('SIGTERM'/);
  const files = (await readdir(join(repoRoot, 'src'), { recursive: true })).filter((f) => f.endsWith('.ts'));
  const spawning: string[] = [];
  for (const f of files) {
    if (
      /from 'node:child_process'|from 'child_process'/.test(await readFile(join(repoRoot, 'src', f), 'utf8'))
    )
      spawning.push(f);
  }
  assert.deepEqual(spawning, [], 'the operator starts no child processes');
});

test('the image carries the OCI labels; version, revision and time are build arguments', () => {
  assert.ok(final);
  const labels = new Map(all(final, 'LABEL').flatMap((l) => [...pairs(l)]));
  assert.deepEqual(
    Object.fromEntries(
      ['title', 'description', 'source', 'licenses', 'version', 'revision', 'created'].map((k) => [
        k,
        labels.get(`org.opencontainers.image.${k}`),
      ]),
    ),
    {
      title: pkg.name,
      description: pkg.description,
      source: 'https://github.com/stateful-dev/stateful-volume-operator',
      licenses: pkg.license,
      version: '${VERSION}',
      revision: '${REVISION}',
      created: '${CREATED}',
    },
  );
  const args = new Map(all(final, 'ARG').map(parseArg));
  assert.equal(args.get('VERSION'), pkg.version, "VERSION's default is package.json's version");
  assert.ok(args.has('REVISION') && args.has('CREATED'));
  const env = new Map(all(final, 'ENV').flatMap((e) => [...pairs(e)]));
  assert.equal(env.get('SVO_REVISION'), '${REVISION}', 'the operator can tell its revision');
  assert.equal(env.get('NODE_ENV'), 'production');
});

test('.dockerignore lets in only what the build copies', () => {
  for (const path of [
    'node_modules',
    'node_modules/typescript/package.json',
    '.git',
    '.git/HEAD',
    '.cache/cluster/run/dev/kubeconfig',
    'dist/src/main.js',
    'test/unit/runtime/version.test.ts',
    'bench/snapshots.ts',
    'docs/install.md',
    'charts/stateful-volume-operator/values.yaml',
    'src/node_modules/x/index.js',
    'npm-debug.log',
  ])
    assert.ok(ignoredByContext(ignoreRules, path), `${path} is left out of the build context`);
  const fromContext = stages.flatMap((s) =>
    all(s, 'COPY')
      .map(parseCopy)
      .filter((c) => c.from === undefined)
      .flatMap((c) => c.sources),
  );
  assert.ok(fromContext.length > 0);
  for (const path of [...fromContext, 'src/main.ts', 'src/version.ts'])
    assert.ok(!ignoredByContext(ignoreRules, path), `${path} is in the build context`);
});

test('the final stage copies production node_modules, compiled code and package.json only', () => {
  assert.ok(final && build);
  const copies = all(final, 'COPY').map(parseCopy);
  const fromContext = copies.filter((c) => c.from === undefined).flatMap((c) => c.sources);
  assert.deepEqual(fromContext, ['package.json'], 'only package.json (the version) comes from the context');
  const modules = copies.find((c) => c.sources.some((s) => s.endsWith('/node_modules')));
  assert.equal(modules?.from, build.name, 'node_modules come from the build stage');
  const fromBuild = copies.filter((c) => c.from !== undefined).flatMap((c) => c.sources);
  const unexpected = fromBuild.filter((s) => !/\/node_modules$|\/dist(\/|$)/.test(s));
  assert.deepEqual(unexpected, [], 'from the build stage only node_modules and compiled dist/');
  const runs = all(build, 'RUN');
  const prune = runs.findIndex((r) => r.includes('npm prune --omit=dev'));
  const lastInstall = runs.findLastIndex((r) => /npm (ci|install)\b/.test(r));
  assert.ok(prune >= 0 && prune >= lastInstall, 'dev dependencies are pruned after the last install');
});

/** A stage's file system while its steps are carried out. */
interface Fs {
  readonly root: string;
  workdir: string;
  /** ENV and the ARGs the stage declared: what its steps see. */
  env: Map<string, string>;
}

function inStage(fs: Fs, path: string): string {
  return join(fs.root, isAbsolute(path) ? path : join(fs.workdir, path));
}

/** The platform arguments BuildKit sets, for a build of this machine's platform. */
function platformArgs(): Map<string, string> {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return new Map([
    ['BUILDPLATFORM', `linux/${arch}`],
    ['TARGETPLATFORM', `linux/${arch}`],
    ['TARGETOS', 'linux'],
    ['TARGETARCH', arch],
  ]);
}

async function copyInto(fs: Fs, copy: ReturnType<typeof parseCopy>, fromRoot: string): Promise<void> {
  const target = inStage(fs, copy.dest);
  const intoDir = copy.dest.endsWith('/') || copy.sources.length > 1;
  const fromContext = copy.from === undefined;
  for (const source of copy.sources) {
    const from = join(fromRoot, source);
    const to = intoDir ? join(target, basename(source)) : target;
    assert.ok(existsSync(from), `COPY ${source}: not in ${fromContext ? 'the build context' : copy.from}`);
    await mkdir(dirname(to), { recursive: true });
    await cp(from, to, {
      recursive: true,
      verbatimSymlinks: true,
      // The build context is what .dockerignore leaves of the repository.
      filter: (path) => !fromContext || !ignoredByContext(ignoreRules, relative(repoRoot, path)),
    });
  }
}

/** The environment a RUN sees: ours without what an outer npm or node --test put there. */
function runEnv(stageEnv: ReadonlyMap<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('npm_') && !['NODE_OPTIONS', 'NODE_ENV', 'NODE_TEST_CONTEXT'].includes(k)) env[k] = v;
  }
  // The registry is reachable, but packages already in npm's cache need not be fetched again.
  return { ...env, ...Object.fromEntries(stageEnv), npm_config_prefer_offline: 'true' };
}

async function execute(stage: Stage, fs: Fs, stageRoots: Map<string, string>): Promise<void> {
  const automatic = platformArgs();
  for (const { op, args } of stage.instructions) {
    if (op === 'WORKDIR') {
      fs.workdir = isAbsolute(args) ? args : join(fs.workdir, args);
      await mkdir(inStage(fs, '.'), { recursive: true });
    } else if (op === 'ARG') {
      const [name, value] = parseArg(args);
      fs.env.set(name, automatic.get(name) ?? value ?? '');
    } else if (op === 'ENV') {
      for (const [key, value] of pairs(args)) fs.env.set(key, expand(value, fs.env));
    } else if (op === 'COPY') {
      const copy = parseCopy(args);
      const fromRoot = copy.from === undefined ? repoRoot : stageRoots.get(copy.from);
      assert.ok(fromRoot !== undefined, `COPY --from=${copy.from ?? ''} names an earlier stage`);
      await copyInto(fs, copy, fromRoot);
    } else if (op === 'RUN') {
      const result = await run('sh', ['-c', args], { cwd: inStage(fs, '.'), env: runEnv(fs.env) });
      assert.equal(result.code, 0, `RUN ${args}\n${result.stderr}\n${result.stdout}`);
    }
  }
}

test('the Dockerfile steps build an image whose entry point prints the operator flags and version', async (t) => {
  assert.ok(final);
  assert.ok(globalArgs.has('RUNTIME_IMAGE'));
  const root = await mkdtemp(join(tmpdir(), 'svo-image-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const stageRoots = new Map<string, string>();
  let image: Fs | undefined;
  for (const [i, stage] of stages.entries()) {
    const fs: Fs = { root: join(root, `stage-${i}`), workdir: '/', env: new Map() };
    await execute(stage, fs, stageRoots);
    stageRoots.set(stage.name ?? String(i), fs.root);
    image = fs;
  }
  assert.ok(image);
  // Only the final stage's file system is in the image; dev-only packages must not be.
  const leaked = devOnly.filter((p) => existsSync(inStage(image, p)));
  assert.deepEqual(leaked, [], 'development packages in the image');
  const managers = ['npm', 'corepack', 'yarn', 'pnpm', '.bin/npm', '.bin/npx', '.bin/yarn', '.bin/corepack']
    .map((p) => `node_modules/${p}`)
    .filter((p) => existsSync(inStage(image, p)));
  assert.deepEqual(managers, [], 'package managers in the image');
  assert.ok(existsSync(inStage(image, 'node_modules/@kubernetes/client-node')));
  const [node, ...args] = JSON.parse(all(final, 'ENTRYPOINT').at(-1) ?? '[]') as string[];
  assert.equal(node, '/nodejs/bin/node', "distroless' node; this machine's stands in for it");
  const start = (extra: string): ReturnType<typeof run> =>
    run(process.execPath, [...args, extra], { cwd: inStage(image, '.'), env: runEnv(image.env) });
  const help = await start('--help');
  assert.equal(help.code, 0, `--help exited ${help.code}: ${help.stderr}`);
  const missing = operatorFlags.filter((f) => !help.stdout.includes(f));
  assert.deepEqual(missing, [], `--help prints every flag:\n${help.stdout}`);
  const version = await start('--version');
  assert.equal(version.code, 0, `--version exited ${version.code}: ${version.stderr}`);
  assert.equal(version.stdout, `stateful-volume-operator ${pkg.version}\n`);
  assert.equal(image.env.get('SVO_REVISION'), 'unknown', 'REVISION defaults to unknown');
});
