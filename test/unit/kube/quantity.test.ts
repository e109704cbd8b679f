import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareQuantities,
  formatBytes,
  isQuantity,
  parseQuantity,
  QuantityError,
} from '../../../src/kube/quantity.js';

const parses: { name: string; input: string; bytes: bigint }[] = [
  { name: 'binary gibibytes are powers of 1024', input: '10Gi', bytes: 10n * 1024n ** 3n },
  { name: 'decimal gigabytes are powers of 1000', input: '10G', bytes: 10_000_000_000n },
  { name: 'a fraction of a binary unit is exact', input: '1.5Gi', bytes: 1_610_612_736n },
  { name: 'a plain number is bytes', input: '4096', bytes: 4096n },
  { name: 'scientific notation is accepted', input: '2e9', bytes: 2_000_000_000n },
  { name: 'milli-units round up to a whole byte', input: '1500m', bytes: 2n },
  { name: 'kilo is lower-case k', input: '3k', bytes: 3000n },
  { name: 'surrounding spaces are ignored', input: ' 1Mi ', bytes: 1_048_576n },
  { name: 'zero is zero', input: '0', bytes: 0n },
  { name: 'a negative value keeps its sign', input: '-1Ki', bytes: -1024n },
];

for (const c of parses) {
  test(c.name, () => {
    assert.equal(parseQuantity(c.input), c.bytes);
    assert.ok(isQuantity(c.input));
  });
}

for (const bad of ['', 'Gi', '10GB', '10 Gi', '1.2.3', '10gi', 'ten']) {
  test(`"${bad}" is rejected with a message that shows an example`, () => {
    assert.throws(
      () => parseQuantity(bad),
      (err: unknown) => err instanceof QuantityError && err.message.includes('examples'),
    );
    assert.equal(isQuantity(bad), false);
  });
}

test('quantities in different units compare by their value', () => {
  assert.equal(compareQuantities('1Gi', '1024Mi'), 0);
  assert.equal(compareQuantities('1G', '1Gi'), -1);
  assert.equal(compareQuantities('2Gi', '1.5Gi'), 1);
});

test('bytes are shown in the largest unit that divides them exactly', () => {
  assert.equal(formatBytes(10n * 1024n ** 3n), '10Gi');
  assert.equal(formatBytes(1536n * 1024n ** 2n), '1536Mi');
  assert.equal(formatBytes(1000n), '1000');
});
