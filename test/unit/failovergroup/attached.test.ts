// A pod running elsewhere has recovered only when each claim it mounts is
// attached to its new node, unless the driver needs no attachment at all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  V1CSIDriver,
  V1PersistentVolume,
  V1PersistentVolumeClaim,
  V1VolumeAttachment,
} from '@kubernetes/client-node';
import { volumesAttached, type AttachmentLookup } from '../../../src/controllers/failovergroup/attached.js';
import type { Pod } from '../../../src/controllers/failovergroup/workload.js';
import type { Stored } from '../../../src/kube/wire.js';
import { pod } from '../../support/builders.js';

const driverName = 'hostpath.csi.test';

type Volumes = NonNullable<Pod['spec']>['volumes'];

/** db-0 on `node`, mounting `volumes`. */
function mounting(node: string | undefined, volumes: Volumes): Pod {
  return pod({ nodeName: node, spec: { volumes } });
}

const data: Volumes = [{ name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } }];

function attachment(node: string, attached: boolean, deleting = false): Stored<V1VolumeAttachment> {
  return {
    metadata: { name: `va-${node}`, ...(deleting ? { deletionTimestamp: '2026-11-23T10:00:00Z' } : {}) },
    spec: { attacher: driverName, nodeName: node, source: { persistentVolumeName: 'pv-1' } },
    status: { attached },
  };
}

interface World {
  bound?: boolean;
  attachRequired?: boolean;
  attachments?: Stored<V1VolumeAttachment>[];
}

function lookup(w: World): AttachmentLookup {
  const claim: Stored<V1PersistentVolumeClaim> = {
    metadata: { name: 'data-db-0', namespace: 'shop' },
    spec: w.bound === false ? {} : { volumeName: 'pv-1' },
  };
  const pv: Stored<V1PersistentVolume> = {
    metadata: { name: 'pv-1' },
    spec: { csi: { driver: driverName, volumeHandle: 'h1' } },
  };
  const driver: Stored<V1CSIDriver> | undefined =
    w.attachRequired === undefined
      ? undefined
      : { metadata: { name: driverName }, spec: { attachRequired: w.attachRequired } };
  return {
    claim: (ns, name) => (ns === 'shop' && name === 'data-db-0' ? claim : undefined),
    volume: (name) => (name === 'pv-1' ? pv : undefined),
    driver: (name) => (name === driverName ? driver : undefined),
    attachments: (volume) => (volume === 'pv-1' ? (w.attachments ?? []) : []),
  };
}

const cases: { name: string; pods: Pod[]; world: World; want: boolean }[] = [
  {
    name: 'a claim attached to the pod’s new node is attached',
    pods: [mounting('b1', data)],
    world: { attachments: [attachment('b1', true)] },
    want: true,
  },
  {
    name: 'an attachment still on the dead node does not count for the new one',
    pods: [mounting('b1', data)],
    world: { attachments: [attachment('a1', true)] },
    want: false,
  },
  {
    name: 'an attachment created but not yet attached does not count',
    pods: [mounting('b1', data)],
    world: { attachments: [attachment('b1', false)] },
    want: false,
  },
  {
    name: 'an attachment being deleted does not count',
    pods: [mounting('b1', data)],
    world: { attachments: [attachment('b1', true, true)] },
    want: false,
  },
  {
    name: 'a driver that declares attachRequired false needs no attachment',
    pods: [mounting('b1', data)],
    world: { attachRequired: false },
    want: true,
  },
  {
    name: 'a driver without a CSIDriver object needs one, as Kubernetes assumes',
    pods: [mounting('b1', data)],
    world: {},
    want: false,
  },
  {
    name: 'an unbound claim is not attached',
    pods: [mounting('b1', data)],
    world: { bound: false, attachRequired: false },
    want: false,
  },
  {
    name: 'a pod not scheduled yet has nothing attached',
    pods: [mounting(undefined, data)],
    world: { attachments: [attachment('b1', true)] },
    want: false,
  },
  {
    name: 'a pod without claims (the cache keeps no other volume) has nothing to wait for',
    pods: [mounting('b1', [])],
    world: {},
    want: true,
  },
];

for (const c of cases)
  test(c.name, () => {
    assert.equal(volumesAttached(lookup(c.world), c.pods), c.want);
  });
