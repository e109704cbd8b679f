// The claim a StatefulVolume wants, and whether an existing claim of that name
// may be taken over. Pure: the reconcile step applies what these decide.
import type {
  V1ObjectMeta,
  V1PersistentVolumeClaim,
  V1PersistentVolumeClaimSpec,
} from '@kubernetes/client-node';
import { labelValue } from '../../kube/names.js';
import { parseQuantity } from '../../kube/quantity.js';

import { labels, managerName } from '../../api/v1alpha1/vocabulary.js';
export const selectedNodeAnnotation = 'volume.kubernetes.io/selected-node';

/** The fields of a StatefulVolume this module reads; the generated API type satisfies it. */
export interface VolumeShape {
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly uid?: string };
  readonly spec: {
    readonly size: string;
    readonly storageClassName?: string;
    readonly accessModes?: readonly string[];
    readonly volumeMode?: string;
    readonly claimName?: string;
  };
}

export interface DataSourceRef {
  readonly apiGroup?: string;
  readonly kind: string;
  readonly name: string;
}

const snapshotGroup = 'snapshot.storage.k8s.io';

/** A data source that restores the named VolumeSnapshot of the claim's namespace. */
export function snapshotSource(name: string): DataSourceRef {
  return { apiGroup: snapshotGroup, kind: 'VolumeSnapshot', name };
}

export function claimNameOf(vol: VolumeShape): string {
  return vol.spec.claimName ?? vol.metadata?.name ?? '';
}

export interface ClaimPlan {
  readonly name: string;
  readonly role: 'Primary' | 'Standby';
  readonly zone?: string;
  /** A node of the zone, written as selected-node so a WaitForFirstConsumer class provisions there now. */
  readonly pinNode?: string;
  readonly dataSource?: DataSourceRef;
}

/** A claim with the parts this module always sets made non-optional. */
export type DesiredClaim = V1PersistentVolumeClaim & {
  metadata: V1ObjectMeta & { name: string; namespace: string; labels: Record<string, string> };
  spec: V1PersistentVolumeClaimSpec;
};

function claimLabels(volumeName: string, plan: ClaimPlan): Record<string, string> {
  const out: Record<string, string> = {
    [labels.managedBy]: managerName,
    [labels.volume]: labelValue(volumeName),
    [labels.role]: plan.role.toLowerCase(),
  };
  if (plan.zone !== undefined) out[labels.zone] = plan.zone;
  return out;
}

function claimSpec(vol: VolumeShape, plan: ClaimPlan): V1PersistentVolumeClaimSpec {
  const spec: V1PersistentVolumeClaimSpec = {
    accessModes: [...(vol.spec.accessModes ?? ['ReadWriteOnce'])],
    volumeMode: vol.spec.volumeMode ?? 'Filesystem',
    resources: { requests: { storage: vol.spec.size } },
  };
  if (vol.spec.storageClassName !== undefined) spec.storageClassName = vol.spec.storageClassName;
  if (plan.dataSource !== undefined) spec.dataSource = { ...plan.dataSource };
  return spec;
}

export function desiredClaim(vol: VolumeShape, plan: ClaimPlan): DesiredClaim {
  const name = vol.metadata?.name ?? '';
  const metadata: DesiredClaim['metadata'] = {
    name: plan.name,
    namespace: vol.metadata?.namespace ?? '',
    labels: claimLabels(name, plan),
    ownerReferences: [
      {
        apiVersion: 'storage.stateful.dev/v1alpha1',
        kind: 'StatefulVolume',
        name,
        uid: vol.metadata?.uid ?? '',
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  };
  if (plan.pinNode !== undefined) metadata.annotations = { [selectedNodeAnnotation]: plan.pinNode };
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata, spec: claimSpec(vol, plan) };
}

export type AdoptionVerdict =
  | { readonly adopt: true; readonly alreadyOwned: boolean }
  | { readonly adopt: false; readonly reason: string; readonly message: string };

function ownerOf(claim: V1PersistentVolumeClaim): { kind: string; name: string; uid: string } | undefined {
  const ref = claim.metadata?.ownerReferences?.find((o) => o.controller === true);
  return ref !== undefined ? { kind: ref.kind, name: ref.name, uid: ref.uid } : undefined;
}

/**
 * Decides whether an existing claim with the wanted name may be managed. A
 * claim is taken over only if nothing else controls it and it matches what was
 * asked for; a mismatch is refused with a message saying which field differs,
 * because silently managing someone else's data is how data gets lost.
 */
export function adoptionVerdict(existing: V1PersistentVolumeClaim, vol: VolumeShape): AdoptionVerdict {
  const owner = ownerOf(existing);
  if (owner !== undefined) {
    if (owner.uid === vol.metadata?.uid) return { adopt: true, alreadyOwned: true };
    return {
      adopt: false,
      reason: 'ClaimOwnedElsewhere',
      message: `claim ${existing.metadata?.name ?? ''} is controlled by ${owner.kind} ${owner.name}; remove that owner reference or choose another spec.claimName`,
    };
  }
  if (existing.metadata?.deletionTimestamp !== undefined) {
    return {
      adopt: false,
      reason: 'ClaimTerminating',
      message: `claim ${existing.metadata.name ?? ''} is being deleted`,
    };
  }
  const mismatch = specMismatch(existing, vol);
  if (mismatch !== undefined) return { adopt: false, reason: 'ClaimMismatch', message: mismatch };
  return { adopt: true, alreadyOwned: false };
}

interface FieldCheck {
  readonly field: string;
  readonly have: (c: V1PersistentVolumeClaimSpec) => string;
  readonly want: (v: VolumeShape) => string | undefined;
}

const sortedModes = (modes: readonly string[] | undefined): string =>
  [...(modes ?? ['ReadWriteOnce'])].sort().join(',');

// Fields that must already agree for a claim to be adopted; size is checked
// apart because a smaller claim is fine (it gets expanded).
const adoptionChecks: readonly FieldCheck[] = [
  {
    field: 'spec.storageClassName',
    have: (c) => c.storageClassName ?? '(none)',
    want: (v) => v.spec.storageClassName,
  },
  {
    field: 'spec.accessModes',
    have: (c) => sortedModes(c.accessModes),
    want: (v) => sortedModes(v.spec.accessModes),
  },
  {
    field: 'spec.volumeMode',
    have: (c) => c.volumeMode ?? 'Filesystem',
    want: (v) => v.spec.volumeMode ?? 'Filesystem',
  },
];

function specMismatch(existing: V1PersistentVolumeClaim, vol: VolumeShape): string | undefined {
  const name = existing.metadata?.name ?? '';
  const spec = existing.spec ?? {};
  for (const check of adoptionChecks) {
    const want = check.want(vol);
    const have = check.have(spec);
    if (want !== undefined && want !== have)
      return `claim ${name} has ${have}, ${check.field} asks for ${want}`;
  }
  const requested = spec.resources?.requests?.storage ?? '0';
  if (parseQuantity(requested) > parseQuantity(vol.spec.size)) {
    return `claim ${name} requests ${requested}, more than spec.size ${vol.spec.size}; a claim cannot shrink, so raise spec.size to at least ${requested}`;
  }
  return undefined;
}

/** The size the claim should request now: only ever grows. */
export function expansionTarget(existing: V1PersistentVolumeClaim, vol: VolumeShape): string | undefined {
  const requested = existing.spec?.resources?.requests?.storage;
  if (requested === undefined) return vol.spec.size;
  return parseQuantity(vol.spec.size) > parseQuantity(requested) ? vol.spec.size : undefined;
}
