// What the group looks like right now: its pods, the nodes they run on, and
// the health verdict of every node, from the cache and the heartbeat record.
import type { FailoverGroup } from '../../api/v1alpha1/types.generated.js';
import { coreTypes } from '../../kube/resource.js';
import type { Cache } from '../../runtime/cache.js';
import type { CacheReader } from '../../runtime/capabilities.js';
import type { Node } from './fence.js';
import { cacheLookup, volumesAttached } from './attached.js';
import {
  assessNodes,
  secondsUntilVerdictChange,
  type HealthInput,
  type HealthReport,
  type NodeObservation,
} from './health.js';
import { nodeLeaseNamespace, type Heartbeats } from './heartbeats.js';
import { boundNodeOf, groupPods, workloadSelector, type Pod } from './workload.js';

export const zoneLabel = 'topology.kubernetes.io/zone';

/** The cache, and when its Node and Lease watches went live. */
type WatchedCache = CacheReader & Pick<Cache, 'informersFor'>;

export interface GroupView {
  pods: Pod[];
  nodes: Node[];
  /** Nodes the group's pods were scheduled to or started on (boundNodeOf), not merely named in spec.nodeName. */
  groupNodes: Set<string>;
  report: HealthReport;
  workloadFound: boolean;
  /** Per node: since when it has renewed its Lease without a silence (the operator's clock). */
  backSince: ReadonlyMap<string, Date>;
  /** Per node: when the operator last watched it renew its Lease. */
  renewedAt: ReadonlyMap<string, Date>;
  /** Every pod is on a node with each claim it mounts attached there. */
  volumesAttached: boolean;
  /** Seconds until silence could change the verdict on a node of the group: when to look again. */
  verdictChangeSeconds?: number;
}

function observation(n: Node, heartbeats: Heartbeats): NodeObservation {
  const name = n.metadata.name ?? '';
  const interval = heartbeats.expectedIntervalOf(name);
  return {
    name,
    zone: n.metadata.labels?.[zoneLabel],
    ready: readyStatus(n),
    leaseSeenAt: heartbeats.seenAt(name),
    ...(interval !== undefined ? { heartbeatIntervalSeconds: interval } : {}),
  };
}

function readyStatus(node: Node): NodeObservation['ready'] {
  const status = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return status === 'True' || status === 'False' || status === 'Unknown' ? status : undefined;
}

/** The later of the times the node and node-Lease watches became live; now when either is down. */
function viewLiveSince(cache: WatchedCache, now: Date): Date {
  const informers = [
    ...cache.informersFor(coreTypes.node),
    ...cache.informersFor(coreTypes.lease, nodeLeaseNamespace),
  ];
  let since = 0;
  for (const inf of informers) {
    const live = inf.liveSince;
    if (live === undefined) return now;
    since = Math.max(since, live.getTime());
  }
  return new Date(since);
}

export function observeGroup(
  deps: { cache: WatchedCache },
  heartbeats: Heartbeats,
  fg: FailoverGroup,
  now: Date,
): GroupView {
  const { cache } = deps;
  const selector = workloadSelector(cache, fg);
  const pods = selector === undefined ? [] : groupPods(cache, fg.metadata.namespace ?? '', selector);
  const nodes = cache.list<Node>(coreTypes.node);
  const health: HealthInput = {
    nodes: nodes.map((n) => observation(n, heartbeats)),
    now,
    detectionSeconds: fg.spec.nodeFailure?.detectionSeconds ?? 15,
    viewLiveSince: viewLiveSince(cache, now),
  };
  const report = assessNodes(health);
  const groupNodes = new Set(pods.map(boundNodeOf).filter((n): n is string => n !== undefined));
  const verdictChangeSeconds = secondsUntilVerdictChange(health, groupNodes);
  const backSince = new Map<string, Date>();
  const renewedAt = new Map<string, Date>();
  for (const n of nodes) {
    const name = n.metadata.name ?? '';
    const since = heartbeats.backSince(name);
    if (since !== undefined) backSince.set(name, since);
    const renewed = heartbeats.watchedRenewalAt(name);
    if (renewed !== undefined) renewedAt.set(name, renewed);
  }
  return {
    pods,
    nodes,
    groupNodes,
    report,
    workloadFound: selector !== undefined,
    backSince,
    renewedAt,
    volumesAttached: volumesAttached(cacheLookup(cache), pods),
    ...(verdictChangeSeconds !== undefined ? { verdictChangeSeconds } : {}),
  };
}
