// The work queue's promises: a key waits once, never runs twice at a time,
// backs off exponentially per key, and shutdown waits for running work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkQueue, backoffDelay } from '../../../src/runtime/queue.js';

test('a key added many times while waiting is handed out once', async () => {
  const q = new WorkQueue();
  q.add('a');
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.depth, 2);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
  assert.equal(q.depth, 0);
});

test('a key re-added while it is processed is handed out again only after done', async () => {
  const q = new WorkQueue();
  q.add('a');
  const first = await q.get();
  q.add('a');
  assert.equal(q.depth, 0, 'not ready while a worker holds it');
  let second: string | undefined;
  void q.get().then((k) => (second = k));
  await sleep(5);
  assert.equal(second, undefined, 'no second worker gets it meanwhile');
  q.done(first ?? '');
  await sleep(0);
  assert.equal(second, 'a');
});

test('a waiting worker is woken by the next add', async () => {
  const q = new WorkQueue();
  const next = q.get();
  q.add('x');
  assert.equal(await next, 'x');
});

const delays: [string, number, number][] = [
  ['the first failure waits the base delay', 1, 250],
  ['the second failure waits twice as long', 2, 500],
  ['the fifth failure waits sixteen times as long', 5, 4000],
  ['many failures wait no longer than the cap', 30, 300_000],
  ['absurd failure counts still stay at the cap', 10_000, 300_000],
];
for (const [name, failures, want] of delays) {
  test(`backoff: ${name}`, () => {
    assert.equal(backoffDelay({ baseMs: 250, maxMs: 300_000 }, failures), want);
  });
}

test('addRateLimited grows per key and forget resets it', () => {
  const q = new WorkQueue({ baseMs: 10, maxMs: 1000 });
  assert.equal(q.addRateLimited('a'), 10);
  assert.equal(q.addRateLimited('a'), 20);
  assert.equal(q.addRateLimited('b'), 10, 'keys back off independently');
  q.forget('a');
  assert.equal(q.addRateLimited('a'), 10);
  void q.shutdown();
});

test('addAfter keeps the earliest pending time for a key', async () => {
  const q = new WorkQueue();
  q.addAfter('a', 10_000);
  q.addAfter('a', 20);
  q.addAfter('a', 5_000);
  await sleep(60);
  assert.equal(q.depth, 1);
  assert.equal(await q.get(), 'a');
  await q.shutdown();
});

test('shutdown stops handing out keys and waits for the running one', async () => {
  const q = new WorkQueue();
  q.add('a');
  q.add('b');
  const key = await q.get();
  let finished = false;
  const stopping = q.shutdown(5_000).then(() => {
    finished = true;
  });
  await sleep(10);
  assert.equal(finished, false, 'still waiting for the running key');
  assert.equal(await q.get(), undefined, 'no new work after shutdown');
  q.done(key ?? '');
  await stopping;
  assert.equal(finished, true);
});

test('shutdown gives up waiting after its timeout', async () => {
  const q = new WorkQueue();
  q.add('stuck');
  await q.get();
  const started = Date.now();
  await q.shutdown(50);
  assert.ok(Date.now() - started < 1000);
});

test('longestRunningSeconds reports the oldest key in flight', async () => {
  let now = 1000;
  const q = new WorkQueue(undefined, {}, () => now);
  assert.equal(q.longestRunningSeconds(), 0);
  q.add('a');
  await q.get();
  now += 2500;
  assert.equal(q.longestRunningSeconds(), 2.5);
});

test('the hooks see how long a key waited and how long it was worked on; unfinished work sums running keys', async () => {
  let now = 1_000;
  const waited: number[] = [];
  const worked: number[] = [];
  const q = new WorkQueue(
    undefined,
    { started: (s) => waited.push(s), finished: (s) => worked.push(s) },
    () => now,
  );
  q.add('a');
  q.add('b');
  now += 2_000;
  const a = await q.get();
  now += 500;
  const b = await q.get();
  now += 1_000;
  assert.equal(q.unfinishedWorkSeconds(), 1.5 + 1, 'a for 1.5 s and b for 1 s');
  q.done(a ?? '');
  q.done(b ?? '');
  q.done(b ?? '');
  assert.deepEqual(waited, [2, 2.5]);
  assert.deepEqual(worked, [1.5, 1], 'a second done of the same key observes nothing');
  assert.equal(q.unfinishedWorkSeconds(), 0);
});
