// Which node changes wake StatefulVolumes: only those that change what a
// volume reads from a node (its zone label, its Ready status), never a heartbeat.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Node } from '@kubernetes/client-node';
import { nodeMatters } from '../../../src/controllers/statefulvolume/controller.js';
import type { KubeObject } from '../../../src/kube/wire.js';

function node(ready: string, labels: Record<string, string>, heartbeat: string): KubeObject {
  const n: V1Node = {
    metadata: { name: 'n1', labels, resourceVersion: heartbeat },
    status: {
      conditions: [{ type: 'Ready', status: ready, lastHeartbeatTime: new Date(heartbeat) }],
    },
  };
  return n as KubeObject;
}

const zoneA = { 'topology.kubernetes.io/zone': 'zone-a', 'kubernetes.io/hostname': 'n1' };
const before = node('True', zoneA, '2026-11-23T10:00:00Z');

const cases: { name: string; event: 'add' | 'update' | 'delete'; after: KubeObject; want: boolean }[] = [
  {
    name: 'a heartbeat that changes nothing a volume reads wakes nothing',
    event: 'update',
    after: node('True', zoneA, '2026-11-23T10:00:10Z'),
    want: false,
  },
  {
    name: 'the same labels in another order are the same labels',
    event: 'update',
    after: node('True', { 'kubernetes.io/hostname': 'n1', 'topology.kubernetes.io/zone': 'zone-a' }, 'x'),
    want: false,
  },
  {
    name: 'a node going NotReady wakes volumes',
    event: 'update',
    after: node('Unknown', zoneA, 'x'),
    want: true,
  },
  {
    name: 'a node moved to another zone wakes volumes',
    event: 'update',
    after: node('True', { ...zoneA, 'topology.kubernetes.io/zone': 'zone-b' }, 'x'),
    want: true,
  },
  { name: 'a new node wakes volumes', event: 'add', after: before, want: true },
  { name: 'a deleted node wakes volumes', event: 'delete', after: before, want: true },
];

for (const c of cases)
  test(c.name, () => {
    assert.equal(nodeMatters(c.event, c.after, before), c.want);
  });
