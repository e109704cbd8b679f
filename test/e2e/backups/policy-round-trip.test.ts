// A backup policy on the wall clock with the real operator process and real
// CSI snapshots: a run every minute, the operator SIGKILLed across a tick and
// restarted (one catch-up, no duplicate), retention pruning exactly the backup
// no tier keeps while a held one stays, and a restore from the held backup
// with its bytes compared.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  StatefulVolume,
  StatefulVolumeSpec,
  VolumeBackup,
  VolumeBackupPolicy,
} from '../../../src/api/v1alpha1/types.generated.js';
import {
  statefulVolumeType,
  volumeBackupPolicyType,
  volumeBackupType,
} from '../../../src/controllers/kinds.js';
import { backupName } from '../../../src/controllers/volumebackuppolicy/naming.js';
import { annotations } from '../../../src/api/v1alpha1/vocabulary.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { rfc3339 } from '../../../src/runtime/clock.js';
import { statefulVolume, volumeBackupPolicy } from '../../support/builders.js';
import { listSnapshots, snapshotClassName } from '../../support/claims.js';
import { ensureCrds } from '../../support/crds.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';
import { scrapeMetrics } from '../../support/metrics.js';
import { metricValue, testClient, testName } from '../../support/operator.js';
import {
  echoProblems,
  startOperator,
  stopOperator,
  waitReady,
  type OperatorProcess,
} from '../../support/operator-process.js';
import { readChecksum, writeRandomBytes } from '../../support/volumes.js';
import { eventually } from '../../support/wait.js';

const MiB = 1024 * 1024;
const MINUTE = 60_000;
const policyName = 'minutely';

/** 64 MiB: the bytes written and restored, with room to spare. */
function volume(ns: string, name: string, spec: Partial<StatefulVolumeSpec> = {}): StatefulVolume {
  return statefulVolume(ns, name, { spec: { size: '64Mi', ...spec } });
}

async function waitVolumeReady(client: KubeClient, ns: string, name: string): Promise<void> {
  await eventually(
    `${name} Ready`,
    async () => (await client.get<StatefulVolume>(statefulVolumeType, ns, name)).status?.phase === 'Ready',
    { timeoutMs: 120_000 },
  );
}

async function backupsOf(client: KubeClient, ns: string): Promise<VolumeBackup[]> {
  return (await client.list<VolumeBackup>(volumeBackupType, ns)).items;
}

async function waitBackupReady(client: KubeClient, ns: string, name: string): Promise<VolumeBackup> {
  return eventually(
    `backup ${name} Ready`,
    async () => {
      const b = await client.find<VolumeBackup>(volumeBackupType, ns, name);
      if (b?.status?.phase === 'Failed') throw new Error(`${name} failed: ${JSON.stringify(b.status.error)}`);
      return b?.status?.phase === 'Ready' ? b : false;
    },
    { timeoutMs: 150_000, intervalMs: 500 },
  );
}

/** The minute boundary after `at`: the next tick of `* * * * *`. */
function nextMinute(at: number): Date {
  return new Date(Math.floor(at / MINUTE) * MINUTE + MINUTE);
}

const sleepUntil = (at: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

test('a minutely policy survives a kill across a tick, prunes exactly, keeps a held backup, and restores its bytes', async (t) => {
  await ensureCrds(loadTestKubeConfig());
  const kc = loadTestKubeConfig();
  const ns = await createTestNamespace(t, 'e2e-backups');
  const client = testClient();
  const running: OperatorProcess[] = [];
  t.after(async () => {
    for (const p of running) await stopOperator(p).catch(() => undefined);
    client.close();
  });
  const launch = async (): Promise<OperatorProcess> => {
    const p = await startOperator({
      n: running.length,
      namespaces: [ns],
      test: testName(t),
      onLine: echoProblems,
    });
    running.push(p);
    await waitReady(p);
    return p;
  };

  let operator = await launch();
  await client.create(statefulVolumeType, volume(ns, 'db'));
  await waitVolumeReady(client, ns, 'db');
  const firstBytes = await writeRandomBytes(kc, ns, 'db', 2 * MiB);
  await client.create<VolumeBackupPolicy>(
    volumeBackupPolicyType,
    volumeBackupPolicy(ns, policyName, {
      spec: {
        schedule: '* * * * *',
        volumes: ['db'],
        volumeSnapshotClassName: snapshotClassName,
        startingDeadlineSeconds: 120,
        retention: { keepLast: 1 },
      },
    }),
  );

  // 1. The first tick makes a Ready backup; it is held, so retention must keep it.
  const tick1 = await eventually(
    'the first run',
    async () => {
      const p = await client.get<VolumeBackupPolicy>(volumeBackupPolicyType, ns, policyName);
      return p.status?.lastScheduleTime !== undefined ? new Date(p.status.lastScheduleTime) : false;
    },
    { timeoutMs: 2 * MINUTE },
  );
  const b1 = backupName('db', policyName, tick1);
  await waitBackupReady(client, ns, b1);
  await client.patch(volumeBackupType, ns, b1, {
    metadata: { annotations: { [annotations.hold]: 'true' } },
  });

  // 2. Down across the next tick; the volume changes meanwhile.
  await stopOperator(operator);
  const tick2 = nextMinute(tick1.getTime());
  assert.ok(Date.now() < tick2.getTime() - 5_000, 'the first backup took too long to leave a tick to miss');
  const secondBytes = await writeRandomBytes(kc, ns, 'db', 2 * MiB);
  await sleepUntil(tick2.getTime() + 10_000);
  assert.deepEqual(
    (await backupsOf(client, ns)).map((b) => b.metadata.name),
    [b1],
    'nothing runs while the operator is down',
  );
  operator = await launch();
  const b2 = backupName('db', policyName, tick2);
  await waitBackupReady(client, ns, b2);
  const afterRestart = await client.get<VolumeBackupPolicy>(volumeBackupPolicyType, ns, policyName);
  assert.equal(afterRestart.status?.lastScheduleTime, rfc3339(tick2));
  const body = await scrapeMetrics(operator.metricsPort);
  t.diagnostic(
    body
      .split('\n')
      .filter((l) => l.startsWith('volumebackup'))
      .join('\n'),
  );
  const labels = { namespace: ns, policy: policyName };
  assert.equal(
    metricValue(body, 'stateful_volume_operator_volumebackuppolicy_schedule_lateness_seconds_count', labels),
    1,
  );
  assert.ok(
    metricValue(body, 'stateful_volume_operator_volumebackuppolicy_schedule_lateness_seconds_sum', labels) >=
      10,
  );
  assert.ok(
    metricValue(body, 'stateful_volume_operator_volumebackup_backups', { namespace: ns, phase: 'Ready' }) >=
      2,
  );

  // 3. The next tick: keepLast 1 prunes the catch-up backup, never the held one nor the newest.
  const tick3 = nextMinute(tick2.getTime());
  const b3 = backupName('db', policyName, tick3);
  await waitBackupReady(client, ns, b3);
  await eventually('the catch-up backup pruned', async () =>
    (await backupsOf(client, ns)).every((b) => b.metadata.name !== b2),
  );
  await client.patch(volumeBackupPolicyType, ns, policyName, { spec: { suspend: true } });
  const left = (await backupsOf(client, ns)).map((b) => b.metadata.name ?? '').sort();
  assert.deepEqual(left, [b1, b3].sort(), 'exactly one backup per tick, and only the unkept one pruned');
  await eventually('the pruned backup’s snapshot gone', async () =>
    (await listSnapshots(kc, ns)).every((s) => s.metadata?.name !== b2),
  );

  // 4. The held backup still restores the bytes it was taken of, not today's.
  await client.create(statefulVolumeType, volume(ns, 'restored', { source: { volumeBackupName: b1 } }));
  await waitVolumeReady(client, ns, 'restored');
  const restored = await readChecksum(kc, ns, 'restored');
  assert.equal(restored, firstBytes);
  assert.notEqual(restored, secondBytes);
  assert.equal(await readChecksum(kc, ns, 'db'), secondBytes);
});
