// Names and label values derived from other names: legal for any name the API
// server accepts, deterministic, distinct, and unchanged when already legal.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { boundedName, labelValue, nameFragment } from '../../../src/kube/names.js';

// Kubernetes' own definitions (apimachinery validation), written out here so
// that the code under test is not checked against itself.
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function assertName(value: string, max = 253): void {
  assert.ok(value.length <= max, `${value} is ${String(value.length)} characters`);
  assert.match(value, dns1123Subdomain);
}

function assertLabelValue(value: string): void {
  assert.ok(value.length <= 63, `${value} is ${String(value.length)} characters`);
  assert.match(value, labelValuePattern);
}

const sha8 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 8);

const labelCases: { name: string; input: string; want?: string }[] = [
  { name: 'a short name is its own label value', input: 'db-0', want: 'db-0' },
  {
    name: 'a name of exactly 63 characters is its own label value',
    input: 'a'.repeat(63),
    want: 'a'.repeat(63),
  },
  {
    name: 'a name of 64 characters is cut to 54 and given a hash of the whole',
    input: 'a'.repeat(64),
    want: `${'a'.repeat(54)}-${sha8('a'.repeat(64))}`,
  },
  { name: 'a name of 253 characters gives a label value of at most 63', input: 'b'.repeat(253) },
  {
    name: 'a cut that ends in a dot or dash is trimmed before the hash',
    input: `${'c'.repeat(52)}.-d${'e'.repeat(40)}`,
    want: `${'c'.repeat(52)}-${sha8(`${'c'.repeat(52)}.-d${'e'.repeat(40)}`)}`,
  },
  { name: 'a dotted 253-character name gives a legal label value', input: `${'x.'.repeat(126)}y` },
];

for (const c of labelCases) {
  test(c.name, () => {
    const got = labelValue(c.input);
    if (c.want !== undefined) assert.equal(got, c.want);
    assertLabelValue(got);
    assert.equal(labelValue(c.input), got, 'the same input gives the same value');
  });
}

test('two long names that share their first 54 characters get different label values', () => {
  const stem = 's'.repeat(60);
  assert.notEqual(labelValue(`${stem}-1`), labelValue(`${stem}-2`));
});

const boundCases: { name: string; input: string; max?: number; want?: string }[] = [
  { name: 'a name of 253 characters is kept whole', input: 'n'.repeat(253), want: 'n'.repeat(253) },
  { name: 'a name of 254 characters is cut to 253 with a hash', input: 'n'.repeat(254) },
  {
    name: 'a name cut where a dash falls does not end in a dash',
    input: `${'n'.repeat(243)}-${'m'.repeat(20)}`,
  },
  {
    name: 'a name cut where a dot falls does not end in a dot',
    input: `${'n'.repeat(243)}.${'m'.repeat(20)}`,
  },
  { name: 'a bound of 63 gives a DNS label length', input: 'p'.repeat(100), max: 63 },
];

for (const c of boundCases) {
  test(c.name, () => {
    const got = boundedName(c.input, c.max);
    if (c.want !== undefined) assert.equal(got, c.want);
    assertName(got, c.max ?? 253);
    assert.equal(boundedName(c.input, c.max), got);
  });
}

const fragmentCases: { name: string; zone: string; want?: string }[] = [
  { name: 'an ordinary zone is kept as it is', zone: 'zone-a', want: 'zone-a' },
  { name: 'a cloud zone is kept as it is', zone: 'europe-west1-b', want: 'europe-west1-b' },
  { name: 'a zone with a dot between legal parts is kept', zone: 'dc1.rack-2', want: 'dc1.rack-2' },
  {
    name: 'a zone with upper case and an underscore is lowered, dashed and hashed',
    zone: 'Zone_A.1',
    want: `zone-a-1-${sha8('Zone_A.1')}`,
  },
  { name: 'a zone of upper case only is lowered and hashed', zone: 'ZONEA', want: `zonea-${sha8('ZONEA')}` },
  { name: 'a zone whose dot follows a dash is made legal', zone: 'a-.b' },
  { name: 'a 63-character zone of upper case and underscores is made legal', zone: `Z${'_a'.repeat(31)}` },
];

for (const c of fragmentCases) {
  test(c.name, () => {
    const got = nameFragment(c.zone);
    if (c.want !== undefined) assert.equal(got, c.want);
    assertName(`x-${got}-y`);
  });
}

test('zones that differ only in case or in underscore against dash give different fragments', () => {
  const zones = ['zone-a', 'Zone-a', 'ZONE-A', 'zone_a', 'Zone_A'];
  assert.equal(new Set(zones.map(nameFragment)).size, zones.length);
});
