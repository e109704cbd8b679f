// The bound behind stateful_volume_operator_volumebackup_max_age_seconds: a
// healthy schedule never exceeds it, one run that produced nothing does, and a
// volume several policies cover gets the strictest bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BackupAgeBounds,
  LATENESS_ALLOWANCE_SECONDS,
  maxBackupAgeSeconds,
} from '../../../src/controllers/volumebackuppolicy/max-age.js';
import { schedule } from '../../support/schedule.js';

interface Spec {
  schedule: string;
  backupDeadlineSeconds?: number;
  jitterSeconds?: number;
}

const spec = (extra: Omit<Spec, 'schedule'> = {}): Spec => ({
  schedule: 'unused',
  ...extra,
});

test('hourly: one hour, plus the deadline and jitter a run may take, plus the operator’s lateness', () => {
  const got = maxBackupAgeSeconds(
    schedule('@hourly'),
    spec({ backupDeadlineSeconds: 600, jitterSeconds: 60 }),
    new Date('2024-01-02T10:30:00Z'),
  );
  assert.equal(got, 3600 + 600 + 60 + LATENESS_ALLOWANCE_SECONDS);
});

test('the default deadline (one hour) counts when the spec sets none', () => {
  const got = maxBackupAgeSeconds(schedule('@daily'), spec(), new Date('2024-01-02T10:30:00Z'));
  assert.equal(got, 86_400 + 3600 + LATENESS_ALLOWANCE_SECONDS);
});

test('weekdays: the weekend gap counts from Friday on, so Monday morning does not alert', () => {
  const weekdays = schedule('0 2 * * 1-5');
  const deadline = spec({ backupDeadlineSeconds: 1800 });
  const friday = maxBackupAgeSeconds(weekdays, deadline, new Date('2024-01-05T12:00:00Z'));
  const monday = maxBackupAgeSeconds(weekdays, deadline, new Date('2024-01-08T02:10:00Z'));
  const wednesday = maxBackupAgeSeconds(weekdays, deadline, new Date('2024-01-10T12:00:00Z'));
  const weekend = 3 * 86_400 + 1800 + LATENESS_ALLOWANCE_SECONDS;
  assert.equal(friday, weekend, 'Friday: the next gap is the weekend');
  assert.equal(monday, weekend, 'Monday before its run is due: the newest is still Friday’s');
  assert.equal(wednesday, 86_400 + 1800 + LATENESS_ALLOWANCE_SECONDS);
});

test('a healthy hourly schedule stays under the bound at every minute; one run without a backup exceeds it', () => {
  const hourly = schedule('@hourly');
  const deadline = spec({ backupDeadlineSeconds: 600 });
  const readyAfter = 300;
  const start = Date.parse('2024-01-02T00:00:00Z');
  for (let t = start + 2 * 3600_000; t < start + 6 * 3600_000; t += 60_000) {
    const bound = maxBackupAgeSeconds(hourly, deadline, new Date(t)) ?? 0;
    // Every run's backup became Ready 5 minutes after its time.
    const lastRun = Math.floor((t - readyAfter * 1000) / 3600_000) * 3600_000;
    const age = (t - (lastRun + readyAfter * 1000)) / 1000;
    assert.ok(
      age <= bound,
      `age ${String(age)} s over bound ${String(bound)} s at ${new Date(t).toISOString()}`,
    );
  }
  // The 03:00 run produced nothing: at 04:20 the newest is from 02:05.
  const now = Date.parse('2024-01-02T04:20:00Z');
  const bound = maxBackupAgeSeconds(hourly, deadline, new Date(now)) ?? Infinity;
  assert.ok((now - Date.parse('2024-01-02T02:05:00Z')) / 1000 > bound);
});

test('a volume two policies cover gets the smaller bound; a deleted policy’s volumes lose theirs', () => {
  const bounds = new BackupAgeBounds();
  bounds.set('ns/hourly', { namespace: 'ns', volumes: ['a', 'b'], seconds: 5000 });
  bounds.set('ns/daily', { namespace: 'ns', volumes: ['b', 'c'], seconds: 90_000 });
  bounds.set('other/daily', { namespace: 'other', volumes: ['a'], seconds: 90_000 });
  const byVolume = (): Record<string, number> =>
    Object.fromEntries(bounds.perVolume().map((b) => [`${b.namespace}/${b.volume}`, b.seconds]));
  assert.deepEqual(byVolume(), { 'ns/a': 5000, 'ns/b': 5000, 'ns/c': 90_000, 'other/a': 90_000 });
  bounds.delete('ns/hourly');
  assert.deepEqual(byVolume(), { 'ns/b': 90_000, 'ns/c': 90_000, 'other/a': 90_000 });
});
