// Planned moves while the active zone runs: a person's promote annotation,
// and Automatic failback once the preferred zone has been whole for
// failbackDelaySeconds. Never while another failover runs, never into a zone
// with a node down, never when the view cannot be trusted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assessNodes, type NodeObservation } from '../../../src/controllers/failovergroup/health.js';
import { decideSwitch, type SwitchInput } from '../../../src/controllers/failovergroup/switch-plan.js';

const t0 = Date.parse('2026-11-23T10:00:00Z');
const at = (s: number): Date => new Date(t0 + s * 1000);

function node(name: string, zone: string, healthy: boolean): NodeObservation {
  return healthy
    ? { name, zone, ready: 'True', leaseSeenAt: at(99), heartbeatIntervalSeconds: 5 }
    : { name, zone, ready: 'Unknown', leaseSeenAt: at(0), heartbeatIntervalSeconds: 5 };
}

const report = (down: readonly string[]): SwitchInput['report'] =>
  assessNodes({
    nodes: ['a1', 'a2', 'b1', 'b2', 'c1', 'c2'].map((n) =>
      node(n, `zone-${n.slice(0, 1)}`, !down.includes(n)),
    ),
    now: at(100),
    detectionSeconds: 15,
    viewLiveSince: at(0),
  });

function input(over: Partial<SwitchInput>): SwitchInput {
  return {
    zones: ['zone-a', 'zone-b', 'zone-c'],
    activeZone: 'zone-b',
    failback: 'Automatic',
    failbackDelaySeconds: 60,
    report: report([]),
    readySince: new Map([
      ['zone-a', at(10)],
      ['zone-b', at(0)],
      ['zone-c', at(0)],
    ]),
    inProgress: false,
    now: at(100),
    ...over,
  };
}

const cases: { name: string; input: SwitchInput; want: Record<string, unknown> }[] = [
  {
    name: 'the preferred zone whole for longer than the delay: the group moves back',
    input: input({}),
    want: { action: 'switch', reason: 'Failback', to: 'zone-a' },
  },
  {
    name: 'the preferred zone whole for less than the delay: wait out the rest of it',
    input: input({ readySince: new Map([['zone-a', at(70)]]) }),
    want: { action: 'wait', reason: 'FailbackPending', retryAfterMs: 30_000 },
  },
  {
    name: 'no Ready time known for the preferred zone: wait, do not assume it is stable',
    input: input({ readySince: new Map() }),
    want: { action: 'wait', reason: 'FailbackPending' },
  },
  {
    name: 'one node of the preferred zone still down: no failback',
    input: input({ report: report(['a2']) }),
    want: { action: 'none' },
  },
  {
    name: 'failback Manual: the group stays where it is',
    input: input({ failback: 'Manual' }),
    want: { action: 'none' },
  },
  {
    name: 'already in the preferred zone: nothing to do',
    input: input({ activeZone: 'zone-a' }),
    want: { action: 'none' },
  },
  {
    name: 'another failover in progress: nothing, whatever the zones look like',
    input: input({ inProgress: true, requestedZone: 'zone-c' }),
    want: { action: 'none' },
  },
  {
    name: 'a view the operator cannot trust (most nodes silent): nothing',
    input: input({ report: report(['a1', 'a2', 'b1', 'c1']) }),
    want: { action: 'none' },
  },
  {
    name: 'the active zone itself has no Ready node: left to the zone-loss rules',
    input: input({ report: report(['b1', 'b2']) }),
    want: { action: 'none' },
  },
  {
    name: 'a person asks for a whole zone: the group moves there, even with failback Manual',
    input: input({ failback: 'Manual', requestedZone: 'zone-c' }),
    want: { action: 'switch', reason: 'Manual', to: 'zone-c' },
  },
  {
    name: 'a request wins over Automatic failback to the preferred zone',
    input: input({ requestedZone: 'zone-c' }),
    want: { action: 'switch', reason: 'Manual', to: 'zone-c' },
  },
  {
    name: 'a request for the zone already active asks for nothing; failback still applies',
    input: input({ requestedZone: 'zone-b' }),
    want: { action: 'switch', reason: 'Failback', to: 'zone-a' },
  },
  {
    name: 'a request for a zone with a node down waits, and says why',
    input: input({ requestedZone: 'zone-c', report: report(['c1']) }),
    want: { action: 'wait', reason: 'TargetZoneUnhealthy' },
  },
  {
    name: 'a request for a zone not in spec.zones is refused with its name',
    input: input({ requestedZone: 'zone-x' }),
    want: { action: 'wait', reason: 'UnknownZone' },
  },
];

for (const c of cases)
  test(c.name, () => {
    const got = decideSwitch(c.input) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(c.want))
      assert.deepEqual(got[k], v, `${k} of ${JSON.stringify(got)}`);
  });
