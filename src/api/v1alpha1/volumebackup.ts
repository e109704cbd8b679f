// VolumeBackup: one point-in-time backup of a StatefulVolume, kept as a
// VolumeSnapshot of its primary claim.
import { conditions, objectName, observedGeneration, quantity, time } from './common.js';
import { integer, object, required, string, type KindDefinition } from './schema.js';
import { defaultBackupDeadlineSeconds } from './vocabulary.js';

const spec = object(
  'Which volume to back up. Immutable: a backup is a fact about the past; create a new VolumeBackup instead.',
  {
    volumeName: required(objectName('The StatefulVolume to back up, in this namespace.')),
    policyName: objectName(
      'The VolumeBackupPolicy that made this backup and whose retention rules decide when it is deleted. Unset for ' +
        'an on-demand backup, which is kept until it is deleted by hand.',
    ),
    volumeSnapshotClassName: objectName(
      'VolumeSnapshotClass for the snapshot. Unset means the policy’s class, or else the default class of the ' +
        'volume’s CSI driver.',
    ),
    deadlineSeconds: integer('How long the backup may take to become Ready before it is marked Failed.', {
      minimum: 1,
      maximum: 604800,
      default: defaultBackupDeadlineSeconds,
    }),
  },
  {
    tsName: 'VolumeBackupSpec',
    rules: [
      {
        rule: 'self == oldSelf',
        message: 'spec is immutable: create a new VolumeBackup instead',
      },
    ],
  },
);

const conditionTypes = {
  Ready: 'the snapshot is ready to restore from',
};

const status = object(
  'The state of the backup as last observed by the operator.',
  {
    phase: string(
      'Pending: waiting to start (for example for the volume to be bound); InProgress: the snapshot is being ' +
        'taken; Ready: it can be restored from; Failed: it will not become Ready, see error; Deleting: the ' +
        'snapshot is being deleted.',
      { enum: ['Pending', 'InProgress', 'Ready', 'Failed', 'Deleting'], tsName: 'VolumeBackupPhase' },
    ),
    conditions: conditions(conditionTypes),
    observedGeneration: observedGeneration('VolumeBackup'),
    sourceClaimName: string('The claim that was snapshotted: the volume’s primary at the time.', {
      maxLength: 253,
    }),
    volumeSnapshotName: string('The VolumeSnapshot holding the data, in this namespace.', { maxLength: 253 }),
    restoreSize: quantity(
      'Minimum size of a volume restored from this backup, as reported by the CSI driver.',
    ),
    startedAt: time('When the snapshot was requested.'),
    readyAt: time('When the snapshot became ready to restore from.'),
    error: object(
      'Why the backup failed.',
      {
        reason: string('A CamelCase word for programs and alerts, e.g. DeadlineExceeded.', {
          maxLength: 1024,
        }),
        message: string('What went wrong, for people.', { maxLength: 32768 }),
      },
      { tsName: 'BackupError' },
    ),
  },
  { tsName: 'VolumeBackupStatus' },
);

export const volumeBackup: KindDefinition = {
  kind: 'VolumeBackup',
  plural: 'volumebackups',
  singular: 'volumebackup',
  shortNames: ['vbk'],
  description:
    'A VolumeBackup is one point-in-time backup of a StatefulVolume, kept as a VolumeSnapshot of its primary claim. ' +
    'VolumeBackupPolicies create them on a schedule; create one by hand for an on-demand backup.',
  spec,
  status,
  conditionTypes,
  printerColumns: [
    {
      name: 'Volume',
      type: 'string',
      jsonPath: '.spec.volumeName',
      description: 'The StatefulVolume backed up.',
    },
    {
      name: 'Policy',
      type: 'string',
      jsonPath: '.spec.policyName',
      description: 'The policy that made the backup.',
    },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Summary of the state.' },
    { name: 'Size', type: 'string', jsonPath: '.status.restoreSize', description: 'Restore size.' },
    {
      name: 'Ready-At',
      type: 'date',
      jsonPath: '.status.readyAt',
      description: 'How long ago the snapshot became ready.',
    },
    {
      name: 'Snapshot',
      type: 'string',
      jsonPath: '.status.volumeSnapshotName',
      description: 'The VolumeSnapshot holding the data.',
      priority: 1,
    },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age.' },
  ],
  selectableFields: ['.spec.volumeName', '.spec.policyName'],
};
