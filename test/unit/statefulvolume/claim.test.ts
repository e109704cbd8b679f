import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { StatefulVolumeSpec } from '../../../src/api/v1alpha1/types.generated.js';
import { labels } from '../../../src/api/v1alpha1/vocabulary.js';
import {
  adoptionVerdict,
  claimNameOf,
  desiredClaim,
  expansionTarget,
  selectedNodeAnnotation,
  type VolumeShape,
} from '../../../src/controllers/statefulvolume/claim.js';
import { statefulVolume } from '../../support/builders.js';

/** Volume db/pg-data of 10Gi on class fast; `spec` replaces any of those. */
function volume(spec: Partial<StatefulVolumeSpec> = {}): VolumeShape {
  return statefulVolume('db', 'pg-data', {
    metadata: { uid: 'uid-1' },
    spec: { size: '10Gi', storageClassName: 'fast', ...spec },
  });
}

function claim(overrides: {
  size?: string;
  cls?: string;
  modes?: string[];
  volumeMode?: string;
  ownerUid?: string;
  terminating?: boolean;
}): V1PersistentVolumeClaim {
  return {
    metadata: {
      name: 'pg-data',
      namespace: 'db',
      ...(overrides.ownerUid !== undefined
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'Thing',
                name: 'other',
                uid: overrides.ownerUid,
                controller: true,
              },
            ],
          }
        : {}),
      ...(overrides.terminating === true ? { deletionTimestamp: new Date() } : {}),
    },
    spec: {
      storageClassName: overrides.cls ?? 'fast',
      accessModes: overrides.modes ?? ['ReadWriteOnce'],
      volumeMode: overrides.volumeMode ?? 'Filesystem',
      resources: { requests: { storage: overrides.size ?? '10Gi' } },
    },
  };
}

test('the claim name defaults to the StatefulVolume name', () => {
  assert.equal(claimNameOf(volume()), 'pg-data');
  assert.equal(claimNameOf(volume({ claimName: 'data-db-0' })), 'data-db-0');
});

test('the desired claim carries size, class, modes, labels and a controller owner reference', () => {
  const c = desiredClaim(volume(), { name: 'pg-data', role: 'Primary', zone: 'zone-a', pinNode: 'node-1' });
  assert.equal(c.spec.resources?.requests?.storage, '10Gi');
  assert.equal(c.spec.storageClassName, 'fast');
  assert.deepEqual(c.spec.accessModes, ['ReadWriteOnce']);
  assert.equal(c.metadata.labels[labels.volume], 'pg-data');
  assert.equal(c.metadata.labels[labels.zone], 'zone-a');
  assert.equal(c.metadata.annotations?.[selectedNodeAnnotation], 'node-1');
  const owner = c.metadata.ownerReferences?.[0];
  assert.equal(owner?.uid, 'uid-1');
  assert.equal(owner.controller, true);
});

test('a claim without a class in the spec leaves the class to the cluster default', () => {
  const c = desiredClaim(volume({ storageClassName: undefined }), { name: 'x', role: 'Primary' });
  assert.equal(c.spec.storageClassName, undefined);
});

const adoption: { name: string; existing: V1PersistentVolumeClaim; vol: VolumeShape; want: string }[] = [
  { name: 'a matching unowned claim is adopted', existing: claim({}), vol: volume(), want: 'adopt' },
  {
    name: 'a smaller unowned claim is adopted and will be expanded',
    existing: claim({ size: '5Gi' }),
    vol: volume(),
    want: 'adopt',
  },
  {
    name: 'a claim owned by this StatefulVolume counts as already adopted',
    existing: claim({ ownerUid: 'uid-1' }),
    vol: volume(),
    want: 'owned',
  },
  {
    name: 'a claim controlled by another object is refused',
    existing: claim({ ownerUid: 'uid-2' }),
    vol: volume(),
    want: 'ClaimOwnedElsewhere',
  },
  {
    name: 'a claim of another storage class is refused',
    existing: claim({ cls: 'slow' }),
    vol: volume(),
    want: 'ClaimMismatch',
  },
  {
    name: 'a claim with other access modes is refused',
    existing: claim({ modes: ['ReadWriteMany'] }),
    vol: volume(),
    want: 'ClaimMismatch',
  },
  {
    name: 'a block claim is not adopted as a filesystem volume',
    existing: claim({ volumeMode: 'Block' }),
    vol: volume(),
    want: 'ClaimMismatch',
  },
  {
    name: 'a claim larger than spec.size is refused because it cannot shrink',
    existing: claim({ size: '20Gi' }),
    vol: volume(),
    want: 'ClaimMismatch',
  },
  {
    name: 'a claim that is being deleted is refused',
    existing: claim({ terminating: true }),
    vol: volume(),
    want: 'ClaimTerminating',
  },
];

for (const c of adoption) {
  test(c.name, () => {
    const v = adoptionVerdict(c.existing, c.vol);
    const got = v.adopt ? (v.alreadyOwned ? 'owned' : 'adopt') : v.reason;
    assert.equal(got, c.want);
    if (!v.adopt) assert.ok(v.message.length > 20, 'a refusal explains itself');
  });
}

test('a claim is expanded only when spec.size is larger than its request', () => {
  assert.equal(expansionTarget(claim({ size: '10Gi' }), volume({ size: '20Gi' })), '20Gi');
  assert.equal(expansionTarget(claim({ size: '10Gi' }), volume({ size: '10240Mi' })), undefined);
  assert.equal(expansionTarget(claim({ size: '20Gi' }), volume({ size: '10Gi' })), undefined);
});
