// The pure parts of the metrics guard: which header is a token, which verb an
// HTTP method is to RBAC, and how long review answers are kept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../src/runtime/clock.js';
import { bearerToken, reviewCacheTtl, TtlCache, verbOf } from '../../../src/runtime/metrics-auth.js';

const tokenCases: { name: string; header: string | undefined; want: string | undefined }[] = [
  { name: 'no header is no token', header: undefined, want: undefined },
  { name: 'a bearer header gives its token', header: 'Bearer abc.def', want: 'abc.def' },
  { name: 'the scheme is matched without regard to case', header: 'bearer abc', want: 'abc' },
  { name: 'trailing blanks are ignored', header: 'Bearer abc  ', want: 'abc' },
  { name: 'basic credentials are no token', header: 'Basic dXNlcjpwdw==', want: undefined },
  { name: 'a bearer header without a token is no token', header: 'Bearer ', want: undefined },
  { name: 'two tokens are no token', header: 'Bearer a b', want: undefined },
];

for (const c of tokenCases) {
  test(c.name, () => {
    assert.equal(bearerToken(c.header), c.want);
  });
}

const verbCases: { name: string; method: string | undefined; want: string }[] = [
  { name: 'GET is get', method: 'GET', want: 'get' },
  { name: 'HEAD is get', method: 'HEAD', want: 'get' },
  { name: 'POST is create', method: 'POST', want: 'create' },
  { name: 'PUT is update', method: 'PUT', want: 'update' },
  { name: 'DELETE is delete', method: 'DELETE', want: 'delete' },
  { name: 'no method is get', method: undefined, want: 'get' },
];

for (const c of verbCases) {
  test(`the RBAC verb of an HTTP method: ${c.name}`, () => {
    assert.equal(verbOf(c.method), c.want);
  });
}

function counted<V>(values: V[]): { load: () => Promise<V>; calls: () => number } {
  let n = 0;
  return {
    load: () => Promise.resolve(values[Math.min(n++, values.length - 1)] as V),
    calls: () => n,
  };
}

test('an allowed answer is kept for a minute, then asked for again', async () => {
  const clock = new ManualClock(new Date('2026-12-07T12:00:00Z'));
  const cache = new TtlCache<boolean>(clock, (ok) =>
    ok ? reviewCacheTtl.allowedMs : reviewCacheTtl.deniedMs,
  );
  const source = counted([true, false]);
  assert.equal(await cache.get('k', source.load), true);
  clock.advance(59_999);
  assert.equal(await cache.get('k', source.load), true);
  assert.equal(source.calls(), 1);
  clock.advance(1);
  assert.equal(await cache.get('k', source.load), false, 'a revoked permission shows after the minute');
  assert.equal(source.calls(), 2);
});

test('a denied answer is kept for ten seconds only', async () => {
  const clock = new ManualClock(new Date('2026-12-07T12:00:00Z'));
  const cache = new TtlCache<boolean>(clock, (ok) =>
    ok ? reviewCacheTtl.allowedMs : reviewCacheTtl.deniedMs,
  );
  const source = counted([false, true]);
  assert.equal(await cache.get('k', source.load), false);
  clock.advance(9_999);
  assert.equal(await cache.get('k', source.load), false);
  clock.advance(1);
  assert.equal(await cache.get('k', source.load), true, 'a granted permission shows after ten seconds');
});

test('callers asking at the same time share one review', async () => {
  const cache = new TtlCache<string>(new ManualClock(new Date(0)), () => 1_000);
  let release: (v: string) => void = () => undefined;
  let calls = 0;
  const load = (): Promise<string> => {
    calls++;
    return new Promise<string>((resolve) => {
      release = resolve;
    });
  };
  const both = Promise.all([cache.get('k', load), cache.get('k', load)]);
  release('user');
  assert.deepEqual(await both, ['user', 'user']);
  assert.equal(calls, 1);
});

test('a failed review is not kept: the next caller asks again', async () => {
  const cache = new TtlCache<string>(new ManualClock(new Date(0)), () => 60_000);
  await assert.rejects(cache.get('k', () => Promise.reject(new Error('API server unavailable'))));
  assert.equal(await cache.get('k', () => Promise.resolve('user')), 'user');
});

test('the cache holds at most its limit, dropping the oldest answer first', async () => {
  const cache = new TtlCache<number>(new ManualClock(new Date(0)), () => 60_000, 2);
  await cache.get('a', () => Promise.resolve(1));
  await cache.get('b', () => Promise.resolve(2));
  await cache.get('c', () => Promise.resolve(3));
  assert.equal(cache.size, 2);
  assert.equal(await cache.get('a', () => Promise.resolve(10)), 10, 'a was dropped and asked again');
  assert.equal(await cache.get('c', () => Promise.resolve(30)), 3, 'c was kept');
});
