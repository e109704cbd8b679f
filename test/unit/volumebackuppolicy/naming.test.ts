// Names and jitter of a run's backups: deterministic, DNS-1123 and at most 63
// characters, so every pass and every restart agrees on them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MAX_NAME_LENGTH,
  backupName,
  jitterSecondsFor,
  runStamp,
} from '../../../src/controllers/volumebackuppolicy/naming.js';

const dns1123 = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const run = new Date('2026-11-23T01:00:00Z');

const nameCases: {
  name: string;
  volume: string;
  policy: string;
  when: Date;
  want?: string;
  maxLength?: number;
}[] = [
  {
    name: 'a short volume and policy give volume-policy-stamp',
    volume: 'db-0',
    policy: 'nightly',
    when: run,
    want: 'db-0-nightly-202611230100',
  },
  {
    name: 'the stamp is the UTC minute of the scheduled time, seconds dropped',
    volume: 'db-0',
    policy: 'nightly',
    when: new Date('2024-03-31T01:00:59.999Z'),
    want: 'db-0-nightly-202403310100',
  },
  {
    name: 'a name of exactly 63 characters is kept whole',
    volume: 'v'.repeat(30),
    policy: 'p'.repeat(18),
    when: run,
    want: `${'v'.repeat(30)}-${'p'.repeat(18)}-202611230100`,
  },
  {
    name: 'a long volume name is cut and hashed to 63 characters',
    volume: 'a-very-long-statefulvolume-name-that-goes-on-and-on-for-a-while',
    policy: 'nightly',
    when: run,
    maxLength: MAX_NAME_LENGTH,
  },
  {
    name: 'a cut that would end in a dash or dot is trimmed',
    volume: `${'x'.repeat(39)}.-y`,
    policy: 'p'.repeat(30),
    when: run,
    maxLength: MAX_NAME_LENGTH,
  },
];

for (const c of nameCases) {
  test(c.name, () => {
    const got = backupName(c.volume, c.policy, c.when);
    if (c.want !== undefined) assert.equal(got, c.want);
    assert.ok(got.length <= (c.maxLength ?? MAX_NAME_LENGTH), `${got} is ${got.length} characters`);
    assert.match(got, dns1123);
    assert.ok(got.endsWith(`-${runStamp(c.when)}`));
    assert.equal(backupName(c.volume, c.policy, c.when), got);
  });
}

test('two long pairs sharing a prefix get different names', () => {
  const stem = 'shared-prefix-that-is-long-enough-to-be-cut-off-somewhere';
  assert.notEqual(backupName(`${stem}-1`, 'p', run), backupName(`${stem}-2`, 'p', run));
});

test('volume and policy names whose dashes line up differently do not collide when hashed', () => {
  const long = 'z'.repeat(50);
  assert.notEqual(backupName(`${long}-a`, 'b', run), backupName(long, 'a-b', run));
});

test('different runs of the same volume get different names', () => {
  assert.notEqual(backupName('a', 'p', run), backupName('a', 'p', new Date(run.getTime() + 60_000)));
});

const jitterCases: { name: string; jitter: number; check: (values: number[]) => void }[] = [
  {
    name: 'no jitter means no delay for any volume',
    jitter: 0,
    check: (v) => {
      assert.ok(v.every((x) => x === 0));
    },
  },
  {
    name: 'every delay lies within 0 and jitterSeconds',
    jitter: 30,
    check: (v) => {
      assert.ok(v.every((x) => Number.isInteger(x) && x >= 0 && x <= 30));
    },
  },
  {
    name: 'a hundred volumes are spread over many different delays',
    jitter: 600,
    check: (v) => {
      assert.ok(new Set(v).size > 50, `only ${new Set(v).size} distinct delays`);
    },
  },
];

for (const c of jitterCases) {
  test(c.name, () => {
    const values = Array.from({ length: 100 }, (_, i) =>
      jitterSecondsFor('ns', 'nightly', `vol-${i}`, c.jitter),
    );
    c.check(values);
  });
}

test('the delay of a volume is the same on every call, as after a restart', () => {
  const first = jitterSecondsFor('ns', 'nightly', 'db-0', 3600);
  for (let i = 0; i < 5; i++) assert.equal(jitterSecondsFor('ns', 'nightly', 'db-0', 3600), first);
});
