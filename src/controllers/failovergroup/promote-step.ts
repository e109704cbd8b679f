// Step: promote one StatefulVolume's standby in the target zone, one planned
// step at a time (promote-plan.ts), each read fresh from the API server so a
// pass that stopped anywhere resumes from what is really there.
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { StatefulVolume } from '../../api/v1alpha1/types.generated.js';
import type { KubeClient } from '../../kube/client.js';
import { isAlreadyExists } from '../../kube/errors.js';
import { coreTypes } from '../../kube/resource.js';
import type { Stored } from '../../kube/wire.js';
import { claimNameOf, desiredClaim, promotionAnnotation } from '../statefulvolume/claim.js';
import { statefulVolumeType } from '../kinds.js';
import {
  planPromotion,
  type ClaimState,
  type PromotionRecord,
  type PromotionStep,
  type VolumeState,
} from './promote-plan.js';

type Claim = Stored<V1PersistentVolumeClaim>;
type Volume = Stored<V1PersistentVolume>;

/** On the new primary claim: the volume the old primary's data stays on. */
export const previousVolumeAnnotation = 'storage.stateful.dev/previous-volume';
/** On the old primary's volume: whose primary it was, so a person can find the data again. */
export const formerPrimaryAnnotation = 'storage.stateful.dev/former-primary-of';
/** On the new primary claim: the backup its data came from. */
export const promotedFromBackupAnnotation = 'storage.stateful.dev/promoted-from-backup';

export type PromotionResult =
  | { kind: 'done' }
  | { kind: 'progress'; reason: string }
  | { kind: 'stuck'; reason: string; message: string };

export function readRecord(vol: StatefulVolume): PromotionRecord | undefined {
  const raw = vol.metadata.annotations?.[promotionAnnotation];
  if (raw === undefined) return undefined;
  try {
    const parsed = JSON.parse(raw) as PromotionRecord;
    return typeof parsed.zone === 'string' && typeof parsed.volume === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function claimState(c: Claim | undefined, vol: StatefulVolume): ClaimState | undefined {
  if (c === undefined) return undefined;
  return {
    name: c.metadata.name ?? '',
    uid: c.metadata.uid ?? '',
    ...(c.spec?.volumeName !== undefined && c.spec.volumeName !== ''
      ? { volumeName: c.spec.volumeName }
      : {}),
    bound: c.status?.phase === 'Bound',
    deleting: c.metadata.deletionTimestamp !== undefined,
    labels: c.metadata.labels ?? {},
    ownedByVolume: c.metadata.ownerReferences?.some((o) => o.uid === vol.metadata.uid) === true,
  };
}

function volumeState(pv: Volume | undefined): VolumeState | undefined {
  if (pv === undefined) return undefined;
  const ref = pv.spec?.claimRef;
  return {
    name: pv.metadata.name ?? '',
    ...(pv.spec?.persistentVolumeReclaimPolicy !== undefined
      ? { reclaimPolicy: pv.spec.persistentVolumeReclaimPolicy }
      : {}),
    ...(ref !== undefined
      ? {
          claimRef: {
            ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}),
            ...(ref.name !== undefined ? { name: ref.name } : {}),
            ...(ref.uid !== undefined && ref.uid !== '' ? { uid: ref.uid } : {}),
          },
        }
      : {}),
  };
}

const findPv = (client: KubeClient, name: string | undefined): Promise<Volume | undefined> =>
  name === undefined
    ? Promise.resolve(undefined)
    : client.find<Volume>(coreTypes.persistentVolume, undefined, name);

interface Target {
  zone: string;
  /** The standby claim chosen when the promotion was decided. */
  standbyClaim: string;
  /** When the standby's backup captured the data, kept in the record. */
  backupTakenAt?: string;
}

async function look(
  client: KubeClient,
  vol: StatefulVolume,
  target: Target,
): Promise<{ step: PromotionStep; record: PromotionRecord | undefined; vol: StatefulVolume }> {
  const ns = vol.metadata.namespace ?? '';
  const fresh = (await client.find<StatefulVolume>(statefulVolumeType, ns, vol.metadata.name ?? '')) ?? vol;
  const record = readRecord(fresh);
  const claimName = claimNameOf(fresh);
  const type = coreTypes.persistentVolumeClaim;
  const claim = await client.find<Claim>(type, ns, claimName);
  const standby = await client.find<Claim>(type, ns, record?.standbyClaim ?? target.standbyClaim);
  const step = planPromotion({
    namespace: ns,
    claimName,
    record,
    claim: claimState(claim, fresh),
    standby: claimState(standby, fresh),
    volume: volumeState(await findPv(client, record?.volume)),
    oldVolume: volumeState(await findPv(client, record?.oldVolume)),
    targetZone: record?.zone ?? target.zone,
  });
  return { step, record, vol: fresh };
}

/** What the new primary claim says about where its data came from and where the old data is. */
function promotionAnnotations(record: PromotionRecord): Record<string, string> {
  return {
    ...(record.oldVolume !== undefined ? { [previousVolumeAnnotation]: record.oldVolume } : {}),
    ...(record.sourceBackup !== undefined ? { [promotedFromBackupAnnotation]: record.sourceBackup } : {}),
  };
}

async function newClaim(client: KubeClient, vol: StatefulVolume, record: PromotionRecord): Promise<void> {
  const pv = await findPv(client, record.volume);
  const claim = desiredClaim(vol, { name: claimNameOf(vol), role: 'Primary', zone: record.zone });
  claim.spec.volumeName = record.volume;
  // The class must be the volume's, or the binder refuses the pair.
  const cls = pv?.spec?.storageClassName;
  if (cls !== undefined) claim.spec.storageClassName = cls;
  claim.metadata.annotations = promotionAnnotations(record);
  try {
    await client.create(coreTypes.persistentVolumeClaim, claim as Claim);
  } catch (err) {
    // The workload's controller made one first: it binds to the reserved volume all the same.
    if (!isAlreadyExists(err)) throw err;
  }
}

async function labelClaim(client: KubeClient, vol: StatefulVolume, record: PromotionRecord): Promise<void> {
  const ns = vol.metadata.namespace ?? '';
  const name = claimNameOf(vol);
  const claim = await client.get<Claim>(coreTypes.persistentVolumeClaim, ns, name);
  const desired = desiredClaim(vol, { name, role: 'Primary', zone: record.zone });
  const owned = claim.metadata.ownerReferences?.some((o) => o.uid === vol.metadata.uid) === true;
  await client.patch(coreTypes.persistentVolumeClaim, ns, name, {
    metadata: {
      resourceVersion: claim.metadata.resourceVersion,
      labels: desired.metadata.labels,
      annotations: promotionAnnotations(record),
      ...(owned
        ? {}
        : {
            ownerReferences: [
              ...(claim.metadata.ownerReferences ?? []).filter((o) => o.controller !== true),
              ...(desired.metadata.ownerReferences ?? []),
            ],
          }),
    },
  });
}

async function retain(
  client: KubeClient,
  volume: string,
  vol: StatefulVolume,
  record: PromotionRecord,
): Promise<void> {
  const former = volume === record.oldVolume;
  await client.patch(coreTypes.persistentVolume, undefined, volume, {
    ...(former
      ? {
          metadata: {
            annotations: { [formerPrimaryAnnotation]: `${vol.metadata.namespace ?? ''}/${claimNameOf(vol)}` },
          },
        }
      : {}),
    spec: { persistentVolumeReclaimPolicy: 'Retain' },
  });
}

async function writeRecord(
  client: KubeClient,
  vol: StatefulVolume,
  record: PromotionRecord | null,
): Promise<void> {
  await client.patch(statefulVolumeType, vol.metadata.namespace, vol.metadata.name ?? '', {
    metadata: {
      resourceVersion: vol.metadata.resourceVersion,
      annotations: { [promotionAnnotation]: record === null ? null : JSON.stringify(record) },
    },
  });
}

async function apply(
  client: KubeClient,
  vol: StatefulVolume,
  record: PromotionRecord | undefined,
  step: PromotionStep,
): Promise<void> {
  const ns = vol.metadata.namespace ?? '';
  const pvc = coreTypes.persistentVolumeClaim;
  // Every step after 'begin' is planned from a record.
  const rec = record ?? ({} as PromotionRecord);
  switch (step.kind) {
    case 'begin':
      return writeRecord(client, vol, step.record);
    case 'retain':
      return retain(client, step.volume, vol, rec);
    case 'deleteStandbyClaim':
    case 'deleteOldClaim':
      return client.delete(pvc, ns, step.claim, { preconditionUid: step.uid });
    case 'reserveVolume':
      await client.patch(coreTypes.persistentVolume, undefined, step.volume, {
        spec: {
          claimRef: {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            namespace: ns,
            name: claimNameOf(vol),
            uid: null,
            resourceVersion: null,
          },
        },
      });
      return;
    case 'createClaim':
      return newClaim(client, vol, rec);
    case 'labelClaim':
      return labelClaim(client, vol, rec);
    case 'finish':
      return writeRecord(client, vol, null);
    default:
      return;
  }
}

/** The result when the step ends this pass's work on the volume; undefined when there is a step to take. */
function settled(step: PromotionStep): PromotionResult | undefined {
  if (step.kind === 'done') return { kind: 'done' };
  if (step.kind === 'wait') return { kind: 'progress', reason: step.reason };
  if (step.kind === 'stuck') return { kind: 'stuck', reason: step.reason, message: step.message };
  return undefined;
}

function stamp(step: PromotionStep, target: Target): PromotionStep {
  if (step.kind !== 'begin' || target.backupTakenAt === undefined) return step;
  return { ...step, record: { ...step.record, backupTakenAt: target.backupTakenAt } };
}

/**
 * Runs planned steps until the promotion of this volume is done, waits on
 * something (the caller comes back), or is stuck. At most `budget` steps.
 */
export async function promoteVolume(
  client: KubeClient,
  vol: StatefulVolume,
  target: Target,
  onStep: (step: PromotionStep) => void = () => undefined,
  budget = 12,
): Promise<PromotionResult> {
  for (let i = 0; i < budget; i++) {
    const { step, record, vol: fresh } = await look(client, vol, target);
    const result = settled(step);
    if (result !== undefined) return result;
    await apply(client, fresh, record, stamp(step, target));
    onStep(step);
    if (step.kind === 'finish') return { kind: 'done' };
  }
  return { kind: 'progress', reason: 'more steps to take' };
}
