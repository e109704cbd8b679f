// Step: the group's status from what this pass saw and did. Pure.
import type {
  FailoverGroup,
  FailoverGroupStatus,
  FailoverRecord,
  FencedNode,
} from '../../api/v1alpha1/types.generated.js';
import { rfc3339 } from '../../runtime/clock.js';
import { setCondition, type Condition } from '../../runtime/conditions.js';
import type { FenceOutcome } from './fence-step.js';
import type { GroupView } from './observe.js';
import { zoneLabel } from './observe.js';
import { isPodReady } from './workload.js';

const maxHistory = 10;

export interface StatusInput {
  fg: FailoverGroup;
  view: GroupView;
  fenced: FenceOutcome;
  released: readonly string[];
  now: Date;
}

/** Pods all Ready and none left on a fenced node: the failover is over. */
function completeIfRecovered(
  record: FailoverRecord,
  view: GroupView,
  fencedNames: Set<string>,
  now: Date,
): FailoverRecord {
  if (record.completedAt !== undefined || view.pods.length === 0) return record;
  const moved = view.pods.every((p) => p.spec?.nodeName !== undefined && !fencedNames.has(p.spec.nodeName));
  if (!moved || !view.pods.every(isPodReady)) return record;
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

function activeZone(view: GroupView): string | undefined {
  const node = view.nodes.find((n) => n.metadata.name !== undefined && view.groupNodes.has(n.metadata.name));
  return node?.metadata.labels?.[zoneLabel];
}

function conditionsFor(
  input: StatusInput,
  phase: FailoverGroupStatus['phase'],
  degraded: string | undefined,
): Condition[] {
  const { fg, view, now } = input;
  const gen = fg.metadata.generation;
  let conds: Condition[] = fg.status?.conditions ?? [];
  const ready = view.workloadFound && view.pods.length > 0 && view.pods.every(isPodReady);
  conds = setCondition(
    conds,
    ready
      ? {
          type: 'Ready',
          status: 'True',
          reason: 'WorkloadReady',
          message: 'every pod of the workload is Ready',
        }
      : view.workloadFound
        ? {
            type: 'Ready',
            status: 'False',
            reason: 'PodsNotReady',
            message: 'some pods of the workload are not Ready',
          }
        : {
            type: 'Ready',
            status: 'False',
            reason: 'WorkloadNotFound',
            message: `${fg.spec.workload.kind} ${fg.spec.workload.name} not found in this namespace`,
          },
    gen,
    now,
  );
  conds = setCondition(
    conds,
    degraded === undefined
      ? {
          type: 'Degraded',
          status: 'False',
          reason: 'AllNodesHealthy',
          message: 'every node of the group is Ready',
        }
      : { type: 'Degraded', status: 'True', reason: 'NodeUnhealthy', message: degraded },
    gen,
    now,
  );
  return setCondition(
    conds,
    phase === 'FailingOver'
      ? {
          type: 'FailingOver',
          status: 'True',
          reason: 'NodeFailure',
          message: 'pods are moving off a fenced node',
        }
      : { type: 'FailingOver', status: 'False', reason: 'Idle', message: 'no failover in progress' },
    gen,
    now,
  );
}

function degradedMessage(view: GroupView): string | undefined {
  if (view.report.kind === 'Unsure') return view.report.message;
  const bad = view.report.nodes.filter((n) => n.state !== 'Healthy' && view.groupNodes.has(n.name));
  return bad.length === 0 ? undefined : bad.map((n) => `${n.name} ${n.state.toLowerCase()}`).join(', ');
}

function mergeFailovers(
  prior: FailoverGroupStatus,
  started: readonly FailoverRecord[],
): { last: FailoverRecord | undefined; history: FailoverRecord[] } {
  const history = [...(prior.history ?? [])];
  let last = prior.lastFailover;
  for (const record of started) {
    if (last !== undefined) history.push(last);
    last = record;
  }
  return { last, history };
}

function phaseOf(
  last: FailoverRecord | undefined,
  degraded: string | undefined,
): FailoverGroupStatus['phase'] {
  if (last !== undefined && last.completedAt === undefined) return 'FailingOver';
  return degraded !== undefined ? 'Degraded' : 'Healthy';
}

export function computeStatus(input: StatusInput): FailoverGroupStatus {
  const { fg, view, fenced, released, now } = input;
  const prior = fg.status ?? {};
  const fencedNodes: FencedNode[] = [
    ...(prior.fencedNodes ?? []).filter((n) => !released.includes(n.name)),
    ...fenced.fenced,
  ];
  const names = new Set(fencedNodes.map((n) => n.name));
  const { last: newest, history } = mergeFailovers(prior, fenced.started);
  const last = newest === undefined ? undefined : completeIfRecovered(newest, view, names, now);
  const degraded = degradedMessage(view);
  const phase = phaseOf(last, degraded);
  const zone = activeZone(view) ?? prior.activeZone;
  return {
    phase,
    ...(zone !== undefined ? { activeZone: zone } : {}),
    conditions: conditionsFor(input, phase, degraded),
    ...(fg.metadata.generation !== undefined ? { observedGeneration: fg.metadata.generation } : {}),
    ...(last !== undefined ? { lastFailover: last } : {}),
    ...(history.length > 0 ? { history: history.slice(-maxHistory) } : {}),
    ...(fencedNodes.length > 0 ? { fencedNodes } : {}),
  };
}
