// A fenced node's taint goes only when the node is back: Ready, and seen
// renewing its Lease after it was fenced. Ready alone lags a dead node by the
// node lifecycle controller's grace period.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { annotations } from '../../../src/api/v1alpha1/vocabulary.js';
import type { FailoverGroup } from '../../../src/api/v1alpha1/types.generated.js';
import { outOfServiceTaint, type Node } from '../../../src/controllers/failovergroup/fence.js';
import { nodesToRelease } from '../../../src/controllers/failovergroup/unfence-step.js';
import { failoverGroup, node } from '../../support/builders.js';

const fencedAt = '2026-11-23T10:00:05Z';

/** Node a1 as group shop/db (or `by`) fenced it: annotated, and tainted unless told. */
function fencedNode(opts: { ready: boolean; tainted?: boolean; by?: string }): Node {
  return node('a1', {
    ready: opts.ready ? 'True' : 'Unknown',
    metadata: { annotations: { [annotations.fencedBy]: opts.by ?? 'shop/db' } },
    spec: opts.tainted === false ? {} : { taints: [{ ...outOfServiceTaint }] },
  });
}

/** Group db in zone-a, with a1 in its record of fenced nodes when `recorded`. */
function group(recorded: boolean): FailoverGroup {
  return failoverGroup('shop', 'db', {
    spec: { zones: ['zone-a'] },
    status: recorded ? { fencedNodes: [{ name: 'a1', fencedAt }] } : {},
  });
}

const cases: {
  name: string;
  node: Node;
  renewedAt?: string;
  recorded?: boolean;
  want: boolean;
}[] = [
  {
    name: 'a node Ready and renewing again after it was fenced is released',
    node: fencedNode({ ready: true }),
    renewedAt: '2026-11-23T10:01:00Z',
    want: true,
  },
  {
    name: 'a dead node still shown Ready (the grace period has not run out) is not released',
    node: fencedNode({ ready: true }),
    renewedAt: '2026-11-23T10:00:00Z',
    want: false,
  },
  {
    name: 'a renewal in the same second as the fence does not count',
    node: fencedNode({ ready: true }),
    renewedAt: '2026-11-23T10:00:05.500Z',
    want: false,
  },
  {
    name: 'a node renewing but not Ready yet waits',
    node: fencedNode({ ready: false }),
    renewedAt: '2026-11-23T10:01:00Z',
    want: false,
  },
  {
    name: 'a node never seen renewing (the operator just started) is not released',
    node: fencedNode({ ready: true }),
    want: false,
  },
  {
    name: 'a fence not yet recorded in status waits for the record',
    node: fencedNode({ ready: true }),
    renewedAt: '2026-11-23T10:01:00Z',
    recorded: false,
    want: false,
  },
  {
    name: 'a taint another group added is left alone',
    node: fencedNode({ ready: true, by: 'other/db' }),
    renewedAt: '2026-11-23T10:01:00Z',
    want: false,
  },
  {
    name: 'a node whose taint is already gone needs nothing',
    node: fencedNode({ ready: true, tainted: false }),
    renewedAt: '2026-11-23T10:01:00Z',
    want: false,
  },
];

for (const c of cases)
  test(c.name, () => {
    const renewedAt = new Map(c.renewedAt !== undefined ? [['a1', new Date(c.renewedAt)]] : []);
    const got = nodesToRelease(group(c.recorded ?? true), { nodes: [c.node], renewedAt });
    assert.deepEqual(
      got.map((n) => n.metadata.name),
      c.want ? ['a1'] : [],
    );
  });
