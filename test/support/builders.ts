// One builder per kind the tests make, each with the smallest object the API
// accepts and overrides for the rest (cert-manager's test `gen` package does
// the same): a test names only the fields it is about.
import {
  apiVersion,
  type FailoverGroup,
  type StatefulVolume,
  type VolumeBackup,
  type VolumeBackupPolicy,
} from '../../src/api/v1alpha1/types.generated.js';
import type { ObjectMeta } from '../../src/kube/wire.js';
import type { NodeView, PodView } from '../../src/runtime/projections.js';
import { immediateStorageClassName } from '../cluster/storage.js';

/** What a test changes: metadata and spec are merged over the builder's, status is set as given. */
export interface Overrides<T extends { spec: object; status?: object }> {
  metadata?: Partial<ObjectMeta>;
  spec?: Partial<T['spec']>;
  status?: T['status'];
}

function meta(namespace: string, name: string, over: Partial<ObjectMeta> | undefined): ObjectMeta {
  return { name, namespace, ...over };
}

function withStatus<T>(status: T | undefined): { status?: T } {
  return status !== undefined ? { status } : {};
}

/** A 1Gi StatefulVolume on the test bed's immediate-binding class. */
export function statefulVolume(
  namespace: string,
  name: string,
  over: Overrides<StatefulVolume> = {},
): StatefulVolume {
  return {
    apiVersion,
    kind: 'StatefulVolume',
    metadata: meta(namespace, name, over.metadata),
    spec: { size: '1Gi', storageClassName: immediateStorageClassName, ...over.spec },
    ...withStatus(over.status),
  };
}

/** An on-demand VolumeBackup of the volume named. */
export function volumeBackup(
  namespace: string,
  name: string,
  volumeName: string,
  over: Overrides<VolumeBackup> = {},
): VolumeBackup {
  return {
    apiVersion,
    kind: 'VolumeBackup',
    metadata: meta(namespace, name, over.metadata),
    spec: { volumeName, ...over.spec },
    ...withStatus(over.status),
  };
}

/** An hourly VolumeBackupPolicy in UTC that selects nothing until told. */
export function volumeBackupPolicy(
  namespace: string,
  name: string,
  over: Overrides<VolumeBackupPolicy> = {},
): VolumeBackupPolicy {
  return {
    apiVersion,
    kind: 'VolumeBackupPolicy',
    metadata: meta(namespace, name, over.metadata),
    spec: { schedule: '0 * * * *', timeZone: 'UTC', ...over.spec },
    ...withStatus(over.status),
  };
}

/**
 * A FailoverGroup over every StatefulVolume of the namespace, protecting the
 * StatefulSet of its own name across the test bed's three zones.
 */
export function failoverGroup(
  namespace: string,
  name: string,
  over: Overrides<FailoverGroup> = {},
): FailoverGroup {
  return {
    apiVersion,
    kind: 'FailoverGroup',
    metadata: meta(namespace, name, over.metadata),
    spec: {
      volumes: { selector: {} },
      workload: { kind: 'StatefulSet', name },
      zones: ['zone-a', 'zone-b', 'zone-c'],
      ...over.spec,
    },
    ...withStatus(over.status),
  };
}

export const zoneLabel = 'topology.kubernetes.io/zone';

/** A Node as the operator caches it; `zone` adds the zone label, `ready` the Ready condition. */
export function node(
  name: string,
  opts: {
    zone?: string;
    ready?: 'True' | 'False' | 'Unknown';
    metadata?: Partial<ObjectMeta>;
    spec?: NodeView['spec'];
  } = {},
): NodeView {
  const labels = opts.zone !== undefined ? { [zoneLabel]: opts.zone } : undefined;
  return {
    metadata: { name, ...(labels !== undefined ? { labels } : {}), ...opts.metadata },
    ...(opts.spec !== undefined ? { spec: opts.spec } : {}),
    ...(opts.ready !== undefined ? { status: { conditions: [{ type: 'Ready', status: opts.ready }] } } : {}),
  };
}

/**
 * A Pod as the operator caches it, db-0 of namespace shop unless told; `ready`
 * gives it a Ready condition, `status` replaces the whole status.
 */
export function pod(
  opts: {
    nodeName?: string;
    ready?: boolean;
    metadata?: Partial<ObjectMeta>;
    spec?: PodView['spec'];
    status?: PodView['status'];
  } = {},
): PodView {
  const status =
    opts.status ??
    (opts.ready !== undefined
      ? { conditions: [{ type: 'Ready', status: opts.ready ? 'True' : 'False' }] }
      : undefined);
  return {
    metadata: { name: 'db-0', namespace: 'shop', ...opts.metadata },
    spec: { ...(opts.nodeName !== undefined ? { nodeName: opts.nodeName } : {}), ...opts.spec },
    ...withStatus(status),
  };
}
