// Breaking the local cluster on purpose, from inside a test: restart the API
// server, fail a node or a zone. Only possible when this run started the
// cluster itself (SVO_CLUSTER_RUN); against a borrowed cluster these tests skip.
import type { TestContext } from 'node:test';
import { failNode, failZone, restartComponent, restoreNode, restoreZone } from '../cluster/cluster.js';
import { readState, type RunState } from '../cluster/processes.js';

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
export const restoreTestNode = (node: string): Promise<void> => restoreNode(runState(), node);
export const failTestZone = (zone: string): Promise<void> => failZone(runState(), zone);
export function restoreTestZone(zone: string): void {
  restoreZone(runState(), zone);
}

export function nodesOfZone(zone: string): string[] {
  return runState().zones[zone] ?? [];
}
