// The FailoverGroup controller: node-failure detection and fencing for the
// group's workload, promotion of the standbys of the next zone when the
// active zone is lost (zone-step.ts), and planned moves back to the
// preferred zone or where a person asks (switch-step.ts).
import type { FailoverGroup } from '../../api/v1alpha1/types.generated.js';
import type { OperatorConfig } from '../../config.js';
import { coreTypes } from '../../kube/resource.js';
import { objectKey, type KubeObject } from '../../kube/wire.js';
import type { InformerEvent } from '../../runtime/informer.js';
import type { Manager } from '../../runtime/manager.js';
import type { NodeView } from '../../runtime/projections.js';
import { defaultFencingPolicy, type FencingPolicy } from './consent.js';
import type { FencingContext } from './fence-step.js';
import { Heartbeats, nodeLeaseNamespace } from './heartbeats.js';
import { failoverGroupMetrics } from './metrics.js';
import { FailureNotices } from './notices.js';
import { reconcileFailoverGroup } from './reconcile.js';
import { ShutdownSightings } from './shutdown.js';
import { statefulVolumeType, volumeBackupType } from '../kinds.js';
import { failoverGroupType } from './types.js';

/** What a group reads of a Node, as the cache keeps it: everything but its resourceVersion. */
function nodeContent(node: NodeView): string {
  const { resourceVersion: _rv, ...meta } = node.metadata;
  return JSON.stringify([meta, node.spec, node.status]);
}

/**
 * Whether a Node event can change a group's verdict. The cache keeps no
 * heartbeat times, so a kubelet's periodic status report arrives as an update
 * that changes only the resourceVersion: waking every group for it would cost
 * nodes × groups passes per report interval, each reading every node.
 */
export function nodeEventMatters(event: InformerEvent, obj: KubeObject, old?: KubeObject): boolean {
  if (event !== 'update' || old === undefined) return true;
  return nodeContent(obj) !== nodeContent(old);
}

/** Without a fencing policy (tests, benchmarks) the operator's default: ConfirmedShutdown on every node. */
export function registerFailoverGroup(
  mgr: Manager,
  config: Pick<OperatorConfig, 'concurrency'> & { fencing?: FencingPolicy },
): void {
  // Made now, so a scrape before the first failover shows recovery at zero for every reason.
  failoverGroupMetrics(mgr.metrics);
  const heartbeats = new Heartbeats(mgr.clock);
  const sightings = new ShutdownSightings(mgr.clock);
  // Registered before the controller so both records fill while a standby waits to lead.
  for (const inf of mgr.cache.informersFor(coreTypes.lease, nodeLeaseNamespace))
    inf.addHandler(heartbeats.onLease);
  for (const inf of mgr.cache.informersFor(coreTypes.node)) inf.addHandler(sightings.onNode);
  const fencing: FencingContext = {
    policy: config.fencing ?? defaultFencingPolicy,
    evidence: (node) => ({
      leaseRenewTime: heartbeats.renewTimeOf(node),
      watchedRenewalAt: heartbeats.watchedRenewalAt(node),
      seenAt: (c) => sightings.seenAt(node, c),
    }),
    notices: new FailureNotices(),
  };
  const allGroups = (): string[] => mgr.cache.list<FailoverGroup>(failoverGroupType).map(objectKey);
  const groupsIn = (obj: KubeObject): string[] =>
    mgr.cache.list<FailoverGroup>(failoverGroupType, obj.metadata.namespace).map(objectKey);
  mgr.add({
    name: 'failovergroup',
    forType: failoverGroupType,
    watches: [
      { type: coreTypes.node, filter: nodeEventMatters, map: allGroups },
      { type: coreTypes.pod, map: groupsIn },
      { type: coreTypes.statefulSet, map: groupsIn },
      { type: coreTypes.deployment, map: groupsIn },
      // A volume reporting progress on a promotion wakes the groups whose status records one for it.
      {
        type: statefulVolumeType,
        map: (obj) =>
          mgr.cache
            .list<FailoverGroup>(failoverGroupType, obj.metadata.namespace, (g) =>
              (g.status?.promotions ?? []).some((p) => p.volume.uid === obj.metadata.uid),
            )
            .map(objectKey),
      },
    ],
    // Read, but no change to them wakes a group: a failover in progress is looked at every second anyway.
    caches: [
      coreTypes.persistentVolumeClaim,
      coreTypes.persistentVolume,
      coreTypes.csiDriver,
      coreTypes.volumeAttachment,
      // A move's backup is looked for here before it is created.
      volumeBackupType,
    ],
    concurrency: config.concurrency,
    reconcile: (req) => reconcileFailoverGroup(mgr, heartbeats, fencing, req),
  });
}
