// Every process the cluster starts is recorded with its PID and command line in
// the run's state file, and stopped by that PID. Before signalling, the PID's
// command line is compared with the record so a reused PID is never killed.
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, renameSync, writeFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ComponentRecord {
  readonly pid: number;
  readonly bin: string;
  readonly args: readonly string[];
  readonly log: string;
  readonly startedAt: string;
}

export interface RunState {
  readonly runDir: string;
  /** PID of the process that owns a test run; absent for a cluster a person started. */
  owner?: number;
  kubeconfig: string;
  ports: Record<string, number>;
  components: Record<string, ComponentRecord>;
  zones: Record<string, string[]>;
  timings: string;
  storage: boolean;
  createdAt: string;
}

export function stateFile(runDir: string): string {
  return join(runDir, 'state.json');
}

export function readState(runDir: string): RunState {
  return JSON.parse(readFileSync(stateFile(runDir), 'utf8')) as RunState;
}

export function writeState(state: RunState): void {
  const tmp = `${stateFile(state.runDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2));
  renameSync(tmp, stateFile(state.runDir));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers signal 0 but runs nothing.
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  const state = /\)\s+(\S)/.exec(readFileSync(stat, 'utf8'))?.[1];
  return state !== 'Z' && state !== 'X';
}

function cmdlineOf(pid: number): string {
  const path = `/proc/${pid}/cmdline`;
  return existsSync(path) ? readFileSync(path, 'utf8').split('\0').join(' ') : '';
}

/** True when the PID still runs the binary we started, not some process that inherited the number. */
export function isOurs(rec: ComponentRecord): boolean {
  if (!isAlive(rec.pid)) return false;
  const cmdline = cmdlineOf(rec.pid);
  // For a program run by node (the CSI driver), the binary alone would match any node process.
  const script = rec.args.find((a) => a.endsWith('.ts'));
  return cmdline.includes(rec.bin) && (script === undefined || cmdline.includes(script));
}

export function startProcess(
  name: string,
  bin: string,
  args: readonly string[],
  runDir: string,
): ComponentRecord {
  const log = join(runDir, 'logs', `${name}.log`);
  const fd = openSync(log, 'a');
  // Detached with its own process group, so the cluster outlives the command
  // that started it (`cluster:up`) and one signal to the group stops it whole.
  const child = spawn(bin, [...args], { cwd: runDir, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${name} (${bin})`);
  return { pid: child.pid, bin, args, log, startedAt: new Date().toISOString() };
}

export async function stopProcess(rec: ComponentRecord, graceMs = 10_000): Promise<void> {
  if (!isOurs(rec)) return;
  signal(rec.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(rec.pid)) return;
    await sleep(100);
  }
  signal(rec.pid, 'SIGKILL');
  while (isAlive(rec.pid)) await sleep(50);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    // The negative PID reaches the whole group; fall back to the process alone.
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone.
    }
  }
}

export function tailLog(path: string, lines = 30): string {
  if (!existsSync(path)) return '(no log)';
  return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
}
