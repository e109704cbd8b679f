// What the cache keeps of each type: a realistic full object in, the
// projected one out. A field a reconciler reads that went missing here would
// also fail to compile where it is read; this table pins the values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coreTypes } from '../../../src/kube/resource.js';
import type { KubeObject } from '../../../src/kube/wire.js';
import { nodeEventMatters } from '../../../src/controllers/failovergroup/controller.js';
import { projectNode, projectionFor, projectPod } from '../../../src/runtime/projections.js';

const managedFields = [
  {
    manager: 'kubelet',
    operation: 'Update',
    apiVersion: 'v1',
    time: '2026-12-01T00:00:00Z',
    fieldsType: 'FieldsV1',
  },
];

function fullNode(heartbeat = '2026-12-07T10:00:00Z', rv = '100'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'n1',
      uid: 'u-n1',
      resourceVersion: rv,
      labels: { 'topology.kubernetes.io/zone': 'zone-a', 'kubernetes.io/hostname': 'n1' },
      annotations: { 'storage.stateful.dev/fenced-by': 'ns/fg', 'node.alpha.kubernetes.io/ttl': '0' },
      managedFields,
    },
    spec: {
      podCIDR: '10.244.1.0/24',
      providerID: 'kwok://n1',
      unschedulable: true,
      taints: [{ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' }],
    },
    status: {
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
      allocatable: { cpu: '31', memory: '250Gi', pods: '110' },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: heartbeat,
          lastTransitionTime: '2026-12-01T00:00:00Z',
        },
      ],
      addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: { kubeletVersion: 'v1.33.0', osImage: 'Ubuntu', machineID: 'm', systemUUID: 's' },
      images: [{ names: ['registry.example/app@sha256:0', 'registry.example/app:1'], sizeBytes: 123456789 }],
      volumesInUse: ['kubernetes.io/csi/driver^vol-1'],
      volumesAttached: [{ name: 'kubernetes.io/csi/driver^vol-1', devicePath: '' }],
    },
  } as KubeObject;
}

const projectedNode = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name: 'n1',
    uid: 'u-n1',
    resourceVersion: '100',
    labels: { 'topology.kubernetes.io/zone': 'zone-a', 'kubernetes.io/hostname': 'n1' },
    annotations: { 'storage.stateful.dev/fenced-by': 'ns/fg', 'node.alpha.kubernetes.io/ttl': '0' },
  },
  spec: {
    unschedulable: true,
    taints: [{ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' }],
  },
  status: {
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'kubelet is posting ready status',
        lastTransitionTime: '2026-12-01T00:00:00Z',
      },
    ],
  },
};

function fullPod(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'db-0',
      namespace: 'ns',
      uid: 'u-pod',
      resourceVersion: '7',
      creationTimestamp: '2026-12-07T09:00:00Z',
      deletionTimestamp: '2026-12-07T10:00:00Z',
      labels: { app: 'db' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-12-07T08:00:00Z' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'u-sts', controller: true },
      ],
      managedFields,
    },
    spec: {
      nodeName: 'n1',
      serviceAccountName: 'default',
      containers: [
        {
          name: 'db',
          image: 'postgres:17',
          env: [{ name: 'PGDATA', value: '/data/pg' }],
          resources: { requests: { cpu: '1', memory: '1Gi' } },
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
        { name: 'exporter', image: 'exporter:1' },
      ],
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } },
        { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'] } } } },
        {
          name: 'kube-api-access',
          projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] },
        },
        { name: 'tmp', emptyDir: {} },
      ],
    },
    status: {
      phase: 'Running',
      startTime: '2026-12-07T09:00:05Z',
      podIP: '10.244.1.5',
      hostIP: '10.0.0.1',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: '2026-12-07T09:00:01Z',
        },
        { type: 'Ready', status: 'True', reason: 'PodReady', lastTransitionTime: '2026-12-07T09:00:09Z' },
      ],
      containerStatuses: [
        {
          name: 'db',
          image: 'postgres:17',
          imageID: 'sha',
          ready: true,
          restartCount: 0,
          state: { running: {} },
        },
      ],
    },
  } as unknown as KubeObject;
}

const projectedPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'db-0',
    namespace: 'ns',
    uid: 'u-pod',
    resourceVersion: '7',
    creationTimestamp: '2026-12-07T09:00:00Z',
    deletionTimestamp: '2026-12-07T10:00:00Z',
    labels: { app: 'db' },
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'u-sts', controller: true },
    ],
  },
  spec: {
    nodeName: 'n1',
    volumes: [
      { name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } },
      { name: 'scratch', ephemeral: {} },
    ],
  },
  status: {
    phase: 'Running',
    startTime: '2026-12-07T09:00:05Z',
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-12-07T09:00:01Z' },
      { type: 'Ready', status: 'True', lastTransitionTime: '2026-12-07T09:00:09Z' },
    ],
    containerStatuses: [{ name: 'db' }],
  },
};

const pending = {
  metadata: { name: 'p', namespace: 'ns', managedFields },
  spec: { containers: [{ name: 'c', image: 'i' }] },
  status: { phase: 'Pending' },
} as unknown as KubeObject;

const lease = {
  metadata: { name: 'n1', namespace: 'kube-node-lease', resourceVersion: '3', managedFields },
  spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: '2026-12-07T10:00:00.000000Z' },
} as KubeObject & { spec: unknown };

const cases: { name: string; project: (o: KubeObject) => KubeObject; input: KubeObject; want: unknown }[] = [
  {
    name: 'a Node keeps labels, annotations, taints and conditions without heartbeats',
    project: projectNode,
    input: fullNode(),
    want: projectedNode,
  },
  {
    name: 'a Node without spec or status stays without',
    project: projectNode,
    input: { metadata: { name: 'bare' } },
    want: { metadata: { name: 'bare' } },
  },
  {
    name: 'a Pod keeps its node, its claims and its scheduling and start',
    project: projectPod,
    input: fullPod(),
    want: projectedPod,
  },
  {
    name: 'a Pending Pod without volumes keeps its phase only',
    project: projectPod,
    input: pending,
    want: { metadata: { name: 'p', namespace: 'ns' }, spec: {}, status: { phase: 'Pending' } },
  },
  {
    name: 'a Lease (any other type) only loses managedFields',
    project: projectionFor(coreTypes.lease),
    input: structuredClone(lease),
    want: { metadata: { name: 'n1', namespace: 'kube-node-lease', resourceVersion: '3' }, spec: lease.spec },
  },
];

for (const c of cases)
  test(c.name, () => {
    assert.deepEqual(c.project(c.input), c.want);
  });

test('the cache projects Nodes and Pods with their own projections', () => {
  assert.equal(projectionFor(coreTypes.node), projectNode);
  assert.equal(projectionFor(coreTypes.pod), projectPod);
});

test('a Node status report that changes only heartbeats does not wake the groups; a Ready change does', () => {
  const before = projectNode(fullNode('2026-12-07T10:00:00Z', '100'));
  const beat = projectNode(fullNode('2026-12-07T10:00:10Z', '101'));
  assert.equal(nodeEventMatters('update', beat, before), false);
  const notReady = fullNode('2026-12-07T10:00:20Z', '102') as KubeObject & {
    status: { conditions: { status: string }[] };
  };
  (notReady.status.conditions[0] as { status: string }).status = 'Unknown';
  assert.equal(nodeEventMatters('update', projectNode(notReady), before), true);
  assert.equal(nodeEventMatters('add', beat), true);
  assert.equal(nodeEventMatters('delete', beat), true);
});
