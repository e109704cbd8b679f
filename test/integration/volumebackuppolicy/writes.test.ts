// What a scheduled run costs the API server: the operator's writes for a run
// of five volumes, counted from the API server's audit log. The StatefulVolume
// and VolumeBackup controllers run on the wall clock with real CSI snapshots;
// the policy's controller runs in a second manager on a clock the test moves
// to the tick. A bound on a count, not a timing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  StatefulVolume,
  VolumeBackup,
  VolumeBackupPolicy,
} from '../../../src/api/v1alpha1/types.generated.js';
import { registerStatefulVolume } from '../../../src/controllers/statefulvolume/controller.js';
import { statefulVolumeType } from '../../../src/controllers/statefulvolume/types.js';
import { registerVolumeBackup } from '../../../src/controllers/volumebackup/controller.js';
import { registerVolumeBackupPolicy } from '../../../src/controllers/volumebackuppolicy/controller.js';
import { nextRun } from '../../../src/controllers/volumebackuppolicy/schedule.js';
import { hourly } from '../../support/schedule.js';
import { annotations } from '../../../src/api/v1alpha1/vocabulary.js';
import {
  volumeBackupPolicyType,
  volumeBackupType,
} from '../../../src/controllers/volumebackuppolicy/types.js';
import { ManualClock, rfc3339 } from '../../../src/runtime/clock.js';
import { auditedWrites, type AuditedWrite } from '../../support/audit.js';
import { statefulVolume, volumeBackupPolicy } from '../../support/builders.js';
import { snapshotClassName } from '../../support/claims.js';
import { clusterRunDir } from '../../support/control.js';
import { ensureCrds } from '../../support/crds.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';
import { poke, startTestManager, clientFor } from '../../support/operator.js';
import { eventually } from '../../support/wait.js';

const volumes = 5;

function count(writes: readonly AuditedWrite[], resource: string, verb?: string): number {
  return writes.filter((w) => w.resource === resource && (verb === undefined || w.verb === verb)).length;
}

test('a scheduled run of five volumes writes each backup at most four times and the policy’s status at most three', async (t) => {
  const runDir = clusterRunDir();
  if (runDir === undefined) {
    t.skip('needs the audit log of a cluster started by this checkout (SVO_CLUSTER_RUN)');
    return;
  }
  await ensureCrds(loadTestKubeConfig());
  const ns = await createTestNamespace(t, 'vbp-writes');
  const client = clientFor(t);
  const tick = nextRun(hourly, new Date());
  const clock = new ManualClock(new Date(tick.getTime() - 60_000));
  await startTestManager(t, {
    namespaces: [ns],
    register: (mgr) => {
      registerStatefulVolume(mgr, { concurrency: 2 });
      registerVolumeBackup(mgr, { concurrency: 2 });
    },
  });
  await startTestManager(t, {
    namespaces: [ns],
    clock,
    register: (mgr) => {
      registerVolumeBackupPolicy(mgr, { concurrency: 2 });
    },
  });
  for (let i = 0; i < volumes; i++)
    await client.create<StatefulVolume>(
      statefulVolumeType,
      statefulVolume(ns, `v-${String(i)}`, {
        metadata: { labels: { run: 'writes' } },
        spec: { size: '64Mi' },
      }),
    );
  await eventually(
    'every volume Ready',
    async () =>
      (await client.list<StatefulVolume>(statefulVolumeType, ns)).items.filter(
        (v) => v.status?.phase === 'Ready',
      ).length === volumes,
    { timeoutMs: 120_000 },
  );
  await client.create<VolumeBackupPolicy>(
    volumeBackupPolicyType,
    volumeBackupPolicy(ns, 'hourly', {
      spec: { selector: { matchLabels: { run: 'writes' } }, volumeSnapshotClassName: snapshotClassName },
    }),
  );
  await eventually('the policy to announce its first run', async () => {
    const p = await client.get<VolumeBackupPolicy>(volumeBackupPolicyType, ns, 'hourly');
    return p.status?.nextScheduleTime === rfc3339(tick);
  });
  const since = new Date();
  clock.set(new Date(tick.getTime() + 1_000));
  await poke(client, volumeBackupPolicyType, ns, 'hourly');
  await eventually(
    'every backup of the run Ready',
    async () => {
      const run = (await client.list<VolumeBackup>(volumeBackupType, ns)).items.filter(
        (b) => b.metadata.annotations?.[annotations.scheduledTime] === rfc3339(tick),
      );
      return run.length === volumes && run.every((b) => b.status?.phase === 'Ready');
    },
    { timeoutMs: 180_000 },
  );
  await eventually('the policy to record the run as finished', async () => {
    const p = await client.get<VolumeBackupPolicy>(volumeBackupPolicyType, ns, 'hourly');
    return p.status?.lastSuccessfulTime === rfc3339(tick);
  });
  // The Events follow the status writes that caused them.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const writes = auditedWrites(runDir, 'svo-tests-operator', since).filter((w) => w.namespace === ns);
  const shown = JSON.stringify(writes.map((w) => `${w.verb} ${w.resource}`));
  // Per backup: its creation, its snapshot's, InProgress and Ready; no finalizer update, no Pending.
  assert.equal(count(writes, 'volumebackups', 'create'), volumes, shown);
  assert.equal(count(writes, 'volumesnapshots', 'create'), volumes, shown);
  assert.equal(count(writes, 'volumebackups', 'patch') + count(writes, 'volumebackups', 'update'), 0, shown);
  assert.ok(count(writes, 'volumebackups/status') <= 2 * volumes, shown);
  // Per run: the policy's status at most three times, and its Events, not one per backup.
  assert.ok(count(writes, 'volumebackuppolicies/status') <= 3, shown);
  assert.ok(count(writes, 'events') <= 2, shown);
});
