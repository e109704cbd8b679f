// The claims of a StatefulVolume for every name the API server accepts: a
// volume name or claimName of up to 253 characters and any legal zone. Their
// names must be legal and distinct, their labels legal, and names that were
// legal before stay as they were (existing installs keep their claims).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { labels } from '../../../src/api/v1alpha1/vocabulary.js';
import { desiredClaim, type VolumeShape } from '../../../src/controllers/statefulvolume/claim.js';
import { standbyClaimName } from '../../../src/controllers/statefulvolume/standbys.js';
import { statefulVolume } from '../../support/builders.js';

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const sha8 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 8);

function assertClaimName(name: string): void {
  assert.ok(name.length <= 253, `${name} is ${String(name.length)} characters`);
  assert.match(name, dns1123Subdomain);
}

interface NameCase {
  name: string;
  claim: string;
  zone: string;
  seed: string;
  want?: string;
}

const nameCases: NameCase[] = [
  {
    name: 'a short claim in an ordinary zone keeps the name it always had',
    claim: 'data-db-0',
    zone: 'zone-b',
    seed: 'data-db-0-hourly-202611230100',
    want: `data-db-0-zone-b-${sha8('data-db-0-hourly-202611230100')}`,
  },
  {
    name: 'an empty standby is tagged empty',
    claim: 'db',
    zone: 'zone-c',
    seed: 'none',
    want: 'db-zone-c-empty',
  },
  {
    name: 'a 63-character claim in an ordinary zone keeps the name it always had',
    claim: 'a'.repeat(63),
    zone: 'zone-b',
    seed: 'none',
    want: `${'a'.repeat(63)}-zone-b-empty`,
  },
  {
    name: 'a 64-character claim in an ordinary zone keeps the name it always had',
    claim: 'a'.repeat(64),
    zone: 'zone-b',
    seed: 'none',
    want: `${'a'.repeat(64)}-zone-b-empty`,
  },
  {
    name: 'a claim whose standby name is exactly 253 characters keeps it whole',
    claim: 'a'.repeat(240),
    zone: 'zone-b',
    seed: 'none',
    want: `${'a'.repeat(240)}-zone-b-empty`,
  },
  {
    name: 'a 245-character claim gets a standby name cut and hashed to 253',
    claim: 'a'.repeat(245),
    zone: 'zone-b',
    seed: 'b1',
  },
  {
    name: 'a 253-character claim gets a standby name cut and hashed to 253',
    claim: 'a'.repeat(253),
    zone: 'zone-b',
    seed: 'b1',
  },
  {
    name: 'a long claim cut where a dash falls does not end in a dash',
    claim: `${'a'.repeat(243)}-${'b'.repeat(9)}`,
    zone: 'zone-b',
    seed: 'none',
  },
  {
    name: 'a long claim cut where a dot falls does not end in a dot',
    claim: `${'a'.repeat(243)}.${'b'.repeat(9)}`,
    zone: 'zone-b',
    seed: 'none',
  },
  {
    name: 'a zone with upper case, an underscore and a dot gives a legal name',
    claim: 'db',
    zone: 'Zone_A.1',
    seed: 'b1',
    want: `db-zone-a-1-${sha8('Zone_A.1')}-${sha8('b1')}`,
  },
  {
    name: 'a 63-character odd zone with a 253-character claim gives a legal name',
    claim: 'c'.repeat(253),
    zone: `Z${'_Q'.repeat(31)}`,
    seed: 'b1',
  },
];

for (const c of nameCases) {
  test(c.name, () => {
    const got = standbyClaimName(c.claim, c.zone, c.seed);
    if (c.want !== undefined) assert.equal(got, c.want);
    assertClaimName(got);
    assert.notEqual(got, c.claim, 'a standby never takes the primary claim name');
    assert.equal(standbyClaimName(c.claim, c.zone, c.seed), got, 'the name is the same on every pass');
  });
}

const claimLengths = [1, 63, 64, 244, 245, 246, 250, 252, 253];
const zones = ['zone-a', 'zone-b', 'Zone-B', 'zone_b', 'Zone_A.1'];
const seeds = ['none', 'b1', 'b2', 'x'.repeat(253)];

test('standbys of claims of 1 to 253 characters never collide with the primary or with each other', () => {
  for (const length of claimLengths) {
    const claim = 'q'.repeat(length);
    const names = zones.flatMap((zone) => seeds.map((seed) => standbyClaimName(claim, zone, seed)));
    for (const n of names) assertClaimName(n);
    assert.equal(new Set([claim, ...names]).size, names.length + 1, `claim of ${String(length)} characters`);
  }
});

function volume(name: string, claimName?: string): VolumeShape {
  return statefulVolume('ns', name, { metadata: { uid: 'uid-1' }, spec: { claimName } });
}

const labelCases: { name: string; volume: string; zone: string; wantVolumeLabel?: string }[] = [
  {
    name: 'a 63-character volume name is its own volume label',
    volume: 'v'.repeat(63),
    zone: 'zone-a',
    wantVolumeLabel: 'v'.repeat(63),
  },
  { name: 'a 64-character volume name gives a legal volume label', volume: 'v'.repeat(64), zone: 'zone-a' },
  { name: 'a 253-character volume name gives a legal volume label', volume: 'v'.repeat(253), zone: 'zone-a' },
  {
    name: 'a zone with upper case and an underscore is a legal zone label as it is',
    volume: 'db',
    zone: 'Zone_A.1',
  },
];

for (const c of labelCases) {
  test(c.name, () => {
    const claim = desiredClaim(volume(c.volume), { name: 'x', role: 'Standby', zone: c.zone });
    for (const [key, value] of Object.entries(claim.metadata.labels)) {
      assert.ok(value.length <= 63, `${key}=${value}`);
      assert.match(value, labelValuePattern, key);
    }
    if (c.wantVolumeLabel !== undefined)
      assert.equal(claim.metadata.labels[labels.volume], c.wantVolumeLabel);
    assert.equal(
      claim.metadata.labels[labels.zone],
      c.zone,
      'the zone label is the zone, for selectors on nodes',
    );
    assert.equal(
      claim.metadata.ownerReferences?.[0]?.name,
      c.volume,
      'the owner reference keeps the whole name',
    );
  });
}
