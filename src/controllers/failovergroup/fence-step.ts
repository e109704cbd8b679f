// Step: fence every failed node that hosts the group's pods (action Fence),
// and record the failover it starts.
import type { FailoverGroup, FailoverRecord, FencedNode } from '../../api/v1alpha1/types.generated.js';
import { objectKey } from '../../kube/wire.js';
import { rfc3339 } from '../../runtime/clock.js';
import type { Manager } from '../../runtime/manager.js';
import { detachVolumes, evictPods, taintNode } from './fence.js';
import { nodesToFence, type NodeVerdict } from './health.js';
import type { GroupView } from './observe.js';

export interface FenceOutcome {
  fenced: FencedNode[];
  started: FailoverRecord[];
}

type FailedNode = NodeVerdict & { state: 'Failed' };

function fencedNode(v: FailedNode, now: Date): FencedNode {
  return { name: v.name, ...(v.zone !== undefined ? { zone: v.zone } : {}), fencedAt: rfc3339(now) };
}

function failoverRecord(v: FailedNode, now: Date): FailoverRecord {
  const at = rfc3339(now);
  return {
    reason: 'NodeFailure',
    node: v.name,
    ...(v.zone !== undefined ? { fromZone: v.zone, toZone: v.zone } : {}),
    startedAt: rfc3339(new Date(now.getTime() - v.failedForSeconds * 1000)),
    timeline: { detectedAt: at, fencedAt: at },
  };
}

export async function fenceFailedNodes(
  mgr: Manager,
  fg: FailoverGroup,
  view: GroupView,
  now: Date,
): Promise<FenceOutcome> {
  const out: FenceOutcome = { fenced: [], started: [] };
  const already = new Set((fg.status?.fencedNodes ?? []).map((n) => n.name));
  const owner = objectKey(fg);
  for (const verdict of nodesToFence(view.report, view.groupNodes)) {
    if (verdict.state !== 'Failed') continue;
    if (fg.spec.nodeFailure?.action === 'Notify') {
      mgr.recorder.warning(
        fg,
        'NodeFailed',
        `node ${verdict.name} failed; action is Notify, so nothing was fenced`,
      );
      continue;
    }
    const node = view.nodes.find((n) => n.metadata.name === verdict.name);
    if (node === undefined) continue;
    await taintNode(mgr.client, node, owner);
    const onNode = view.pods.filter((p) => p.spec?.nodeName === verdict.name);
    const evicted = await evictPods(mgr.client, onNode);
    const detached = await detachVolumes(mgr.client, mgr.cache, verdict.name, onNode);
    if (already.has(verdict.name)) continue;
    out.fenced.push(fencedNode(verdict, now));
    out.started.push(failoverRecord(verdict, now));
    mgr.recorder.warning(
      fg,
      'NodeFenced',
      `node ${verdict.name} silent for ${verdict.failedForSeconds.toFixed(0)} s: tainted out-of-service, ` +
        `${String(evicted)} pod(s) force-deleted, ${String(detached)} attachment(s) removed`,
    );
  }
  return out;
}
