// StatefulVolume: one logical volume, its claim, its standby replicas in other
// zones and where it is attached.
import { conditions, labelKey, objectName, observedGeneration, quantity, time, zoneName } from './common.js';
import { volumePromotion } from './promotion.js';
import {
  array,
  immutableField,
  integer,
  number,
  object,
  required,
  string,
  type KindDefinition,
} from './schema.js';

const conditionTypes = {
  Ready: 'the primary is bound and every standby is in sync',
  Provisioned: 'the primary claim exists and is bound',
  ReplicasInSync: 'every standby holds the newest backup',
  Attached: 'a pod mounts the primary claim',
  Resizing: 'an expansion of the claim is in progress',
  Promoting: 'a FailoverGroup’s promotion is being carried out on the claims, or was refused',
};

const accessMode = string('A PersistentVolumeClaim access mode.', {
  enum: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'],
  tsName: 'AccessMode',
});

const source = object(
  'Where the volume is first filled from. Exactly one field is set. Sources are named, never namespaced: ' +
    'they must live in the namespace of the StatefulVolume, so one namespace can never read another namespace’s data. ' +
    'Used only when the claim is first created; immutable.',
  {
    volumeBackupName: objectName(
      'Restore from this VolumeBackup. The volume stays Pending until the backup is Ready.',
    ),
    volumeSnapshotName: objectName('Restore from this VolumeSnapshot (snapshot.storage.k8s.io).'),
    persistentVolumeClaimName: objectName(
      'Clone this PersistentVolumeClaim. The CSI driver must support cloning, and the claim must use the same storage class.',
    ),
  },
  {
    tsName: 'VolumeSource',
    rules: [
      {
        rule: '(has(self.volumeBackupName) ? 1 : 0) + (has(self.volumeSnapshotName) ? 1 : 0) + (has(self.persistentVolumeClaimName) ? 1 : 0) == 1',
        message:
          'source must set exactly one of volumeBackupName, volumeSnapshotName or persistentVolumeClaimName',
      },
    ],
  },
);

const placement = object(
  'How many replicas the volume has and in which zones. The first replica is the primary, the one the ' +
    'workload mounts; the others are standbys, each in another zone, refreshed from the newest backup of the primary ' +
    'and promoted by a FailoverGroup when the primary’s zone is lost.',
  {
    replicas: integer(
      'Number of replicas: 1 primary plus standbys, one per zone. At most the number of zones listed in zones.',
      { minimum: 1, maximum: 16, default: 1 },
    ),
    zones: array(
      'Zones the replicas may use, in order of preference: the primary goes to the first zone with a Ready node, ' +
        'standbys to the next ones. Unset or empty means any zone the cluster’s nodes report. Entries are unique.',
      zoneName('A zone, as found in the topologyKey label of the nodes.'),
      { listType: 'set', maxItems: 16 },
    ),
    topologyKey: labelKey(
      'The node label whose value is the zone. Immutable: replicas already placed would otherwise end up in unknown zones.',
      { default: 'topology.kubernetes.io/zone' },
    ),
  },
  {
    tsName: 'VolumePlacement',
    default: {},
    rules: [
      {
        rule: '!has(self.zones) || size(self.zones) == 0 || self.replicas <= size(self.zones)',
        // A static message: the API server cannot bound the cost of string(int) in messageExpression.
        message:
          'replicas must not exceed the number of zones listed in zones: each replica needs a zone of its own',
        fieldPath: '.replicas',
      },
      {
        rule: 'self.topologyKey == oldSelf.topologyKey',
        message: 'placement.topologyKey is immutable',
        fieldPath: '.topologyKey',
      },
    ],
  },
);

const spec = object(
  'The volume the user asks for.',
  {
    size: required(
      quantity(
        'Capacity to request, as a quantity such as 10Gi. May grow (the claim is expanded, if its storage class allows) but never shrink.',
        {
          rules: [
            {
              rule: '!isQuantity(self) || quantity(self).isGreaterThan(quantity("0"))',
              message: 'size must be a positive quantity such as 10Gi',
            },
            {
              rule: '!isQuantity(self) || !isQuantity(oldSelf) || quantity(self).compareTo(quantity(oldSelf)) >= 0',
              messageExpression:
                "'size may grow but never shrink: it is ' + oldSelf + ', so it must stay at least that'",
              message: 'size may grow but never shrink',
            },
          ],
        },
      ),
    ),
    storageClassName: objectName(
      'StorageClass of the claims. Unset means the cluster’s default class. Immutable.',
    ),
    accessModes: array('Access modes of the claims. Immutable.', accessMode, {
      listType: 'set',
      minItems: 1,
      maxItems: 4,
      default: ['ReadWriteOnce'],
      rules: [
        {
          rule: "!('ReadWriteOncePod' in self) || size(self) == 1",
          message: 'ReadWriteOncePod cannot be combined with other access modes',
        },
      ],
    }),
    volumeMode: string(
      'Filesystem mounts the volume as a directory; Block gives the pod a raw device. Immutable.',
      {
        enum: ['Filesystem', 'Block'],
        default: 'Filesystem',
        tsName: 'VolumeMode',
      },
    ),
    claimName: objectName(
      'Name of the PersistentVolumeClaim the workload mounts. Defaults to the name of the StatefulVolume; set it ' +
        'to adopt an existing claim, such as data-db-0 of a StatefulSet. Immutable.',
    ),
    reclaimPolicy: string(
      'What happens to the data when the StatefulVolume is deleted. Retain keeps the claims (they are released, ' +
        'labelled and can be adopted again); Delete deletes them and their standby replicas.',
      { enum: ['Retain', 'Delete'], default: 'Retain', tsName: 'ReclaimPolicy' },
    ),
    source,
    placement,
  },
  {
    tsName: 'StatefulVolumeSpec',
    rules: [
      immutableField(
        'storageClassName',
        'storageClassName is immutable: create a new StatefulVolume with a source to move the data',
      ),
      immutableField('volumeMode', 'volumeMode is immutable'),
      immutableField('accessModes', 'accessModes is immutable'),
      immutableField('claimName', 'claimName is immutable: it names the claim that holds the data'),
      immutableField('source', 'source is immutable: it is only used when the claim is first created'),
    ],
  },
);

const replicaStatus = object(
  'One replica of the volume.',
  {
    name: required(
      string('Stable identifier of the replica, equal to the name of its claim.', { maxLength: 253 }),
    ),
    claim: string('Name of the replica’s PersistentVolumeClaim.', { maxLength: 253 }),
    zone: string('Zone the replica’s claim is pinned to.', { maxLength: 63 }),
    role: string('Primary is the replica the workload mounts; Standby replicas wait to be promoted.', {
      enum: ['Primary', 'Standby'],
      tsName: 'ReplicaRole',
    }),
    phase: string(
      'Pending: not created yet; Provisioning: the claim is not bound yet; Restoring: being refilled from a backup; ' +
        'InSync: holds the newest backup (a standby) or is bound and serving (the primary); Stale: a newer backup ' +
        'exists than the one it holds; Failed: see the conditions.',
      {
        enum: ['Pending', 'Provisioning', 'Restoring', 'InSync', 'Stale', 'Failed'],
        tsName: 'ReplicaPhase',
      },
    ),
    sourceBackup: string('The VolumeBackup a standby was last filled from.', { maxLength: 253 }),
    syncedAt: time('When a standby last finished filling from sourceBackup.'),
  },
  { tsName: 'ReplicaStatus' },
);

const status = object(
  'The state of the volume as last observed by the operator.',
  {
    phase: string(
      'Summary of the state. Pending: waiting for something outside the operator (a storage class, a source ' +
        'backup); Provisioning: the claim is being created and bound; Bound: the primary claim is bound, standbys ' +
        'are not all in sync yet; Resizing: an expansion is in progress; Ready: every replica is in sync; Failed: ' +
        'the operator cannot make progress, see the conditions; Deleting: the volume is being deleted.',
      {
        enum: ['Pending', 'Provisioning', 'Bound', 'Resizing', 'Ready', 'Failed', 'Deleting'],
        tsName: 'StatefulVolumePhase',
      },
    ),
    conditions: conditions(conditionTypes),
    observedGeneration: observedGeneration('StatefulVolume'),
    claimName: string(
      'Name of the claim the workload mounts (spec.claimName or the StatefulVolume’s name).',
      {
        maxLength: 253,
      },
    ),
    capacity: quantity('Capacity of the primary claim as reported by its PersistentVolume.'),
    primary: object(
      'The replica the workload mounts.',
      {
        claim: string('Name of the primary claim.', { maxLength: 253 }),
        zone: string('Zone of the primary claim.', { maxLength: 63 }),
        node: string('Node the primary volume is attached to, if any.', { maxLength: 253 }),
      },
      { tsName: 'PrimaryStatus' },
    ),
    replicas: array('Every replica, primary and standbys.', replicaStatus, {
      listType: 'map',
      listMapKeys: ['name'],
      maxItems: 16,
    }),
    attachment: object(
      'Where the primary is attached and how often it moved. The operator follows the consuming pod from node to node.',
      {
        pod: string('The pod that mounts the primary claim.', { maxLength: 253 }),
        node: string('The node that pod runs on.', { maxLength: 253 }),
        zone: string('The zone of that node.', { maxLength: 63 }),
        since: time('When the volume was attached to this node.'),
        moves: integer('How many times the volume moved to another node.', { format: 'int64', minimum: 0 }),
        lastMoveSeconds: number(
          'Seconds from the old pod losing its node to the volume being attached to the new node, for the last move.',
          { minimum: 0 },
        ),
        interruptedAt: time(
          'When the consuming pod was seen to be lost (deleted, or its node not Ready); cleared when the volume is attached again.',
        ),
      },
      { tsName: 'AttachmentStatus' },
    ),
    promotion: volumePromotion,
  },
  { tsName: 'StatefulVolumeStatus' },
);

export const statefulVolume: KindDefinition = {
  kind: 'StatefulVolume',
  plural: 'statefulvolumes',
  singular: 'statefulvolume',
  shortNames: ['svol'],
  description:
    'A StatefulVolume is one logical volume for a stateful workload: a PersistentVolumeClaim the operator creates or ' +
    'adopts, expands when the size grows, replicates to standby zones from backups, and follows from node to node.',
  spec,
  status,
  conditionTypes,
  printerColumns: [
    {
      name: 'Size',
      type: 'string',
      jsonPath: '.status.capacity',
      description: 'Capacity of the primary claim.',
    },
    {
      name: 'Requested',
      type: 'string',
      jsonPath: '.spec.size',
      description: 'Requested size.',
      priority: 1,
    },
    { name: 'Class', type: 'string', jsonPath: '.spec.storageClassName', description: 'Storage class.' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Summary of the state.' },
    {
      name: 'Ready',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Ready")].status',
      description: 'Whether every replica is in sync.',
    },
    {
      name: 'Primary-Zone',
      type: 'string',
      jsonPath: '.status.primary.zone',
      description: 'Zone of the primary replica.',
    },
    {
      name: 'Replicas',
      type: 'integer',
      jsonPath: '.spec.placement.replicas',
      description: 'Number of replicas, primary included.',
    },
    {
      name: 'Node',
      type: 'string',
      jsonPath: '.status.attachment.node',
      description: 'Node the primary is attached to.',
    },
    {
      name: 'Claim',
      type: 'string',
      jsonPath: '.status.claimName',
      description: 'The claim the workload mounts.',
      priority: 1,
    },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age.' },
  ],
};
