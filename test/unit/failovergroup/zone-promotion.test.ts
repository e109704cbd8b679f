// Zone-loss decisions added with promotion: a zone is lost only when every one
// of its nodes is confirmed Failed, and a person's annotation promotes past
// the Manual policy and the data-loss limit, but only into a healthy zone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assessNodes,
  decidePromotion,
  type NodeObservation,
  type PromotionInput,
} from '../../../src/controllers/failovergroup/health.js';

const t0 = Date.parse('2026-11-22T10:00:00Z');
const at = (s: number): Date => new Date(t0 + s * 1000);

function node(
  name: string,
  zone: string,
  ready: NodeObservation['ready'],
  leaseSeenAtS: number,
): NodeObservation {
  return { name, zone, ready, leaseSeenAt: at(leaseSeenAtS), heartbeatIntervalSeconds: 5 };
}

const report = (nodes: NodeObservation[]): PromotionInput['report'] =>
  assessNodes({ nodes, now: at(100), detectionSeconds: 15, viewLiveSince: at(0) });

const lost = report([
  node('a1', 'zone-a', 'Unknown', 0),
  node('a2', 'zone-a', 'Unknown', 0),
  node('b1', 'zone-b', 'True', 99),
  node('b2', 'zone-b', 'True', 99),
  node('c1', 'zone-c', 'True', 99),
  node('c2', 'zone-c', 'True', 99),
]);

function input(over: Partial<PromotionInput>): PromotionInput {
  return {
    activeZone: 'zone-a',
    zones: ['zone-a', 'zone-b'],
    report: lost,
    candidates: [{ zone: 'zone-b', standby: { claim: 'data-db-0-zone-b-1', backupTakenAt: at(40) } }],
    promotion: 'Automatic',
    maxDataLossSeconds: 3600,
    now: at(100),
    ...over,
  };
}

const cases: { name: string; input: PromotionInput; want: Record<string, unknown> }[] = [
  {
    name: 'every node of the active zone failed: the next zone is promoted',
    input: input({}),
    want: { action: 'promote', zone: 'zone-b', dataLossSeconds: 60 },
  },
  {
    name: 'a zone with one node only late (suspect) is not lost yet',
    input: input({
      report: report([
        node('a1', 'zone-a', 'Unknown', 0),
        node('a2', 'zone-a', 'True', 92),
        node('b1', 'zone-b', 'True', 99),
        node('b2', 'zone-b', 'True', 99),
        node('c1', 'zone-c', 'True', 99),
        node('c2', 'zone-c', 'True', 99),
      ]),
    }),
    want: { action: 'stay', reason: 'ZoneSuspect' },
  },
  {
    name: 'a backup older than maxDataLossSeconds is refused',
    input: input({ maxDataLossSeconds: 30 }),
    want: { action: 'refuse', reason: 'DataLossTooLarge' },
  },
  {
    name: 'the promote annotation overrides the data-loss limit',
    input: input({ maxDataLossSeconds: 30, requestedZone: 'zone-b' }),
    want: { action: 'promote', zone: 'zone-b' },
  },
  {
    name: 'the promote annotation overrides Manual',
    input: input({ promotion: 'Manual', maxDataLossSeconds: undefined, requestedZone: 'zone-b' }),
    want: { action: 'promote', zone: 'zone-b' },
  },
  {
    name: 'Manual without the annotation waits',
    input: input({ promotion: 'Manual' }),
    want: { action: 'refuse', reason: 'ManualPromotion' },
  },
  {
    name: 'a requested zone that is itself lost is refused',
    input: input({ requestedZone: 'zone-a' }),
    want: { action: 'refuse', reason: 'NoStandby' },
  },
];

for (const c of cases) {
  test(`zone promotion: ${c.name}`, () => {
    const d = decidePromotion(c.input) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(c.want)) assert.equal(d[k], v, `${k} of ${JSON.stringify(d)}`);
  });
}
