// Which nodes a FailoverGroup's pods make its own, and so which nodes its
// failures may fence: a pod's spec.nodeName counts only once the scheduler
// bound the pod or a kubelet started it there, both written where a tenant
// cannot write (status is wiped on create).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundNodeOf, type Pod } from '../../../src/controllers/failovergroup/workload.js';
import { pod } from '../../support/builders.js';

type Status = NonNullable<Pod['status']>;

/** db-0 naming `nodeName`, with the status the scheduler or a kubelet wrote. */
function placed(nodeName: string | undefined, status: Status | undefined): Pod {
  return pod({ nodeName, status });
}

const scheduled: Status['conditions'] = [{ type: 'PodScheduled', status: 'True' }];
const at = '2026-12-07T10:00:00Z';

const cases: { name: string; pod: Pod; want: string | undefined }[] = [
  {
    name: 'a pod the scheduler bound counts for its node before it starts',
    pod: placed('a1', { phase: 'Pending', conditions: scheduled }),
    want: 'a1',
  },
  {
    name: 'a pod a kubelet started counts (a real kubelet also sets PodScheduled)',
    pod: placed('a1', { phase: 'Running', startTime: at, conditions: scheduled }),
    want: 'a1',
  },
  {
    name: 'a pod the simulated kubelet started counts by its startTime alone',
    pod: placed('a1', { phase: 'Running', startTime: at, conditions: [{ type: 'Ready', status: 'True' }] }),
    want: 'a1',
  },
  {
    name: 'a pod with container statuses but no startTime counts',
    pod: placed('a1', {
      phase: 'Running',
      containerStatuses: [{ name: 'db' }],
    }),
    want: 'a1',
  },
  {
    name: 'a pod pinned by spec.nodeName that no kubelet ever picked up does not count',
    pod: placed('b1', { phase: 'Pending' }),
    want: undefined,
  },
  {
    name: 'a pinned pod with no status at all does not count',
    pod: placed('b1', undefined),
    want: undefined,
  },
  {
    name: 'a pod the scheduler could not place does not count',
    pod: placed(undefined, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] }),
    want: undefined,
  },
  {
    name: 'a PodScheduled condition that is not True does not count',
    pod: placed('b1', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'Unknown' }] }),
    want: undefined,
  },
  {
    name: 'a pod the kubelet rejected (Failed) holds nothing on its node',
    pod: placed('b1', { phase: 'Failed', startTime: at }),
    want: undefined,
  },
  {
    name: 'a pod that completed holds nothing on its node',
    pod: placed('a1', { phase: 'Succeeded', startTime: at, conditions: scheduled }),
    want: undefined,
  },
];

for (const c of cases)
  test(c.name, () => {
    assert.equal(boundNodeOf(c.pod), c.want);
  });
