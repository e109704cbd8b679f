// The names the operator writes on objects besides the four kinds' fields:
// labels, annotations, finalizers, its field manager, and defaults that code
// needs before the API server has applied them. Each is defined here once,
// with the line docs/api.md prints for it (scripts/codegen/vocabulary.ts), so
// the code and the reference cannot disagree. Condition and Event reasons
// live beside them in reasons.ts.

/** One name with where it appears and what it means, as the reference prints it. */
export interface Term {
  readonly name: string;
  /** The objects that carry it. */
  readonly on: string;
  /** What it means, one line. */
  readonly description: string;
}

/** The names of a record of terms, keyed as the record is: what code imports. */
export type NamesOf<T extends Readonly<Record<string, Term>>> = { readonly [K in keyof T]: T[K]['name'] };

export function namesOf<T extends Readonly<Record<string, Term>>>(terms: T): NamesOf<T> {
  return Object.fromEntries(Object.entries(terms).map(([key, term]) => [key, term.name])) as NamesOf<T>;
}

/** The field manager of every write and the value of app.kubernetes.io/managed-by. */
export const managerName = 'stateful-volume-operator';

export const labelTerms = {
  managedBy: {
    name: 'app.kubernetes.io/managed-by',
    on: 'claims, VolumeBackups, VolumeSnapshots',
    description: `\`${managerName}\` on every object the operator creates`,
  },
  volume: {
    name: 'storage.stateful.dev/volume',
    on: 'claims, VolumeBackups, VolumeSnapshots',
    description: 'the StatefulVolume the object belongs to',
  },
  role: {
    name: 'storage.stateful.dev/role',
    on: 'claims',
    description: '`primary` or `standby`: the replica the claim holds',
  },
  zone: {
    name: 'storage.stateful.dev/zone',
    on: 'claims',
    description: 'the zone the replica was placed in',
  },
  released: {
    name: 'storage.stateful.dev/released-from',
    on: 'claims',
    description: 'put on a claim a Retain deletion kept, so a new StatefulVolume adopts it knowingly',
  },
  sourceBackup: {
    name: 'storage.stateful.dev/source-backup',
    on: 'standby claims',
    description: 'the VolumeBackup the standby was filled from (`none` when it was created empty)',
  },
  restoredFor: {
    name: 'storage.stateful.dev/restored-for',
    on: 'standby claims',
    description: 'on a standby restored for a promotion: the StatefulVolume it stands in for',
  },
  backup: {
    name: 'storage.stateful.dev/backup',
    on: 'VolumeSnapshots',
    description: 'the VolumeBackup the snapshot holds the data of',
  },
  policy: {
    name: 'storage.stateful.dev/policy',
    on: 'VolumeBackups',
    description: 'the VolumeBackupPolicy that made the backup',
  },
  failoverGroup: {
    name: 'storage.stateful.dev/failover-group',
    on: 'VolumeBackups',
    description: 'on the fresh backups a failback or a move takes: the FailoverGroup that took them',
  },
} as const satisfies Readonly<Record<string, Term>>;

/** Label keys the operator writes and selects by. */
export const labels = namesOf(labelTerms);

export const annotationTerms = {
  scheduledTime: {
    name: 'storage.stateful.dev/scheduled-time',
    on: 'VolumeBackups',
    description: 'the run the backup belongs to (RFC 3339, UTC): groups a run’s backups and orders them',
  },
  hold: {
    name: 'storage.stateful.dev/hold',
    on: 'VolumeBackups',
    description: '`"true"`, set by a person, keeps the backup whatever the retention rules say',
  },
  previousVolume: {
    name: 'storage.stateful.dev/previous-volume',
    on: 'primary claims',
    description: 'after a promotion: the PersistentVolume the old primary’s data stays on',
  },
  formerPrimaryOf: {
    name: 'storage.stateful.dev/former-primary-of',
    on: 'PersistentVolumes',
    description: 'after a promotion, on the old primary’s volume: whose primary it was (`namespace/claim`)',
  },
  promotedFromBackup: {
    name: 'storage.stateful.dev/promoted-from-backup',
    on: 'primary claims',
    description: 'after a promotion from a restored standby: the backup its data came from',
  },
  promote: {
    name: 'storage.stateful.dev/promote',
    on: 'FailoverGroups',
    description:
      'set by a person to a zone: move the group there (promote its standbys), whatever the policy says',
  },
  fencedBy: {
    name: 'storage.stateful.dev/fenced-by',
    on: 'Nodes',
    description:
      'the FailoverGroup (`namespace/name`) that fenced the node, so only its own taint is removed',
  },
  shutdownConfirmedAt: {
    name: 'storage.stateful.dev/shutdown-confirmed-at',
    on: 'Nodes',
    description: 'set by a fencing agent to the RFC 3339 time it turned the node off: consent to fence it',
  },
} as const satisfies Readonly<Record<string, Term>>;

/** Annotation keys the operator writes or reads. */
export const annotations = namesOf(annotationTerms);

export const finalizerTerms = {
  claimProtection: {
    name: 'storage.stateful.dev/claim-protection',
    on: 'StatefulVolumes',
    description: 'held until the claims are released (Retain) or deleted (Delete)',
  },
  snapshotProtection: {
    name: 'storage.stateful.dev/snapshot-protection',
    on: 'VolumeBackups',
    description: 'held until the VolumeSnapshot is deleted and no restore still reads from it',
  },
  failoverCleanup: {
    name: 'storage.stateful.dev/failover-cleanup',
    on: 'FailoverGroups',
    description: 'held until the group’s promotions are finished and the taints it added are removed',
  },
} as const satisfies Readonly<Record<string, Term>>;

/** Finalizers the operator adds and removes. */
export const finalizers = namesOf(finalizerTerms);

/**
 * How long a backup may take to become Ready: the default of
 * VolumeBackup.spec.deadlineSeconds and VolumeBackupPolicy.spec.backupDeadlineSeconds,
 * and what code assumes for an object the API server has not defaulted.
 */
export const defaultBackupDeadlineSeconds = 3600;
