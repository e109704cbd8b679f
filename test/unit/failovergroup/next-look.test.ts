import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeVerdict } from '../../../src/controllers/failovergroup/health.js';
import { nextLook } from '../../../src/controllers/failovergroup/requeue.js';

const healthy: NodeVerdict = { name: 'n1', zone: 'zone-a', state: 'Healthy' };
const failed: NodeVerdict = { name: 'n1', zone: 'zone-a', state: 'Failed', failedForSeconds: 40 };
const failedElsewhere: NodeVerdict = { name: 'n9', zone: 'zone-c', state: 'Failed', failedForSeconds: 40 };

const cases: {
  name: string;
  nodes: NodeVerdict[];
  phase?: string;
  fenced?: string[];
  verdictChangeSeconds?: number;
  detectionSeconds?: number;
  requeueAfterMs: number | undefined;
}[] = [
  { name: 'a group whose nodes are all well is left alone', nodes: [healthy], requeueAfterMs: undefined },
  {
    name: 'a failed node of the group that may not be fenced is looked at every 5 s, to see it recover',
    nodes: [failed],
    requeueAfterMs: 5_250,
  },
  {
    name: 'a failed node the group does not use changes nothing for it',
    nodes: [healthy, failedElsewhere],
    requeueAfterMs: undefined,
  },
  {
    name: 'a node the group fenced is looked at until it is released, though its pods left it',
    nodes: [healthy],
    fenced: ['n1'],
    requeueAfterMs: 5_250,
  },
  {
    name: 'a detection window shorter than 5 s is the period instead',
    nodes: [failed],
    detectionSeconds: 2,
    requeueAfterMs: 2_250,
  },
  {
    name: 'a verdict about to change by silence alone comes first',
    nodes: [failed],
    verdictChangeSeconds: 1,
    requeueAfterMs: 1_250,
  },
  {
    name: 'a failover in progress is looked at every second',
    nodes: [healthy],
    phase: 'FailingOver',
    requeueAfterMs: 1_000,
  },
];

for (const c of cases) {
  test(c.name, () => {
    const result = nextLook(
      {
        report: { kind: 'Assessed', nodes: c.nodes },
        groupNodes: new Set(['n1']),
        ...(c.verdictChangeSeconds !== undefined ? { verdictChangeSeconds: c.verdictChangeSeconds } : {}),
      },
      {
        ...(c.phase !== undefined ? { phase: c.phase as 'FailingOver' } : {}),
        ...(c.fenced !== undefined
          ? { fencedNodes: c.fenced.map((name) => ({ name, fencedAt: '2026-12-08T00:00:00Z' })) }
          : {}),
      },
      c.detectionSeconds ?? 15,
    );
    assert.equal(result.requeueAfterMs, c.requeueAfterMs);
  });
}
