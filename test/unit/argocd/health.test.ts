// Runs the Argo CD health scripts in a real Lua 5.1 interpreter (Argo CD runs
// gopher-lua, which implements Lua 5.1) against sample objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../cluster/layout.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function toLua(value: Json): string {
  if (value === null) return 'nil';
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  const fields = Object.entries(value)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `[${JSON.stringify(k)}] = ${toLua(v)}`);
  return `{${fields.join(', ')}}`;
}

function health(kind: string, obj: Json): { status: string; message: string } {
  const script = readFileSync(join(repoRoot, 'config', 'argocd', 'health', kind, 'health.lua'), 'utf8');
  const program = `obj = ${toLua(obj)}\nlocal hs = (function()\n${script}\nend)()\nio.write(hs.status, "\\n", hs.message or "")`;
  const out = execFileSync('lua5.1', ['-'], { input: program }).toString();
  const [status = '', ...rest] = out.split('\n');
  return { status, message: rest.join('\n') };
}

const cond = (type: string, status: string, reason = 'Reason', message = `${type} is ${status}`): Json => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: '2026-01-01T00:00:00Z',
});

const meta = (generation = 2): Json => ({ name: 'x', namespace: 'ns', generation });

const cases: { name: string; kind: string; obj: Json; status: string; message?: RegExp }[] = [
  {
    name: 'a StatefulVolume without status is Progressing',
    kind: 'StatefulVolume',
    obj: { metadata: meta() },
    status: 'Progressing',
  },
  {
    name: 'a StatefulVolume whose status is for an older generation is Progressing',
    kind: 'StatefulVolume',
    obj: {
      metadata: meta(3),
      status: { observedGeneration: 2, phase: 'Ready', conditions: [cond('Ready', 'True')] },
    },
    status: 'Progressing',
    message: /generation 3/,
  },
  {
    name: 'a Ready StatefulVolume of the current generation is Healthy',
    kind: 'StatefulVolume',
    obj: {
      metadata: meta(),
      status: { observedGeneration: 2, phase: 'Ready', conditions: [cond('Ready', 'True')] },
    },
    status: 'Healthy',
  },
  {
    name: 'a Failed StatefulVolume is Degraded with the Ready message',
    kind: 'StatefulVolume',
    obj: {
      metadata: meta(),
      status: {
        observedGeneration: 2,
        phase: 'Failed',
        conditions: [cond('Ready', 'False', 'StorageClassNotFound', 'class gold missing')],
      },
    },
    status: 'Degraded',
    message: /class gold missing/,
  },
  {
    name: 'a StatefulVolume that is still provisioning is Progressing with the reason',
    kind: 'StatefulVolume',
    obj: {
      metadata: meta(),
      status: {
        observedGeneration: 2,
        phase: 'Provisioning',
        conditions: [cond('Ready', 'False', 'Provisioning', 'waiting for the claim')],
      },
    },
    status: 'Progressing',
    message: /waiting for the claim/,
  },
  {
    name: 'a suspended VolumeBackupPolicy is Suspended',
    kind: 'VolumeBackupPolicy',
    obj: { metadata: meta(), spec: { suspend: true }, status: { observedGeneration: 2 } },
    status: 'Suspended',
  },
  {
    name: 'a stale VolumeBackupPolicy is Degraded',
    kind: 'VolumeBackupPolicy',
    obj: {
      metadata: meta(),
      spec: {},
      status: {
        observedGeneration: 2,
        conditions: [
          cond('Ready', 'True'),
          cond('Stale', 'True', 'BackupsStale', 'pg-data: newest backup is 3 days old'),
        ],
      },
    },
    status: 'Degraded',
    message: /3 days/,
  },
  {
    name: 'a ready VolumeBackupPolicy is Healthy',
    kind: 'VolumeBackupPolicy',
    obj: {
      metadata: meta(),
      spec: {},
      status: { observedGeneration: 2, conditions: [cond('Ready', 'True'), cond('Stale', 'False')] },
    },
    status: 'Healthy',
  },
  {
    name: 'a VolumeBackupPolicy with an invalid time zone is Degraded',
    kind: 'VolumeBackupPolicy',
    obj: {
      metadata: meta(),
      spec: {},
      status: {
        observedGeneration: 2,
        conditions: [cond('Ready', 'False', 'InvalidTimeZone', 'unknown zone Mars/Base')],
      },
    },
    status: 'Degraded',
  },
  {
    name: 'a Ready VolumeBackup is Healthy',
    kind: 'VolumeBackup',
    obj: { metadata: meta(), status: { phase: 'Ready' } },
    status: 'Healthy',
  },
  {
    name: 'a Failed VolumeBackup is Degraded with its error message',
    kind: 'VolumeBackup',
    obj: {
      metadata: meta(),
      status: {
        phase: 'Failed',
        error: { reason: 'DeadlineExceeded', message: 'snapshot not ready after 600 s' },
      },
    },
    status: 'Degraded',
    message: /600 s/,
  },
  {
    name: 'an InProgress VolumeBackup is Progressing',
    kind: 'VolumeBackup',
    obj: { metadata: meta(), status: { phase: 'InProgress' } },
    status: 'Progressing',
  },
  {
    name: 'a Healthy FailoverGroup is Healthy and names its zone',
    kind: 'FailoverGroup',
    obj: { metadata: meta(), status: { observedGeneration: 2, phase: 'Healthy', activeZone: 'zone-a' } },
    status: 'Healthy',
    message: /zone-a/,
  },
  {
    name: 'a FailoverGroup that is failing over is Progressing',
    kind: 'FailoverGroup',
    obj: { metadata: meta(), status: { observedGeneration: 2, phase: 'FailingOver', activeZone: 'zone-a' } },
    status: 'Progressing',
  },
  {
    name: 'a FailoverGroup that has failed over is Degraded until failback',
    kind: 'FailoverGroup',
    obj: { metadata: meta(), status: { observedGeneration: 2, phase: 'FailedOver', activeZone: 'zone-b' } },
    status: 'Degraded',
    message: /zone-b/,
  },
  {
    name: 'a Degraded FailoverGroup is Degraded with the Ready message',
    kind: 'FailoverGroup',
    obj: {
      metadata: meta(),
      status: {
        observedGeneration: 2,
        phase: 'Degraded',
        activeZone: 'zone-a',
        conditions: [cond('Ready', 'False', 'StandbyMissing', 'no standby in zone-b')],
      },
    },
    status: 'Degraded',
    message: /no standby/,
  },
];

for (const c of cases) {
  test(c.name, () => {
    const got = health(c.kind, c.obj);
    assert.equal(got.status, c.status, got.message);
    if (c.message !== undefined) assert.match(got.message, c.message);
  });
}
