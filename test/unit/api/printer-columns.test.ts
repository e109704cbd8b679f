// The columns of `kubectl get`, read from the generated CRD YAML: what users
// and runbooks rely on, spelled out so that a change to them is deliberate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { repoRoot } from '../../../scripts/codegen/outputs.js';

const ready = '.status.conditions[?(@.type=="Ready")].status';
const age = '.metadata.creationTimestamp';

const expected: Record<string, [name: string, jsonPath: string, type: string][]> = {
  statefulvolumes: [
    ['Size', '.status.capacity', 'string'],
    ['Requested', '.spec.size', 'string'],
    ['Class', '.spec.storageClassName', 'string'],
    ['Phase', '.status.phase', 'string'],
    ['Ready', ready, 'string'],
    ['Primary-Zone', '.status.primary.zone', 'string'],
    ['Replicas', '.spec.placement.replicas', 'integer'],
    ['Node', '.status.attachment.node', 'string'],
    ['Claim', '.status.claimName', 'string'],
    ['Age', age, 'date'],
  ],
  volumebackuppolicies: [
    ['Schedule', '.spec.schedule', 'string'],
    ['TimeZone', '.spec.timeZone', 'string'],
    ['Suspended', '.spec.suspend', 'boolean'],
    ['Ready', ready, 'string'],
    ['Last', '.status.lastScheduleTime', 'date'],
    ['Next', '.status.nextScheduleTime', 'string'],
    ['Age', age, 'date'],
  ],
  volumebackups: [
    ['Volume', '.spec.volumeName', 'string'],
    ['Policy', '.spec.policyName', 'string'],
    ['Phase', '.status.phase', 'string'],
    ['Size', '.status.restoreSize', 'string'],
    ['Ready-At', '.status.readyAt', 'date'],
    ['Snapshot', '.status.volumeSnapshotName', 'string'],
    ['Age', age, 'date'],
  ],
  failovergroups: [
    ['Phase', '.status.phase', 'string'],
    ['Ready', ready, 'string'],
    ['Active-Zone', '.status.activeZone', 'string'],
    ['Last-Recovery', '.status.lastFailover.recoverySeconds', 'number'],
    ['Workload', '.spec.workload.name', 'string'],
    ['Age', age, 'date'],
  ],
};

async function crd(plural: string): Promise<V1CustomResourceDefinition> {
  const text = await readFile(join(repoRoot, 'crds', `storage.stateful.dev_${plural}.yaml`), 'utf8');
  return load(text) as V1CustomResourceDefinition;
}

for (const [plural, columns] of Object.entries(expected)) {
  test(`kubectl get ${plural} shows ${columns.map(([n]) => n.toUpperCase()).join(', ')}`, async () => {
    const version = (await crd(plural)).spec.versions[0];
    const actual = (version?.additionalPrinterColumns ?? []).map((c) => [c.name, c.jsonPath, c.type]);
    assert.deepEqual(actual, columns);
  });
}

test('only the detail columns are left to -o wide', async () => {
  const wide: string[] = [];
  for (const plural of Object.keys(expected)) {
    for (const c of (await crd(plural)).spec.versions[0]?.additionalPrinterColumns ?? []) {
      if (c.priority === 1) wide.push(`${plural}/${c.name}`);
    }
  }
  assert.deepEqual(wide.sort(), [
    'failovergroups/Workload',
    'statefulvolumes/Claim',
    'statefulvolumes/Requested',
    'volumebackups/Snapshot',
  ]);
});
