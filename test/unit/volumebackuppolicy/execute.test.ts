// Carrying out a run: every creation waits for a token of the shared bucket,
// a pass creates at most its cap, and an AlreadyExists is adopted when the
// object is the policy's own and refused otherwise.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { executeRun, planRun, type RunOutcome } from '../../../src/controllers/volumebackuppolicy/run.js';
import type { Backup } from '../../../src/controllers/volumebackuppolicy/types.js';
import { ApiError } from '../../../src/kube/errors.js';
import type { ApiClient } from '../../../src/runtime/capabilities.js';
import { backup, policy } from './fixtures.js';

const run = new Date('2026-11-23T01:00:00Z');

interface Fake {
  deps: { client: ApiClient; limiter: { take: () => Promise<void> } };
  created: string[];
  tokens: { taken: number; take: () => Promise<void> };
}

function fake(stored = new Map<string, Backup>(), alreadyThere: ReadonlySet<string> = new Set()): Fake {
  const created: string[] = [];
  const client = {
    create: (_type: unknown, obj: Backup): Promise<Backup> => {
      const name = obj.metadata.name ?? '';
      if (alreadyThere.has(name))
        return Promise.reject(new ApiError(409, 'AlreadyExists', `volumebackups "${name}" already exists`));
      created.push(name);
      return Promise.resolve(obj);
    },
    find: (_type: unknown, _ns: string, name: string): Promise<Backup | undefined> =>
      Promise.resolve(stored.get(name)),
  };
  const tokens = {
    taken: 0,
    take(): Promise<void> {
      tokens.taken++;
      return Promise.resolve();
    },
  };
  return { deps: { client: client as unknown as ApiClient, limiter: tokens }, created, tokens };
}

function plan(volumes: string[]): ReturnType<typeof planRun> {
  return planRun({
    namespace: 'ns',
    policy: 'nightly',
    scheduledTime: run,
    jitterSeconds: 0,
    now: run,
    volumes,
    existing: new Map(),
  });
}

const kinds = (outcomes: readonly RunOutcome[]): string[] => outcomes.map((o) => `${o.volume}:${o.kind}`);

test('each creation takes one token and the pass stops at its cap', async () => {
  const f = fake();
  const volumes = Array.from({ length: 5 }, (_, i) => `v${i}`);
  const outcomes = await executeRun(f.deps, policy(), {
    steps: plan(volumes),
    scheduledTime: run,
    maxCreates: 3,
  });
  assert.deepEqual(kinds(outcomes), ['v0:created', 'v1:created', 'v2:created', 'v3:deferred', 'v4:deferred']);
  assert.equal(f.tokens.taken, 3);
  assert.equal(f.created.length, 3);
});

test('an AlreadyExists for the policy’s own backup is adopted, as after a restart mid-run', async () => {
  const name = 'a-nightly-202611230100';
  const f = fake(new Map([[name, backup(name, { volume: 'a', policy: 'nightly' })]]), new Set([name]));
  const outcomes = await executeRun(f.deps, policy(), {
    steps: plan(['a']),
    scheduledTime: run,
    maxCreates: 10,
  });
  assert.deepEqual(kinds(outcomes), ['a:present']);
});

test('an AlreadyExists for an object that is not the policy’s is refused', async () => {
  const name = 'a-nightly-202611230100';
  const f = fake(new Map([[name, backup(name, { volume: 'a' })]]), new Set([name]));
  const outcomes = await executeRun(f.deps, policy(), {
    steps: plan(['a']),
    scheduledTime: run,
    maxCreates: 10,
  });
  assert.deepEqual(kinds(outcomes), ['a:taken']);
  assert.match(outcomes[0]?.kind === 'taken' ? outcomes[0].message : '', /on-demand/);
});

test('a thousand volumes with a week of backups each are created fifty per pass, never all at once', async () => {
  const volumes = Array.from({ length: 1000 }, (_, i) => `vol-${String(i).padStart(4, '0')}`);
  const existing = new Map<string, Backup>();
  for (const v of volumes)
    for (let d = 1; d <= 7; d++)
      existing.set(
        `${v}-old-${d}`,
        backup(`${v}-old-${d}`, { volume: v, policy: 'nightly', phase: 'Ready' }),
      );
  const steps = planRun({
    namespace: 'ns',
    policy: 'nightly',
    scheduledTime: run,
    jitterSeconds: 0,
    now: run,
    volumes,
    existing,
  });
  assert.equal(steps.filter((s) => s.kind === 'create').length, 1000);
  const f = fake();
  const outcomes = await executeRun(f.deps, policy(), { steps, scheduledTime: run, maxCreates: 50 });
  assert.equal(f.created.length, 50);
  assert.equal(f.tokens.taken, 50);
  assert.equal(outcomes.filter((o) => o.kind === 'deferred').length, 950);
});
