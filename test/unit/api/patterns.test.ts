// The regular expressions of the schema, tried on tables of real inputs. The
// API server runs them with Go's RE2; they use only syntax that RE2 and
// JavaScript read the same way, so JavaScript can test them here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CronExpressionParser } from 'cron-parser';
import {
  dns1123SubdomainPattern,
  labelKeyPattern,
  quantityPattern,
} from '../../../src/api/v1alpha1/common.js';
import { expandSchedule, scheduleMacros } from '../../../src/api/v1alpha1/schedule.js';
import {
  cronPattern,
  durationPattern,
  timeZonePattern,
} from '../../../src/api/v1alpha1/volumebackuppolicy.js';
import { isQuantity } from '../../../src/kube/quantity.js';

const cron = new RegExp(cronPattern);

const validSchedules: [string, string][] = [
  ['nightly at 01:30', '30 1 * * *'],
  ['every 15 minutes', '*/15 * * * *'],
  ['weekdays at 02:00 by name', '0 2 * * mon-fri'],
  ['names in upper and title case', '0 2 1 JAN-Mar SUN'],
  ['lists, ranges and steps together', '0,30 8-18/2 1,15 */3 1-5'],
  ['Sunday written as 7', '0 0 * * 7'],
  ['leading zeros', '05 02 01 01 *'],
  ['several spaces between fields', '0  2  *  *  *'],
  ...Object.keys(scheduleMacros).map((m): [string, string] => [`the macro ${m}`, m]),
];

const invalidSchedules: [string, string][] = [
  ['six fields with seconds', '0 0 2 * * *'],
  ['four fields', '0 2 * *'],
  ['minute 60', '60 * * * *'],
  ['hour 24', '0 24 * * *'],
  ['day of month 0', '0 0 0 * *'],
  ['day of month 32', '0 0 32 * *'],
  ['month 13', '0 0 1 13 *'],
  ['day of week 8', '0 0 * * 8'],
  ['an unknown macro', '@fortnightly'],
  ['a macro with a field after it', '@daily 5'],
  ['a time zone prefix', 'CRON_TZ=Europe/Berlin 0 2 * * *'],
  ['a leading space', ' 0 2 * * *'],
  ['a tab between fields', '0\t2 * * *'],
  ['a question mark', '0 2 ? * *'],
  ['an empty schedule', ''],
];

for (const [name, schedule] of validSchedules) {
  test(`the schedule pattern accepts ${name}, and cron-parser can schedule it`, () => {
    assert.match(schedule, cron);
    assert.doesNotThrow(() => CronExpressionParser.parse(expandSchedule(schedule), { tz: 'Europe/Berlin' }));
  });
}

for (const [name, schedule] of invalidSchedules) {
  test(`the schedule pattern rejects ${name}`, () => {
    assert.doesNotMatch(schedule, cron);
  });
}

test('every macro expands to a 5-field expression the pattern accepts', () => {
  for (const [macro, expression] of Object.entries(scheduleMacros)) {
    assert.match(expression, cron, macro);
    assert.equal(expandSchedule(` ${macro} `), expression);
  }
  assert.equal(expandSchedule('30 1 * * *'), '30 1 * * *');
});

test('every time zone Node knows has the shape the timeZone pattern accepts', () => {
  const zones = Intl.supportedValuesOf('timeZone');
  assert.ok(zones.length > 300, `only ${zones.length} zones`);
  const pattern = new RegExp(timeZonePattern);
  assert.deepEqual(
    zones.filter((z) => !pattern.test(z)),
    [],
  );
  for (const zone of ['UTC', 'Etc/GMT+5', 'Etc/GMT-14', 'EST5EDT', 'America/Argentina/Buenos_Aires']) {
    assert.match(zone, pattern);
  }
});

test('the timeZone pattern rejects what cannot be a zone name', () => {
  const pattern = new RegExp(timeZonePattern);
  for (const zone of [
    'Europe Berlin',
    '+01:00',
    '/Europe/Berlin',
    'Europe//Berlin',
    'Europe/Berlin/',
    '',
    '1Europe',
  ]) {
    assert.doesNotMatch(zone, pattern, JSON.stringify(zone));
  }
});

test('maxAge takes hours, minutes and seconds, and nothing CEL duration() cannot read', () => {
  const pattern = new RegExp(durationPattern);
  for (const d of ['720h', '36h30m', '90m', '45s', '1h1m1s', '999999h']) assert.match(d, pattern);
  for (const d of ['30d', '1w', '1.5h', '-1h', '1m1h', '1000000h', 'h']) assert.doesNotMatch(d, pattern, d);
});

test('every size the quantity pattern accepts is a quantity the operator can parse', () => {
  const pattern = new RegExp(quantityPattern);
  for (const q of ['10Gi', '500Mi', '1.5T', '2e9', '1E3', '.5Gi', '100', '1k', '1500m']) {
    assert.match(q, pattern);
    assert.ok(isQuantity(q), q);
  }
  for (const q of ['-10Gi', '+10Gi', '10 Gi', '10GB', '10gi', 'Gi', '', '1.2.3'])
    assert.doesNotMatch(q, pattern, q);
});

test('names are DNS-1123 subdomains and topology keys are label keys', () => {
  const name = new RegExp(dns1123SubdomainPattern);
  for (const n of ['data-postgres-0', 'a', 'db.example', '0a']) assert.match(n, name);
  for (const n of ['Data', 'data_0', '-a', 'a-', 'a..b', 'ns/name', '']) assert.doesNotMatch(n, name, n);
  const key = new RegExp(labelKeyPattern);
  for (const k of ['topology.kubernetes.io/zone', 'zone', 'example.com/Rack_1']) assert.match(k, key);
  for (const k of ['zone key', '/zone', 'Example.com/zone', 'a/b/c', '']) assert.doesNotMatch(k, key, k);
});
