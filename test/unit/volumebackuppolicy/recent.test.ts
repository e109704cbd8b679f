// Backups created by this process count before the cache shows them, so the
// next tick's plan sees the volume busy instead of starting a second backup.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentCreations } from '../../../src/controllers/volumebackuppolicy/recent.js';
import { planRun } from '../../../src/controllers/volumebackuppolicy/run.js';
import type { Backup } from '../../../src/controllers/volumebackuppolicy/types.js';
import { ManualClock } from '../../../src/runtime/clock.js';
import { backup } from './fixtures.js';

const t0 = new Date('2026-11-23T01:00:00Z');

function byName(...backups: Backup[]): Map<string, Backup> {
  return new Map(backups.map((b) => [b.metadata.name ?? '', b]));
}

interface Case {
  name: string;
  /** ms after the creation when the overlay is asked for */
  after: number;
  cached: Backup[];
  namespace: string;
  want: string[];
  /** The phase the overlay gives the created backup: the cache's once it has it. */
  phase?: string;
  left: number;
}

const created = backup('db-minutely-202611230100', { volume: 'db', policy: 'minutely' });

const cases: Case[] = [
  {
    name: 'a backup the cache does not show yet is added to what the cache holds',
    after: 1_000,
    cached: [backup('other', { volume: 'x', policy: 'minutely', phase: 'Ready' })],
    namespace: 'ns',
    want: ['db-minutely-202611230100', 'other'],
    left: 1,
  },
  {
    name: 'once the cache shows the backup, the cached object wins and the entry is dropped',
    after: 1_000,
    cached: [backup('db-minutely-202611230100', { volume: 'db', policy: 'minutely', phase: 'InProgress' })],
    namespace: 'ns',
    want: ['db-minutely-202611230100'],
    phase: 'InProgress',
    left: 0,
  },
  {
    name: 'an entry the cache never shows (deleted at once) is forgotten after the bound',
    after: 120_001,
    cached: [],
    namespace: 'ns',
    want: [],
    left: 0,
  },
  {
    name: 'another namespace gets nothing and leaves the entry alone',
    after: 1_000,
    cached: [],
    namespace: 'elsewhere',
    want: [],
    left: 1,
  },
];

for (const c of cases)
  test(c.name, () => {
    const clock = new ManualClock(t0);
    const recent = new RecentCreations(clock);
    recent.record(created);
    clock.advance(c.after);
    const got = recent.overlay(c.namespace, byName(...c.cached));
    assert.deepEqual([...got.keys()].sort(), c.want);
    assert.equal(got.get('db-minutely-202611230100')?.status?.phase, c.phase);
    assert.equal(recent.size, c.left);
  });

test('the next tick finds the volume busy with a backup only this process knows of', () => {
  const clock = new ManualClock(t0);
  const recent = new RecentCreations(clock);
  recent.record(created);
  const tick2 = new Date('2026-11-23T01:01:00Z');
  clock.set(tick2);
  const plan = (existing: ReadonlyMap<string, Backup>): string =>
    planRun({
      namespace: 'ns',
      policy: 'minutely',
      scheduledTime: tick2,
      jitterSeconds: 0,
      now: tick2,
      volumes: ['db'],
      existing,
    })[0]?.kind ?? 'none';
  assert.equal(plan(new Map()), 'create', 'from the lagging cache alone the volume looks idle');
  assert.equal(plan(recent.overlay('ns', new Map())), 'busy');
});
