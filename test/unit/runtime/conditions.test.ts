// Conditions: lastTransitionTime answers "since when", so it moves only when
// the status flips; observedGeneration always says what was looked at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setCondition, type Condition } from '../../../src/runtime/conditions.js';
import { canonicalJson, sameJson } from '../../../src/runtime/status.js';

const t0 = new Date('2026-01-01T00:00:00.123Z');
const t1 = new Date('2026-01-01T00:05:00Z');
const ready = (status: Condition['status'], at = '2026-01-01T00:00:00Z'): Condition => ({
  type: 'Ready',
  status,
  observedGeneration: 1,
  lastTransitionTime: at,
  reason: 'R',
  message: 'm',
});

const cases: { name: string; before: Condition[]; status: Condition['status']; wantTime: string }[] = [
  {
    name: 'a new condition starts its clock now',
    before: [],
    status: 'True',
    wantTime: '2026-01-01T00:05:00Z',
  },
  {
    name: 'the same status keeps the old transition time',
    before: [ready('True')],
    status: 'True',
    wantTime: '2026-01-01T00:00:00Z',
  },
  {
    name: 'a flip from True to False moves the time',
    before: [ready('True')],
    status: 'False',
    wantTime: '2026-01-01T00:05:00Z',
  },
  {
    name: 'a flip from Unknown to True moves the time',
    before: [ready('Unknown')],
    status: 'True',
    wantTime: '2026-01-01T00:05:00Z',
  },
];
for (const c of cases) {
  test(c.name, () => {
    const out = setCondition(
      c.before,
      { type: 'Ready', status: c.status, reason: 'Why', message: 'Text' },
      7,
      t1,
    );
    assert.equal(out.length, 1);
    const [cond] = out;
    assert.ok(cond);
    assert.equal(cond.lastTransitionTime, c.wantTime);
    assert.equal(cond.observedGeneration, 7);
    assert.equal(cond.reason, 'Why');
  });
}

test('setting one condition leaves the others and their order alone and does not mutate the input', () => {
  const before: Condition[] = [ready('True'), { ...ready('False'), type: 'Attached' }];
  const out = setCondition(
    before,
    { type: 'Attached', status: 'True', reason: 'Mounted', message: '' },
    2,
    t0,
  );
  assert.deepEqual(
    out.map((c) => c.type),
    ['Ready', 'Attached'],
  );
  assert.equal(before[1]?.status, 'False');
  assert.equal(
    out[1]?.lastTransitionTime,
    '2026-01-01T00:00:00Z',
    'times have whole seconds like metav1.Time',
  );
});

test('status comparison ignores key order but not values', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: 2, c: 3 } }), canonicalJson({ a: { c: 3, d: 2 }, b: 1 }));
  assert.ok(sameJson({ phase: 'Ready', n: [1, 2] }, { n: [1, 2], phase: 'Ready' }));
  assert.ok(!sameJson({ n: [1, 2] }, { n: [2, 1] }), 'array order matters');
  assert.ok(sameJson(undefined, {}), 'no status equals an empty status');
});
