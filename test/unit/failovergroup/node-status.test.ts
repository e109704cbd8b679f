// A node failover's timeline: each step is stamped the first pass it is seen
// done, and the failover is complete only when the pods run off the fenced
// node with their volumes attached there and Ready.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FailoverGroup, FailoverRecord } from '../../../src/api/v1alpha1/types.generated.js';
import type { GroupView } from '../../../src/controllers/failovergroup/observe.js';
import { computeStatus } from '../../../src/controllers/failovergroup/status.js';
import type { Pod } from '../../../src/controllers/failovergroup/workload.js';
import { failoverGroup, node, pod } from '../../support/builders.js';
import { groupView } from './fixtures.js';

const now = new Date('2026-11-22T10:00:30Z');

const started: FailoverRecord = {
  reason: 'NodeFailure',
  node: 'a1',
  fromZone: 'zone-a',
  toZone: 'zone-a',
  startedAt: '2026-11-22T10:00:00Z',
  timeline: { detectedAt: '2026-11-22T10:00:20Z', fencedAt: '2026-11-22T10:00:20Z' },
};

/** Group db in zone-a, failing over from node a1, which it fenced. */
function group(last: FailoverRecord): FailoverGroup {
  return failoverGroup('shop', 'db', {
    metadata: { generation: 1 },
    spec: { zones: ['zone-a'] },
    status: {
      phase: 'FailingOver',
      activeZone: 'zone-a',
      lastFailover: last,
      fencedNodes: [{ name: 'a1', zone: 'zone-a', fencedAt: '2026-11-22T10:00:20Z' }],
    },
  });
}

function view(p: Pod, attached: boolean): GroupView {
  return groupView({
    pods: [p],
    nodes: [node('a1', { zone: 'zone-a' }), node('a2', { zone: 'zone-a' })],
    volumesAttached: attached,
  });
}

const at = '2026-11-22T10:00:30Z';

const cases: {
  name: string;
  last: FailoverRecord;
  pod: Pod;
  attached: boolean;
  want: { steps: string[]; complete: boolean; failingOver: boolean };
}[] = [
  {
    name: 'a pod still on the fenced node has reached no further step',
    last: started,
    pod: pod({ nodeName: 'a1', ready: true }),
    attached: true,
    want: { steps: ['detectedAt', 'fencedAt'], complete: false, failingOver: true },
  },
  {
    name: 'a pod running on another node without its volume attached there is rescheduled, not recovered',
    last: started,
    pod: pod({ nodeName: 'a2', ready: true }),
    attached: false,
    want: { steps: ['detectedAt', 'fencedAt', 'podsRescheduledAt'], complete: false, failingOver: true },
  },
  {
    name: 'volumes attached but the pod not Ready yet is one step short',
    last: started,
    pod: pod({ nodeName: 'a2', ready: false }),
    attached: true,
    want: {
      steps: ['detectedAt', 'fencedAt', 'podsRescheduledAt', 'volumesAttachedAt'],
      complete: false,
      failingOver: true,
    },
  },
  {
    name: 'rescheduled, attached and Ready completes the failover with every step stamped',
    last: started,
    pod: pod({ nodeName: 'a2', ready: true }),
    attached: true,
    want: {
      steps: ['detectedAt', 'fencedAt', 'podsRescheduledAt', 'volumesAttachedAt', 'podsReadyAt'],
      complete: true,
      failingOver: false,
    },
  },
];

for (const c of cases)
  test(c.name, () => {
    const s = computeStatus({
      fg: group(c.last),
      view: view(c.pod, c.attached),
      fenced: { fenced: [], started: [] },
      released: [],
      now,
    });
    const timeline = s.lastFailover?.timeline ?? {};
    assert.deepEqual(Object.keys(timeline).sort(), [...c.want.steps].sort());
    for (const step of c.want.steps.filter((x) => x !== 'detectedAt' && x !== 'fencedAt'))
      assert.equal(timeline[step as keyof typeof timeline], at, step);
    assert.equal(s.lastFailover?.completedAt !== undefined, c.want.complete);
    assert.equal(s.phase === 'FailingOver', c.want.failingOver);
  });

test('a step stamped in an earlier pass keeps its time', () => {
  const earlier = {
    ...started,
    timeline: { ...started.timeline, podsRescheduledAt: '2026-11-22T10:00:25Z' },
  };
  const s = computeStatus({
    fg: group(earlier),
    view: view(pod({ nodeName: 'a2', ready: true }), true),
    fenced: { fenced: [], started: [] },
    released: [],
    now,
  });
  assert.equal(s.lastFailover?.timeline?.podsRescheduledAt, '2026-11-22T10:00:25Z');
  assert.equal(s.lastFailover.timeline.volumesAttachedAt, at);
});
