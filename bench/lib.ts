// What every benchmark needs: bounded concurrency, polling, the machine it ran
// on, and a process's memory as the kernel counts it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CoreV1Api } from '@kubernetes/client-node';
import { repoRoot } from '../test/cluster/layout.js';
import type { RunState } from '../test/cluster/processes.js';
import type { AuditedWrite } from '../test/support/audit.js';

export interface Machine {
  cpus: number;
  memoryGiB: number;
  node: string;
  loadavgStart: number[];
  loadavgEnd: number[];
}

/** The machine now; call finish() at the end for the closing load average. */
export function machine(): Machine & { finish: () => Machine } {
  const m: Machine = {
    cpus: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    loadavgStart: loadavg(),
    loadavgEnd: [],
  };
  return { ...m, finish: () => ({ ...m, loadavgEnd: loadavg() }) };
}

/** Runs `work` over the items with at most `limit` in flight. */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

export async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 500,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Resident memory of a process from /proc: its peak (VmHWM) and now (VmRSS), in MiB. */
export function rssMiB(pid: number): { peak: number; now: number } {
  const text = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  const kib = (key: string): number =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { peak: kib('VmHWM') / 1024, now: kib('VmRSS') / 1024 };
}

export async function freshNamespace(core: CoreV1Api, prefix: string): Promise<string> {
  const name = `${prefix}-${String(Date.now())}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

/** Prints rows as an aligned two-column table. */
export function table(rows: readonly (readonly [string, string])[]): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
}

/** The p-th percentile (nearest rank) of ascending values; NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/**
 * The client rate limit each storage component of a run was started with
 * ("5 QPS, burst 10"), read from the run's recorded arguments: the snapshot
 * and provisioning numbers depend on them more than on anything else.
 */
export function storageLimitsOf(state: RunState | undefined): Record<string, string> {
  if (state === undefined) return {};
  const names = ['snapshot-controller', 'csi-snapshotter', 'csi-provisioner'];
  const flag = (args: readonly string[], f: string): string =>
    args.find((a) => a.startsWith(`--${f}=`))?.split('=')[1] ?? '?';
  return Object.fromEntries(
    names.map((n) => {
      const args = state.components[n]?.args ?? [];
      return [n, `${flag(args, 'kube-api-qps')} QPS, burst ${flag(args, 'kube-api-burst')}`];
    }),
  );
}

/** Audited writes counted by verb and resource ("patch statefulvolumes"). */
export function countWrites(writes: readonly AuditedWrite[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of writes) out[`${w.verb} ${w.resource}`] = (out[`${w.verb} ${w.resource}`] ?? 0) + 1;
  return out;
}

/** Compiles the project with tsc into dist/, to run the operator as the image does. */
export function compileOperator(): void {
  console.log('compiling the operator (tsc) into dist/');
  execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
}

/** Writes a result to bench/results/<name>-<date>.json and says where. */
export function writeResult(name: string, result: { date: string }): void {
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${result.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`\nwritten to ${file}`);
}
