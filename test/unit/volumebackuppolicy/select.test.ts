// Which StatefulVolumes a policy selects: label selectors as Kubernetes reads
// them, or names, with missing names reported rather than failing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LabelSelector } from '../../../src/api/v1alpha1/types.generated.js';
import { matchesSelector, selectVolumes } from '../../../src/controllers/volumebackuppolicy/select.js';
import { volume } from './fixtures.js';

const selectorCases: {
  name: string;
  labels?: Record<string, string>;
  selector: LabelSelector;
  match: boolean;
}[] = [
  { name: 'an empty selector matches a volume without labels', selector: {}, match: true },
  {
    name: 'matchLabels matches equal values',
    labels: { app: 'db' },
    selector: { matchLabels: { app: 'db' } },
    match: true,
  },
  {
    name: 'matchLabels refuses another value',
    labels: { app: 'web' },
    selector: { matchLabels: { app: 'db' } },
    match: false,
  },
  { name: 'matchLabels refuses a missing label', selector: { matchLabels: { app: 'db' } }, match: false },
  {
    name: 'In matches any listed value',
    labels: { tier: 'gold' },
    selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['silver', 'gold'] }] },
    match: true,
  },
  {
    name: 'In refuses a volume without the label',
    selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }] },
    match: false,
  },
  {
    name: 'NotIn is met by a volume without the label',
    selector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['gold'] }] },
    match: true,
  },
  {
    name: 'NotIn refuses a listed value',
    labels: { tier: 'gold' },
    selector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['gold'] }] },
    match: false,
  },
  {
    name: 'Exists is met by an empty label value',
    labels: { backup: '' },
    selector: { matchExpressions: [{ key: 'backup', operator: 'Exists' }] },
    match: true,
  },
  {
    name: 'DoesNotExist refuses a volume with the label',
    labels: { 'no-backup': 'true' },
    selector: { matchExpressions: [{ key: 'no-backup', operator: 'DoesNotExist' }] },
    match: false,
  },
  {
    name: 'matchLabels and matchExpressions must both hold',
    labels: { app: 'db', tier: 'bronze' },
    selector: {
      matchLabels: { app: 'db' },
      matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }],
    },
    match: false,
  },
];

for (const c of selectorCases) {
  test(c.name, () => {
    assert.equal(matchesSelector(c.labels, c.selector), c.match);
  });
}

test('a selector selects the matching volumes of the namespace, sorted by name', () => {
  const got = selectVolumes({ selector: { matchLabels: { app: 'db' } } }, [
    volume('db-1', { app: 'db' }),
    volume('web-0', { app: 'web' }),
    volume('db-0', { app: 'db' }),
  ]);
  assert.deepEqual(
    got.volumes.map((v) => v.metadata.name),
    ['db-0', 'db-1'],
  );
  assert.deepEqual(got.missing, []);
});

test('named volumes that do not exist are reported as missing, not as an error', () => {
  const got = selectVolumes({ volumes: ['b', 'a', 'gone', 'a'] }, [volume('a'), volume('b'), volume('c')]);
  assert.deepEqual(
    got.volumes.map((v) => v.metadata.name),
    ['a', 'b'],
  );
  assert.deepEqual(got.missing, ['gone']);
});

test('a volume being deleted is not selected', () => {
  const leaving = volume('a', { app: 'db' });
  leaving.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
  assert.deepEqual(selectVolumes({ selector: {} }, [leaving]).volumes, []);
  assert.deepEqual(selectVolumes({ volumes: ['a'] }, [leaving]).missing, ['a']);
});
