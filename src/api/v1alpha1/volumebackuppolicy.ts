// VolumeBackupPolicy: when to back up which StatefulVolumes and how many of
// the backups to keep.
import { conditions, labelSelector, objectName, observedGeneration, seconds, time } from './common.js';
import { scheduleMacros } from './schedule.js';
import { array, boolean, integer, object, required, string, type KindDefinition } from './schema.js';
import { defaultBackupDeadlineSeconds } from './vocabulary.js';

const monthNames = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const dayNames = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** A name in lower, upper or title case, as cron implementations accept all three. */
function names(list: readonly string[]): string {
  return list.flatMap((n) => [n, n.toUpperCase(), `${n.charAt(0).toUpperCase()}${n.slice(1)}`]).join('|');
}

/** A comma-separated list of `*`, values or ranges, each with an optional /step. */
function cronField(value: string): string {
  const element = `(\\*|(${value})(-(${value}))?)(/[0-9]{1,2})?`;
  return `${element}(,${element})*`;
}

/**
 * Five cron fields (minute hour day-of-month month day-of-week) with the range
 * of each field checked, or one of the @ macros. Written as a regular
 * expression so the API server rejects a bad schedule before it is stored;
 * the operator still parses it, and reports what a pattern cannot know.
 */
export const cronPattern =
  `^(${Object.keys(scheduleMacros).join('|')}|` +
  [
    cronField('[0-5]?[0-9]'),
    cronField('[01]?[0-9]|2[0-3]'),
    cronField('0?[1-9]|[12][0-9]|3[01]'),
    cronField(`0?[1-9]|1[0-2]|${names(monthNames)}`),
    cronField(`[0-7]|${names(dayNames)}`),
  ].join(' +') +
  ')$';

if (cronPattern.includes("'"))
  throw new Error('cronPattern must not contain a quote: it is embedded in a CEL string');

/**
 * The shape of an IANA time zone name (UTC, Europe/Berlin, America/Argentina/Buenos_Aires,
 * Etc/GMT+5, EST5EDT). Shape only: whether the zone exists is checked by the
 * operator at run time against its time zone database.
 */
export const timeZonePattern = '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$';

/**
 * A Go-style duration in hours, minutes and seconds, e.g. 720h or 36h30m. The
 * digit limits keep every match inside the range CEL's duration() can parse.
 */
export const durationPattern = '^([0-9]{1,6}h)?([0-9]{1,8}m)?([0-9]{1,9}s)?$';

const keep = (what: string): ReturnType<typeof integer> =>
  integer(`Keep ${what}.`, { minimum: 0, maximum: 10000 });

const retention = object(
  'Which Ready backups to keep; the rest are deleted. A backup is kept when any rule keeps it (the tiers are ' +
    'counted like restic and borg do: the newest backup of each of the last N hours, days, weeks, months and ' +
    'years). The newest Ready backup of each volume is never deleted, whatever the rules say. Defaults to keepLast 7.',
  {
    keepLast: keep('the newest N backups'),
    keepHourly: keep('the newest backup of each of the last N hours that have one'),
    keepDaily: keep('the newest backup of each of the last N days that have one'),
    keepWeekly: keep('the newest backup of each of the last N ISO weeks that have one'),
    keepMonthly: keep('the newest backup of each of the last N months that have one'),
    keepYearly: keep('the newest backup of each of the last N years that have one'),
    maxAge: string(
      'Delete backups older than this even when a rule above keeps them, as a duration in hours, minutes and ' +
        'seconds such as 720h (30 days). Unset means no age limit.',
      {
        minLength: 2,
        maxLength: 32,
        pattern: durationPattern,
        rules: [
          {
            // The pattern is checked too, but CEL runs anyway and duration() must not see a malformed string.
            rule: `!self.matches(r'${durationPattern}') || duration(self) > duration('0s')`,
            message: 'maxAge must be a duration greater than zero, such as 720h',
          },
        ],
      },
    ),
    keepFailed: integer(
      'Keep the newest N failed backups of each volume so that their errors can be read; older failed backups are deleted.',
      { minimum: 0, maximum: 100, default: 3 },
    ),
  },
  {
    tsName: 'RetentionPolicy',
    default: { keepLast: 7 },
    rules: [
      {
        rule:
          'self.?keepLast.orValue(0) + self.?keepHourly.orValue(0) + self.?keepDaily.orValue(0) + ' +
          'self.?keepWeekly.orValue(0) + self.?keepMonthly.orValue(0) + self.?keepYearly.orValue(0) > 0',
        message:
          'retention must keep something: set at least one of keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly or keepYearly above 0',
      },
    ],
  },
);

const spec = object(
  'When to back up which volumes, and what to keep.',
  {
    schedule: required(
      string(
        'When to back up, as a cron expression of 5 fields (minute hour day-of-month month day-of-week; numbers, ' +
          'ranges, steps, lists, * and three-letter month and day names) or one of @yearly, @annually, @monthly, ' +
          '@weekly, @daily, @midnight, @hourly. Interpreted in timeZone.',
        {
          minLength: 1,
          maxLength: 256,
          // A CEL rule rather than a pattern: a pattern's error message quotes the whole regular expression.
          rules: [
            {
              rule: `self.matches(r'${cronPattern}')`,
              message:
                'schedule must be a cron expression of 5 fields (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or jan-dec, day of week 0-7 or sun-sat) or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly',
            },
          ],
        },
      ),
    ),
    timeZone: string(
      'IANA time zone the schedule is read in, such as Europe/Berlin. The API server checks only the shape of the ' +
        'name; an unknown zone is reported by the operator in the Ready condition.',
      {
        minLength: 1,
        maxLength: 64,
        pattern: timeZonePattern,
        default: 'UTC',
        rules: [
          {
            rule: "self != 'Local'",
            message:
              'timeZone must name a zone such as Europe/Berlin; Local is not allowed, the operator’s zone is not yours',
          },
        ],
      },
    ),
    selector: labelSelector(
      'Back up the StatefulVolumes in this namespace whose labels match. An empty selector selects every ' +
        'StatefulVolume in the namespace. Set either selector or volumes.',
    ),
    volumes: array(
      'Back up these StatefulVolumes of this namespace, by name. Set either selector or volumes.',
      objectName('Name of a StatefulVolume in this namespace.'),
      { listType: 'set', minItems: 1, maxItems: 256 },
    ),
    volumeSnapshotClassName: objectName(
      'VolumeSnapshotClass for the snapshots. Unset means the default class of the volume’s CSI driver.',
    ),
    retention,
    startingDeadlineSeconds: seconds(
      'How late a missed run may still start, for example after the operator was down. A missed run is caught ' +
        'up at most once, however many runs were missed; later than this it is skipped. Unset means no limit.',
    ),
    suspend: boolean('Stops new backups and pruning while true; backups in progress finish.', {
      default: false,
    }),
    jitterSeconds: integer(
      'Delay each run by a random number of seconds up to this value, so that many policies with the same ' +
        'schedule do not snapshot at the same instant.',
      { minimum: 0, maximum: 3600, default: 0 },
    ),
    backupDeadlineSeconds: integer(
      'How long each backup may take to become Ready before it is marked Failed. Copied into the VolumeBackups ' +
        'the policy creates.',
      { minimum: 1, maximum: 604800, default: defaultBackupDeadlineSeconds },
    ),
  },
  {
    tsName: 'VolumeBackupPolicySpec',
    rules: [
      {
        rule: 'has(self.selector) != has(self.volumes)',
        message: 'set exactly one of spec.selector or spec.volumes',
      },
    ],
  },
);

const volumeStatus = object(
  'The backups of one selected volume.',
  {
    name: required(string('Name of the StatefulVolume.', { maxLength: 253 })),
    lastBackup: string('The newest VolumeBackup of the volume made by this policy.', { maxLength: 253 }),
    lastSuccessfulTime: time('When the newest Ready backup of the volume was taken.'),
    readyBackups: integer('Number of Ready backups of the volume kept by the policy.', { minimum: 0 }),
  },
  { tsName: 'PolicyVolumeStatus' },
);

const conditionTypes = {
  Ready: 'the schedule, time zone and selection are valid and the last run succeeded',
  Stale: 'a volume’s newest Ready backup is older than the schedule allows',
  Suspended: 'spec.suspend is true',
};

const status = object(
  'The state of the policy as last observed by the operator.',
  {
    phase: string(
      'Summary of the state. Pending: not run yet; Active: running on schedule; Suspended: spec.suspend is true; ' +
        'Stale: backups are older than the schedule allows; Invalid: the operator cannot use the spec (for ' +
        'example an unknown time zone), see the Ready condition.',
      { enum: ['Pending', 'Active', 'Suspended', 'Stale', 'Invalid'], tsName: 'VolumeBackupPolicyPhase' },
    ),
    conditions: conditions(conditionTypes),
    observedGeneration: observedGeneration('VolumeBackupPolicy'),
    lastScheduleTime: time('The scheduled time of the last run.'),
    nextScheduleTime: time('The scheduled time of the next run.'),
    lastSuccessfulTime: time('When the last run whose backups all became Ready was scheduled.'),
    volumes: array('Per selected volume, its newest backups.', volumeStatus, {
      listType: 'map',
      listMapKeys: ['name'],
      maxItems: 256,
    }),
    counts: object(
      'Backups made by this policy, by phase.',
      {
        ready: integer('Ready backups.', { minimum: 0 }),
        failed: integer('Failed backups kept for inspection.', { minimum: 0 }),
        inProgress: integer('Backups Pending or InProgress.', { minimum: 0 }),
      },
      { tsName: 'BackupCounts' },
    ),
  },
  { tsName: 'VolumeBackupPolicyStatus' },
);

export const volumeBackupPolicy: KindDefinition = {
  kind: 'VolumeBackupPolicy',
  plural: 'volumebackuppolicies',
  singular: 'volumebackuppolicy',
  shortNames: ['vbp'],
  description:
    'A VolumeBackupPolicy backs up a set of StatefulVolumes on a schedule by creating VolumeBackups, and deletes ' +
    'the backups its retention rules no longer keep.',
  spec,
  status,
  conditionTypes,
  printerColumns: [
    { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule', description: 'Cron schedule.' },
    {
      name: 'TimeZone',
      type: 'string',
      jsonPath: '.spec.timeZone',
      description: 'Time zone of the schedule.',
    },
    {
      name: 'Suspended',
      type: 'boolean',
      jsonPath: '.spec.suspend',
      description: 'Whether runs are suspended.',
    },
    {
      name: 'Ready',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Ready")].status',
      description: 'Whether the policy runs as it should.',
    },
    {
      name: 'Last',
      type: 'date',
      jsonPath: '.status.lastScheduleTime',
      description: 'How long ago the last run was scheduled.',
    },
    {
      // A future time in a date column prints as "<invalid>", so the next run is shown as a timestamp.
      name: 'Next',
      type: 'string',
      jsonPath: '.status.nextScheduleTime',
      description: 'When the next run is scheduled.',
    },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age.' },
  ],
};
