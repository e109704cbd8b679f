// The Dockerfile, without a container engine (there is none here): its shape
// is checked (multi-stage, non-root, tini, production dependencies only), and
// its steps are carried out for real in a temporary directory standing in for
// each stage's file system, ending with the image's entry point printing the
// operator's flags. hadolint is not available here (docs/install.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { operatorFlags, repoRoot, run } from './tools.js';

interface Instruction {
  readonly op: string;
  readonly args: string;
}

interface Stage {
  readonly image: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/** Splits a Dockerfile into stages: comments dropped, continuation lines joined. */
function parseDockerfile(text: string): Stage[] {
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
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') {
      const [, image = '', name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ image, name, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

function all(stage: Stage, op: string): string[] {
  return stage.instructions.filter((i) => i.op === op).map((i) => i.args);
}

/** COPY's flags, sources and destination. */
function parseCopy(args: string): { from: string | undefined; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((w) => !w.startsWith('--'));
  return { from, sources: paths.slice(0, -1), dest: paths.at(-1) ?? '' };
}

const dockerfile = await readFile(join(repoRoot, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const final = stages.at(-1);
const lock = JSON.parse(await readFile(join(repoRoot, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean }>;
};
/** Paths such as node_modules/typescript that only development needs. */
const devOnly = Object.entries(lock.packages)
  .filter(([path, p]) => path !== '' && p.dev === true)
  .map(([path]) => path);

test('the Dockerfile is multi-stage and its final stage runs as non-root under tini', () => {
  assert.ok(stages.length >= 2, 'a build stage and a runtime stage');
  assert.ok(final);
  for (const stage of stages) assert.match(stage.image, /^node:24[.-]/, 'Node 24, as package.json engines');
  const users = all(final, 'USER');
  assert.ok(users.length > 0, 'the final stage sets USER');
  const user = users.at(-1)?.split(':')[0] ?? '';
  assert.ok(!['root', '0', ''].includes(user), `USER ${user} is not root`);
  const entrypoint = JSON.parse(all(final, 'ENTRYPOINT').at(-1) ?? 'null') as string[] | null;
  assert.ok(Array.isArray(entrypoint), 'ENTRYPOINT in exec form, so signals reach tini');
  assert.match(entrypoint[0] ?? '', /\/tini$/);
  assert.deepEqual(entrypoint.slice(1), ['--', 'node', 'dist/src/main.js']);
  assert.ok(
    all(final, 'RUN').every((r) => !/\bnpm\b/.test(r)),
    'nothing is installed with npm in the final stage',
  );
  assert.ok(all(final, 'ENV').some((e) => e.includes('NODE_ENV=production')));
});

test('the final stage copies production node_modules and compiled code only', () => {
  assert.ok(final);
  const build = stages.find((s) => s.name !== undefined && s !== final);
  assert.ok(build, 'a named build stage');
  const copies = all(final, 'COPY').map(parseCopy);
  const fromContext = copies.filter((c) => c.from === undefined).flatMap((c) => c.sources);
  assert.deepEqual(fromContext, ['package.json'], 'only package.json comes from the build context');
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
  env: Record<string, string>;
}

function inStage(fs: Fs, path: string): string {
  return join(fs.root, isAbsolute(path) ? path : join(fs.workdir, path));
}

async function copyInto(fs: Fs, copy: ReturnType<typeof parseCopy>, fromRoot: string): Promise<void> {
  const target = inStage(fs, copy.dest);
  const intoDir = copy.dest.endsWith('/') || copy.sources.length > 1;
  for (const source of copy.sources) {
    const from = join(fromRoot, source);
    const to = intoDir ? join(target, basename(source)) : target;
    await mkdir(dirname(to), { recursive: true });
    await cp(from, to, { recursive: true, verbatimSymlinks: true });
  }
}

/** The environment a RUN sees: ours without what an outer npm or node --test put there. */
function runEnv(stageEnv: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('npm_') && !['NODE_OPTIONS', 'NODE_ENV', 'NODE_TEST_CONTEXT'].includes(k)) env[k] = v;
  }
  // The registry is reachable, but packages already in npm's cache need not be fetched again.
  return { ...env, ...stageEnv, npm_config_prefer_offline: 'true' };
}

async function execute(stage: Stage, fs: Fs, stageRoots: Map<string, string>): Promise<void> {
  for (const { op, args } of stage.instructions) {
    if (op === 'WORKDIR') {
      fs.workdir = isAbsolute(args) ? args : join(fs.workdir, args);
      await mkdir(inStage(fs, '.'), { recursive: true });
    } else if (op === 'ENV') {
      const [, key = '', value = ''] = /^([^=\s]+)[=\s](.*)$/.exec(args) ?? [];
      fs.env[key] = value;
    } else if (op === 'COPY') {
      const copy = parseCopy(args);
      const fromRoot = copy.from === undefined ? repoRoot : stageRoots.get(copy.from);
      assert.ok(fromRoot !== undefined, `COPY --from=${copy.from ?? ''} names an earlier stage`);
      await copyInto(fs, copy, fromRoot);
    } else if (op === 'RUN' && !/^apt-get\b/.test(args)) {
      // apt-get installs tini into the runtime image: a system package, nothing to prove here.
      const result = await run('sh', ['-c', args], { cwd: inStage(fs, '.'), env: runEnv(fs.env) });
      assert.equal(result.code, 0, `RUN ${args}\n${result.stderr}\n${result.stdout}`);
    }
  }
}

test('the Dockerfile steps build an image whose entry point prints the operator flags', async (t) => {
  assert.ok(final);
  const root = await mkdtemp(join(tmpdir(), 'svo-image-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const stageRoots = new Map<string, string>();
  let image: Fs | undefined;
  for (const [i, stage] of stages.entries()) {
    const fs: Fs = { root: join(root, `stage-${i}`), workdir: '/', env: {} };
    await execute(stage, fs, stageRoots);
    stageRoots.set(stage.name ?? String(i), fs.root);
    image = fs;
  }
  assert.ok(image);
  // Only the final stage's file system is in the image; dev-only packages must not be.
  const leaked = devOnly.filter((p) => existsSync(inStage(image, p)));
  assert.deepEqual(leaked, [], 'development packages in the image');
  assert.ok(existsSync(inStage(image, 'node_modules/@kubernetes/client-node')));
  const entrypoint = JSON.parse(all(final, 'ENTRYPOINT').at(-1) ?? '[]') as string[];
  // tini is the image's PID 1 and only forwards signals; the command after `--` is the operator.
  const [, node, ...args] = entrypoint.slice(entrypoint.indexOf('--'));
  assert.equal(node, 'node');
  const result = await run(process.execPath, [...args, '--help'], {
    cwd: inStage(image, '.'),
    env: runEnv(image.env),
  });
  assert.equal(result.code, 0, `--help exited ${result.code}: ${result.stderr}`);
  const missing = operatorFlags.filter((f) => !result.stdout.includes(f));
  assert.deepEqual(missing, [], `--help prints every flag:\n${result.stdout}`);
});
