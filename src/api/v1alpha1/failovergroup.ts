// FailoverGroup: volumes and the workload that mounts them, failed over
// together when a node or a zone is lost.
import {
  conditions,
  labelSelector,
  objectName,
  observedGeneration,
  seconds,
  time,
  zoneName,
} from './common.js';
import { promotionRecord } from './promotion.js';
import { array, integer, number, object, required, string, type KindDefinition } from './schema.js';

const volumes = object(
  'The StatefulVolumes of the group, in this namespace. Set exactly one of selector or names.',
  {
    selector: labelSelector(
      'StatefulVolumes whose labels match. An empty selector selects every one in the namespace.',
    ),
    names: array('StatefulVolumes by name.', objectName('Name of a StatefulVolume in this namespace.'), {
      listType: 'set',
      minItems: 1,
      maxItems: 64,
    }),
  },
  {
    tsName: 'GroupVolumes',
    rules: [
      {
        rule: 'has(self.selector) != has(self.names)',
        message: 'set exactly one of volumes.selector or volumes.names',
      },
    ],
  },
);

const workload = object(
  'The workload that mounts the volumes. Its pods are moved when their node is fenced, and it follows the ' +
    'volumes to the promoted zone.',
  {
    kind: required(
      string('Kind of the workload (apps/v1).', {
        enum: ['StatefulSet', 'Deployment'],
        tsName: 'WorkloadKind',
      }),
    ),
    name: required(objectName('Name of the workload in this namespace.')),
  },
  { tsName: 'WorkloadReference' },
);

const nodeFailure = object(
  'What to do when a node running the workload fails.',
  {
    detectionSeconds: integer(
      'How long a node must be NotReady, with its Lease not renewed, before it counts as failed. Lower recovers ' +
        'faster; higher tolerates short network blips.',
      { minimum: 5, maximum: 600, default: 15 },
    ),
    action: string(
      'Fence: taint the node node.kubernetes.io/out-of-service, force-delete the group’s pods stuck on it and ' +
        'delete their VolumeAttachments, so the pods restart elsewhere and the volumes reattach; only where the ' +
        'cluster administrator’s fencing mode allows it (operator flags --fencing-mode, by default only a node ' +
        'confirmed shut down, and --fencing-node-selector), otherwise the Degraded condition says why. Notify: ' +
        'only set the Degraded condition and emit an Event.',
      { enum: ['Fence', 'Notify'], default: 'Fence', tsName: 'NodeFailureAction' },
    ),
  },
  { tsName: 'NodeFailurePolicy', default: {} },
);

const zoneFailure = object(
  'What to do when the active zone is lost. Standby replicas are filled from backups, so promoting one loses ' +
    'the writes made since its backup.',
  {
    promotion: string(
      'Automatic promotes the standby in the next zone of spec.zones, if its backup is recent enough (see ' +
        'maxDataLossSeconds). Manual only reports the loss and waits for a person to decide.',
      { enum: ['Automatic', 'Manual'], default: 'Manual', tsName: 'PromotionPolicy' },
    ),
    maxDataLossSeconds: seconds(
      'Refuse automatic promotion when the standby’s backup is older than this many seconds, since the writes ' +
        'after it would be lost. Required when promotion is Automatic.',
    ),
  },
  {
    tsName: 'ZoneFailurePolicy',
    default: {},
    rules: [
      {
        rule: "self.promotion != 'Automatic' || has(self.maxDataLossSeconds)",
        message:
          'maxDataLossSeconds is required when promotion is Automatic: it bounds how much data an automatic promotion may lose',
        fieldPath: '.maxDataLossSeconds',
        reason: 'FieldValueRequired',
      },
    ],
  },
);

const spec = object(
  'The volumes and workload of the group and how it reacts to failures.',
  {
    volumes: required(volumes),
    workload: required(workload),
    zones: required(
      array(
        'Zones the group may run in, in order of preference. The first zone with a healthy replica is active; when ' +
          'it is lost the next one takes over. Entries are unique.',
        zoneName('A zone, as in the topology.kubernetes.io/zone label of the nodes.'),
        { listType: 'set', minItems: 1, maxItems: 16 },
      ),
    ),
    nodeFailure,
    zoneFailure,
    failback: string(
      'After a zone failover, Automatic moves the group back to the preferred zone once it is healthy and its ' +
        'replica is in sync; Manual stays in the new zone until a person moves it.',
      { enum: ['Manual', 'Automatic'], default: 'Manual', tsName: 'FailbackPolicy' },
    ),
    failbackDelaySeconds: seconds(
      'With failback Automatic: how long every node of the preferred zone must have been Ready before the group ' +
        'moves back, so a zone that flaps is not chased. A fresh backup of each volume is taken first.',
      { default: 300, maximum: 604800 },
    ),
  },
  { tsName: 'FailoverGroupSpec' },
);

const timeline = object(
  'When each step of the recovery happened.',
  {
    detectedAt: time('When the failure was confirmed (after detectionSeconds).'),
    fencedAt: time('When the failed node was fenced.'),
    podsRescheduledAt: time('When the replacement pods were scheduled to healthy nodes.'),
    volumesAttachedAt: time('When the volumes were attached to their new nodes.'),
    podsReadyAt: time('When the replacement pods were Ready again.'),
  },
  { tsName: 'FailoverTimeline' },
);

const failover = object(
  'One failover.',
  {
    reason: string(
      'What triggered it: NodeFailure, ZoneFailure, Manual (a person asked) or Failback (back to the preferred zone).',
      { enum: ['NodeFailure', 'ZoneFailure', 'Manual', 'Failback'], tsName: 'FailoverReason' },
    ),
    node: string('The failed node, for a node failure.', { maxLength: 253 }),
    fromZone: string('The zone the group was active in before.', { maxLength: 63 }),
    toZone: string('The zone the group is active in after.', { maxLength: 63 }),
    startedAt: time('When the node or zone was first seen unhealthy.'),
    completedAt: time('When the workload was Ready again.'),
    recoverySeconds: number('Seconds from startedAt to completedAt.', { minimum: 0 }),
    dataLossWindowSeconds: number(
      'Seconds of writes possibly lost: from the promoted replica’s backup to the failure. 0 when no replica was promoted.',
      { minimum: 0 },
    ),
    timeline,
  },
  { tsName: 'FailoverRecord' },
);

const fencedNode = object(
  'A node the operator fenced.',
  {
    name: required(string('Name of the node.', { maxLength: 253 })),
    zone: string('Zone of the node.', { maxLength: 63 }),
    fencedAt: time('When the out-of-service taint was added.'),
  },
  { tsName: 'FencedNode' },
);

const conditionTypes = {
  Ready: 'the workload runs in a zone of spec.zones with its volumes attached',
  Degraded: 'a node or zone of the group is unhealthy, or a standby is missing or stale',
  FailingOver: 'a failover is in progress',
};

const status = object(
  'The state of the group as last observed by the operator.',
  {
    phase: string(
      'Healthy: running in the preferred zone, every pod of the workload Ready (the Ready condition is True); ' +
        'Pending: no node or zone is unhealthy, but the workload is not found or not every pod is Ready yet (see ' +
        'the Ready condition); Degraded: a node, zone or standby is unhealthy; FailingOver: a failover is in ' +
        'progress; FailedOver: running in a zone other than the preferred one after a zone failover.',
      { enum: ['Pending', 'Healthy', 'Degraded', 'FailingOver', 'FailedOver'], tsName: 'FailoverGroupPhase' },
    ),
    activeZone: string('The zone the workload and the primary replicas are in.', { maxLength: 63 }),
    conditions: conditions(conditionTypes),
    observedGeneration: observedGeneration('FailoverGroup'),
    lastFailover: { ...failover, description: 'The most recent failover.' },
    history: array('Earlier failovers, newest first, at most 10.', failover, { maxItems: 10 }),
    fencedNodes: array(
      'Nodes fenced by the operator and not yet recovered. The taint is removed when the node is Ready again.',
      fencedNode,
      { listType: 'map', listMapKeys: ['name'], maxItems: 64 },
    ),
    promotions: array(
      'The promotions this group decided and that are not finished yet, one per StatefulVolume. Only the ' +
        'operator writes status; the StatefulVolume controller carries each record out on its own claims and ' +
        'volumes, and the record is removed once the volume reports it Completed.',
      promotionRecord,
      { maxItems: 64 },
    ),
  },
  { tsName: 'FailoverGroupStatus' },
);

export const failoverGroup: KindDefinition = {
  kind: 'FailoverGroup',
  plural: 'failovergroups',
  singular: 'failovergroup',
  shortNames: ['fog'],
  description:
    'A FailoverGroup ties StatefulVolumes to the workload that mounts them and fails them over together: a failed ' +
    'node is fenced so the pods restart elsewhere, and when the active zone is lost a standby replica in the next ' +
    'zone is promoted.',
  spec,
  status,
  conditionTypes,
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Summary of the state.' },
    {
      name: 'Ready',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Ready")].status',
      description: 'Whether the workload runs with its volumes attached.',
    },
    {
      name: 'Active-Zone',
      type: 'string',
      jsonPath: '.status.activeZone',
      description: 'Zone the workload runs in.',
    },
    {
      name: 'Last-Recovery',
      type: 'number',
      jsonPath: '.status.lastFailover.recoverySeconds',
      description: 'Seconds the last failover took.',
    },
    {
      name: 'Workload',
      type: 'string',
      jsonPath: '.spec.workload.name',
      description: 'The workload of the group.',
      priority: 1,
    },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age.' },
  ],
};
