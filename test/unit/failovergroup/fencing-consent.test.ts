// Whether a failed node may be fenced: the administrator's mode and node
// selector first, then (ConfirmedShutdown) the node lifecycle controller's
// Ready condition and a confirmation newer than the node's last Lease renewal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Taint } from '@kubernetes/client-node';
import {
  defaultFencingPolicy,
  fencingConsent,
  type ConsentInput,
  type FencingPolicy,
} from '../../../src/controllers/failovergroup/consent.js';
import type { Node } from '../../../src/controllers/failovergroup/fence.js';
import { annotations } from '../../../src/api/v1alpha1/vocabulary.js';
import { cloudShutdownTaintKey, ShutdownSightings } from '../../../src/controllers/failovergroup/shutdown.js';
import { ManualClock } from '../../../src/runtime/clock.js';
import type { Wire } from '../../../src/kube/wire.js';
import { node } from '../../support/builders.js';

const renewed = new Date('2026-12-07T10:00:00Z');

/** Node a1 of pool db, not Ready; a cloud's shutdown taint or an agent's confirmation when told. */
function silentNode(opts: {
  ready?: 'True' | 'False' | 'Unknown';
  cloudTaint?: boolean | string;
  agentAt?: string;
  labels?: Record<string, string>;
}): Node {
  const taints: Wire<V1Taint>[] = [];
  if (opts.cloudTaint !== undefined && opts.cloudTaint !== false)
    taints.push({
      key: cloudShutdownTaintKey,
      effect: 'NoSchedule',
      ...(typeof opts.cloudTaint === 'string' ? { timeAdded: opts.cloudTaint } : {}),
    });
  return node('a1', {
    ready: opts.ready ?? 'Unknown',
    metadata: {
      labels: opts.labels ?? { pool: 'db' },
      ...(opts.agentAt !== undefined
        ? { annotations: { [annotations.shutdownConfirmedAt]: opts.agentAt } }
        : {}),
    },
    spec: { taints },
  });
}

const leaseSilence: FencingPolicy = { ...defaultFencingPolicy, mode: 'LeaseSilence' };
const onlyDbPool: FencingPolicy = {
  mode: 'LeaseSilence',
  nodeSelector: { matchLabels: { pool: 'db' } },
  nodeSelectorText: 'pool=db',
};

interface Case {
  name: string;
  policy?: FencingPolicy;
  node: Node;
  /** When the operator first saw the confirmation, and last watched a renewal (its own clock). */
  seenAt?: string;
  watchedRenewalAt?: string;
  leaseRenewTime?: Date | undefined;
  want: string;
}

const cases: Case[] = [
  {
    name: 'Disabled never fences, not even a node confirmed shut down',
    policy: { ...defaultFencingPolicy, mode: 'Disabled' },
    node: silentNode({ cloudTaint: true }),
    want: 'FencingDisabled',
  },
  {
    name: 'a node outside the fencing node selector is never fenced',
    policy: onlyDbPool,
    node: silentNode({ labels: { pool: 'web' } }),
    want: 'NodeNotEligible',
  },
  {
    name: 'a node inside the fencing node selector is fenced on Lease silence in LeaseSilence mode',
    policy: onlyDbPool,
    node: silentNode({ ready: 'True' }),
    want: 'allowed',
  },
  {
    name: 'LeaseSilence needs no confirmation and no NotReady',
    policy: leaseSilence,
    node: silentNode({ ready: 'True' }),
    want: 'allowed',
  },
  {
    name: 'a silent node with no confirmation waits (a kubelet restart, a partition)',
    node: silentNode({ ready: 'Unknown' }),
    want: 'AwaitingShutdownConfirmation: nothing confirms',
  },
  {
    name: 'a confirmed node the node lifecycle controller still calls Ready waits',
    node: silentNode({ ready: 'True', cloudTaint: true }),
    want: 'AwaitingShutdownConfirmation: its Ready condition is True',
  },
  {
    name: "the cloud provider's shutdown taint confirms a NotReady node",
    node: silentNode({ ready: 'Unknown', cloudTaint: true }),
    want: 'allowed',
  },
  {
    name: 'Ready False counts as much as Unknown',
    node: silentNode({ ready: 'False', cloudTaint: true }),
    want: 'allowed',
  },
  {
    name: "a fencing agent's annotation after the last renewal confirms",
    node: silentNode({ agentAt: '2026-12-07T10:00:30Z' }),
    want: 'allowed',
  },
  {
    name: "a fencing agent's annotation from before the last renewal is stale",
    node: silentNode({ agentAt: '2026-12-07T09:00:00Z' }),
    want: 'AwaitingShutdownConfirmation: fencing agent',
  },
  {
    name: 'an annotation at the very instant of the last renewal does not count',
    node: silentNode({ agentAt: '2026-12-07T10:00:00Z' }),
    want: 'AwaitingShutdownConfirmation: fencing agent',
  },
  {
    name: 'a cloud taint whose timeAdded precedes the last renewal is stale',
    node: silentNode({ cloudTaint: '2026-12-07T09:59:00Z' }),
    want: 'AwaitingShutdownConfirmation: cloud provider',
  },
  {
    name: 'a cloud taint without timeAdded that the operator saw before a renewal it watched is stale',
    node: silentNode({ cloudTaint: true }),
    seenAt: '2026-12-07T11:00:00Z',
    watchedRenewalAt: '2026-12-07T11:00:05Z',
    want: 'AwaitingShutdownConfirmation: renewed its Lease after',
  },
  {
    name: 'a cloud taint without timeAdded first seen after the last watched renewal counts',
    node: silentNode({ cloudTaint: true }),
    seenAt: '2026-12-07T11:00:30Z',
    watchedRenewalAt: '2026-12-07T11:00:05Z',
    want: 'allowed',
  },
  {
    name: 'an annotation that is not an RFC 3339 time says so',
    node: silentNode({ agentAt: 'yesterday' }),
    want: 'AwaitingShutdownConfirmation: "yesterday" is not an RFC 3339 time',
  },
  {
    name: 'a local time without a zone is not read as one',
    node: silentNode({ agentAt: '2026-12-07T10:00:30' }),
    want: 'AwaitingShutdownConfirmation: is not an RFC 3339 time',
  },
  {
    name: 'one current confirmation is enough when another is stale',
    node: silentNode({ cloudTaint: '2026-12-07T09:59:00Z', agentAt: '2026-12-07T10:01:00+01:00' }),
    leaseRenewTime: new Date('2026-12-07T08:30:00Z'),
    want: 'allowed',
  },
  {
    name: 'a stated time is judged by the operator alone when the Lease was never seen',
    node: silentNode({ agentAt: '2020-01-01T00:00:00Z' }),
    leaseRenewTime: undefined,
    want: 'allowed',
  },
];

function verdict(c: Case): string {
  const input: ConsentInput = {
    policy: c.policy ?? defaultFencingPolicy,
    node: c.node,
    silentSeconds: 30,
    shutdown: {
      leaseRenewTime: 'leaseRenewTime' in c ? c.leaseRenewTime : renewed,
      watchedRenewalAt: c.watchedRenewalAt !== undefined ? new Date(c.watchedRenewalAt) : undefined,
      seenAt: () => (c.seenAt !== undefined ? new Date(c.seenAt) : undefined),
    },
  };
  const consent = fencingConsent(input);
  return consent.allowed ? 'allowed' : `${consent.reason}: ${consent.message}`;
}

for (const c of cases)
  test(c.name, () => {
    const got = verdict(c);
    const [reason, detail] = c.want.split(': ');
    assert.ok(got.startsWith(reason ?? ''), `got ${got}`);
    if (detail !== undefined) assert.ok(got.includes(detail), `"${detail}" missing in: ${got}`);
  });

test('a refusal names the node and the flag that decided it', () => {
  const got = verdict({ name: '', policy: onlyDbPool, node: silentNode({ labels: {} }), want: '' });
  assert.match(got, /node a1 failed \(Lease not renewed for 30 s\)/);
  assert.match(got, /--fencing-node-selector=pool=db/);
});

test('the operator dates a confirmation from when it first saw it, and a changed one afresh', () => {
  const clock = new ManualClock(new Date('2026-12-07T10:00:00Z'));
  const sightings = new ShutdownSightings(clock);
  const confirmed = silentNode({ agentAt: '2026-12-07T09:59:59Z' });
  sightings.onNode('add', confirmed);
  clock.advance(5000);
  sightings.onNode('update', confirmed);
  const first = { source: 'FencingAgent' as const, value: '2026-12-07T09:59:59Z' };
  assert.equal(sightings.seenAt('a1', first)?.toISOString(), '2026-12-07T10:00:00.000Z');
  sightings.onNode('update', silentNode({ agentAt: '2026-12-07T10:00:04Z' }));
  assert.equal(
    sightings.seenAt('a1', { source: 'FencingAgent', value: '2026-12-07T10:00:04Z' })?.toISOString(),
    '2026-12-07T10:00:05.000Z',
  );
  assert.equal(sightings.seenAt('a1', first), undefined, 'the earlier one is forgotten');
  sightings.onNode('update', silentNode({}));
  assert.equal(sightings.seenAt('a1', { source: 'FencingAgent', value: '2026-12-07T10:00:04Z' }), undefined);
});
