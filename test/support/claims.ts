// Claims, snapshots and pods for storage tests, on the classes the cluster
// harness creates with storage on (test/cluster/storage.ts).
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1PersistentVolume,
  type V1PersistentVolumeClaim,
  type V1Pod,
} from '@kubernetes/client-node';
import { snapshotClassName, storageClassName } from '../cluster/storage.js';
import { eventually } from './wait.js';

export { immediateStorageClassName, snapshotClassName, storageClassName } from '../cluster/storage.js';

const snapshotApi = { group: 'snapshot.storage.k8s.io', version: 'v1' } as const;

export interface ClaimOptions {
  readonly size?: string;
  readonly storageClassName?: string;
  readonly dataSource?: { readonly kind: 'VolumeSnapshot' | 'PersistentVolumeClaim'; readonly name: string };
}

export async function createClaim(
  kc: KubeConfig,
  namespace: string,
  name: string,
  opts: ClaimOptions = {},
): Promise<V1PersistentVolumeClaim> {
  const source = opts.dataSource;
  return kc.makeApiClient(CoreV1Api).createNamespacedPersistentVolumeClaim({
    namespace,
    body: {
      metadata: { name },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: opts.storageClassName ?? storageClassName,
        resources: { requests: { storage: opts.size ?? '1Gi' } },
        ...(source === undefined
          ? {}
          : {
              dataSource: {
                kind: source.kind,
                name: source.name,
                ...(source.kind === 'VolumeSnapshot' ? { apiGroup: snapshotApi.group } : {}),
              },
            }),
      },
    },
  });
}

/** Waits until the claim is Bound and returns it with its PV. */
export async function waitBound(
  kc: KubeConfig,
  namespace: string,
  name: string,
  timeoutMs = 60_000,
): Promise<{ claim: V1PersistentVolumeClaim; volume: V1PersistentVolume }> {
  const core = kc.makeApiClient(CoreV1Api);
  const claim = await eventually(
    `claim ${namespace}/${name} to be Bound`,
    async () => {
      const pvc = await core.readNamespacedPersistentVolumeClaim({ namespace, name });
      return pvc.status?.phase === 'Bound' ? pvc : undefined;
    },
    { timeoutMs },
  );
  const volume = await core.readPersistentVolume({ name: claim.spec?.volumeName ?? '' });
  return { claim, volume };
}

/** A pod that mounts the claims, pinned to one node; KWOK runs it without pulling anything. */
export async function createPodOn(
  kc: KubeConfig,
  namespace: string,
  name: string,
  node: string,
  claims: string[],
): Promise<V1Pod> {
  return kc.makeApiClient(CoreV1Api).createNamespacedPod({
    namespace,
    body: {
      metadata: { name },
      spec: {
        // Through the scheduler (not spec.nodeName), so WaitForFirstConsumer sees a selected node.
        nodeSelector: { 'kubernetes.io/hostname': node },
        containers: [
          {
            name: 'app',
            image: 'registry.k8s.io/pause:3.10',
            volumeMounts: claims.map((c) => ({ name: c, mountPath: `/data/${c}` })),
          },
        ],
        volumes: claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })),
      },
    },
  });
}

export async function waitPodRunning(kc: KubeConfig, namespace: string, name: string): Promise<V1Pod> {
  const core = kc.makeApiClient(CoreV1Api);
  return eventually(`pod ${namespace}/${name} to be Running`, async () => {
    const pod = await core.readNamespacedPod({ namespace, name });
    return pod.status?.phase === 'Running' ? pod : undefined;
  });
}

export interface VolumeSnapshot {
  metadata?: { name?: string; namespace?: string; uid?: string };
  spec?: { source?: { persistentVolumeClaimName?: string }; volumeSnapshotClassName?: string };
  status?: {
    readyToUse?: boolean;
    restoreSize?: string;
    boundVolumeSnapshotContentName?: string;
    creationTime?: string;
    error?: { message?: string };
  };
}

export async function createSnapshot(
  kc: KubeConfig,
  namespace: string,
  name: string,
  claim: string,
): Promise<VolumeSnapshot> {
  const api = kc.makeApiClient(CustomObjectsApi);
  return (await api.createNamespacedCustomObject({
    ...snapshotApi,
    namespace,
    plural: 'volumesnapshots',
    body: {
      apiVersion: `${snapshotApi.group}/${snapshotApi.version}`,
      kind: 'VolumeSnapshot',
      metadata: { name },
      spec: { volumeSnapshotClassName: snapshotClassName, source: { persistentVolumeClaimName: claim } },
    },
  })) as VolumeSnapshot;
}

export async function readSnapshot(kc: KubeConfig, namespace: string, name: string): Promise<VolumeSnapshot> {
  const api = kc.makeApiClient(CustomObjectsApi);
  return (await api.getNamespacedCustomObject({
    ...snapshotApi,
    namespace,
    plural: 'volumesnapshots',
    name,
  })) as VolumeSnapshot;
}

export async function listSnapshots(kc: KubeConfig, namespace: string): Promise<VolumeSnapshot[]> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const list = (await api.listNamespacedCustomObject({
    ...snapshotApi,
    namespace,
    plural: 'volumesnapshots',
  })) as { items: VolumeSnapshot[] };
  return list.items;
}

export async function waitSnapshotReady(
  kc: KubeConfig,
  namespace: string,
  name: string,
  timeoutMs = 60_000,
): Promise<VolumeSnapshot> {
  return eventually(
    `VolumeSnapshot ${namespace}/${name} to be readyToUse`,
    async () => {
      const snap = await readSnapshot(kc, namespace, name);
      return snap.status?.readyToUse === true ? snap : undefined;
    },
    { timeoutMs },
  );
}

/** The zone a PV is pinned to by its node affinity on topology.kubernetes.io/zone. */
export function zoneOfVolume(pv: V1PersistentVolume): string[] {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  return terms.flatMap((t) =>
    (t.matchExpressions ?? [])
      .filter((e) => e.key === 'topology.kubernetes.io/zone' && e.operator === 'In')
      .flatMap((e) => e.values ?? []),
  );
}
