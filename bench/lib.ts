// What every benchmark needs: bounded concurrency, polling, the machine it ran
// on, and a process's memory as the kernel counts it.
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CoreV1Api } from '@kubernetes/client-node';

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
