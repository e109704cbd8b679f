// Step: a fenced node that is back gets its taint removed, but only a taint
// this group added. Back means Ready and seen renewing its Lease after it was
// fenced: the Ready condition alone lags the node by the node lifecycle
// controller's grace period, so a node fenced within that window still says
// Ready while it is dead, and an operator that has just started has seen no
// renewal at all.
import { failoverGroupReasons as reasons } from '../../api/v1alpha1/reasons.js';
import type { FailoverGroup } from '../../api/v1alpha1/types.generated.js';
import { objectKey } from '../../kube/wire.js';
import type { ApiWriter, Recorder } from '../../runtime/capabilities.js';
import { isFencedBy, isNodeReady, untaintNode, type Node } from './fence.js';
import type { GroupView } from './observe.js';

function renewedSinceFenced(fg: FailoverGroup, view: Pick<GroupView, 'renewedAt'>, name: string): boolean {
  const renewed = view.renewedAt.get(name);
  if (renewed === undefined) return false;
  // Not yet in status (the pass that fenced failed to write it): the next pass records it first.
  const fencedAt = fg.status?.fencedNodes?.find((n) => n.name === name)?.fencedAt;
  if (fencedAt === undefined) return false;
  // fencedAt is whole seconds, rounded down: a renewal in that same second does not count.
  return renewed.getTime() >= Date.parse(fencedAt) + 1000;
}

/** The nodes this group fenced that are back: their taint may go. Pure. */
export function nodesToRelease(fg: FailoverGroup, view: Pick<GroupView, 'nodes' | 'renewedAt'>): Node[] {
  const owner = objectKey(fg);
  return view.nodes.filter(
    (node) =>
      isFencedBy(node, owner) && isNodeReady(node) && renewedSinceFenced(fg, view, node.metadata.name ?? ''),
  );
}

/** Returns the names of the nodes released. */
export async function releaseRecoveredNodes(
  deps: { client: ApiWriter; recorder: Recorder },
  fg: FailoverGroup,
  view: GroupView,
): Promise<string[]> {
  const released: string[] = [];
  for (const node of nodesToRelease(fg, view)) {
    await untaintNode(deps.client, node);
    released.push(node.metadata.name ?? '');
    deps.recorder.normal(
      fg,
      reasons.NodeRecovered,
      `node ${node.metadata.name ?? ''} is Ready and renewing its Lease again; out-of-service taint removed`,
    );
  }
  return released;
}
