// The reasons the operator writes, per kind: on status.conditions, on the
// Events it records about the object, or both. Programs and alerts match on
// them, so each is defined here once, with the condition types that carry it,
// the type of its Event, and the line the docs print for it: README.md's
// Events table and the reason tables of docs/api.md are generated from these
// records (scripts/codegen/vocabulary.ts).
import type {
  FailoverGroupConditionType,
  StatefulVolumeConditionType,
  VolumeBackupConditionType,
  VolumeBackupPolicyConditionType,
} from './types.generated.js';

export interface Reason<C extends string = string> {
  /** The condition types that carry it as their reason. */
  readonly conditions?: readonly C[];
  /** The type of the Event recorded with this reason, when one is. */
  readonly event?: 'Normal' | 'Warning';
  /** When it is written, one line. */
  readonly description: string;
}

/** Each reason's name under its own key: what code imports. */
export type ReasonsOf<T> = { readonly [K in keyof T]: K };

export function reasonsOf<T extends Readonly<Record<string, Reason>>>(described: T): ReasonsOf<T> {
  return Object.fromEntries(Object.keys(described).map((name) => [name, name])) as ReasonsOf<T>;
}

type Described<C extends string> = Readonly<Record<string, Reason<C>>>;

// A False condition of a StatefulVolume, other than Ready, with a reason that
// is not in the quiet list of status.ts is also recorded as a Warning Event.
export const statefulVolumeReasonDocs = {
  Ready: { conditions: ['Ready'], description: 'the primary is bound and every standby is in sync' },
  ClaimBound: { conditions: ['Provisioned'], description: 'the primary claim is bound' },
  ClaimCreated: {
    event: 'Normal',
    description: 'the primary claim was created (the message names the zone)',
  },
  ClaimAdopted: { event: 'Normal', description: 'an existing claim of that name was taken over' },
  ClaimPending: { conditions: ['Provisioned'], description: 'the claim waits to be bound' },
  WaitingForFirstConsumer: {
    conditions: ['Provisioned'],
    description: 'the StorageClass binds on first use and no pod mounting the claim is scheduled yet',
  },
  ProvisioningFailed: {
    conditions: ['Provisioned'],
    event: 'Warning',
    description:
      'the claim stays Pending because the CSI provisioner refuses it (a size or access mode the driver cannot serve); the message is the provisioner’s, recorded once per distinct message',
  },
  AdoptionRefused: {
    conditions: ['Provisioned'],
    event: 'Warning',
    description:
      'a claim of that name exists but belongs to something else or does not match (class, size, access modes); the message says which',
  },
  StorageClassNotFound: {
    conditions: ['Provisioned'],
    event: 'Warning',
    description: 'the StorageClass the claim needs does not exist; the volume waits for it',
  },
  NoDefaultStorageClass: {
    conditions: ['Provisioned'],
    event: 'Warning',
    description:
      'no `storageClassName` is set and the cluster has no default class; the volume waits for one',
  },
  SourceNotFound: {
    conditions: ['Provisioned'],
    event: 'Warning',
    description: 'the source named in `spec.source` does not exist; the message names it',
  },
  SourceNotReady: {
    conditions: ['Provisioned'],
    event: 'Warning',
    description: 'the source named in `spec.source` is not ready to restore from yet',
  },
  SourceFailed: {
    conditions: ['Provisioned'],
    event: 'Warning',
    description: 'the backup named in `spec.source` failed and can never be restored from',
  },
  SourceIsSelf: {
    conditions: ['Provisioned'],
    event: 'Warning',
    description: 'the claim named in `spec.source` is the volume’s own claim',
  },
  NoZoneAvailable: {
    conditions: ['Provisioned'],
    event: 'Warning',
    description: 'no zone of `spec.placement.zones` has a Ready node to place the primary in',
  },
  ZoneHasNoNodes: {
    conditions: ['Provisioned', 'ReplicasInSync'],
    event: 'Warning',
    description: 'a zone of `spec.placement` has no Ready node to provision in',
  },
  UnknownZone: {
    conditions: ['ReplicasInSync'],
    event: 'Warning',
    description: 'a zone of `spec.placement.zones` is not the zone of any node',
  },
  NotEnoughZones: {
    conditions: ['ReplicasInSync'],
    event: 'Warning',
    description: 'the nodes provide fewer zones than `spec.placement.replicas` asks for',
  },
  QuotaExceeded: {
    conditions: ['Provisioned', 'ReplicasInSync'],
    event: 'Warning',
    description: 'the API server refused a claim for the namespace’s quota; the message is its answer',
  },
  ClaimInvalid: {
    conditions: ['Provisioned', 'ReplicasInSync'],
    event: 'Warning',
    description: 'the API server refused a claim as invalid; the message is its answer',
  },
  Promoting: {
    conditions: ['Provisioned'],
    event: 'Warning',
    description: 'the claim is missing while it is rebound to a promoted volume (see `status.promotion`)',
  },
  ClaimExpanding: { event: 'Normal', description: '`spec.size` grew and the claim’s request was raised' },
  Expanding: { conditions: ['Resizing'], description: 'the claim is being expanded to `spec.size`' },
  NotResizing: { conditions: ['Resizing'], description: 'the claim has the size `spec.size` asks for' },
  ExpansionNotSupported: {
    conditions: ['Resizing'],
    event: 'Warning',
    description: 'the claim cannot grow: its StorageClass does not allow expansion',
  },
  ResizeFailed: {
    conditions: ['Resizing'],
    event: 'Warning',
    description: 'the claim cannot grow: the CSI driver failed to expand it',
  },
  ResizeRefused: {
    conditions: ['Resizing'],
    event: 'Warning',
    description: 'the claim cannot grow: admission refused the new request',
  },
  NoStandbys: { conditions: ['ReplicasInSync'], description: 'the volume has no standby replicas' },
  WaitingForPrimary: {
    conditions: ['ReplicasInSync'],
    description: 'standbys are created once the primary claim is bound',
  },
  SeededEmpty: {
    conditions: ['ReplicasInSync'],
    event: 'Warning',
    description: 'standbys were created empty because the volume has no Ready backup yet',
  },
  StandbysNotInSync: {
    conditions: ['ReplicasInSync'],
    description: 'some standbys do not hold the newest Ready backup yet',
  },
  StandbysInSync: {
    conditions: ['ReplicasInSync'],
    description: 'every standby holds the newest Ready backup',
  },
  StandbyCreated: {
    event: 'Normal',
    description: 'a standby claim was made from a backup (or empty, when there is none)',
  },
  StandbyReplaced: { event: 'Normal', description: 'a standby holding an older backup was removed' },
  PodMounted: { conditions: ['Attached'], description: 'a running pod mounts the primary claim' },
  NoConsumer: { conditions: ['Attached'], description: 'no running pod mounts the primary claim' },
  ConsumerLost: {
    conditions: ['Attached'],
    event: 'Warning',
    description: 'the pod mounting the claim was deleted or its node went NotReady',
  },
  FinalizerFailed: {
    event: 'Warning',
    description: 'releasing or deleting the claims on deletion failed; retried, deletion waits',
  },
  ClaimReleased: {
    event: 'Normal',
    description: 'Retain: a claim was kept, unowned and labelled `storage.stateful.dev/released-from`',
  },
  ClaimDeleted: { event: 'Normal', description: 'Delete: a claim was deleted with the volume' },
  PromotionCompleted: {
    conditions: ['Promoting'],
    event: 'Normal',
    description:
      'the volume carried out its FailoverGroup’s promotion: the claim holds the promoted volume, the old one is kept (Retain)',
  },
  PromotionRefused: {
    conditions: ['Promoting'],
    event: 'Warning',
    description:
      'a FailoverGroup’s promotion record failed a check (another namespace’s PV, a UID that does not match, a claim this volume does not own); nothing was written to that object',
  },
  StandbyNotOwned: {
    conditions: ['Promoting'],
    event: 'Warning',
    description: 'a claim of the restored standby’s name exists that this volume does not own',
  },
  VolumeMissing: {
    conditions: ['Promoting'],
    event: 'Warning',
    description: 'the standby’s PersistentVolume is gone; the promotion cannot go on',
  },
  VolumeTaken: {
    conditions: ['Promoting'],
    event: 'Warning',
    description: 'the standby’s PersistentVolume is bound to another claim; the promotion cannot go on',
  },
  ClaimReplaced: {
    conditions: ['Promoting'],
    event: 'Warning',
    description:
      'the claim is bound to a volume that is neither the old primary’s nor the standby’s; it is not deleted',
  },
} as const satisfies Described<StatefulVolumeConditionType>;

export const statefulVolumeReasons = reasonsOf(statefulVolumeReasonDocs);

export const volumeBackupReasonDocs = {
  BackupStarted: {
    event: 'Normal',
    description:
      'the VolumeSnapshot was requested (on-demand backups only: a policy’s run is told on the policy)',
  },
  BackupReady: {
    event: 'Normal',
    description: 'the backup is ready to restore from (on-demand backups only, as for BackupStarted)',
  },
  BackupFailed: {
    event: 'Warning',
    description:
      'the snapshot did not become ready before `spec.deadlineSeconds`, or cannot be taken; the message says why',
  },
  VolumeNotFound: {
    conditions: ['Ready'],
    event: 'Warning',
    description: 'the StatefulVolume to back up does not exist; the backup waits for it',
  },
  VolumeNotBound: { conditions: ['Ready'], description: 'the volume’s primary claim is not bound yet' },
  WaitingForInFlightBackup: {
    conditions: ['Ready'],
    description: 'another backup of the same volume is still being taken; this one starts after it',
  },
  WaitingForSnapshotSlot: {
    conditions: ['Ready'],
    description: 'all `--backup-max-in-flight` snapshot slots of the operator are taken',
  },
  SnapshotClassNotFound: {
    conditions: ['Ready'],
    event: 'Warning',
    description: 'the VolumeSnapshotClass the backup needs does not exist; the backup waits for it',
  },
  SnapshotInProgress: { conditions: ['Ready'], description: 'the VolumeSnapshot is being taken' },
  SnapshotReady: { conditions: ['Ready'], description: 'the VolumeSnapshot is ready to restore from' },
  SnapshotLost: {
    conditions: ['Ready'],
    description: 'the VolumeSnapshot was deleted outside the operator; the backup is Failed',
  },
  SnapshotNameTaken: {
    conditions: ['Ready'],
    description:
      'a VolumeSnapshot of the backup’s name exists and belongs to something else; the backup is Failed',
  },
  DeadlineExceeded: {
    conditions: ['Ready'],
    description: 'the snapshot was not ready within `spec.deadlineSeconds`; the backup is Failed',
  },
  RestoreInProgress: {
    event: 'Normal',
    description: 'deletion waits for a restore still reading the snapshot',
  },
  SnapshotDeleted: { event: 'Normal', description: 'the snapshot was deleted with the backup' },
} as const satisfies Described<VolumeBackupConditionType>;

export const volumeBackupReasons = reasonsOf(volumeBackupReasonDocs);

export const volumeBackupPolicyReasonDocs = {
  Scheduled: { conditions: ['Ready'], description: 'the spec is valid and the first run is still to come' },
  RunInProgress: {
    conditions: ['Ready'],
    description: 'a run’s backups are being created or are not Ready yet',
  },
  LastRunSucceeded: { conditions: ['Ready'], description: 'every backup of the last run is Ready' },
  BackupCreated: { event: 'Normal', description: 'a run created all its backups (one Event per run)' },
  BackupSkipped: {
    event: 'Normal',
    description: 'a volume was skipped in a run because a backup of it is still in flight',
  },
  RunSucceeded: {
    event: 'Normal',
    description: 'every backup of a run is Ready (one Event per run, in place of one per backup)',
  },
  BackupFailed: {
    conditions: ['Ready'],
    description: 'a backup of the last run failed; the message names it',
  },
  MissedSchedule: {
    conditions: ['Ready'],
    event: 'Warning',
    description: 'a run was missed beyond `startingDeadlineSeconds` and is not caught up',
  },
  BackupPruned: {
    event: 'Normal',
    description: 'retention deleted a backup; the message says which rule no longer keeps it',
  },
  BackupNameTaken: {
    event: 'Warning',
    description: 'a backup of the run’s name exists and belongs to something else',
  },
  BackupCreateFailed: { event: 'Warning', description: 'creating a backup failed; retried with backoff' },
  InvalidSchedule: {
    conditions: ['Ready'],
    event: 'Warning',
    description: 'the schedule never fires or cannot be read; nothing is created or pruned until it changes',
  },
  UnknownTimeZone: {
    conditions: ['Ready'],
    event: 'Warning',
    description: '`spec.timeZone` is not a known IANA zone; nothing is created or pruned until it changes',
  },
  InvalidRetention: {
    conditions: ['Ready'],
    event: 'Warning',
    description: '`spec.retention` cannot be used; nothing is created or pruned until it changes',
  },
  VolumeNotFound: {
    conditions: ['Ready'],
    event: 'Warning',
    description: '`spec.volumes` names volumes that do not exist; the others are backed up',
  },
  Suspended: {
    conditions: ['Ready', 'Suspended'],
    description: '`spec.suspend` is true: no backups are made or pruned',
  },
  NotSuspended: { conditions: ['Suspended'], description: 'the policy runs on schedule' },
  BackupsStale: {
    conditions: ['Stale'],
    description: 'a volume’s newest Ready backup is older than the schedule allows',
  },
  BackupsFresh: {
    conditions: ['Stale'],
    description: 'every volume has a Ready backup as recent as the schedule allows',
  },
} as const satisfies Described<VolumeBackupPolicyConditionType>;

export const volumeBackupPolicyReasons = reasonsOf(volumeBackupPolicyReasonDocs);

// The refusals on Degraded (the group's own and those of its StatefulVolumes)
// are also told by one Warning Event, PromotionRefused, whose message names them.
export const failoverGroupReasonDocs = {
  WorkloadReady: { conditions: ['Ready'], description: 'every pod of the workload is Ready' },
  PodsNotReady: { conditions: ['Ready'], description: 'some pods of the workload are not Ready' },
  WorkloadNotFound: {
    conditions: ['Ready'],
    event: 'Warning',
    description: 'the workload is not found in the namespace; nothing is protected until it exists',
  },
  AllNodesHealthy: { conditions: ['Degraded'], description: 'every node of the group is Ready' },
  NodeUnhealthy: { conditions: ['Degraded'], description: 'a node of the group is suspect or failed' },
  NodeFenced: {
    event: 'Warning',
    description:
      'a node of the group failed and the fencing mode allowed it (by default: confirmed shut down), so it was fenced; the message says on what evidence',
  },
  AwaitingShutdownConfirmation: {
    conditions: ['Degraded'],
    event: 'Warning',
    description:
      'a node of the group failed but may not be fenced: no current shutdown confirmation yet (or still Ready)',
  },
  NodeNotEligible: {
    conditions: ['Degraded'],
    event: 'Warning',
    description: 'a node of the group failed but may not be fenced: it is outside `--fencing-node-selector`',
  },
  FencingDisabled: {
    conditions: ['Degraded'],
    event: 'Warning',
    description: 'a node of the group failed but may not be fenced: `--fencing-mode=Disabled`',
  },
  NodeFailed: {
    event: 'Warning',
    description: 'a node of the group failed, with `action: Notify`: nothing was touched',
  },
  NodeRecovered: {
    event: 'Normal',
    description: 'a fenced node is Ready and renewing its Lease again, and its taint was removed',
  },
  NodeReleased: {
    event: 'Normal',
    description: 'the group was deleted: the out-of-service taints it added were removed',
  },
  ZoneLost: {
    event: 'Warning',
    description:
      'every node of the active zone failed; promotion to the named zone begins, with the data loss window',
  },
  WaitingForFencing: {
    conditions: ['Degraded'],
    description:
      'the active zone is lost, and pods of the group are still on its nodes until they are fenced',
  },
  RestoringFromBackup: {
    event: 'Normal',
    description:
      'no standby in the target zone: the StatefulVolume restores a claim there from the newest Ready backup',
  },
  StandbyPromoted: {
    event: 'Normal',
    description:
      'a StatefulVolume’s claim now uses the standby’s volume in the new zone; the old volume is kept (Retain)',
  },
  FailoverComplete: {
    event: 'Normal',
    description: 'the workload is Ready again after a failover, with the recovery time',
  },
  FailbackStarted: {
    event: 'Normal',
    description:
      'the group moves back to its preferred zone (failback Automatic), through a fresh backup of each volume',
  },
  MoveStarted: {
    event: 'Normal',
    description:
      'the group moves to the zone the promote annotation names, through a fresh backup of each volume',
  },
  PromotionRefused: {
    conditions: ['Degraded'],
    event: 'Warning',
    description:
      'on Degraded: a StatefulVolume refused the promotion record; as an Event: the zone is lost but nothing is promoted, or a move cannot be made, and the message begins with the Degraded reason',
  },
  DataLossTooLarge: {
    conditions: ['Degraded'],
    description: 'the zone is lost, but the standby’s backup is older than `maxDataLossSeconds`',
  },
  ManualPromotion: {
    conditions: ['Degraded'],
    description: 'the zone is lost and `promotion` is Manual: the message says how to promote',
  },
  NoStandby: {
    conditions: ['Degraded'],
    description: 'the zone is lost and no healthy zone has a standby to promote',
  },
  NoHealthyZone: {
    conditions: ['Degraded'],
    description: 'the zone is lost and no other zone has a Ready node',
  },
  VolumeMissing: { conditions: ['Degraded'], description: 'a StatefulVolume’s standby volume is gone' },
  VolumeTaken: {
    conditions: ['Degraded'],
    description: 'a StatefulVolume’s standby volume is bound to another claim',
  },
  ClaimReplaced: {
    conditions: ['Degraded'],
    description: 'a StatefulVolume’s claim was replaced during the promotion',
  },
  TargetZoneUnhealthy: {
    conditions: ['Degraded'],
    description: 'the move waits until every node of the zone the promote annotation names is Ready',
  },
  UnknownZone: {
    conditions: ['Degraded'],
    description:
      'the zone the promote annotation names is not in `spec.zones`; nothing moves until it changes',
  },
  MoveBackupFailed: {
    conditions: ['Degraded'],
    description: 'a fresh backup a failback or move needs failed; the group stays where it is',
  },
  Idle: { conditions: ['FailingOver'], description: 'no failover is in progress' },
  NodeFailure: { conditions: ['FailingOver'], description: 'pods are moving off a fenced node' },
  ZoneFailure: {
    conditions: ['FailingOver'],
    description: 'volumes are being promoted in another zone and pods follow them',
  },
  Failback: { conditions: ['FailingOver'], description: 'the group is moving back to its preferred zone' },
  Manual: {
    conditions: ['FailingOver'],
    description: 'the group is moving to the zone the promote annotation names',
  },
  CleanupBlocked: {
    event: 'Warning',
    description:
      'the group was deleted mid-promotion and the promotion cannot finish; the group is kept until it can',
  },
} as const satisfies Described<FailoverGroupConditionType>;

export const failoverGroupReasons = reasonsOf(failoverGroupReasonDocs);

/** The reasons of each kind, in the order the kinds are documented. */
export const reasonsByKind = {
  StatefulVolume: statefulVolumeReasonDocs,
  VolumeBackupPolicy: volumeBackupPolicyReasonDocs,
  VolumeBackup: volumeBackupReasonDocs,
  FailoverGroup: failoverGroupReasonDocs,
} as const satisfies Readonly<Record<string, Described<string>>>;
