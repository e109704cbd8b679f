import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeProblem,
  planPlacement,
  type PlacementInput,
} from '../../../src/controllers/statefulvolume/placement.js';

const threeZones = new Map([
  ['zone-a', 2],
  ['zone-b', 2],
  ['zone-c', 2],
]);

const cases: {
  name: string;
  input: PlacementInput;
  primary: string | undefined;
  standbys: string[];
  problems: string[];
}[] = [
  {
    name: 'a single replica with no zone list is left to the scheduler',
    input: { replicas: 1, allowedZones: [], readyNodesByZone: threeZones, placed: [] },
    primary: undefined,
    standbys: [],
    problems: [],
  },
  {
    name: 'a single replica with a zone list goes to the first listed zone',
    input: { replicas: 1, allowedZones: ['zone-b', 'zone-a'], readyNodesByZone: threeZones, placed: [] },
    primary: 'zone-b',
    standbys: [],
    problems: [],
  },
  {
    name: 'three replicas take three zones in preference order',
    input: {
      replicas: 3,
      allowedZones: ['zone-c', 'zone-a', 'zone-b'],
      readyNodesByZone: threeZones,
      placed: [],
    },
    primary: 'zone-c',
    standbys: ['zone-a', 'zone-b'],
    problems: [],
  },
  {
    name: 'replicas without a zone list spread over the zones the nodes report',
    input: { replicas: 2, allowedZones: [], readyNodesByZone: threeZones, placed: [] },
    primary: 'zone-a',
    standbys: ['zone-b'],
    problems: [],
  },
  {
    name: 'an existing primary keeps its zone even when it is not the first preference',
    input: {
      replicas: 2,
      allowedZones: ['zone-a', 'zone-b'],
      readyNodesByZone: threeZones,
      placed: [{ role: 'Primary', zone: 'zone-b' }],
    },
    primary: 'zone-b',
    standbys: ['zone-a'],
    problems: [],
  },
  {
    name: 'a zone without Ready nodes is skipped and reported',
    input: {
      replicas: 2,
      allowedZones: ['zone-a', 'zone-b', 'zone-c'],
      readyNodesByZone: new Map([
        ['zone-a', 0],
        ['zone-b', 1],
        ['zone-c', 1],
      ]),
      placed: [],
    },
    primary: 'zone-b',
    standbys: ['zone-c'],
    problems: ['ZoneHasNoNodes'],
  },
  {
    name: 'more replicas than usable zones places what it can and says how many are missing',
    input: {
      replicas: 3,
      allowedZones: ['zone-a', 'zone-b', 'zone-c'],
      readyNodesByZone: new Map([
        ['zone-a', 1],
        ['zone-b', 1],
        ['zone-c', 0],
      ]),
      placed: [],
    },
    primary: 'zone-a',
    standbys: ['zone-b'],
    problems: ['ZoneHasNoNodes', 'NotEnoughZones'],
  },
  {
    name: 'a zone name no node reports is called unknown',
    input: { replicas: 1, allowedZones: ['zone-x', 'zone-a'], readyNodesByZone: threeZones, placed: [] },
    primary: 'zone-a',
    standbys: [],
    problems: ['UnknownZone'],
  },
  {
    name: 'a standby already placed keeps its zone and is never doubled up with the primary',
    input: {
      replicas: 2,
      allowedZones: ['zone-a', 'zone-b', 'zone-c'],
      readyNodesByZone: threeZones,
      placed: [
        { role: 'Primary', zone: 'zone-a' },
        { role: 'Standby', zone: 'zone-c' },
      ],
    },
    primary: 'zone-a',
    standbys: ['zone-c'],
    problems: [],
  },
  {
    name: 'lowering replicas drops the least preferred standbys first',
    input: {
      replicas: 2,
      allowedZones: ['zone-a', 'zone-b', 'zone-c'],
      readyNodesByZone: threeZones,
      placed: [
        { role: 'Primary', zone: 'zone-a' },
        { role: 'Standby', zone: 'zone-b' },
        { role: 'Standby', zone: 'zone-c' },
      ],
    },
    primary: 'zone-a',
    standbys: ['zone-b'],
    problems: [],
  },
];

for (const c of cases) {
  test(c.name, () => {
    const got = planPlacement(c.input);
    assert.equal(got.primaryZone, c.primary);
    assert.deepEqual(got.standbyZones, c.standbys);
    assert.deepEqual(
      got.problems.map((p) => p.reason),
      c.problems,
    );
    const all = [got.primaryZone, ...got.standbyZones].filter((z) => z !== undefined);
    assert.equal(new Set(all).size, all.length, 'never two replicas in one zone');
  });
}

test('every problem has an actionable message', () => {
  assert.match(describeProblem({ reason: 'NotEnoughZones', wanted: 3, available: 2 }), /spec\.placement/);
  assert.match(describeProblem({ reason: 'UnknownZone', zone: 'x' }), /spec\.placement\.zones/);
  assert.match(describeProblem({ reason: 'ZoneHasNoNodes', zone: 'x' }), /no Ready node/);
});
