// At most `limit` snapshots in progress over the operator: counted from the
// cache, plus the slots this process took that the cache does not show yet;
// the oldest waiting backups are the ones woken when slots free.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VolumeBackup } from '../../../src/api/v1alpha1/types.generated.js';
import { SnapshotSlots, slotHoldMs } from '../../../src/controllers/volumebackup/slots.js';
import { ManualClock } from '../../../src/runtime/clock.js';
import { volumeBackup } from '../../support/builders.js';

function backup(
  name: string,
  state: 'new' | 'started' | 'Ready' | 'Failed',
  created = '2026-11-23T10:00:00Z',
): VolumeBackup {
  const status =
    state === 'new'
      ? undefined
      : state === 'started'
        ? { phase: 'InProgress' as const, startedAt: '2026-11-23T10:00:01Z' }
        : { phase: state, startedAt: '2026-11-23T10:00:01Z' };
  return volumeBackup('ns', name, name, { metadata: { creationTimestamp: created }, status });
}

function slots(
  limit: number,
  cached: VolumeBackup[],
  clock = new ManualClock(new Date('2026-11-23T10:01:00Z')),
): {
  slots: SnapshotSlots;
  clock: ManualClock;
  cached: VolumeBackup[];
} {
  return { slots: new SnapshotSlots(limit, () => cached, clock), clock, cached };
}

const cases: { name: string; limit: number; cached: VolumeBackup[]; admits: string[]; want: boolean[] }[] = [
  {
    name: 'a free slot is taken',
    limit: 2,
    cached: [backup('a', 'started')],
    admits: ['b'],
    want: [true],
  },
  {
    name: 'snapshots in progress in the cache fill the slots',
    limit: 2,
    cached: [backup('a', 'started'), backup('b', 'started')],
    admits: ['c'],
    want: [false],
  },
  {
    name: 'finished backups hold no slot',
    limit: 1,
    cached: [backup('a', 'Ready'), backup('b', 'Failed'), backup('c', 'new')],
    admits: ['d'],
    want: [true],
  },
  {
    name: 'slots taken in this process count before the cache shows them, so parallel passes cannot overshoot',
    limit: 2,
    cached: [],
    admits: ['a', 'b', 'c'],
    want: [true, true, false],
  },
  {
    name: 'a backup that holds a slot is admitted again on its next pass',
    limit: 1,
    cached: [],
    admits: ['a', 'a'],
    want: [true, true],
  },
  {
    name: 'a backup already in progress in the cache is admitted even when the slots are full',
    limit: 1,
    cached: [backup('a', 'started'), backup('b', 'started')],
    admits: ['a'],
    want: [true],
  },
];

for (const c of cases)
  test(c.name, () => {
    const { slots: s } = slots(c.limit, c.cached);
    const got = c.admits.map((name) => s.admit(backup(name, 'new')).admitted);
    assert.deepEqual(got, c.want);
  });

test('a refusal says how many are in progress and the limit', () => {
  const { slots: s } = slots(1, [backup('a', 'started')]);
  assert.deepEqual(s.admit(backup('b', 'new')), { admitted: false, inProgress: 1, limit: 1 });
});

test('a slot the cache never shows started lapses after the hold, and release frees one at once', () => {
  const { slots: s, clock } = slots(1, []);
  assert.equal(s.admit(backup('a', 'new')).admitted, true);
  assert.equal(s.admit(backup('b', 'new')).admitted, false);
  clock.advance(slotHoldMs + 1);
  assert.equal(s.admit(backup('b', 'new')).admitted, true, 'the hold lapsed');
  s.release(backup('b', 'new'));
  assert.equal(s.admit(backup('c', 'new')).admitted, true, 'released at once');
});

test('when slots free, the oldest waiting backups are woken, as many as there are free slots', () => {
  const cached = [backup('a', 'started'), backup('b', 'started')];
  const { slots: s } = slots(2, cached);
  s.admit(backup('late', 'new', '2026-11-23T10:00:30Z'));
  s.admit(backup('early', 'new', '2026-11-23T10:00:10Z'));
  s.admit(backup('middle', 'new', '2026-11-23T10:00:20Z'));
  assert.deepEqual(s.next(), [], 'no slot free, nobody woken');
  cached[0] = backup('a', 'Ready');
  s.release(backup('a', 'Ready'));
  assert.deepEqual(s.next(), ['ns/early']);
});

test('a waiting backup that is deleted is forgotten, so wake-ups go to backups that still wait', () => {
  const cached = [backup('a', 'started')];
  const { slots: s } = slots(1, cached);
  s.admit(backup('gone', 'new', '2026-11-23T10:00:10Z'));
  s.admit(backup('still', 'new', '2026-11-23T10:00:20Z'));
  s.release({ metadata: { namespace: 'ns', name: 'gone' } });
  cached[0] = backup('a', 'Ready');
  assert.deepEqual(s.next(), ['ns/still']);
});
