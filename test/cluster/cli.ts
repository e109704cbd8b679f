// `npm run cluster:<command>`: build, start, stop and break the local cluster.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBinaries, pruneStaleBuilds, toolBinDir, toolModules } from './build.js';
import {
  down,
  failNode,
  failZone,
  readyNodes,
  restartComponent,
  restartKubelet,
  restoreNode,
  restoreZone,
  up,
} from './cluster.js';
import { runsDir } from './layout.js';
import { isOurs, readState, type RunState } from './processes.js';
import { confirmShutdown, liftShutdown, type ConfirmedBy } from './shutdown.js';
import { parseTimingProfile } from './timings.js';

const usage = `usage: cli.ts <command> [options]
  build                         build missing binaries into the cache (prints progress)
  up [--timings fast|default] [--storage]
                                start the cluster named --name (default "dev") and print its kubeconfig;
                                --storage (or SVO_CLUSTER_STORAGE=1) adds the CSI driver, sidecars and
                                snapshot controller
  down                          stop every process of the cluster and remove its run folder
  status                        show components, PIDs, ports and Ready nodes
  fail-node <node> | restore-node <node>
                                restore-node also lifts a shutdown confirmation, as its writer would
  confirm-shutdown <node> [--by agent|cloud]
                                confirm that a failed node is shut down: agent (default) annotates it
                                storage.stateful.dev/shutdown-confirmed-at=<now> as a fencing agent that
                                powered it off; cloud taints it node.cloudprovider.kubernetes.io/shutdown
                                as a cloud provider's node lifecycle controller
  lift-shutdown <node>          remove both confirmations (the node is powered on again)
  restart-kubelet <node> [--seconds 30]
                                the node's Lease and status go silent for that long (NotReady) while its
                                pods keep running, with no shutdown confirmed; then it renews again
  fail-zone <zone> | restore-zone <zone>
  restart <component>           e.g. kube-apiserver, etcd, csi-driver (stops it, starts it with the same
                                flags; the CSI driver comes back with its sidecars)
options: --name <run>  (default dev)`;

function runDir(name: string): string {
  return join(runsDir(), name);
}

function loadRun(name: string): RunState {
  const dir = runDir(name);
  if (!existsSync(join(dir, 'state.json')))
    throw new Error(`no cluster named "${name}" is running (npm run cluster:up)`);
  return readState(dir);
}

async function status(name: string): Promise<void> {
  const state = loadRun(name);
  console.log(
    `cluster ${name}: ${state.runDir} (timings ${state.timings}, storage ${state.storage ? 'on' : 'off'})`,
  );
  console.log(`KUBECONFIG=${state.kubeconfig}`);
  let total = 0;
  for (const [comp, rec] of Object.entries(state.components)) {
    const rss = isOurs(rec) ? rssMiB(rec.pid) : 0;
    total += rss;
    const shown = isOurs(rec) ? `running  RSS ${rss.toFixed(0).padStart(4)} MiB` : 'STOPPED';
    console.log(`  ${comp.padEnd(24)} pid ${String(rec.pid).padEnd(8)} ${shown}  log ${rec.log}`);
  }
  console.log(`  total RSS ${total.toFixed(0)} MiB`);
  console.log(`  ports ${JSON.stringify(state.ports)}`);
  console.log(`  Ready nodes: ${(await readyNodes(state)).join(', ')}`);
}

function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb ?? 0) / 1024;
}

async function build(): Promise<void> {
  const removed = pruneStaleBuilds();
  if (removed.length > 0) console.log(`removed stale builds: ${removed.join(', ')}`);
  // Everything, storage included: `npm test` starts its cluster with storage.
  await ensureBinaries({ storage: true });
  for (const tool of toolModules) console.log(`${tool.module}: ${toolBinDir(tool)}`);
}

interface Flags {
  readonly timings: string | undefined;
  readonly storage: boolean;
  readonly by: string | undefined;
  readonly seconds: string | undefined;
}

function confirmedBy(value: string | undefined): ConfirmedBy {
  if (value === undefined || value === 'agent' || value === 'cloud') return value ?? 'agent';
  throw new Error(`--by: "${value}" must be agent or cloud`);
}

function silentMs(value: string | undefined): number {
  const seconds = Number(value ?? '30');
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new Error(`--seconds: "${value ?? ''}" must be positive`);
  return seconds * 1000;
}

async function upCommand(name: string, flags: Flags): Promise<void> {
  const state = await up({
    name,
    timings: parseTimingProfile(flags.timings ?? process.env.SVO_CLUSTER_TIMINGS),
    // Absent flag: up() falls back to SVO_CLUSTER_STORAGE.
    ...(flags.storage ? { storage: true } : {}),
  });
  console.log(
    `\nThe cluster is up. Use it with:\n  export KUBECONFIG=${state.kubeconfig}\n` +
      '  kubectl get nodes -L topology.kubernetes.io/zone\nStop it with: npm run cluster:down',
  );
}

async function downCommand(name: string): Promise<void> {
  await down(runDir(name));
  console.log(`cluster ${name} stopped`);
}

function runs(): void {
  console.log(existsSync(runsDir()) ? readdirSync(runsDir()).join('\n') : '(none)');
}

type Command = (name: string, arg: string | undefined, flags: Flags) => Promise<void> | void;

const commands: Record<string, Command> = {
  build: () => build(),
  up: (name, _arg, flags) => upCommand(name, flags),
  down: (name) => downCommand(name),
  status: (name) => status(name),
  runs: () => {
    runs();
  },
  'fail-node': (name, arg) => failNode(loadRun(name), need(arg, 'node')),
  'restore-node': (name, arg) => restoreNode(loadRun(name), need(arg, 'node')),
  'confirm-shutdown': (name, arg, flags) =>
    confirmShutdown(loadRun(name), need(arg, 'node'), confirmedBy(flags.by)),
  'lift-shutdown': (name, arg) => liftShutdown(loadRun(name), need(arg, 'node')),
  'restart-kubelet': (name, arg, flags) =>
    restartKubelet(loadRun(name), need(arg, 'node'), silentMs(flags.seconds)),
  'fail-zone': (name, arg) => failZone(loadRun(name), need(arg, 'zone')),
  'restore-zone': (name, arg) => {
    restoreZone(loadRun(name), need(arg, 'zone'));
  },
  restart: (name, arg) => restartComponent(runDir(name), need(arg, 'component')),
};

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string', default: 'dev' },
      timings: { type: 'string' },
      storage: { type: 'boolean', default: false },
      by: { type: 'string' },
      seconds: { type: 'string' },
    },
  });
  const [command, arg] = positionals;
  const handler = command !== undefined ? commands[command] : undefined;
  if (handler === undefined) {
    console.error(usage);
    process.exitCode = 2;
    return;
  }
  await handler(values.name, arg, {
    timings: values.timings,
    storage: values.storage,
    by: values.by,
    seconds: values.seconds,
  });
}

function need(value: string | undefined, what: string): string {
  if (value === undefined) throw new Error(`missing <${what}>\n${usage}`);
  return value;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
