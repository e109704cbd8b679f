// Status through a zone failover: the record replaces the node failure it
// grew out of, stays FailingOver until the volumes are rebound and the pods
// run Ready in the new zone, then FailedOver; a refusal shows in Degraded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FailoverGroup, FailoverRecord } from '../../../src/api/v1alpha1/types.generated.js';
import type { GroupView } from '../../../src/controllers/failovergroup/observe.js';
import { computeStatus } from '../../../src/controllers/failovergroup/status.js';
import type { Pod } from '../../../src/controllers/failovergroup/workload.js';
import type { ZoneOutcome } from '../../../src/controllers/failovergroup/zone-step.js';
import { failoverGroup, node, pod } from '../../support/builders.js';
import { groupView } from './fixtures.js';

const now = new Date('2026-11-22T10:01:00Z');

function view(pods: Pod[]): GroupView {
  return groupView({ pods, nodes: [node('a1', { zone: 'zone-a' }), node('b1', { zone: 'zone-b' })] });
}

const nodeFailure: FailoverRecord = {
  reason: 'NodeFailure',
  node: 'a1',
  fromZone: 'zone-a',
  toZone: 'zone-a',
  startedAt: '2026-11-22T10:00:00Z',
  timeline: { detectedAt: '2026-11-22T10:00:20Z', fencedAt: '2026-11-22T10:00:20Z' },
};

const zoneFailure: FailoverRecord = {
  ...nodeFailure,
  reason: 'ZoneFailure',
  toZone: 'zone-b',
  dataLossWindowSeconds: 60,
};

/** Group db of zones a and b, failing over out of zone-a. */
function group(last: FailoverRecord | undefined): FailoverGroup {
  return failoverGroup('shop', 'db', {
    metadata: { generation: 1 },
    spec: { zones: ['zone-a', 'zone-b'] },
    status: {
      phase: 'FailingOver',
      activeZone: 'zone-a',
      ...(last !== undefined ? { lastFailover: last } : {}),
    },
  });
}

const status = (fg: FailoverGroup, pods: Pod[], zone: ZoneOutcome): ReturnType<typeof computeStatus> =>
  computeStatus({ fg, view: view(pods), fenced: { fenced: [], started: [] }, released: [], now, zone });

test('the zone failover replaces the node failover in progress, not pushing it to history', () => {
  const s = status(group(nodeFailure), [pod({ ready: false })], { record: zoneFailure, replaces: true });
  assert.equal(s.phase, 'FailingOver');
  assert.equal(s.lastFailover?.reason, 'ZoneFailure');
  assert.equal(s.history, undefined);
  assert.equal(s.conditions?.find((c) => c.type === 'FailingOver')?.reason, 'ZoneFailure');
});

test('pods Ready in the new zone do not complete it before the volumes are rebound', () => {
  const s = status(group(zoneFailure), [pod({ nodeName: 'b1', ready: true })], {
    record: zoneFailure,
    replaces: true,
    busy: true,
  });
  assert.equal(s.phase, 'FailingOver');
  assert.equal(s.lastFailover?.completedAt, undefined);
});

test('volumes rebound and pods Ready in the new zone: FailedOver with the whole timeline', () => {
  const rebound = {
    ...zoneFailure,
    timeline: { ...zoneFailure.timeline, volumesAttachedAt: '2026-11-22T10:00:50Z' },
  };
  const s = status(group(rebound), [pod({ nodeName: 'b1', ready: true })], {
    record: rebound,
    replaces: true,
  });
  assert.equal(s.phase, 'FailedOver');
  assert.equal(s.activeZone, 'zone-b');
  assert.equal(s.lastFailover?.recoverySeconds, 60);
  assert.ok(s.lastFailover.timeline?.podsRescheduledAt !== undefined);
  assert.ok(s.lastFailover.timeline.podsReadyAt !== undefined);
});

test('a pod still pending keeps it FailingOver', () => {
  const rebound = {
    ...zoneFailure,
    timeline: { ...zoneFailure.timeline, volumesAttachedAt: '2026-11-22T10:00:50Z' },
  };
  const s = status(group(rebound), [pod({ ready: false })], { record: rebound, replaces: true });
  assert.equal(s.phase, 'FailingOver');
});

test('a refused promotion shows as Degraded with its reason', () => {
  const s = status(group(undefined), [], {
    refusal: { reason: 'DataLossTooLarge', message: 'the standby in zone-b holds a backup 900 s old' },
  });
  const degraded = s.conditions?.find((c) => c.type === 'Degraded');
  assert.equal(degraded?.status, 'True');
  assert.equal(degraded.reason, 'DataLossTooLarge');
  assert.equal(s.phase, 'Degraded');
});
