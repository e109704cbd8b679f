// The client-side token bucket: a burst goes through at once, then requests
// are spaced at the configured rate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from '../../../src/kube/ratelimit.js';

test('a burst passes immediately and the rest follow at the rate', async () => {
  const bucket = new TokenBucket(100, 5);
  const started = performance.now();
  for (let i = 0; i < 5; i++) await bucket.take();
  const burstMs = performance.now() - started;
  for (let i = 0; i < 10; i++) await bucket.take();
  const totalMs = performance.now() - started;
  assert.ok(burstMs < 20, `burst took ${burstMs.toFixed(1)} ms`);
  assert.ok(totalMs >= 90, `10 more at 100/s took ${totalMs.toFixed(1)} ms`);
});

test('a nonsensical limit is refused', () => {
  assert.throws(() => new TokenBucket(0, 1), /qps > 0/);
  assert.throws(() => new TokenBucket(1, 0), /burst >= 1/);
});
