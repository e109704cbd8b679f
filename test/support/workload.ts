// The workload failover tests and benchmarks protect: a one-replica
// StatefulSet "db" whose pod mounts the claim data-db-0.
import {
  AppsV1Api,
  CoreV1Api,
  StorageV1Api,
  type KubeConfig,
  type V1Pod,
  type V1PodSpec,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import type { FailoverGroup } from '../../src/api/v1alpha1/types.generated.js';
import { failoverGroup } from './builders.js';
import { storageClassName } from './claims.js';

export const dbClaimName = 'data-db-0';

export interface DbStatefulSetOptions {
  /** One pod unless told. */
  replicas?: number;
  /** The class of its volumeClaimTemplate: the test bed's WaitForFirstConsumer class unless told. */
  storageClassName?: string;
  /** Start all pods at once rather than one after the other. */
  parallel?: boolean;
  /** Spread the pods over zones, at most one apart, never scheduling against it. */
  spreadOverZones?: boolean;
  /**
   * Gives its pods the stock cluster's toleration of not-ready and unreachable
   * nodes for this many seconds (the fast test cluster defaults to 10 s), so a
   * node silent for half a minute does not get its pod evicted by the node
   * lifecycle controller.
   */
  unreachableToleration?: number;
}

function tolerationsFor(seconds: number | undefined): Pick<V1PodSpec, 'tolerations'> {
  if (seconds === undefined) return {};
  return {
    tolerations: ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'].map((key) => ({
      key,
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: seconds,
    })),
  };
}

function spreadFor(spread: boolean | undefined): Pick<V1PodSpec, 'topologySpreadConstraints'> {
  if (spread !== true) return {};
  return {
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { app: 'db' } },
      },
    ],
  };
}

/**
 * StatefulSet db (label app=db). Its volumeClaimTemplate makes data-db-<i>
 * unless a claim of that name exists already (a StatefulVolume's primary),
 * which the StatefulSet then uses.
 */
export function dbStatefulSet(opts: DbStatefulSetOptions = {}): V1StatefulSet {
  return {
    metadata: { name: 'db' },
    spec: {
      serviceName: 'db',
      replicas: opts.replicas ?? 1,
      ...(opts.parallel === true ? { podManagementPolicy: 'Parallel' } : {}),
      selector: { matchLabels: { app: 'db' } },
      template: {
        metadata: { labels: { app: 'db' } },
        spec: {
          ...spreadFor(opts.spreadOverZones),
          containers: [
            { name: 'db', image: 'postgres:17', volumeMounts: [{ name: 'data', mountPath: '/data' }] },
          ],
          ...tolerationsFor(opts.unreachableToleration),
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: opts.storageClassName ?? storageClassName,
            resources: { requests: { storage: '1Gi' } },
          },
        },
      ],
    },
  };
}

export async function createDbStatefulSet(
  kc: KubeConfig,
  ns: string,
  opts: DbStatefulSetOptions = {},
): Promise<void> {
  await kc.makeApiClient(AppsV1Api).createNamespacedStatefulSet({ namespace: ns, body: dbStatefulSet(opts) });
}

/** db-0 when it is Running and not being deleted (and, if given, not on that node). */
export async function runningDbPod(core: CoreV1Api, ns: string, notOn = ''): Promise<V1Pod | false> {
  const pod = await core.readNamespacedPod({ namespace: ns, name: 'db-0' }).catch(() => undefined);
  const ok = pod?.status?.phase === 'Running' && pod.metadata?.deletionTimestamp === undefined;
  return ok && (notOn === '' || pod.spec?.nodeName !== notOn) ? pod : false;
}

export async function zoneOfNode(core: CoreV1Api, node: string): Promise<string | undefined> {
  return (await core.readNode({ name: node })).metadata?.labels?.['topology.kubernetes.io/zone'];
}

/**
 * The nodes db-0's volume is attached to, as the attach/detach controller
 * reports it (VolumeAttachments with status.attached), and those it is still
 * attached to or being detached from.
 */
export async function dbVolumeAttachments(
  kc: KubeConfig,
  ns: string,
): Promise<{ attached: string[]; all: string[] }> {
  const claim = await kc
    .makeApiClient(CoreV1Api)
    .readNamespacedPersistentVolumeClaim({ namespace: ns, name: dbClaimName });
  const pv = claim.spec?.volumeName;
  if (pv === undefined || pv === '') return { attached: [], all: [] };
  const list = await kc.makeApiClient(StorageV1Api).listVolumeAttachment();
  const mine = list.items.filter((va) => va.spec.source.persistentVolumeName === pv);
  return {
    attached: mine.filter((va) => va.status?.attached === true).map((va) => va.spec.nodeName),
    all: mine.map((va) => va.spec.nodeName),
  };
}

/**
 * A FailoverGroup named after the StatefulSet it protects (db unless named):
 * every StatefulVolume of the namespace, the three zones in order, nodes
 * fenced after detectionSeconds. `spec` replaces any of those fields.
 */
export function failoverGroupFor(
  ns: string,
  detectionSeconds: number,
  spec: Partial<FailoverGroup['spec']> = {},
  workload = 'db',
): FailoverGroup {
  return failoverGroup(ns, workload, {
    spec: { nodeFailure: { detectionSeconds, action: 'Fence' }, ...spec },
  });
}
