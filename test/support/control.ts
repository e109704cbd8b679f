// Breaking the local cluster on purpose, from inside a test: restart the API
// server, fail a node or a zone. Only possible when this run started the
// cluster itself (SVO_CLUSTER_RUN); against a borrowed cluster these tests skip.
import type { TestContext } from 'node:test';
import {
  failNode,
  failZone,
  restartComponent,
  restartKubelet,
  restoreNode,
  restoreZone,
} from '../cluster/cluster.js';
import { readState, type RunState } from '../cluster/processes.js';
import { confirmShutdown, liftShutdown, type ConfirmedBy } from '../cluster/shutdown.js';

export function clusterRunDir(): string | undefined {
  const dir = process.env.SVO_CLUSTER_RUN;
  return dir !== undefined && dir !== '' ? dir : undefined;
}

/** Skips the test (with the reason) when the cluster is not ours to break; CI always owns its cluster. */
export function requireOwnCluster(t: TestContext): RunState | undefined {
  const dir = clusterRunDir();
  if (dir === undefined) {
    if (process.env.CI === 'true')
      throw new Error('CI must run disruptive tests against a cluster it started');
    t.skip('the cluster was not started by this test run (SVO_CLUSTER_RUN unset)');
    return undefined;
  }
  return readState(dir);
}

function runState(): RunState {
  const dir = clusterRunDir();
  if (dir === undefined) throw new Error('SVO_CLUSTER_RUN is not set: this run did not start the cluster');
  return readState(dir);
}

export async function restartApiServer(opts: { downSeconds?: number } = {}): Promise<void> {
  await restartComponent(runState().runDir, 'kube-apiserver', (opts.downSeconds ?? 0) * 1000);
}

export async function restartEtcd(opts: { downSeconds?: number } = {}): Promise<void> {
  await restartComponent(runState().runDir, 'etcd', (opts.downSeconds ?? 0) * 1000);
}

export const failTestNode = (node: string): Promise<void> => failNode(runState(), node);
/** Brings a failed node back and lifts a shutdown confirmation on it. */
export const restoreTestNode = (node: string): Promise<void> => restoreNode(runState(), node);

/**
 * Confirms that a failed node is shut down, as a fencing agent that powered it
 * off (annotation, the default) or the cloud provider (taint) would; waits
 * until its Lease has been silent for a second first.
 */
export const confirmTestShutdown = (node: string, by: ConfirmedBy = 'agent'): Promise<void> =>
  confirmShutdown(runState(), node, by);
export const liftTestShutdown = (node: string): Promise<void> => liftShutdown(runState(), node);

/** A kubelet restart: the node's Lease silent for silentSeconds (NotReady), its pods running, no shutdown. */
export const restartTestKubelet = (node: string, silentSeconds: number): Promise<void> =>
  restartKubelet(runState(), node, silentSeconds * 1000);

/** A node lost the way the default fencing mode acts on: failed, then confirmed shut down. */
export async function shutDownTestNode(node: string, by: ConfirmedBy = 'agent'): Promise<void> {
  await failNode(runState(), node);
  await confirmShutdown(runState(), node, by);
}

/** A zone lost with every node of it confirmed shut down (a fencing agent's annotation). */
export async function shutDownTestZone(zone: string): Promise<void> {
  await failZone(runState(), zone);
  for (const node of nodesOfZone(zone)) await confirmShutdown(runState(), node, 'agent');
}
export const failTestZone = (zone: string): Promise<void> => failZone(runState(), zone);
export function restoreTestZone(zone: string): void {
  restoreZone(runState(), zone);
}

export function nodesOfZone(zone: string): string[] {
  return runState().zones[zone] ?? [];
}
