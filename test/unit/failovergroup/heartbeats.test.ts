// The heartbeat record: silence is timed on the operator's clock, and a
// renew interval is learnt only from renewals actually watched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Heartbeats } from '../../../src/controllers/failovergroup/heartbeats.js';
import { ManualClock } from '../../../src/runtime/clock.js';

const lease = (renewTime: string): { metadata: { name: string }; spec: { renewTime: string } } => ({
  metadata: { name: 'n1' },
  spec: { renewTime },
});

test('the first sighting starts the clock but measures no interval', () => {
  const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
  const hb = new Heartbeats(clock);
  hb.onLease('add', lease('a'));
  assert.equal(hb.seenAt('n1')?.toISOString(), '2026-01-01T00:00:00.000Z');
  clock.advance(4000);
  hb.onLease('update', lease('b'));
  assert.equal(hb.intervalOf('n1'), undefined, 'the time since a snapshot is not an interval');
  clock.advance(10_000);
  hb.onLease('update', lease('c'));
  assert.equal(hb.intervalOf('n1'), 10);
});

test('an update that does not change renewTime does not restart the clock', () => {
  const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
  const hb = new Heartbeats(clock);
  hb.onLease('add', lease('a'));
  clock.advance(7000);
  hb.onLease('update', lease('a'));
  assert.equal(hb.seenAt('n1')?.toISOString(), '2026-01-01T00:00:00.000Z');
});

test('a deleted lease is forgotten', () => {
  const hb = new Heartbeats(new ManualClock(new Date(0)));
  hb.onLease('add', lease('a'));
  hb.onLease('delete', lease('a'));
  assert.equal(hb.seenAt('n1'), undefined);
});

test('a node is back since its first sighting while it keeps renewing', () => {
  const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
  const hb = new Heartbeats(clock);
  hb.onLease('add', lease('a'));
  for (const t of ['b', 'c', 'd']) {
    clock.advance(10_000);
    hb.onLease('update', lease(t));
  }
  assert.equal(hb.backSince('n1')?.toISOString(), '2026-01-01T00:00:00.000Z');
});

test('renewals that resume after a silence of more than two intervals start the node’s time afresh', () => {
  const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
  const hb = new Heartbeats(clock);
  hb.onLease('add', lease('a'));
  clock.advance(10_000);
  hb.onLease('update', lease('b'));
  clock.advance(10_000);
  hb.onLease('update', lease('c'));
  // Silent for 25 s (more than two 10 s intervals), then renewing again.
  clock.advance(25_000);
  hb.onLease('update', lease('d'));
  assert.equal(hb.backSince('n1')?.toISOString(), '2026-01-01T00:00:45.000Z');
  clock.advance(10_000);
  hb.onLease('update', lease('e'));
  assert.equal(hb.backSince('n1')?.toISOString(), '2026-01-01T00:00:45.000Z', 'steady again');
});

test('before an interval is measured, the one the Lease declares is expected: a quarter of its duration', () => {
  const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
  const hb = new Heartbeats(clock);
  const withDuration = (renewTime: string, seconds: number): object => ({
    metadata: { name: 'n1' },
    spec: { renewTime, leaseDurationSeconds: seconds },
  });
  assert.equal(hb.expectedIntervalOf('n1'), undefined, 'nothing known about an unseen node');
  hb.onLease('add', withDuration('a', 4) as Parameters<Heartbeats['onLease']>[1]);
  assert.equal(hb.expectedIntervalOf('n1'), 1);
  clock.advance(1_200);
  hb.onLease('update', withDuration('b', 4) as Parameters<Heartbeats['onLease']>[1]);
  clock.advance(1_500);
  hb.onLease('update', withDuration('c', 4) as Parameters<Heartbeats['onLease']>[1]);
  assert.equal(hb.expectedIntervalOf('n1'), 1.5, 'once measured, the measurement wins');
});

test('a Lease that declares no duration leaves the interval unknown until measured', () => {
  const hb = new Heartbeats(new ManualClock(new Date(0)));
  hb.onLease('add', lease('a'));
  assert.equal(hb.expectedIntervalOf('n1'), undefined);
});

test('a renewal counts as watched only once renewTime changes while the operator watches', () => {
  const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
  const hb = new Heartbeats(clock);
  hb.onLease('add', lease('a'));
  assert.equal(hb.watchedRenewalAt('n1'), undefined, 'the first sighting after a start proves nothing');
  clock.advance(3_000);
  hb.onLease('update', lease('b'));
  assert.equal(hb.watchedRenewalAt('n1')?.toISOString(), '2026-01-01T00:00:03.000Z');
});
