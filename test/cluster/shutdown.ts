// Shutdown confirmations written the way the world outside the operator
// writes them, for a node the test bed has failed:
//
// - cloud: the cloud provider's node lifecycle controller taints a NotReady
//   node whose instance is shut down node.cloudprovider.kubernetes.io/shutdown
//   (NoSchedule, without timeAdded) and removes the taint once it is Ready;
// - agent: a fencing agent that powered the node off annotates it
//   storage.stateful.dev/shutdown-confirmed-at with the time, and removes the
//   annotation when it powers the node on.
//
// Both go onto the Node, which only a cluster-wide identity may write.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { kwokControllerLabel } from './components.js';
import { isAlive, type RunState } from './processes.js';

export const cloudShutdownTaint = { key: 'node.cloudprovider.kubernetes.io/shutdown', effect: 'NoSchedule' };
export const shutdownConfirmedAnnotation = 'storage.stateful.dev/shutdown-confirmed-at';

export type ConfirmedBy = 'cloud' | 'agent';

function apis(state: RunState): { core: CoreV1Api; leases: CoordinationV1Api } {
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  return { core: kc.makeApiClient(CoreV1Api), leases: kc.makeApiClient(CoordinationV1Api) };
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

function zoneOf(state: RunState, node: string): string {
  const zone = Object.entries(state.zones).find(([, nodes]) => nodes.includes(node))?.[0];
  if (zone === undefined) throw new Error(`unknown node ${node}`);
  return zone;
}

/** The node's simulated kubelet is stopped: its KWOK lets go of it, or its zone's KWOK is down. */
async function isStopped(state: RunState, core: CoreV1Api, node: string): Promise<boolean> {
  const zone = zoneOf(state, node);
  const kwok = state.components[`kwok-${zone}`];
  if (kwok === undefined || !isAlive(kwok.pid)) return true;
  const labels = (await core.readNode({ name: node })).metadata?.labels ?? {};
  return labels[kwokControllerLabel] !== zone;
}

/**
 * Waits until the node's Lease has gone unrenewed for a second, as an agent
 * confirms only a node it has turned off: a renewal the simulated kubelet
 * still had in flight lands before the confirmation, never after it.
 */
async function waitForSilence(leases: CoordinationV1Api, node: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const lease = await leases.readNamespacedLease({ name: node, namespace: 'kube-node-lease' });
    const renewed = lease.spec?.renewTime === undefined ? 0 : new Date(lease.spec.renewTime).getTime();
    if (Date.now() - renewed > 1000) return;
    await sleep(250);
  }
  throw new Error(`the Lease of ${node} is still being renewed: it is not shut down`);
}

async function setCloudTaint(core: CoreV1Api, node: string, present: boolean): Promise<void> {
  // Read, change, write with the resourceVersion read: the node lifecycle controller edits taints too.
  for (let attempt = 0; ; attempt++) {
    const current = await core.readNode({ name: node });
    const taints = current.spec?.taints ?? [];
    if (taints.some((t) => t.key === cloudShutdownTaint.key) === present) return;
    const next = present
      ? [...taints, cloudShutdownTaint]
      : taints.filter((t) => t.key !== cloudShutdownTaint.key);
    try {
      await core.patchNode(
        {
          name: node,
          body: { metadata: { resourceVersion: current.metadata?.resourceVersion }, spec: { taints: next } },
        },
        mergePatch,
      );
      return;
    } catch (err) {
      if (attempt >= 10 || (err as { code?: number }).code !== 409) throw err;
    }
  }
}

/** Confirms that a failed node is shut down, as the cloud provider or a fencing agent would. */
export async function confirmShutdown(
  state: RunState,
  node: string,
  by: ConfirmedBy = 'agent',
): Promise<void> {
  const { core, leases } = apis(state);
  if (!(await isStopped(state, core, node)))
    throw new Error(`${node} is running: fail it (fail-node, fail-zone) before confirming its shutdown`);
  await waitForSilence(leases, node);
  if (by === 'cloud') {
    await setCloudTaint(core, node, true);
    return;
  }
  await core.patchNode(
    {
      name: node,
      body: { metadata: { annotations: { [shutdownConfirmedAnnotation]: new Date().toISOString() } } },
    },
    mergePatch,
  );
}

/** Removes both confirmations: the node is powered on again. */
export async function liftShutdown(state: RunState, node: string): Promise<void> {
  const { core } = apis(state);
  await setCloudTaint(core, node, false);
  const annotations = (await core.readNode({ name: node })).metadata?.annotations ?? {};
  if (annotations[shutdownConfirmedAnnotation] === undefined) return;
  await core.patchNode(
    { name: node, body: { metadata: { annotations: { [shutdownConfirmedAnnotation]: null } } } },
    mergePatch,
  );
}
