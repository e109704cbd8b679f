// Builds the gopher-lua runner of this folder once per source and Go version,
// into the ignored cluster cache like the other Go tools of the test bed, and
// evaluates health scripts with it.
import { createHash } from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, repoRoot } from '../cluster/layout.js';

export interface Evaluation {
  readonly script: string;
  readonly object: Record<string, unknown>;
}

export interface HealthResult {
  readonly status?: string;
  readonly message?: string;
  readonly error?: string;
}

const moduleDir = join(repoRoot, 'test', 'argocd-lua');

function goEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly' };
}

function buildKey(): string {
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'main.go']) hash.update(readFileSync(join(moduleDir, file)));
  hash.update(execFileSync('go', ['env', 'GOVERSION'], { env: goEnv() }).toString().trim());
  return hash.digest('hex').slice(0, 12);
}

let built: string | undefined;

/** The runner binary, built on first use. */
export function runnerPath(): string {
  if (built !== undefined) return built;
  const dir = join(cacheDir(), 'argocd-lua', buildKey());
  const bin = join(dir, 'argocd-lua');
  if (!existsSync(bin)) {
    const staging = `${dir}.partial-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    execFileSync('go', ['build', '-trimpath', '-o', join(staging, 'argocd-lua'), '.'], {
      cwd: moduleDir,
      env: goEnv(),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    // Another process may have finished the same build first; either copy is the same.
    if (!existsSync(bin)) {
      rmSync(dir, { recursive: true, force: true });
      renameSync(staging, dir);
    } else rmSync(staging, { recursive: true, force: true });
  }
  built = bin;
  return bin;
}

/** Evaluates each script against its object; results in the same order. */
export function evaluateHealth(evaluations: readonly Evaluation[]): Promise<HealthResult[]> {
  const bin = runnerPath();
  return new Promise((resolve, reject) => {
    const child = execFile(bin, [], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null) {
        reject(new Error(`${err.message}\n${stderr}`));
        return;
      }
      resolve(JSON.parse(stdout) as HealthResult[]);
    });
    child.stdin?.end(JSON.stringify(evaluations));
  });
}
