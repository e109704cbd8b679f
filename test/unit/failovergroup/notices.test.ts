import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailureNotices } from '../../../src/controllers/failovergroup/notices.js';

// Each case is a sequence of passes: the failed nodes a pass saw, and what it should tell.
const cases: { name: string; passes: { group?: string; failed: string[]; told: string[] }[] }[] = [
  {
    name: 'a node that stays down is told once, not on every pass',
    passes: [
      { failed: ['n1'], told: ['n1'] },
      { failed: ['n1'], told: [] },
      { failed: ['n1'], told: [] },
    ],
  },
  {
    name: 'a second node failing later is told when it fails',
    passes: [
      { failed: ['n1'], told: ['n1'] },
      { failed: ['n1', 'n2'], told: ['n2'] },
    ],
  },
  {
    name: 'a node that recovers and fails again is told again',
    passes: [
      { failed: ['n1'], told: ['n1'] },
      { failed: [], told: [] },
      { failed: ['n1'], told: ['n1'] },
    ],
  },
  {
    name: 'groups are told apart: the same node failing for two groups is told to each',
    passes: [
      { group: 'a', failed: ['n1'], told: ['n1'] },
      { group: 'b', failed: ['n1'], told: ['n1'] },
      { group: 'a', failed: ['n1'], told: [] },
    ],
  },
];

for (const c of cases) {
  test(c.name, () => {
    const notices = new FailureNotices();
    for (const [i, pass] of c.passes.entries())
      assert.deepEqual(notices.untold(pass.group ?? 'g', pass.failed), pass.told, `pass ${String(i + 1)}`);
  });
}
