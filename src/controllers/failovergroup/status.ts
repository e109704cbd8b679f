// Step: the group's status from what this pass saw and did. Pure.
import type {
  FailoverGroup,
  FailoverGroupStatus,
  FailoverRecord,
  FencedNode,
} from '../../api/v1alpha1/types.generated.js';
import { failoverGroupConditions as types } from '../../api/v1alpha1/types.generated.js';
import { failoverGroupReasons as reasons } from '../../api/v1alpha1/reasons.js';
import { rfc3339 } from '../../runtime/clock.js';
import { setCondition, type Condition, type ConditionUpdate } from '../../runtime/conditions.js';
import type { FenceOutcome } from './fence-step.js';
import type { GroupView } from './observe.js';
import { zoneLabel } from './observe.js';
import { isPodReady } from './workload.js';
import type { ZoneOutcome } from './zone-step.js';

const maxHistory = 10;

export interface StatusInput {
  fg: FailoverGroup;
  view: GroupView;
  fenced: FenceOutcome;
  released: readonly string[];
  now: Date;
  zone?: ZoneOutcome;
}

/** Marks a step of the timeline the first time it is seen done. */
function reached(
  record: FailoverRecord,
  step: keyof NonNullable<FailoverRecord['timeline']>,
  now: Date,
): FailoverRecord {
  if (record.timeline?.[step] !== undefined) return record;
  return { ...record, timeline: { ...record.timeline, [step]: rfc3339(now) } };
}

/**
 * Pods rescheduled off the fenced nodes, then their volumes attached on the
 * new nodes, then every pod Ready: the failover is over. A pod that runs
 * without its volume attached has not recovered.
 */
function completeIfRecovered(
  record: FailoverRecord,
  view: GroupView,
  fencedNames: Set<string>,
  now: Date,
): FailoverRecord {
  if (record.completedAt !== undefined || view.pods.length === 0) return record;
  if (movesZone(record)) return completeZoneFailover(record, view, now);
  const moved = view.pods.every((p) => p.spec?.nodeName !== undefined && !fencedNames.has(p.spec.nodeName));
  if (!moved) return record;
  const rescheduled = reached(record, 'podsRescheduledAt', now);
  if (!view.volumesAttached) return rescheduled;
  const attached = reached(rescheduled, 'volumesAttachedAt', now);
  return view.pods.every(isPodReady) ? completed(attached, now) : attached;
}

/** A failover that ends with the group in another zone: a lost zone, a failback, a move a person asked for. */
export function movesZone(record: FailoverRecord | undefined): boolean {
  return record?.reason === 'ZoneFailure' || record?.reason === 'Failback' || record?.reason === 'Manual';
}

function completed(record: FailoverRecord, now: Date): FailoverRecord {
  const started = Date.parse(record.startedAt ?? rfc3339(now));
  const at = rfc3339(now);
  return {
    ...record,
    completedAt: at,
    recoverySeconds: Math.max(0, Math.round((now.getTime() - started) / 100) / 10),
    timeline: {
      ...record.timeline,
      podsRescheduledAt: record.timeline?.podsRescheduledAt ?? at,
      podsReadyAt: at,
    },
  };
}

function zoneOfNode(view: GroupView, node: string | undefined): string | undefined {
  return view.nodes.find((n) => n.metadata.name === node)?.metadata.labels?.[zoneLabel];
}

/** Volumes rebound, then every pod scheduled in the new zone, then every pod Ready. */
function completeZoneFailover(record: FailoverRecord, view: GroupView, now: Date): FailoverRecord {
  if (record.timeline?.volumesAttachedAt === undefined) return record;
  if (!view.pods.every((p) => zoneOfNode(view, p.spec?.nodeName) === record.toZone)) return record;
  const moved: FailoverRecord = {
    ...record,
    timeline: { ...record.timeline, podsRescheduledAt: record.timeline.podsRescheduledAt ?? rfc3339(now) },
  };
  return view.volumesAttached && view.pods.every(isPodReady) ? completed(moved, now) : moved;
}

function activeZone(view: GroupView): string | undefined {
  const node = view.nodes.find((n) => n.metadata.name !== undefined && view.groupNodes.has(n.metadata.name));
  return node?.metadata.labels?.[zoneLabel];
}

function conditionsFor(
  input: StatusInput,
  phase: FailoverGroupStatus['phase'],
  degraded: string | undefined,
  degradedReason: string | undefined,
  failingOver: FailoverRecord['reason'],
): Condition[] {
  const { fg, view, now } = input;
  const gen = fg.metadata.generation;
  let conds: Condition[] = fg.status?.conditions ?? [];
  const ready = workloadReady(view);
  conds = setCondition(
    conds,
    ready
      ? {
          type: types.Ready,
          status: 'True',
          reason: reasons.WorkloadReady,
          message: 'every pod of the workload is Ready',
        }
      : view.workloadFound
        ? {
            type: types.Ready,
            status: 'False',
            reason: reasons.PodsNotReady,
            message: 'some pods of the workload are not Ready',
          }
        : {
            type: types.Ready,
            status: 'False',
            reason: reasons.WorkloadNotFound,
            message: `${fg.spec.workload.kind} ${fg.spec.workload.name} not found in this namespace`,
          },
    gen,
    now,
  );
  conds = setCondition(
    conds,
    degraded === undefined
      ? {
          type: types.Degraded,
          status: 'False',
          reason: reasons.AllNodesHealthy,
          message: 'every node of the group is Ready',
        }
      : {
          type: types.Degraded,
          status: 'True',
          reason: degradedReason ?? reasons.NodeUnhealthy,
          message: degraded,
        },
    gen,
    now,
  );
  return setCondition(conds, failingOverCondition(phase, failingOver, input.zone?.progress), gen, now);
}

const failingOverMessages: Record<NonNullable<FailoverRecord['reason']>, string> = {
  NodeFailure: 'pods are moving off a fenced node',
  ZoneFailure: 'volumes are being promoted in another zone and pods follow them',
  Failback:
    'moving back to the preferred zone: a fresh backup of each volume refills its standby there, which is then promoted',
  Manual:
    'moving to the zone the promote annotation names: a fresh backup of each volume refills its standby there, which is then promoted',
};

function failingOverCondition(
  phase: FailoverGroupStatus['phase'],
  reason: FailoverRecord['reason'],
  progress: string | undefined,
): ConditionUpdate {
  if (phase !== 'FailingOver')
    return {
      type: types.FailingOver,
      status: 'False',
      reason: reasons.Idle,
      message: 'no failover in progress',
    };
  return {
    type: types.FailingOver,
    status: 'True',
    reason: reason ?? 'NodeFailure',
    message: `${failingOverMessages[reason ?? 'NodeFailure']}${progress !== undefined ? `; now: ${progress}` : ''}`,
  };
}

function degradedMessage(view: GroupView): string | undefined {
  if (view.report.kind === 'Unsure') return view.report.message;
  const bad = view.report.nodes.filter((n) => n.state !== 'Healthy' && view.groupNodes.has(n.name));
  return bad.length === 0 ? undefined : bad.map((n) => `${n.name} ${n.state.toLowerCase()}`).join(', ');
}

function mergeFailovers(
  prior: FailoverGroupStatus,
  started: readonly FailoverRecord[],
  zone: ZoneOutcome | undefined,
): { last: FailoverRecord | undefined; history: FailoverRecord[] } {
  const history = [...(prior.history ?? [])];
  let last = prior.lastFailover;
  for (const record of started) {
    if (last !== undefined) history.push(last);
    last = record;
  }
  if (zone?.record !== undefined) {
    if (zone.replaces !== true && last !== undefined) history.push(last);
    last = zone.record;
  }
  return { last, history };
}

/** What the phase is made from: the newest failover, the Degraded message, the zones, and Ready. */
export interface PhaseInput {
  readonly last: FailoverRecord | undefined;
  readonly degraded: string | undefined;
  readonly zone: string | undefined;
  readonly preferred: string | undefined;
  /** The Ready condition's status: every pod of the workload found and Ready. */
  readonly ready: boolean;
}

/**
 * Pure. A failover in progress, then a group left in another zone, then a
 * node or zone problem win; otherwise the phase is Healthy only when Ready is
 * True, so the two never disagree: a workload missing or not Ready yet is Pending.
 */
export function phaseOf(input: PhaseInput): FailoverGroupStatus['phase'] {
  const { last, degraded, zone, preferred, ready } = input;
  if (last !== undefined && last.completedAt === undefined) return 'FailingOver';
  if (movesZone(last) && zone !== undefined && zone !== preferred) return 'FailedOver';
  if (degraded !== undefined) return 'Degraded';
  return ready ? 'Healthy' : 'Pending';
}

/** Ready: the workload exists and every one of its pods is Ready. */
function workloadReady(view: GroupView): boolean {
  return view.workloadFound && view.pods.length > 0 && view.pods.every(isPodReady);
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function fencedNodesOf(prior: FailoverGroupStatus, input: StatusInput): FencedNode[] {
  return [
    ...(prior.fencedNodes ?? []).filter((n) => !input.released.includes(n.name)),
    ...input.fenced.fenced,
  ];
}

/**
 * What Degraded reports, when something refuses: the zone step's refusal, or
 * why a failed node is not fenced. A zone step that only waits for fencing
 * says less than the reason fencing waits, so that reason wins then.
 */
function refusalOf(input: StatusInput): { reason: string; message: string } | undefined {
  const zone = input.zone?.refusal;
  const refused = input.fenced.refused ?? [];
  const fencing =
    refused.length === 0
      ? undefined
      : { reason: refused[0]?.reason ?? '', message: refused.map((r) => r.message).join('; ') };
  if (zone !== undefined && (zone.reason !== reasons.WaitingForFencing || fencing === undefined)) return zone;
  return fencing;
}

export function computeStatus(input: StatusInput): FailoverGroupStatus {
  const { fg, view, fenced, now } = input;
  const prior = fg.status ?? {};
  const fencedNodes = fencedNodesOf(prior, input);
  const names = new Set(fencedNodes.map((n) => n.name));
  const { last: newest, history } = mergeFailovers(prior, fenced.started, input.zone);
  const last = newest === undefined ? undefined : completeIfRecovered(newest, view, names, now);
  const refusal = refusalOf(input);
  const degraded = refusal?.message ?? degradedMessage(view);
  const zone = activeZone(view) ?? prior.activeZone;
  const phase = phaseOf({ last, degraded, zone, preferred: fg.spec.zones[0], ready: workloadReady(view) });
  return {
    phase,
    ...optional('activeZone', zone),
    conditions: conditionsFor(input, phase, degraded, refusal?.reason, last?.reason),
    ...optional('observedGeneration', fg.metadata.generation),
    ...optional('lastFailover', last),
    ...(history.length > 0 ? { history: history.slice(-maxHistory) } : {}),
    ...(fencedNodes.length > 0 ? { fencedNodes } : {}),
    ...promotionsOf(prior, input.zone),
  };
}

/** The records of promotions under way: as this pass left them, else as they were. */
function promotionsOf(
  prior: FailoverGroupStatus,
  zone: ZoneOutcome | undefined,
): Pick<FailoverGroupStatus, 'promotions'> {
  const promotions = zone?.promotions ?? prior.promotions ?? [];
  return promotions.length > 0 ? { promotions } : {};
}
