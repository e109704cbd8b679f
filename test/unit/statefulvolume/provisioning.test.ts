import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CoreV1Event } from '@kubernetes/client-node';
import type { ClaimOutcome } from '../../../src/controllers/statefulvolume/ensure-claim.js';
import { newestFailure, pendingWait } from '../../../src/controllers/statefulvolume/provisioning.js';
import type { ClassCheck } from '../../../src/controllers/statefulvolume/storage-class.js';
import type { Stored } from '../../../src/kube/wire.js';

const wffc: ClassCheck = { kind: 'ok', name: 'c', allowVolumeExpansion: true, waitForFirstConsumer: true };
const immediate: ClassCheck = { ...wffc, waitForFirstConsumer: false };

function claim(phase: string | undefined, extra: { node?: string; volumeName?: string } = {}): ClaimOutcome {
  return {
    kind: 'present',
    claim: {
      metadata: {
        name: 'db',
        ...(extra.node !== undefined
          ? { annotations: { 'volume.kubernetes.io/selected-node': extra.node } }
          : {}),
      },
      ...(extra.volumeName !== undefined ? { spec: { volumeName: extra.volumeName } } : {}),
      ...(phase !== undefined ? { status: { phase } } : {}),
    },
  };
}

const cases: { name: string; claim: ClaimOutcome; cls: ClassCheck; want: string | undefined }[] = [
  { name: 'a bound claim waits for nothing', claim: claim('Bound'), cls: immediate, want: undefined },
  {
    name: 'a claim not created yet is not looked at',
    claim: { kind: 'created' },
    cls: wffc,
    want: undefined,
  },
  {
    name: 'WaitForFirstConsumer without a selected node',
    claim: claim('Pending'),
    cls: wffc,
    want: 'consumer',
  },
  {
    name: 'WaitForFirstConsumer with a selected node is the provisioner’s',
    claim: claim('Pending', { node: 'n1' }),
    cls: wffc,
    want: 'provisioner',
  },
  { name: 'Immediate, no status yet', claim: claim(undefined), cls: immediate, want: 'provisioner' },
  {
    name: 'bound by hand to a named volume: no provisioner serves it',
    claim: claim('Pending', { volumeName: 'pv-1' }),
    cls: immediate,
    want: undefined,
  },
];

for (const c of cases) {
  test(`pendingWait: ${c.name}`, () => {
    assert.equal(pendingWait(c.claim, c.cls), c.want);
  });
}

function event(message: string, lastTimestamp: string): Stored<CoreV1Event> {
  return { metadata: { name: message }, involvedObject: {}, message, lastTimestamp };
}

test('newestFailure: the newest Event’s message, shortened for a condition', () => {
  assert.equal(newestFailure([]), undefined);
  assert.equal(
    newestFailure([event('old', '2026-01-01T00:00:00Z'), event('new', '2026-01-01T00:01:00Z')]),
    'new',
  );
  const long = newestFailure([event('x'.repeat(2000), '2026-01-01T00:00:00Z')]) ?? '';
  assert.equal(long.length, 512);
  assert.ok(long.endsWith('…'));
});
