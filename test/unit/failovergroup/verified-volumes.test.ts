// Fencing deletes the VolumeAttachments of the group's claims on the fenced
// node, but only of volumes whose binding both sides confirm: the claim Bound,
// the PersistentVolume's claimRef naming that claim by UID and namespace. A
// claim's spec.volumeName alone is whatever its author wrote.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { verifiedVolumes } from '../../../src/controllers/failovergroup/fence.js';
import type { Stored } from '../../../src/kube/wire.js';

type Claim = Stored<V1PersistentVolumeClaim>;
type Volume = Stored<V1PersistentVolume>;

function claim(opts: { phase?: string; volumeName?: string; uid?: string }): Claim {
  return {
    metadata: {
      name: 'data-db-0',
      namespace: 'shop',
      ...(opts.uid !== '' ? { uid: opts.uid ?? 'c-1' } : {}),
    },
    spec: opts.volumeName !== undefined ? { volumeName: opts.volumeName } : {},
    status: { phase: opts.phase ?? 'Bound' },
  };
}

function volume(claimRef: { uid?: string; namespace?: string; name?: string } | undefined): Volume {
  return {
    metadata: { name: 'pv-1' },
    spec: claimRef !== undefined ? { claimRef } : {},
  };
}

const ours = { uid: 'c-1', namespace: 'shop', name: 'data-db-0' };

const cases: { name: string; claim: Claim | undefined; volume: Volume | undefined; want: string[] }[] = [
  {
    name: 'a Bound claim whose volume points back at it by UID and namespace is verified',
    claim: claim({ volumeName: 'pv-1' }),
    volume: volume(ours),
    want: ['pv-1'],
  },
  {
    name: "a Pending claim that names another tenant's volume is not",
    claim: claim({ phase: 'Pending', volumeName: 'pv-1' }),
    volume: volume({ ...ours, uid: 'other', namespace: 'bank' }),
    want: [],
  },
  {
    name: 'a Pending claim is not, even when the volume is reserved for it',
    claim: claim({ phase: 'Pending', volumeName: 'pv-1' }),
    volume: volume(ours),
    want: [],
  },
  {
    name: 'a claim marked Bound to a volume bound to another claim is not',
    claim: claim({ volumeName: 'pv-1' }),
    volume: volume({ ...ours, uid: 'c-2' }),
    want: [],
  },
  {
    name: 'a volume whose claimRef has the UID but another namespace is not',
    claim: claim({ volumeName: 'pv-1' }),
    volume: volume({ ...ours, namespace: 'bank' }),
    want: [],
  },
  {
    name: 'a volume reserved by name only (claimRef without UID) is not',
    claim: claim({ volumeName: 'pv-1' }),
    volume: volume({ namespace: 'shop', name: 'data-db-0' }),
    want: [],
  },
  {
    name: 'a volume with no claimRef is not',
    claim: claim({ volumeName: 'pv-1' }),
    volume: volume(undefined),
    want: [],
  },
  {
    name: 'a Lost claim is not',
    claim: claim({ phase: 'Lost', volumeName: 'pv-1' }),
    volume: volume(ours),
    want: [],
  },
  {
    name: 'a claim whose volume is gone is not',
    claim: claim({ volumeName: 'pv-1' }),
    volume: undefined,
    want: [],
  },
  { name: 'a claim that is not there is not', claim: undefined, volume: volume(ours), want: [] },
  {
    name: 'a claim without a UID cannot be matched and is not',
    claim: claim({ volumeName: 'pv-1', uid: '' }),
    volume: volume({ ...ours, uid: undefined }),
    want: [],
  },
];

for (const c of cases)
  test(c.name, () => {
    const got = verifiedVolumes(
      {
        claim: (ns, name) => (ns === 'shop' && name === 'data-db-0' ? c.claim : undefined),
        volume: (name) => (name === 'pv-1' ? c.volume : undefined),
      },
      'shop',
      ['data-db-0'],
    );
    assert.deepEqual([...got], c.want);
  });
