// The backup series exported at scrape time, derived from the backups alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VolumeBackup } from '../../../src/api/v1alpha1/types.generated.js';
import { backupSeries, type BackupSeries } from '../../../src/controllers/volumebackup/metrics.js';
import { volumeBackup } from '../../support/builders.js';

const t0 = '2026-11-23T10:00:00Z';
const t1 = '2026-11-23T11:00:00Z';
const sec = (iso: string): number => Date.parse(iso) / 1000;

const sorted = (s: BackupSeries): BackupSeries => ({
  byPhase: [...s.byPhase].sort((a, b) =>
    `${a.namespace}/${a.phase}`.localeCompare(`${b.namespace}/${b.phase}`),
  ),
  lastSuccess: [...s.lastSuccess].sort((a, b) =>
    `${a.namespace}/${a.volume}`.localeCompare(`${b.namespace}/${b.volume}`),
  ),
});

const cases: { name: string; backups: VolumeBackup[]; want: BackupSeries }[] = [
  { name: 'no backups give no series', backups: [], want: { byPhase: [], lastSuccess: [] } },
  {
    name: 'a backup without a status yet counts as Pending and has no success time',
    backups: [volumeBackup('a', 'db-x', 'db')],
    want: { byPhase: [{ namespace: 'a', phase: 'Pending', count: 1 }], lastSuccess: [] },
  },
  {
    name: 'phases are counted per namespace',
    backups: [
      volumeBackup('a', 'db-x', 'db', { status: { phase: 'Ready', readyAt: t0 } }),
      volumeBackup('a', 'db-x', 'db', { status: { phase: 'Failed' } }),
      volumeBackup('a', 'logs-x', 'logs', { status: { phase: 'Ready', readyAt: t0 } }),
      volumeBackup('b', 'db-x', 'db', { status: { phase: 'InProgress' } }),
    ],
    want: {
      byPhase: [
        { namespace: 'a', phase: 'Failed', count: 1 },
        { namespace: 'a', phase: 'Ready', count: 2 },
        { namespace: 'b', phase: 'InProgress', count: 1 },
      ],
      lastSuccess: [
        { namespace: 'a', volume: 'db', seconds: sec(t0) },
        { namespace: 'a', volume: 'logs', seconds: sec(t0) },
      ],
    },
  },
  {
    name: 'the success time of a volume is its newest Ready backup, whatever the order',
    backups: [
      volumeBackup('a', 'db-x', 'db', { status: { phase: 'Ready', readyAt: t1 } }),
      volumeBackup('a', 'db-x', 'db', { status: { phase: 'Ready', readyAt: t0 } }),
    ],
    want: {
      byPhase: [{ namespace: 'a', phase: 'Ready', count: 2 }],
      lastSuccess: [{ namespace: 'a', volume: 'db', seconds: sec(t1) }],
    },
  },
  {
    name: 'a failed backup newer than the last success does not move the success time',
    backups: [
      volumeBackup('a', 'db-x', 'db', { status: { phase: 'Ready', readyAt: t0 } }),
      volumeBackup('a', 'db-x', 'db', { status: { phase: 'Failed', readyAt: t1 } }),
    ],
    want: {
      byPhase: [
        { namespace: 'a', phase: 'Ready', count: 1 },
        { namespace: 'a', phase: 'Failed', count: 1 },
      ],
      lastSuccess: [{ namespace: 'a', volume: 'db', seconds: sec(t0) }],
    },
  },
  {
    name: 'the same volume name in two namespaces gives two series',
    backups: [
      volumeBackup('a', 'db-x', 'db', { status: { phase: 'Ready', readyAt: t0 } }),
      volumeBackup('b', 'db-x', 'db', { status: { phase: 'Ready', readyAt: t1 } }),
    ],
    want: {
      byPhase: [
        { namespace: 'a', phase: 'Ready', count: 1 },
        { namespace: 'b', phase: 'Ready', count: 1 },
      ],
      lastSuccess: [
        { namespace: 'a', volume: 'db', seconds: sec(t0) },
        { namespace: 'b', volume: 'db', seconds: sec(t1) },
      ],
    },
  },
];

for (const c of cases)
  test(c.name, () => {
    assert.deepEqual(sorted(backupSeries(c.backups)), sorted(c.want));
  });
