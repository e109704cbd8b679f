// --fencing-node-selector takes kubectl's selector syntax; these are the
// forms it accepts, what they mean, and the mistakes it refuses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLabelSelector } from '../../../src/kube/selector.js';
import { matchesSelector } from '../../../src/controllers/volumebackuppolicy/select.js';

const parsed: { name: string; text: string; want: ReturnType<typeof parseLabelSelector> }[] = [
  { name: 'empty text selects everything', text: '  ', want: {} },
  { name: 'key=value is a label to match', text: 'pool=db', want: { matchLabels: { pool: 'db' } } },
  { name: 'key==value means the same', text: 'pool==db', want: { matchLabels: { pool: 'db' } } },
  {
    name: 'key!=value is NotIn, so nodes without the label match it too',
    text: 'pool!=db',
    want: { matchExpressions: [{ key: 'pool', operator: 'NotIn', values: ['db'] }] },
  },
  {
    name: 'set forms keep their values in order',
    text: 'topology.kubernetes.io/zone in (zone-a, zone-b),tier notin (spot)',
    want: {
      matchExpressions: [
        { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-a', 'zone-b'] },
        { key: 'tier', operator: 'NotIn', values: ['spot'] },
      ],
    },
  },
  {
    name: 'a bare key must exist and !key must not',
    text: 'fencing.example.com/allowed, !node-role.kubernetes.io/control-plane',
    want: {
      matchExpressions: [
        { key: 'fencing.example.com/allowed', operator: 'Exists' },
        { key: 'node-role.kubernetes.io/control-plane', operator: 'DoesNotExist' },
      ],
    },
  },
  { name: 'an empty value is a value', text: 'pool=', want: { matchLabels: { pool: '' } } },
];
for (const c of parsed)
  test(c.name, () => {
    assert.deepEqual(parseLabelSelector(c.text), c.want);
  });

const refused: { name: string; text: string; error: RegExp }[] = [
  { name: 'an unclosed set is refused', text: 'zone in (a', error: /is none of key=value/ },
  { name: 'a trailing comma is refused', text: 'a=b,', error: /empty requirement/ },
  {
    name: 'a key with a character labels cannot hold is refused',
    text: 'my$pool=db',
    error: /not a label key/,
  },
  { name: 'a key with a space is refused', text: 'my pool=db', error: /is none of/ },
  {
    name: 'a value too long for a label is refused',
    text: `pool=${'x'.repeat(64)}`,
    error: /not a label value/,
  },
  { name: 'a key asked to equal two values is refused', text: 'a=b,a=c', error: /both "b" and "c"/ },
  { name: 'an upper-case prefix is refused', text: 'Example.com/x', error: /not a label key/ },
];
for (const c of refused)
  test(c.name, () => {
    assert.throws(() => parseLabelSelector(c.text), c.error);
  });

test('a parsed selector matches node labels as Kubernetes does', () => {
  const sel = parseLabelSelector('pool=db,tier!=spot,!excluded');
  assert.equal(matchesSelector({ pool: 'db' }, sel), true);
  assert.equal(matchesSelector({ pool: 'db', tier: 'spot' }, sel), false);
  assert.equal(matchesSelector({ pool: 'db', excluded: '' }, sel), false);
  assert.equal(matchesSelector({ pool: 'web' }, sel), false);
});
