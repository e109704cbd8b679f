import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatefulVolume } from '../../../src/api/v1alpha1/types.generated.js';
import type { ClaimOutcome } from '../../../src/controllers/statefulvolume/ensure-claim.js';
import { computeStatus } from '../../../src/controllers/statefulvolume/status.js';

const now = new Date('2026-01-01T00:00:00Z');
const vol: StatefulVolume = {
  apiVersion: 'storage.stateful.dev/v1alpha1',
  kind: 'StatefulVolume',
  metadata: { name: 'db', namespace: 'ns', generation: 3 },
  spec: { size: '1Gi' },
};

const cases: { name: string; outcome: ClaimOutcome; phase: string; reason: string; ready: string }[] = [
  {
    name: 'A claim just created is provisioning',
    outcome: { kind: 'created' },
    phase: 'Provisioning',
    reason: 'ClaimPending',
    ready: 'False',
  },
  {
    name: 'A bound claim makes the volume ready',
    outcome: {
      kind: 'present',
      claim: { metadata: { name: 'db' }, status: { phase: 'Bound', capacity: { storage: '1Gi' } } },
    },
    phase: 'Ready',
    reason: 'ClaimBound',
    ready: 'True',
  },
  {
    name: 'A refused adoption fails the volume',
    outcome: { kind: 'refused', reason: 'ClaimMismatch', message: 'claim db has x' },
    phase: 'Failed',
    reason: 'AdoptionRefused',
    ready: 'False',
  },
];

for (const c of cases) {
  test(c.name, () => {
    const status = computeStatus(vol, c.outcome, now);
    assert.equal(status.phase, c.phase);
    assert.equal(status.observedGeneration, 3);
    const provisioned = status.conditions?.find((x) => x.type === 'Provisioned');
    assert.equal(provisioned?.reason, c.reason);
    assert.equal(provisioned.observedGeneration, 3);
    assert.equal(status.conditions?.find((x) => x.type === 'Ready')?.status, c.ready);
  });
}
