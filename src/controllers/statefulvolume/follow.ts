// Step: which pod mounts the primary claim, on which node, and every move of
// it, folded into what status said last time (the only memory that survives a
// restart of the operator).
import type { AttachmentStatus, StatefulVolume } from '../../api/v1alpha1/types.generated.js';
import { coreTypes } from '../../kube/resource.js';
import type { CacheReader, Clock } from '../../runtime/capabilities.js';
import type { NodeView, PodView } from '../../runtime/projections.js';
import { currentConsumer, observeAttachment, type AttachmentStatus as Observed } from './attachment.js';
import { claimNameOf } from './claim.js';
import type { PlacementView } from './place.js';

export interface Following {
  readonly attachment: AttachmentStatus | undefined;
  readonly mounted: boolean;
}

/** The status kept from last time, when it is complete enough to build on. */
export function previousAttachment(a: AttachmentStatus | undefined): Observed | undefined {
  if (a?.pod === undefined || a.node === undefined || a.since === undefined) return undefined;
  return {
    pod: a.pod,
    node: a.node,
    since: a.since,
    moves: a.moves ?? 0,
    ...(a.zone !== undefined ? { zone: a.zone } : {}),
    ...(a.lastMoveSeconds !== undefined ? { lastMoveSeconds: a.lastMoveSeconds } : {}),
    ...(a.interruptedAt !== undefined ? { interruptedAt: a.interruptedAt } : {}),
  };
}

/** When a node stopped being Ready, from its Ready condition; undefined while Ready. */
export function nodeLostAt(node: NodeView | undefined): Date | undefined {
  const ready = node?.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready === undefined || ready.status === 'True') return undefined;
  const t = ready.lastTransitionTime;
  return t !== undefined ? new Date(t) : undefined;
}

export function followConsumer(
  deps: { cache: CacheReader; clock: Clock },
  vol: StatefulVolume,
  placement: PlacementView,
): Following {
  const pods = deps.cache.list<PodView>(coreTypes.pod, vol.metadata.namespace);
  const claimName = claimNameOf(vol);
  const attachment = observeAttachment({
    claimName,
    pods,
    zoneOfNode: placement.zoneOfNode,
    nodeLostAt: (name) => nodeLostAt(deps.cache.get<NodeView>(coreTypes.node, undefined, name)),
    previous: previousAttachment(vol.status?.attachment),
    now: deps.clock.now(),
  });
  return { attachment, mounted: currentConsumer(claimName, pods) !== undefined };
}
