// When is a node failed, when is the operator unsure, and which standby is
// promoted when a zone is lost. Times are seconds after t0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assessNodes,
  decidePromotion,
  nodesToFence,
  secondsUntilVerdictChange,
  type NodeObservation,
  type PromotionInput,
} from '../../../src/controllers/failovergroup/health.js';

const t0 = Date.parse('2026-11-22T10:00:00Z');
const at = (s: number): Date => new Date(t0 + s * 1000);

// Heartbeats every 5 s unless a case says otherwise (null: not measured yet), so detectionSeconds (15) binds.
function node(
  name: string,
  zone: string,
  ready: NodeObservation['ready'],
  leaseSeenAtS?: number,
  heartbeatIntervalSeconds: number | null = 5,
): NodeObservation {
  return {
    name,
    zone,
    ready,
    leaseSeenAt: leaseSeenAtS === undefined ? undefined : at(leaseSeenAtS),
    ...(heartbeatIntervalSeconds !== null ? { heartbeatIntervalSeconds } : {}),
  };
}

const healthy = [
  node('a1', 'zone-a', 'True', 99),
  node('b1', 'zone-b', 'True', 99),
  node('c1', 'zone-c', 'True', 99),
];

const cases: {
  name: string;
  nodes: NodeObservation[];
  now: number;
  liveSince?: number;
  want: { kind: string; failed?: string[]; suspect?: string[]; reason?: string };
}[] = [
  {
    name: 'nodes renewing their leases are healthy',
    nodes: [...healthy, node('a2', 'zone-a', 'True', 96)],
    now: 100,
    want: { kind: 'Assessed', failed: [], suspect: [] },
  },
  {
    name: 'a NotReady node silent for less than detectionSeconds is only suspect',
    nodes: [...healthy, node('a2', 'zone-a', 'Unknown', 90)],
    now: 100,
    want: { kind: 'Assessed', failed: [], suspect: ['a2'] },
  },
  {
    name: 'a NotReady node silent for detectionSeconds is failed',
    nodes: [...healthy, node('a2', 'zone-a', 'Unknown', 85)],
    now: 100,
    want: { kind: 'Assessed', failed: ['a2'], suspect: [] },
  },
  {
    name: 'a NotReady node whose lease was renewed recently is only suspect: its kubelet lives',
    nodes: [...healthy, node('a2', 'zone-a', 'False', 98)],
    now: 100,
    want: { kind: 'Assessed', failed: [], suspect: ['a2'] },
  },
  {
    name: 'a node still reported Ready but silent for detectionSeconds is failed: Ready lags the lease',
    nodes: [...healthy, node('a2', 'zone-a', 'True', 80)],
    now: 100,
    want: { kind: 'Assessed', failed: ['a2'], suspect: [] },
  },
  {
    name: 'a node that renews only every 20 s needs 40 s of silence, whatever detectionSeconds says',
    nodes: [...healthy, node('a2', 'zone-a', 'True', 70, 20)],
    now: 100,
    want: { kind: 'Assessed', failed: [], suspect: [] },
  },
  {
    name: 'a node whose renew interval is not known yet is judged on the kubelet default of 10 s',
    nodes: [...healthy, node('a2', 'zone-a', 'Unknown', 83, null)],
    now: 100,
    want: { kind: 'Assessed', failed: [], suspect: ['a2'] },
  },
  {
    name: 'a node with no lease ever seen counts only from when the view went live',
    nodes: [...healthy, node('a2', 'zone-a', 'Unknown', undefined)],
    now: 100,
    liveSince: 90,
    want: { kind: 'Unsure', reason: 'ViewNotLiveLongEnough' },
  },
  {
    name: 'silence that began before the operator reconnected is not evidence: it is unsure',
    nodes: [...healthy, node('a2', 'zone-a', 'Unknown', 10)],
    now: 100,
    liveSince: 95,
    want: { kind: 'Unsure', reason: 'ViewNotLiveLongEnough' },
  },
  {
    name: 'most nodes unhealthy at once is a partition, not failures',
    nodes: [
      node('a1', 'zone-a', 'Unknown', 0),
      node('b1', 'zone-b', 'Unknown', 0),
      node('c1', 'zone-c', 'True', 99),
    ],
    now: 100,
    want: { kind: 'Unsure', reason: 'MostNodesUnhealthy' },
  },
  {
    name: 'exactly half the nodes unhealthy, a whole zone of two, is still assessed',
    nodes: [
      node('a1', 'zone-a', 'Unknown', 0),
      node('a2', 'zone-a', 'Unknown', 0),
      node('b1', 'zone-b', 'True', 99),
      node('c1', 'zone-c', 'True', 99),
    ],
    now: 100,
    want: { kind: 'Assessed', failed: ['a1', 'a2'], suspect: [] },
  },
];

for (const c of cases) {
  test(c.name, () => {
    const report = assessNodes({
      nodes: c.nodes,
      now: at(c.now),
      detectionSeconds: 15,
      viewLiveSince: at(c.liveSince ?? 0),
    });
    assert.equal(report.kind, c.want.kind);
    if (report.kind === 'Unsure') {
      assert.equal(report.reason, c.want.reason);
      assert.deepEqual(
        nodesToFence(report, new Set(c.nodes.map((n) => n.name))),
        [],
        'an unsure report fences nothing',
      );
      return;
    }
    const names = (state: string): string[] =>
      report.nodes.filter((n) => n.state === state).map((n) => n.name);
    assert.deepEqual(names('Failed'), c.want.failed);
    assert.deepEqual(names('Suspect'), c.want.suspect);
  });
}

// Silence sends no event: the controller must know when to look again by itself.
const looks: {
  name: string;
  nodes: NodeObservation[];
  group: string[];
  now: number;
  liveSince?: number;
  want: number | undefined;
}[] = [
  {
    name: 'a node that just renewed is looked at again when it would be half a heartbeat late',
    nodes: [node('a1', 'zone-a', 'True', 100, 10)],
    group: ['a1'],
    now: 100,
    want: 15,
  },
  {
    name: 'a late node is looked at again when its silence would prove it failed',
    nodes: [node('a1', 'zone-a', 'True', 84, 10)],
    group: ['a1'],
    now: 100,
    want: 4,
  },
  {
    name: 'the slower of detectionSeconds and two heartbeats decides when a node would fail',
    nodes: [node('a1', 'zone-a', 'True', 70, 13)],
    group: ['a1'],
    now: 90,
    want: 6,
  },
  {
    name: 'the soonest of the group’s nodes wins, and nodes outside the group are ignored',
    nodes: [
      node('a1', 'zone-a', 'True', 99, 10),
      node('b1', 'zone-b', 'True', 90, 10),
      node('c1', 'zone-c', 'True', 80, 10),
    ],
    group: ['a1', 'b1'],
    now: 100,
    want: 5,
  },
  {
    name: 'silence the operator did not watch counts only from when its view became live',
    nodes: [node('a1', 'zone-a', 'True', 10, 10)],
    group: ['a1'],
    now: 100,
    liveSince: 95,
    want: 10,
  },
  {
    name: 'a node already failed changes no more: nothing to look for',
    nodes: [node('a1', 'zone-a', 'Unknown', 50, 10)],
    group: ['a1'],
    now: 100,
    want: undefined,
  },
  {
    name: 'no nodes in the group: nothing to look for',
    nodes: healthy,
    group: [],
    now: 100,
    want: undefined,
  },
];

for (const c of looks)
  test(c.name, () => {
    const got = secondsUntilVerdictChange(
      { nodes: c.nodes, now: at(c.now), detectionSeconds: 15, viewLiveSince: at(c.liveSince ?? 0) },
      new Set(c.group),
    );
    assert.equal(got, c.want);
  });

test('only failed nodes that host the group’s pods are fenced', () => {
  const report = assessNodes({
    nodes: [...healthy, node('a2', 'zone-a', 'Unknown', 0), node('b2', 'zone-b', 'Unknown', 0)],
    now: at(100),
    detectionSeconds: 15,
    viewLiveSince: at(0),
  });
  assert.deepEqual(
    nodesToFence(report, new Set(['a2', 'c1'])).map((n) => n.name),
    ['a2'],
  );
});

const zoneALost = assessNodes({
  nodes: [
    node('a1', 'zone-a', 'Unknown', 0),
    node('b1', 'zone-b', 'True', 99),
    node('c1', 'zone-c', 'True', 99),
  ],
  now: at(100),
  detectionSeconds: 15,
  viewLiveSince: at(0),
});

function promotion(over: Partial<PromotionInput>): PromotionInput {
  return {
    activeZone: 'zone-a',
    zones: ['zone-a', 'zone-b', 'zone-c'],
    report: zoneALost,
    candidates: [
      { zone: 'zone-b', standby: { claim: 'db-zone-b', backupTakenAt: at(40) } },
      { zone: 'zone-c', standby: { claim: 'db-zone-c', backupTakenAt: at(90) } },
    ],
    promotion: 'Automatic',
    maxDataLossSeconds: 300,
    now: at(100),
    ...over,
  };
}

const promotions: { name: string; input: PromotionInput; want: Record<string, unknown> }[] = [
  {
    name: 'the standby in the next preferred zone is promoted, even if a later zone is fresher',
    input: promotion({}),
    want: { action: 'promote', zone: 'zone-b', claim: 'db-zone-b', dataLossSeconds: 60 },
  },
  {
    name: 'a healthy active zone stays',
    input: promotion({ activeZone: 'zone-b' }),
    want: { action: 'stay', reason: 'ActiveZoneHealthy' },
  },
  {
    name: 'a preferred zone without a standby is skipped for the next one with one',
    input: promotion({
      candidates: [
        { zone: 'zone-b' },
        { zone: 'zone-c', standby: { claim: 'db-zone-c', backupTakenAt: at(90) } },
      ],
    }),
    want: { action: 'promote', zone: 'zone-c', claim: 'db-zone-c', dataLossSeconds: 10 },
  },
  {
    name: 'a standby older than maxDataLossSeconds is refused',
    input: promotion({ maxDataLossSeconds: 30 }),
    want: { action: 'refuse', reason: 'DataLossTooLarge' },
  },
  {
    name: 'a standby that never received a backup is refused when a loss limit is set',
    input: promotion({
      candidates: [{ zone: 'zone-b', standby: { claim: 'db-zone-b', backupTakenAt: undefined } }],
    }),
    want: { action: 'refuse', reason: 'DataLossTooLarge' },
  },
  {
    name: 'manual promotion only reports',
    input: promotion({ promotion: 'Manual' }),
    want: { action: 'refuse', reason: 'ManualPromotion' },
  },
  {
    name: 'no standby anywhere healthy is refused with advice',
    input: promotion({ candidates: [] }),
    want: { action: 'refuse', reason: 'NoStandby' },
  },
  {
    name: 'an unsure health report never promotes',
    input: promotion({
      report: assessNodes({
        nodes: [
          node('a1', 'zone-a', 'Unknown', 0),
          node('b1', 'zone-b', 'Unknown', 0),
          node('c1', 'zone-c', 'True', 99),
        ],
        now: at(100),
        detectionSeconds: 15,
        viewLiveSince: at(0),
      }),
    }),
    want: { action: 'stay', reason: 'Unsure' },
  },
];

for (const p of promotions) {
  test(p.name, () => {
    const decision = decidePromotion(p.input) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(p.want))
      assert.equal(decision[k], v, `${k} of ${JSON.stringify(decision)}`);
  });
}
