import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { VolumeShape } from '../../../src/controllers/statefulvolume/claim.js';
import {
  claimSize,
  primaryPlan,
  type PrimaryInputs,
} from '../../../src/controllers/statefulvolume/ensure-claim.js';
import { decideResize } from '../../../src/controllers/statefulvolume/expand.js';
import type { PlacementView } from '../../../src/controllers/statefulvolume/place.js';
import {
  checkClass,
  classInfo,
  type ClassCheck,
  type StorageClassInfo,
} from '../../../src/controllers/statefulvolume/storage-class.js';

const fast: StorageClassInfo = {
  name: 'fast',
  isDefault: false,
  allowVolumeExpansion: true,
  waitForFirstConsumer: true,
};
const fixed: StorageClassInfo = {
  name: 'fixed',
  isDefault: true,
  allowVolumeExpansion: false,
  waitForFirstConsumer: false,
};

const classCases: { name: string; wanted: string | undefined; classes: StorageClassInfo[]; want: string }[] =
  [
    {
      name: 'A named class that exists is used with its flags',
      wanted: 'fast',
      classes: [fast, fixed],
      want: 'ok fast expand wffc',
    },
    {
      name: 'An unset class resolves to the default class',
      wanted: undefined,
      classes: [fast, fixed],
      want: 'ok (default) fixed-size',
    },
    {
      name: 'A named class that does not exist is reported by name',
      wanted: 'gold',
      classes: [fast],
      want: 'missing StorageClassNotFound gold',
    },
    {
      name: 'An unset class with no default class is reported',
      wanted: undefined,
      classes: [fast],
      want: 'missing NoDefaultStorageClass is-default-class',
    },
  ];

function describe(c: ClassCheck): string {
  if (c.kind === 'missing') return `missing ${c.reason}`;
  return `ok ${c.name ?? '(default)'}`;
}

for (const c of classCases) {
  test(c.name, () => {
    const got = checkClass(c.wanted, c.classes);
    const [kind, second, third] = c.want.split(' ');
    assert.equal(describe(got).split(' ').slice(0, 2).join(' '), `${kind ?? ''} ${second ?? ''}`);
    if (got.kind === 'missing') assert.ok(got.message.includes(third ?? ''), got.message);
    if (got.kind === 'ok' && third === 'expand') assert.equal(got.allowVolumeExpansion, true);
    if (got.kind === 'ok' && third === 'fixed-size') assert.equal(got.allowVolumeExpansion, false);
  });
}

test('A StorageClass object is read for its default mark, expansion and binding mode', () => {
  const info = classInfo({
    metadata: { name: 'x', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    allowVolumeExpansion: true,
    volumeBindingMode: 'WaitForFirstConsumer',
  });
  assert.deepEqual(info, {
    name: 'x',
    isDefault: true,
    allowVolumeExpansion: true,
    waitForFirstConsumer: true,
  });
});

function boundClaim(
  requested: string,
  capacity: string,
  extra: Partial<NonNullable<V1PersistentVolumeClaim['status']>> = {},
): V1PersistentVolumeClaim {
  return {
    metadata: { name: 'data' },
    spec: { resources: { requests: { storage: requested } } },
    status: { phase: 'Bound', capacity: { storage: capacity }, ...extra },
  };
}

const vol = (size: string): VolumeShape => ({
  metadata: { name: 'data', namespace: 'ns', uid: 'u' },
  spec: { size },
});
const canGrow: ClassCheck = {
  kind: 'ok',
  name: 'fast',
  allowVolumeExpansion: true,
  waitForFirstConsumer: false,
};
const cannotGrow: ClassCheck = {
  kind: 'ok',
  name: 'fixed',
  allowVolumeExpansion: false,
  waitForFirstConsumer: false,
};

const resizeCases: {
  name: string;
  claim: V1PersistentVolumeClaim;
  size: string;
  cls: ClassCheck;
  want: string;
}[] = [
  {
    name: 'A claim at the asked size needs nothing',
    claim: boundClaim('1Gi', '1Gi'),
    size: '1Gi',
    cls: canGrow,
    want: 'none',
  },
  {
    name: 'A bigger spec.size raises the request',
    claim: boundClaim('1Gi', '1Gi'),
    size: '2Gi',
    cls: canGrow,
    want: 'patch 2Gi',
  },
  {
    name: 'A class without expansion blocks the growth with a reason',
    claim: boundClaim('1Gi', '1Gi'),
    size: '2Gi',
    cls: cannotGrow,
    want: 'blocked ExpansionNotSupported',
  },
  {
    name: 'A request above the capacity is an expansion in progress',
    claim: boundClaim('2Gi', '1Gi'),
    size: '2Gi',
    cls: canGrow,
    want: 'resizing',
  },
  {
    name: 'A driver that cannot expand fails the resize without touching data',
    claim: boundClaim('2Gi', '1Gi', { allocatedResourceStatuses: { storage: 'ControllerResizeInfeasible' } }),
    size: '2Gi',
    cls: canGrow,
    want: 'blocked ResizeFailed',
  },
  {
    name: 'An unbound claim is never resized',
    claim: {
      metadata: { name: 'data' },
      spec: { resources: { requests: { storage: '1Gi' } } },
      status: { phase: 'Pending' },
    },
    size: '2Gi',
    cls: canGrow,
    want: 'none',
  },
];

for (const c of resizeCases) {
  test(c.name, () => {
    const got = decideResize(c.claim, vol(c.size), c.cls);
    const text =
      got.kind === 'patch'
        ? `patch ${got.size}`
        : got.kind === 'blocked'
          ? `blocked ${got.reason}`
          : got.kind;
    assert.equal(text, c.want);
  });
}

test('A filesystem waiting for a pod is named in the resizing message', () => {
  const claim = boundClaim('2Gi', '1Gi', {
    conditions: [{ type: 'FileSystemResizePending', status: 'True' }],
  });
  const got = decideResize(claim, vol('2Gi'), canGrow);
  assert.equal(got.kind, 'resizing');
  assert.match(got.message, /filesystem grows when a pod mounts it/);
});

function placement(
  zone: string | undefined,
  pin: Record<string, string>,
  problems: PlacementView['problems'] = [],
): PlacementView {
  return {
    primaryZone: zone,
    standbyZones: [],
    problems,
    topologyKey: 'topology.kubernetes.io/zone',
    pinNodeOf: (z) => pin[z],
    zoneOfNode: () => undefined,
  };
}

const inputs = (over: Partial<PrimaryInputs> = {}): PrimaryInputs => ({
  storageClass: canGrow,
  placement: placement('zone-b', { 'zone-b': 'node-b1' }),
  source: { kind: 'none' },
  ...over,
});

test('The primary plan pins the claim to a Ready node of its zone', () => {
  const got = primaryPlan(vol('1Gi'), inputs());
  assert.ok(!('kind' in got));
  assert.deepEqual(got.plan, { name: 'data', role: 'Primary', zone: 'zone-b', pinNode: 'node-b1' });
  assert.equal(got.size, '1Gi');
});

const waitCases: { name: string; over: Partial<PrimaryInputs>; want: string }[] = [
  {
    name: 'A missing class makes the claim wait with the class reason',
    over: { storageClass: { kind: 'missing', reason: 'StorageClassNotFound', message: 'no class' } },
    want: 'waiting StorageClassNotFound',
  },
  {
    name: 'A source not ready yet makes the claim wait',
    over: { source: { kind: 'wait', reason: 'SourceNotReady', message: 'not yet' } },
    want: 'waiting SourceNotReady',
  },
  {
    name: 'A source that can never be used fails the claim',
    over: { source: { kind: 'invalid', reason: 'SourceFailed', message: 'failed backup' } },
    want: 'failed SourceFailed',
  },
  {
    name: 'A zone whose nodes are all gone makes the claim wait',
    over: { placement: placement('zone-b', {}) },
    want: 'waiting ZoneHasNoNodes',
  },
  {
    name: 'No usable zone at all makes the claim wait',
    over: { placement: placement(undefined, {}, [{ reason: 'UnknownZone', zone: 'zone-x' }]) },
    want: 'waiting NoZoneAvailable',
  },
];

for (const c of waitCases) {
  test(c.name, () => {
    const got = primaryPlan(vol('1Gi'), inputs(c.over));
    assert.ok('kind' in got, 'no plan');
    assert.equal(`${got.kind} ${got.reason}`, c.want);
  });
}

test('A restore asks for at least the size of the snapshot it restores', () => {
  assert.equal(claimSize('1Gi', '2Gi'), '2Gi');
  assert.equal(claimSize('5Gi', '2Gi'), '5Gi');
  assert.equal(claimSize('1Gi', undefined), '1Gi');
});
