// Step: a planned move of the group to another zone while its active zone
// still runs (Failback, or Manual when a person asks). Unlike a zone loss the
// data is still there, so each volume gets a fresh backup first; the standby
// in the target zone is refilled from it (by the StatefulVolume controller),
// then promoted like a standby after a zone loss, and the pods that still
// mount the old claim are deleted so they start again on the promoted data.
// The writes between that backup and the pods stopping are lost: that window
// is recorded as dataLossWindowSeconds.
import type { Logger } from 'pino';
import type {
  FailoverGroup,
  FailoverRecord,
  StatefulVolume,
  VolumeBackup,
} from '../../api/v1alpha1/types.generated.js';
import { failoverGroupReasons as reasons } from '../../api/v1alpha1/reasons.js';
import { labelValue } from '../../kube/names.js';
import { coreTypes } from '../../kube/resource.js';
import { rfc3339 } from '../../runtime/clock.js';
import type { ApiClient, ApiWriter, CacheReader } from '../../runtime/capabilities.js';
import { volumeBackupType } from '../kinds.js';
import { annotations, labels, managerName } from '../../api/v1alpha1/vocabulary.js';
import { claimNameOf } from '../statefulvolume/claim.js';
import { stampedName } from '../volumebackuppolicy/naming.js';
import { zoneLabel, type GroupView } from './observe.js';
import { advance, arrived, buildRecord, type Next } from './promotions.js';
import { decideSwitch, type SwitchDecision, type SwitchInput } from './switch-plan.js';
import { failoverGroupType, type Claim } from './types.js';
import type { Node } from './fence.js';
import type { Pod } from './workload.js';
import { groupVolumes, rebindUnderway, recordsOf, type ZoneOutcome } from './zone-step.js';

const movingReasons = new Set<FailoverRecord['reason']>(['Failback', 'Manual']);

function moving(record: FailoverRecord): boolean {
  return movingReasons.has(record.reason) && record.completedAt === undefined && record.toZone !== undefined;
}

/**
 * When the node was last back: the later of its Ready transition and the
 * operator's own sighting of its renewals resuming. A node silent for less
 * than the node controller's grace period never turns NotReady, so its Ready
 * time alone would say it had been fine all along.
 */
function nodeBackSince(n: Node, view: GroupView): Date | undefined {
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
  const renewing = view.backSince.get(n.metadata.name ?? '');
  if (ready?.status !== 'True' || ready.lastTransitionTime === undefined || renewing === undefined)
    return undefined;
  const transition = new Date(ready.lastTransitionTime);
  return transition > renewing ? transition : renewing;
}

/** Per zone: since when every node of it has been back; absent when a node's time is not known. */
function readySince(view: GroupView): Map<string, Date> {
  const out = new Map<string, Date>();
  const unknown = new Set<string>();
  for (const n of view.nodes) {
    const zone = n.metadata.labels?.[zoneLabel];
    if (zone === undefined) continue;
    const at = nodeBackSince(n, view);
    const was = out.get(zone);
    if (at === undefined) unknown.add(zone);
    else if (was === undefined || at > was) out.set(zone, at);
  }
  for (const zone of unknown) out.delete(zone);
  return out;
}

/** The backup a move takes of one volume: named after the group, the kind of move and its start. */
export function moveBackupName(fg: FailoverGroup, record: FailoverRecord, volume: string): string {
  const kind = record.reason === 'Failback' ? 'failback' : 'move';
  // To the second: two moves within a minute must not share (and so reuse) a backup.
  const stamp = (record.startedAt ?? '').replace(/[-T:Z]/g, '').slice(0, 14);
  return stampedName(volume, `${fg.metadata.name ?? ''}-${kind}`, stamp);
}

type Prepared =
  | { kind: 'ready'; standby: string; backup: VolumeBackup }
  | { kind: 'waiting'; progress: string }
  | { kind: 'stuck'; reason: string; message: string };

async function freshBackup(
  deps: { client: ApiWriter; cache: CacheReader },
  fg: FailoverGroup,
  name: string,
  vol: StatefulVolume,
): Promise<VolumeBackup | undefined> {
  const ns = fg.metadata.namespace ?? '';
  const found = deps.cache.get<VolumeBackup>(volumeBackupType, ns, name);
  if (found !== undefined) return found;
  try {
    await deps.client.create<VolumeBackup>(volumeBackupType, {
      apiVersion: 'storage.stateful.dev/v1alpha1',
      kind: 'VolumeBackup',
      metadata: {
        name,
        namespace: ns,
        labels: {
          [labels.managedBy]: managerName,
          [labels.volume]: labelValue(vol.metadata.name ?? ''),
          [labels.failoverGroup]: labelValue(fg.metadata.name ?? ''),
        },
      },
      spec: { volumeName: vol.metadata.name ?? '' },
    });
  } catch (err) {
    // A pass before a restart made it: the next pass reads it from the cache.
    if ((err as { code?: number }).code !== 409) throw err;
  }
  return undefined;
}

function backupFailed(name: string, backup: VolumeBackup, record: FailoverRecord): Prepared {
  const why = backup.status?.error?.message ?? 'no reason given';
  return {
    kind: 'stuck',
    reason: reasons.MoveBackupFailed,
    message: `backup ${name} of ${backup.spec.volumeName} failed (${why}); the group stays in ${record.fromZone ?? ''}`,
  };
}

/** The volume's standby in the target zone once the StatefulVolume controller refilled it from the backup. */
function refilledStandby(
  deps: { cache: CacheReader },
  vol: StatefulVolume,
  zone: string | undefined,
  backup: string,
): Claim | undefined {
  return deps.cache
    .list<Claim>(
      coreTypes.persistentVolumeClaim,
      vol.metadata.namespace,
      (c) =>
        c.metadata.labels?.[labels.volume] === labelValue(vol.metadata.name ?? '') &&
        c.metadata.labels[labels.zone] === zone &&
        c.metadata.labels[labels.sourceBackup] === labelValue(backup) &&
        c.status?.phase === 'Bound' &&
        c.metadata.deletionTimestamp === undefined,
    )
    .at(0);
}

function backupWait(name: string, volume: string, backup: VolumeBackup | undefined): Prepared {
  return { kind: 'waiting', progress: `backup ${name} of ${volume} ${backup?.status?.phase ?? 'created'}` };
}

/** The volume's fresh backup, and its standby in the target zone refilled from it. */
async function prepare(
  deps: { client: ApiWriter; cache: CacheReader },
  fg: FailoverGroup,
  record: FailoverRecord,
  vol: StatefulVolume,
): Promise<Prepared> {
  const name = moveBackupName(fg, record, vol.metadata.name ?? '');
  const backup = await freshBackup(deps, fg, name, vol);
  if (backup?.status?.phase === 'Failed') return backupFailed(name, backup, record);
  const volume = vol.metadata.name ?? '';
  if (backup?.status?.phase !== 'Ready') return backupWait(name, volume, backup);
  const standby = refilledStandby(deps, vol, record.toZone, name);
  return standby === undefined
    ? {
        kind: 'waiting',
        progress: `${volume}: standby in ${record.toZone ?? ''} being refilled from ${name}`,
      }
    : { kind: 'ready', standby: standby.metadata.name ?? '', backup };
}

/** Pods that still mount a claim being deleted keep it (and the old data) alive: they go, gracefully. */
async function releaseClaim(
  deps: { client: ApiWriter; cache: CacheReader },
  view: GroupView,
  vol: StatefulVolume,
): Promise<void> {
  const claimName = claimNameOf(vol);
  const claim = deps.cache.get<Claim>(coreTypes.persistentVolumeClaim, vol.metadata.namespace, claimName);
  if (claim?.metadata.deletionTimestamp === undefined) return;
  const holders = view.pods.filter(
    (p: Pod) =>
      p.metadata.deletionTimestamp === undefined &&
      p.spec?.volumes?.some((v) => v.persistentVolumeClaim?.claimName === claimName) === true,
  );
  for (const p of holders)
    await deps.client.delete(coreTypes.pod, p.metadata.namespace, p.metadata.name ?? '', {
      ...(p.metadata.uid !== undefined ? { preconditionUid: p.metadata.uid } : {}),
    });
}

function takenAtOf(
  deps: { cache: CacheReader },
  fg: FailoverGroup,
  record: FailoverRecord,
  vol: StatefulVolume,
): { takenAt?: string } {
  const name = moveBackupName(fg, record, vol.metadata.name ?? '');
  const at = deps.cache.get<VolumeBackup>(volumeBackupType, fg.metadata.namespace, name)?.status?.startedAt;
  return at !== undefined ? { takenAt: at } : {};
}

/** One volume without a record: already there, or its backup and refilled standby, then a record naming them. */
async function nextMove(
  deps: { client: ApiClient; cache: CacheReader },
  fg: FailoverGroup,
  record: FailoverRecord,
  vol: StatefulVolume,
): Promise<Next> {
  const zone = record.toZone ?? '';
  const claim = deps.cache.get<Claim>(
    coreTypes.persistentVolumeClaim,
    vol.metadata.namespace,
    claimNameOf(vol),
  );
  if (arrived(claim, zone)) return { kind: 'arrived' };
  const prepared = await prepare(deps, fg, record, vol);
  if (prepared.kind === 'waiting') return { kind: 'waiting', progress: prepared.progress };
  if (prepared.kind === 'stuck') return prepared;
  const takenAt = prepared.backup.status?.startedAt;
  const built = await buildRecord(deps, vol, {
    reason: record.reason === 'Failback' ? 'Failback' : 'Manual',
    zone,
    startedAt: record.startedAt ?? '',
    from: { standby: prepared.standby },
    ...(takenAt !== undefined ? { backupTakenAt: takenAt } : {}),
  });
  return 'stuck' in built
    ? { kind: 'stuck', reason: reasons.NoStandby, message: built.stuck }
    : { kind: 'record', record: built };
}

async function carryOn(
  deps: { client: ApiClient; cache: CacheReader },
  fg: FailoverGroup,
  view: GroupView,
  record: FailoverRecord,
  now: Date,
): Promise<ZoneOutcome> {
  const volumes = await groupVolumes(deps, fg);
  const result = await advance(deps, fg, volumes, (vol) => nextMove(deps, fg, record, vol));
  const recorded = new Set(result.promotions.map((p) => p.volume.uid));
  // The old claim goes only once its pods let go of it: the group deletes its own pods, nothing else.
  for (const vol of volumes) if (recorded.has(vol.metadata.uid ?? '')) await releaseClaim(deps, view, vol);
  const underway = rebindUnderway(record, result);
  if (underway !== undefined) return underway;
  const taken = volumes.flatMap((vol) => {
    const at = takenAtOf(deps, fg, record, vol).takenAt;
    return at !== undefined ? [Date.parse(at)] : [];
  });
  // An upper bound: the pods may have written until their claims were let go, just now.
  const loss = taken.length === 0 ? undefined : Math.max(0, (now.getTime() - Math.min(...taken)) / 1000);
  return {
    record: {
      ...record,
      ...(loss !== undefined ? { dataLossWindowSeconds: Math.round(loss * 10) / 10 } : {}),
      timeline: { ...record.timeline, volumesAttachedAt: rfc3339(now) },
    },
    replaces: true,
    ...recordsOf(result),
  };
}

/** A request already met (the group runs where it asks) is taken off, as Argo CD does with its refresh annotation. */
async function consumeRequest(deps: { client: ApiWriter }, fg: FailoverGroup, active: string): Promise<void> {
  if (fg.metadata.annotations?.[annotations.promote] !== active) return;
  await deps.client.patch(failoverGroupType, fg.metadata.namespace, fg.metadata.name ?? '', {
    metadata: { resourceVersion: fg.metadata.resourceVersion, annotations: { [annotations.promote]: null } },
  });
}

function switchInput(
  fg: FailoverGroup,
  view: GroupView,
  active: string,
  inProgress: boolean,
  now: Date,
): SwitchInput {
  const requested = fg.metadata.annotations?.[annotations.promote];
  return {
    zones: fg.spec.zones,
    activeZone: active,
    failback: fg.spec.failback ?? 'Manual',
    failbackDelaySeconds: fg.spec.failbackDelaySeconds ?? 300,
    ...(requested !== undefined && requested !== '' ? { requestedZone: requested } : {}),
    report: view.report,
    readySince: readySince(view),
    inProgress,
    now,
  };
}

function outcomeOf(decision: SwitchDecision, active: string, now: Date): ZoneOutcome {
  if (decision.action === 'none') return {};
  if (decision.action === 'wait') {
    // Waiting out the failback delay is not a problem; a request that cannot be met is.
    if (decision.reason === 'FailbackPending') return { lookAfterMs: decision.retryAfterMs };
    return {
      refusal: { reason: decision.reason, message: decision.message },
      lookAfterMs: decision.retryAfterMs,
    };
  }
  const at = rfc3339(now);
  // Written to status before anything is touched; the next pass takes the backups.
  return {
    record: {
      reason: decision.reason,
      fromZone: active,
      toZone: decision.to,
      startedAt: at,
      timeline: { detectedAt: at },
    },
    busy: true,
    begun: true,
  };
}

export async function handleSwitchover(
  deps: { client: ApiClient; cache: CacheReader; log: Logger },
  fg: FailoverGroup,
  view: GroupView,
  current: FailoverRecord | undefined,
  now: Date,
): Promise<ZoneOutcome> {
  if (current !== undefined && moving(current)) return carryOn(deps, fg, view, current, now);
  const inProgress = current !== undefined && current.completedAt === undefined;
  const active = fg.status?.activeZone ?? fg.spec.zones[0] ?? '';
  if (!inProgress) await consumeRequest(deps, fg, active);
  const input = switchInput(fg, view, active, inProgress, now);
  const decision = decideSwitch(input);
  if (decision.action === 'switch')
    deps.log.info(
      {
        group: `${fg.metadata.namespace ?? ''}/${fg.metadata.name ?? ''}`,
        from: active,
        to: decision.to,
        reason: decision.reason,
        nodes: view.report.nodes.map((n) => `${n.name}:${n.state}`),
        readySince: Object.fromEntries([...input.readySince].map(([z, d]) => [z, rfc3339(d)])),
      },
      'moving the group to another zone',
    );
  return outcomeOf(decision, active, now);
}
