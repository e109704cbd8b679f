import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decideStandbys,
  standbyClaimName,
  type ExistingStandby,
  type SeedBackup,
} from '../../../src/controllers/statefulvolume/standbys.js';

const b1: SeedBackup = { name: 'db-1', volumeSnapshotName: 'db-1', restoreSize: '1Gi' };
const b2: SeedBackup = { name: 'db-2', volumeSnapshotName: 'db-2', restoreSize: '1Gi' };

function standby(zone: string, seed: string, over: Partial<ExistingStandby> = {}): ExistingStandby {
  return { name: standbyClaimName('db', zone, seed), zone, seed, bound: true, deleting: false, ...over };
}

test('A standby claim name is stable for one seed and differs between seeds', () => {
  assert.equal(standbyClaimName('db', 'zone-b', 'db-1'), standbyClaimName('db', 'zone-b', 'db-1'));
  assert.notEqual(standbyClaimName('db', 'zone-b', 'db-1'), standbyClaimName('db', 'zone-b', 'db-2'));
  assert.equal(standbyClaimName('db', 'zone-b', 'none'), 'db-zone-b-empty');
  assert.match(standbyClaimName('db', 'zone-b', 'db-1'), /^db-zone-b-[0-9a-f]{8}$/);
});

interface Case {
  name: string;
  zones: string[];
  existing: ExistingStandby[];
  newest: SeedBackup | undefined;
  create: string[];
  remove: string[];
  phases: string[];
  seededEmpty: boolean;
}

const cases: Case[] = [
  {
    name: 'Without a backup, each standby zone gets an empty claim',
    zones: ['zone-b', 'zone-c'],
    existing: [],
    newest: undefined,
    create: ['zone-b none', 'zone-c none'],
    remove: [],
    phases: ['zone-b Pending', 'zone-c Pending'],
    seededEmpty: true,
  },
  {
    name: 'A Ready backup makes new claims from it and keeps the empty ones until those are bound',
    zones: ['zone-b'],
    existing: [standby('zone-b', 'none')],
    newest: b1,
    create: ['zone-b db-1'],
    remove: [],
    phases: ['zone-b Pending', 'zone-b Stale'],
    seededEmpty: false,
  },
  {
    name: 'Once the claim from the newest backup is bound, the older one goes',
    zones: ['zone-b'],
    existing: [standby('zone-b', 'none'), standby('zone-b', 'db-1')],
    newest: b1,
    create: [],
    remove: [standby('zone-b', 'none').name],
    phases: ['zone-b InSync'],
    seededEmpty: false,
  },
  {
    name: 'A newer backup is restoring while the older copy stays, shown as Stale',
    zones: ['zone-b'],
    existing: [standby('zone-b', 'db-1'), standby('zone-b', 'db-2', { bound: false })],
    newest: b2,
    create: [],
    remove: [],
    phases: ['zone-b Stale', 'zone-b Restoring'],
    seededEmpty: false,
  },
  {
    name: 'A zone the placement no longer wants loses its standby',
    zones: ['zone-b'],
    existing: [standby('zone-b', 'db-1'), standby('zone-c', 'db-1')],
    newest: b1,
    create: [],
    remove: [standby('zone-c', 'db-1').name],
    phases: ['zone-b InSync'],
    seededEmpty: false,
  },
];

for (const c of cases) {
  test(c.name, () => {
    const got = decideStandbys({ claimName: 'db', zones: c.zones, existing: c.existing, newest: c.newest });
    assert.deepEqual(
      got.create.map((w) => `${w.zone} ${w.seed?.name ?? 'none'}`),
      c.create,
    );
    assert.deepEqual([...got.remove].sort(), [...c.remove].sort());
    assert.deepEqual(
      got.replicas.map((r) => `${r.zone ?? ''} ${r.phase ?? ''}`).sort(),
      [...c.phases].sort(),
    );
    assert.equal(got.seededEmpty, c.seededEmpty);
  });
}

test('Standbys not holding the newest backup are counted as out of sync', () => {
  const got = decideStandbys({
    claimName: 'db',
    zones: ['zone-b', 'zone-c'],
    existing: [standby('zone-b', 'db-2'), standby('zone-c', 'db-1')],
    newest: b2,
  });
  assert.equal(got.outOfSync, 1);
});
