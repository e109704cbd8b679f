// A failed node the policy does not let the operator fence is reported, not
// fenced: the Degraded condition carries the refusal's reason, and wins over
// a zone step that is only waiting for that fencing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FailoverGroup } from '../../../src/api/v1alpha1/types.generated.js';
import type { FencingRefusal } from '../../../src/controllers/failovergroup/fence-step.js';
import type { GroupView } from '../../../src/controllers/failovergroup/observe.js';
import { computeStatus } from '../../../src/controllers/failovergroup/status.js';
import type { ZoneOutcome } from '../../../src/controllers/failovergroup/zone-step.js';
import { failoverGroup, node, pod } from '../../support/builders.js';
import { groupView } from './fixtures.js';

const now = new Date('2026-12-07T10:00:30Z');

const group: FailoverGroup = failoverGroup('shop', 'db', {
  metadata: { generation: 3 },
  spec: { zones: ['zone-a', 'zone-b'] },
  status: { phase: 'Healthy', activeZone: 'zone-a' },
});

/** db-0 runs Ready on a1, which has failed. */
const view: GroupView = groupView({
  pods: [pod({ nodeName: 'a1', ready: true })],
  nodes: [node('a1', { zone: 'zone-a' })],
  report: {
    kind: 'Assessed',
    nodes: [{ name: 'a1', zone: 'zone-a', state: 'Failed', failedForSeconds: 30 }],
  },
});

const awaiting: FencingRefusal = {
  node: 'a1',
  reason: 'AwaitingShutdownConfirmation',
  message: 'node a1 is silent (Lease not renewed for 30 s) but not confirmed shut down',
};

function degraded(refused: FencingRefusal[], zone?: ZoneOutcome): { reason?: string; message?: string } {
  const s = computeStatus({
    fg: group,
    view,
    fenced: { fenced: [], started: [], refused },
    released: [],
    now,
    ...(zone !== undefined ? { zone } : {}),
  });
  const c = s.conditions?.find((x) => x.type === 'Degraded');
  assert.equal(c?.status, 'True');
  assert.equal(c.observedGeneration, 3);
  assert.equal(s.phase, 'Degraded', 'nothing was fenced, so no failover is in progress');
  assert.equal(s.lastFailover, undefined);
  return { reason: c.reason, message: c.message };
}

test('a failed node awaiting a shutdown confirmation makes the group Degraded with that reason', () => {
  assert.deepEqual(degraded([awaiting]), { reason: awaiting.reason, message: awaiting.message });
});

test('several refused nodes are all named, the first one giving the reason', () => {
  const disabled: FencingRefusal = { node: 'a2', reason: 'NodeNotEligible', message: 'node a2 is outside' };
  assert.deepEqual(degraded([disabled, awaiting]), {
    reason: 'NodeNotEligible',
    message: `${disabled.message}; ${awaiting.message}`,
  });
});

test('why fencing waits is reported rather than that a promotion waits for fencing', () => {
  const waiting: ZoneOutcome = {
    busy: true,
    refusal: { reason: 'WaitingForFencing', message: '1 pod(s) of the group are still on nodes of zone-a' },
  };
  assert.equal(degraded([awaiting], waiting).reason, 'AwaitingShutdownConfirmation');
});

test("a zone step's own refusal is kept over a fencing refusal", () => {
  const refused: ZoneOutcome = { refusal: { reason: 'DataLossTooLarge', message: 'the standby is too old' } };
  assert.equal(degraded([awaiting], refused).reason, 'DataLossTooLarge');
});
