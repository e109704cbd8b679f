// The group's phase and its Ready condition never disagree: Healthy only when
// Ready is True. Pure table of phaseOf.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FailoverRecord } from '../../../src/api/v1alpha1/types.generated.js';
import { phaseOf, type PhaseInput } from '../../../src/controllers/failovergroup/status.js';

const done: FailoverRecord = {
  reason: 'NodeFailure',
  startedAt: '2026-01-01T00:00:00Z',
  completedAt: '2026-01-01T00:01:00Z',
};
const zoneDone: FailoverRecord = { ...done, reason: 'ZoneFailure', fromZone: 'zone-a', toZone: 'zone-b' };
const running: FailoverRecord = { reason: 'NodeFailure', startedAt: '2026-01-01T00:00:00Z' };
const calm: PhaseInput = {
  last: undefined,
  degraded: undefined,
  zone: 'zone-a',
  preferred: 'zone-a',
  ready: true,
};

const cases: { name: string; input: Partial<PhaseInput>; want: string }[] = [
  { name: 'every pod Ready in the preferred zone', input: {}, want: 'Healthy' },
  {
    name: 'the workload is not found (Ready False, WorkloadNotFound)',
    input: { ready: false },
    want: 'Pending',
  },
  { name: 'a finished node failover, pods Ready again', input: { last: done }, want: 'Healthy' },
  { name: 'a finished node failover, pods not Ready', input: { last: done, ready: false }, want: 'Pending' },
  { name: 'a node unhealthy, pods Ready', input: { degraded: 'n1 failed' }, want: 'Degraded' },
  {
    name: 'a node unhealthy, pods not Ready',
    input: { degraded: 'n1 failed', ready: false },
    want: 'Degraded',
  },
  { name: 'a failover in progress', input: { last: running, ready: false }, want: 'FailingOver' },
  {
    name: 'a failover in progress while degraded',
    input: { last: running, degraded: 'x' },
    want: 'FailingOver',
  },
  {
    name: 'after a zone failover, in another zone',
    input: { last: zoneDone, zone: 'zone-b' },
    want: 'FailedOver',
  },
  {
    name: 'back in the preferred zone after a zone failover',
    input: { last: zoneDone, zone: 'zone-a' },
    want: 'Healthy',
  },
];

for (const c of cases) {
  test(`phaseOf: ${c.name} → ${c.want}`, () => {
    assert.equal(phaseOf({ ...calm, ...c.input }), c.want);
  });
}

test('phaseOf: Healthy never comes with Ready False', () => {
  for (const c of cases) assert.notEqual(phaseOf({ ...calm, ...c.input, ready: false }), 'Healthy', c.name);
});
