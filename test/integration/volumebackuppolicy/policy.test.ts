// The VolumeBackupPolicy controller, run in-process against the test cluster
// with a clock the test moves. No VolumeBackup controller runs: the test plays
// its part by writing VolumeBackup status through the status subresource.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type {
  StatefulVolume,
  VolumeBackup,
  VolumeBackupPolicy,
  VolumeBackupPolicySpec,
} from '../../../src/api/v1alpha1/types.generated.js';
import { exportBackupMetrics } from '../../../src/controllers/volumebackup/metrics.js';
import { registerVolumeBackupPolicy } from '../../../src/controllers/volumebackuppolicy/controller.js';
import { backupName } from '../../../src/controllers/volumebackuppolicy/naming.js';
import { nextRun } from '../../../src/controllers/volumebackuppolicy/schedule.js';
import { hourly } from '../../support/schedule.js';
import { annotations, labels } from '../../../src/api/v1alpha1/vocabulary.js';
import {
  volumeBackupPolicyType,
  volumeBackupType,
} from '../../../src/controllers/volumebackuppolicy/types.js';
import { statefulVolumeType } from '../../../src/controllers/statefulvolume/types.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { coreTypes } from '../../../src/kube/resource.js';
import type { KubeObject } from '../../../src/kube/wire.js';
import { ManualClock, rfc3339 } from '../../../src/runtime/clock.js';
import { statefulVolume, volumeBackup, volumeBackupPolicy } from '../../support/builders.js';
import { ensureCrds } from '../../support/crds.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';
import {
  metricValue,
  poke,
  startTestManager,
  clientFor,
  type RunningManager,
} from '../../support/operator.js';
import { eventually } from '../../support/wait.js';

const HOUR = 3_600_000;

interface Env {
  ns: string;
  client: KubeClient;
  clock: ManualClock;
  start: () => Promise<RunningManager>;
}

type Event = KubeObject & { reason?: string; type?: string; message?: string };

async function setup(t: TestContext, prefix: string): Promise<Env> {
  await ensureCrds(loadTestKubeConfig());
  const ns = await createTestNamespace(t, prefix);
  const client = clientFor(t);
  const clock = new ManualClock(new Date());
  const start = (): Promise<RunningManager> =>
    startTestManager(t, {
      namespaces: [ns],
      clock,
      register: (mgr) => {
        registerVolumeBackupPolicy(mgr, { concurrency: 2 });
        // Only the metrics of the VolumeBackup controller: the test plays its reconciler.
        exportBackupMetrics(mgr);
      },
    });
  return { ns, client, clock, start };
}

/** The next hourly tick after real now: the cluster stamps creation times with real time. */
function firstTick(): Date {
  return nextRun(hourly, new Date());
}

async function createVolume(env: Env, name: string, labels: Record<string, string> = {}): Promise<void> {
  await env.client.create<StatefulVolume>(
    statefulVolumeType,
    statefulVolume(env.ns, name, { metadata: { labels } }),
  );
}

async function createPolicy(
  env: Env,
  name: string,
  spec: Partial<VolumeBackupPolicySpec>,
): Promise<VolumeBackupPolicy> {
  return env.client.create<VolumeBackupPolicy>(
    volumeBackupPolicyType,
    volumeBackupPolicy(env.ns, name, { spec }),
  );
}

async function getPolicy(env: Env, name: string): Promise<VolumeBackupPolicy> {
  return env.client.get<VolumeBackupPolicy>(volumeBackupPolicyType, env.ns, name);
}

async function backups(env: Env): Promise<VolumeBackup[]> {
  return (await env.client.list<VolumeBackup>(volumeBackupType, env.ns)).items;
}

function condition(
  p: VolumeBackupPolicy,
  type: string,
): { status: string; reason: string; message?: string } | undefined {
  return p.status?.conditions?.find((c) => c.type === type);
}

/** A backup as a person or an earlier run made it, with the status a VolumeBackup controller would write. */
async function createBackup(
  env: Env,
  name: string,
  opts: { volume: string; policy?: string; phase: 'Ready' | 'Failed'; takenAt: Date },
): Promise<void> {
  const spec = opts.policy !== undefined ? { policyName: opts.policy } : {};
  await env.client.create<VolumeBackup>(volumeBackupType, volumeBackup(env.ns, name, opts.volume, { spec }));
  await setBackupStatus(env, name, opts.phase, opts.takenAt);
}

async function setBackupStatus(
  env: Env,
  name: string,
  phase: 'Ready' | 'Failed',
  takenAt: Date,
): Promise<void> {
  const status =
    phase === 'Ready'
      ? { phase, startedAt: rfc3339(takenAt), readyAt: rfc3339(new Date(takenAt.getTime() + 60_000)) }
      : {
          phase,
          startedAt: rfc3339(takenAt),
          error: { reason: 'DeadlineExceeded', message: 'test failure' },
        };
  await env.client.patch(volumeBackupType, env.ns, name, { status }, { subresource: 'status' });
}

async function events(env: Env, reason: string): Promise<Event[]> {
  const list = await env.client.list<Event>(coreTypes.event, env.ns);
  return list.items.filter((e) => e.reason === reason);
}

test('a policy crossing a tick creates one owned, labelled VolumeBackup per selected volume', async (t) => {
  const env = await setup(t, 'vbp-tick');
  const running = await env.start();
  await createVolume(env, 'db-0', { app: 'db' });
  await createVolume(env, 'db-1', { app: 'db' });
  await createVolume(env, 'cache-0', { app: 'cache' });
  await createPolicy(env, 'nightly', {
    selector: { matchLabels: { app: 'db' } },
    volumeSnapshotClassName: 'fast',
  });
  const tick = firstTick();
  const waiting = await eventually('the policy waits for its first run', async () => {
    const p = await getPolicy(env, 'nightly');
    return p.status?.nextScheduleTime === rfc3339(tick) ? p : false;
  });
  assert.equal(waiting.status?.phase, 'Pending');
  assert.equal((await backups(env)).length, 0);

  env.clock.set(new Date(tick.getTime() + 5_000));
  await poke(env.client, volumeBackupPolicyType, env.ns, 'nightly');
  const made = await eventually('two backups of the run', async () => {
    const list = await backups(env);
    return list.length >= 2 ? list : false;
  });
  const names = made.map((b) => b.metadata.name).sort();
  assert.deepEqual(names, [backupName('db-0', 'nightly', tick), backupName('db-1', 'nightly', tick)]);
  assert.equal(names[0], `db-0-nightly-${tick.toISOString().slice(0, 16).replace(/[-T:]/g, '')}`);
  for (const b of made) {
    assert.equal(b.metadata.ownerReferences, undefined, 'a policy does not own its backups');
    assert.equal(b.metadata.labels?.[labels.policy], 'nightly');
    assert.equal(b.metadata.labels[labels.volume], b.spec.volumeName);
    assert.equal(b.metadata.labels[labels.managedBy], 'stateful-volume-operator');
    assert.equal(b.metadata.annotations?.[annotations.scheduledTime], rfc3339(tick));
    assert.equal(b.spec.policyName, 'nightly');
    assert.equal(b.spec.volumeSnapshotClassName, 'fast');
  }
  const after = await eventually('the run is recorded', async () => {
    const p = await getPolicy(env, 'nightly');
    return p.status?.lastScheduleTime === rfc3339(tick) ? p : false;
  });
  assert.equal(after.status?.nextScheduleTime, rfc3339(new Date(tick.getTime() + HOUR)));
  assert.equal(after.status.counts?.inProgress, 2);
  assert.equal(after.status.observedGeneration, after.metadata.generation);
  assert.deepEqual(
    after.status.volumes?.map((v) => [v.name, v.lastBackup]),
    [
      ['db-0', backupName('db-0', 'nightly', tick)],
      ['db-1', backupName('db-1', 'nightly', tick)],
    ],
  );
  assert.ok((await events(env, 'BackupCreated')).length >= 1);
  const lateness = { namespace: env.ns, policy: 'nightly' };
  const text = await running.metrics();
  assert.equal(
    metricValue(
      text,
      'stateful_volume_operator_volumebackuppolicy_schedule_lateness_seconds_count',
      lateness,
    ),
    1,
  );
  assert.equal(
    metricValue(text, 'stateful_volume_operator_volumebackuppolicy_schedule_lateness_seconds_sum', lateness),
    5,
  );

  // Another pass at the same time makes nothing more.
  await poke(env.client, volumeBackupPolicyType, env.ns, 'nightly');
  await eventually('the Ready condition says the run waits for its backups', async () => {
    const p = await getPolicy(env, 'nightly');
    return condition(p, 'Ready')?.reason === 'RunInProgress';
  });
  assert.equal((await backups(env)).length, 2);
});

test('a manager restarted across two ticks catches up once per volume, not twice', async (t) => {
  const env = await setup(t, 'vbp-restart');
  const tick1 = firstTick();
  env.clock.set(new Date(tick1.getTime() + 5_000));
  const first = await env.start();
  await createVolume(env, 'a');
  await createVolume(env, 'b');
  await createPolicy(env, 'hourly', { volumes: ['a', 'b'], startingDeadlineSeconds: 1800 });
  const made = await eventually('the backups of the first run', async () => {
    const list = await backups(env);
    return list.length >= 2 ? list : false;
  });
  for (const b of made) await setBackupStatus(env, b.metadata.name ?? '', 'Ready', tick1);
  await eventually('the first run is recorded as succeeded', async () => {
    const p = await getPolicy(env, 'hourly');
    return p.status?.lastSuccessfulTime === rfc3339(tick1) && p.status.lastScheduleTime === rfc3339(tick1);
  });
  await first.stop();

  // Down through the next run and past the one after; the latter is within the deadline.
  const tick2 = new Date(tick1.getTime() + HOUR);
  const tick3 = new Date(tick1.getTime() + 2 * HOUR);
  env.clock.set(new Date(tick3.getTime() + 60_000));
  await env.start();
  const caught = await eventually('the catch-up run is recorded', async () => {
    const p = await getPolicy(env, 'hourly');
    return p.status?.lastScheduleTime === rfc3339(tick3) ? p : false;
  });
  const names = (await backups(env)).map((b) => b.metadata.name).sort();
  assert.deepEqual(
    names,
    [
      backupName('a', 'hourly', tick1),
      backupName('a', 'hourly', tick3),
      backupName('b', 'hourly', tick1),
      backupName('b', 'hourly', tick3),
    ].sort(),
  );
  assert.ok(!names.includes(backupName('a', 'hourly', tick2)));
  assert.equal(caught.status?.nextScheduleTime, rfc3339(new Date(tick3.getTime() + HOUR)));
  const created = await eventually('a BackupCreated Event for the catch-up', async () => {
    const list = await events(env, 'BackupCreated');
    return list.find((e) => e.message?.includes(rfc3339(tick3)) === true) ?? false;
  });
  assert.match(created.message ?? '', /catching up; 1 earlier missed run/);
});

test('a run later than startingDeadlineSeconds is skipped with an Event and a status record', async (t) => {
  const env = await setup(t, 'vbp-deadline');
  const tick = firstTick();
  env.clock.set(new Date(tick.getTime() + 300_000));
  const running = await env.start();
  await createVolume(env, 'a');
  await createPolicy(env, 'strict', { volumes: ['a'], startingDeadlineSeconds: 60 });
  const skipped = await eventually('the skip is recorded', async () => {
    const p = await getPolicy(env, 'strict');
    return p.status?.lastScheduleTime === rfc3339(tick) ? p : false;
  });
  const ready = condition(skipped, 'Ready');
  assert.equal(ready?.status, 'False');
  assert.equal(ready.reason, 'MissedSchedule');
  assert.match(ready.message ?? '', /startingDeadlineSeconds 60/);
  const event = await eventually(
    'a MissedSchedule Warning',
    async () => (await events(env, 'MissedSchedule'))[0],
  );
  assert.equal(event.type, 'Warning');
  assert.equal((await backups(env)).length, 0);
  const text = await running.metrics();
  assert.equal(
    metricValue(text, 'stateful_volume_operator_volumebackuppolicy_missed_runs_total', {
      namespace: env.ns,
      policy: 'strict',
    }),
    1,
  );
  assert.equal(
    metricValue(text, 'stateful_volume_operator_volumebackuppolicy_schedule_lateness_seconds_count', {
      namespace: env.ns,
    }),
    0,
  );
});

test('a suspended policy creates nothing and prunes nothing', async (t) => {
  const env = await setup(t, 'vbp-suspend');
  const tick = firstTick();
  env.clock.set(new Date(tick.getTime() + 5_000));
  await env.start();
  await createVolume(env, 'a');
  for (let i = 1; i <= 3; i++)
    await createBackup(env, `old-${i}`, {
      volume: 'a',
      policy: 'paused',
      phase: 'Ready',
      takenAt: new Date(tick.getTime() - i * HOUR),
    });
  await createPolicy(env, 'paused', { volumes: ['a'], suspend: true, retention: { keepLast: 1 } });
  const p = await eventually('the policy reports Suspended with every backup counted', async () => {
    const got = await getPolicy(env, 'paused');
    return condition(got, 'Suspended')?.status === 'True' && got.status?.counts?.ready === 3 ? got : false;
  });
  assert.equal(p.status?.phase, 'Suspended');
  assert.equal(p.status.nextScheduleTime, undefined);
  assert.deepEqual((await backups(env)).map((b) => b.metadata.name).sort(), ['old-1', 'old-2', 'old-3']);
});

test('keepLast 2 prunes the older Ready backups, keeps newer failures and never touches an on-demand backup', async (t) => {
  const env = await setup(t, 'vbp-retain');
  const now = env.clock.now();
  const running = await env.start();
  await createVolume(env, 'a');
  const at = (hours: number): Date => new Date(now.getTime() - hours * HOUR);
  await createBackup(env, 'by-hand', { volume: 'a', phase: 'Ready', takenAt: at(9) });
  await createBackup(env, 'r1', { volume: 'a', policy: 'keep2', phase: 'Ready', takenAt: at(5) });
  await createBackup(env, 'r2', { volume: 'a', policy: 'keep2', phase: 'Ready', takenAt: at(4) });
  await createBackup(env, 'r3', { volume: 'a', policy: 'keep2', phase: 'Ready', takenAt: at(3) });
  await createBackup(env, 'f4', { volume: 'a', policy: 'keep2', phase: 'Failed', takenAt: at(2) });
  await createBackup(env, 'f5', { volume: 'a', policy: 'keep2', phase: 'Failed', takenAt: at(1) });
  await createPolicy(env, 'keep2', { volumes: ['a'], retention: { keepLast: 2 } });

  await eventually('r1 is pruned', async () => {
    const names = (await backups(env)).map((b) => b.metadata.name);
    return !names.includes('r1');
  });
  const p = await eventually('the counts after pruning', async () => {
    const got = await getPolicy(env, 'keep2');
    return got.status?.counts?.failed === 2 && got.status.counts.ready === 2 ? got : false;
  });
  // Failed backups do not count for keepLast: the two newest Ready ones stay although two failures are newer.
  assert.deepEqual((await backups(env)).map((b) => b.metadata.name).sort(), [
    'by-hand',
    'f4',
    'f5',
    'r2',
    'r3',
  ]);
  assert.equal(p.status?.volumes?.[0]?.lastSuccessfulTime, rfc3339(at(3)));
  assert.equal(p.status.volumes[0].readyBackups, 2);
  const pruned = await eventually(
    'a BackupPruned Event for r1',
    async () => (await events(env, 'BackupPruned'))[0],
  );
  assert.match(pruned.message ?? '', /r1 of volume a.*no retention tier keeps it any more \(keepLast 2\)/);
  // Scraped from the cache: r1 is gone, by-hand counts, the newest Ready one (r3, ready a minute after it started) sets the time.
  const text = await eventually('the metrics without r1', async () => {
    const got = await running.metrics();
    return metricValue(got, 'stateful_volume_operator_volumebackup_backups', {
      namespace: env.ns,
      phase: 'Ready',
    }) === 3
      ? got
      : false;
  });
  assert.equal(
    metricValue(text, 'stateful_volume_operator_volumebackup_backups', {
      namespace: env.ns,
      phase: 'Failed',
    }),
    2,
  );
  assert.equal(
    metricValue(text, 'stateful_volume_operator_volumebackup_last_success_timestamp_seconds', {
      namespace: env.ns,
      volume: 'a',
    }),
    Math.floor(at(3).getTime() / 1000) + 60,
  );
  // Hourly with the default one-hour deadline: an hour between runs, the deadline, 5 minutes of lateness.
  assert.equal(
    metricValue(text, 'stateful_volume_operator_volumebackup_max_age_seconds', {
      namespace: env.ns,
      volume: 'a',
    }),
    3600 + 3600 + 300,
  );
});

test('an on-demand backup is never pruned, however old and however strict the rules', async (t) => {
  const env = await setup(t, 'vbp-ondemand');
  const now = env.clock.now();
  await env.start();
  await createVolume(env, 'a');
  await createBackup(env, 'manual-old', {
    volume: 'a',
    phase: 'Ready',
    takenAt: new Date(now.getTime() - 1000 * HOUR),
  });
  await createBackup(env, 'p1', {
    volume: 'a',
    policy: 'tight',
    phase: 'Ready',
    takenAt: new Date(now.getTime() - 3 * HOUR),
  });
  await createBackup(env, 'p2', {
    volume: 'a',
    policy: 'tight',
    phase: 'Ready',
    takenAt: new Date(now.getTime() - 2 * HOUR),
  });
  await createPolicy(env, 'tight', { volumes: ['a'], retention: { keepLast: 1, maxAge: '1h' } });
  await eventually('p1 is pruned', async () => !(await backups(env)).some((b) => b.metadata.name === 'p1'));
  // p2 is older than maxAge too, but it is the newest Ready backup of the volume.
  assert.deepEqual((await backups(env)).map((b) => b.metadata.name).sort(), ['manual-old', 'p2']);
  const pruned = await eventually(
    'a BackupPruned Event for p1',
    async () => (await events(env, 'BackupPruned'))[0],
  );
  assert.match(pruned.message ?? '', /p1 of volume a.*older than retention.maxAge 1h/);
});

test('an unknown time zone makes the policy Invalid with a message naming the field', async (t) => {
  const env = await setup(t, 'vbp-invalid');
  await env.start();
  await createPolicy(env, 'mars', { volumes: ['a'], timeZone: 'Mars/Olympus_Mons' });
  const p = await eventually('the policy is Invalid', async () => {
    const got = await getPolicy(env, 'mars');
    return got.status?.phase === 'Invalid' ? got : false;
  });
  const ready = condition(p, 'Ready');
  assert.equal(ready?.reason, 'UnknownTimeZone');
  assert.match(ready.message ?? '', /spec\.timeZone/);
  await eventually(
    'an UnknownTimeZone Warning',
    async () => (await events(env, 'UnknownTimeZone')).length > 0,
  );
});

test('with jitter a run stays open across passes until every volume has its backup', async (t) => {
  const env = await setup(t, 'vbp-jitter');
  const tick = firstTick();
  env.clock.set(tick);
  await env.start();
  const volumes = ['a', 'b', 'c', 'd'];
  for (const v of volumes) await createVolume(env, v);
  await createPolicy(env, 'spread', { volumes, jitterSeconds: 600 });
  const open = await eventually('the run is in progress', async () => {
    const p = await getPolicy(env, 'spread');
    return condition(p, 'Ready')?.reason === 'RunInProgress' ? p : false;
  });
  assert.equal(open.status?.lastScheduleTime, undefined);
  assert.ok((await backups(env)).length < volumes.length, 'not every volume is due at the scheduled time');

  env.clock.set(new Date(tick.getTime() + 601_000));
  await poke(env.client, volumeBackupPolicyType, env.ns, 'spread');
  const closed = await eventually('the run is recorded once every volume is backed up', async () => {
    const p = await getPolicy(env, 'spread');
    return p.status?.lastScheduleTime === rfc3339(tick) ? p : false;
  });
  assert.deepEqual(
    (await backups(env)).map((b) => b.metadata.name).sort(),
    volumes.map((v) => backupName(v, 'spread', tick)).sort(),
  );
  assert.equal(closed.status?.counts?.inProgress, volumes.length);
});

test('a volume whose previous backup is still in progress is skipped for the run, and the status says so', async (t) => {
  const env = await setup(t, 'vbp-busy');
  const tick1 = firstTick();
  env.clock.set(new Date(tick1.getTime() + 5_000));
  await env.start();
  await createVolume(env, 'slow');
  await createVolume(env, 'quick');
  await createPolicy(env, 'busy', { volumes: ['slow', 'quick'], startingDeadlineSeconds: 600 });
  const first = await eventually('the first run', async () => {
    const list = await backups(env);
    return list.length >= 2 ? list : false;
  });
  const quick = first.find((b) => b.spec.volumeName === 'quick');
  await setBackupStatus(env, quick?.metadata.name ?? '', 'Ready', tick1);
  await eventually('the first run is recorded', async () => {
    const p = await getPolicy(env, 'busy');
    return p.status?.lastScheduleTime === rfc3339(tick1);
  });

  const tick2 = new Date(tick1.getTime() + HOUR);
  env.clock.set(new Date(tick2.getTime() + 5_000));
  await poke(env.client, volumeBackupPolicyType, env.ns, 'busy');
  const p = await eventually('the second run is recorded', async () => {
    const got = await getPolicy(env, 'busy');
    return got.status?.lastScheduleTime === rfc3339(tick2) ? got : false;
  });
  assert.match(condition(p, 'Ready')?.message ?? '', /slow \(slow-busy-\d{12} in progress\)/);
  const names = (await backups(env)).map((b) => b.metadata.name).sort();
  assert.deepEqual(names, [
    backupName('quick', 'busy', tick1),
    backupName('quick', 'busy', tick2),
    backupName('slow', 'busy', tick1),
  ]);
  await eventually('a BackupSkipped Event', async () => (await events(env, 'BackupSkipped')).length > 0);
});

test('a named volume that does not exist is reported in the Ready condition and the others are backed up', async (t) => {
  const env = await setup(t, 'vbp-missing');
  const tick = firstTick();
  env.clock.set(new Date(tick.getTime() + 5_000));
  await env.start();
  await createVolume(env, 'here');
  await createPolicy(env, 'partial', { volumes: ['here', 'ghost'] });
  const p = await eventually('the run is recorded', async () => {
    const got = await getPolicy(env, 'partial');
    return got.status?.lastScheduleTime === rfc3339(tick) ? got : false;
  });
  const ready = condition(p, 'Ready');
  assert.equal(ready?.status, 'False');
  assert.equal(ready.reason, 'VolumeNotFound');
  assert.match(ready.message ?? '', /ghost/);
  assert.deepEqual(
    (await backups(env)).map((b) => b.metadata.name),
    [backupName('here', 'partial', tick)],
  );
});
