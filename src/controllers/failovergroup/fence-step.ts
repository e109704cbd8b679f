// Step: fence every failed node that hosts the group's pods (action Fence)
// and that the administrator's fencing policy lets the operator fence, and
// record the failover it starts; report the failed nodes it may not fence.
import { failoverGroupReasons as reasons } from '../../api/v1alpha1/reasons.js';
import type { FailoverGroup, FailoverRecord, FencedNode } from '../../api/v1alpha1/types.generated.js';
import { objectKey } from '../../kube/wire.js';
import { rfc3339 } from '../../runtime/clock.js';
import type { ApiWriter, CacheReader, Recorder } from '../../runtime/capabilities.js';
import { fencingConsent, type FencingPolicy, type FencingRefusalReason } from './consent.js';
import { detachVolumes, evictPods, isFencedBy, taintNode } from './fence.js';
import { nodesToFence, type NodeVerdict } from './health.js';
import type { FailureNotices } from './notices.js';
import type { GroupView } from './observe.js';
import type { ShutdownInput } from './shutdown.js';

/** A failed node of the group the policy does not let the operator fence (yet). */
export interface FencingRefusal {
  node: string;
  reason: FencingRefusalReason;
  message: string;
}

export interface FenceOutcome {
  fenced: FencedNode[];
  started: FailoverRecord[];
  refused?: FencingRefusal[];
}

/** The administrator's policy and, per node, what the operator observed of its Lease and confirmations. */
export interface FencingContext {
  policy: FencingPolicy;
  evidence: (node: string) => Omit<ShutdownInput, 'node'>;
  /** Failures already told under action Notify. */
  notices: FailureNotices;
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

/** Action Notify: a Warning for each node that failed since the last pass, nothing fenced. */
function notify(
  deps: { recorder: Recorder },
  fg: FailoverGroup,
  failed: readonly FailedNode[],
  notices: FailureNotices,
): void {
  const group = fg.metadata.uid ?? objectKey(fg);
  for (const name of notices.untold(
    group,
    failed.map((v) => v.name),
  ))
    deps.recorder.warning(
      fg,
      reasons.NodeFailed,
      `node ${name} failed; action is Notify, so nothing was fenced`,
    );
}

export async function fenceFailedNodes(
  deps: { client: ApiWriter; cache: CacheReader; recorder: Recorder },
  fg: FailoverGroup,
  view: GroupView,
  now: Date,
  fencing: FencingContext,
): Promise<FenceOutcome> {
  const out: FenceOutcome = { fenced: [], started: [], refused: [] };
  const already = new Set((fg.status?.fencedNodes ?? []).map((n) => n.name));
  const owner = objectKey(fg);
  const failed = nodesToFence(view.report, view.groupNodes).filter(
    (v): v is FailedNode => v.state === 'Failed',
  );
  if (fg.spec.nodeFailure?.action === 'Notify') {
    notify(deps, fg, failed, fencing.notices);
    return out;
  }
  for (const verdict of failed) {
    const node = view.nodes.find((n) => n.metadata.name === verdict.name);
    if (node === undefined) continue;
    // Once our taint is on, the clean-up goes on whatever the confirmation does since.
    const consent = isFencedBy(node, owner)
      ? { allowed: true as const, evidence: 'fenced before' }
      : fencingConsent({
          policy: fencing.policy,
          node,
          silentSeconds: verdict.failedForSeconds,
          shutdown: fencing.evidence(verdict.name),
        });
    if (!consent.allowed) {
      out.refused?.push({ node: verdict.name, reason: consent.reason, message: consent.message });
      continue;
    }
    await taintNode(deps.client, node, owner);
    const onNode = view.pods.filter((p) => p.spec?.nodeName === verdict.name);
    const evicted = await evictPods(deps.client, onNode);
    const detached = await detachVolumes(deps.client, deps.cache, verdict.name, onNode);
    if (already.has(verdict.name)) continue;
    out.fenced.push(fencedNode(verdict, now));
    out.started.push(failoverRecord(verdict, now));
    deps.recorder.warning(
      fg,
      reasons.NodeFenced,
      `node ${verdict.name} failed (${consent.evidence}): tainted out-of-service, ` +
        `${String(evicted)} pod(s) force-deleted, ${String(detached)} attachment(s) removed`,
    );
  }
  return out;
}
