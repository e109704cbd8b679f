import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideSource,
  type SourceLookup,
  type SourceSpec,
} from '../../../src/controllers/statefulvolume/source.js';

const cases: {
  name: string;
  source: SourceSpec | undefined;
  found: SourceLookup;
  want: string;
  dataSource?: string;
}[] = [
  { name: 'no source means an empty volume', source: undefined, found: {}, want: 'none' },
  {
    name: 'a Ready backup restores from its VolumeSnapshot',
    source: { volumeBackupName: 'nightly-1' },
    found: { backup: { phase: 'Ready', volumeSnapshotName: 'vs-nightly-1', restoreSize: '10Gi' } },
    want: 'ready',
    dataSource: 'VolumeSnapshot/vs-nightly-1',
  },
  {
    name: 'a backup that does not exist yet is waited for',
    source: { volumeBackupName: 'x' },
    found: {},
    want: 'wait:SourceNotFound',
  },
  {
    name: 'a backup still in progress is waited for',
    source: { volumeBackupName: 'x' },
    found: { backup: { phase: 'InProgress' } },
    want: 'wait:SourceNotReady',
  },
  {
    name: 'a failed backup is refused, since it will never become ready',
    source: { volumeBackupName: 'x' },
    found: { backup: { phase: 'Failed' } },
    want: 'invalid:SourceFailed',
  },
  {
    name: 'a snapshot ready to use is the data source itself',
    source: { volumeSnapshotName: 'snap' },
    found: { snapshot: { readyToUse: true } },
    want: 'ready',
    dataSource: 'VolumeSnapshot/snap',
  },
  {
    name: 'a snapshot with a CSI error is still waited for, since the error is not final',
    source: { volumeSnapshotName: 'snap' },
    found: { snapshot: { readyToUse: false, error: 'timeout' } },
    want: 'wait:SourceNotReady',
  },
  {
    name: 'a Bound claim is cloned',
    source: { persistentVolumeClaimName: 'old' },
    found: { claim: { phase: 'Bound' } },
    want: 'ready',
    dataSource: 'PersistentVolumeClaim/old',
  },
  {
    name: 'a claim that is still Pending is waited for',
    source: { persistentVolumeClaimName: 'old' },
    found: { claim: { phase: 'Pending' } },
    want: 'wait:SourceNotReady',
  },
  {
    name: "cloning the volume's own claim is refused",
    source: { persistentVolumeClaimName: 'data' },
    found: { claim: { phase: 'Bound' } },
    want: 'invalid:SourceIsSelf',
  },
];

for (const c of cases) {
  test(c.name, () => {
    const d = decideSource(c.source, c.found, 'data');
    const got = d.kind === 'wait' || d.kind === 'invalid' ? `${d.kind}:${d.reason}` : d.kind;
    assert.equal(got, c.want);
    if (d.kind === 'ready') assert.equal(`${d.dataSource.kind}/${d.dataSource.name}`, c.dataSource);
    if (d.kind === 'wait' || d.kind === 'invalid') assert.ok(d.message.length > 15);
  });
}
