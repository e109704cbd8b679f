// Step: a fenced node that is Ready again gets its taint removed, but only
// a taint this group added.
import type { FailoverGroup } from '../../api/v1alpha1/types.generated.js';
import type { Manager } from '../../runtime/manager.js';
import { fencedByAnnotation, isNodeReady, isTainted, untaintNode } from './fence.js';
import type { GroupView } from './observe.js';

/** Returns the names of the nodes released. */
export async function releaseRecoveredNodes(
  mgr: Manager,
  fg: FailoverGroup,
  view: GroupView,
): Promise<string[]> {
  const owner = `${fg.metadata.namespace ?? ''}/${fg.metadata.name ?? ''}`;
  const released: string[] = [];
  for (const node of view.nodes) {
    if (node.metadata.annotations?.[fencedByAnnotation] !== owner) continue;
    if (!isNodeReady(node) || !isTainted(node)) continue;
    await untaintNode(mgr.client, node);
    released.push(node.metadata.name ?? '');
    mgr.recorder.normal(
      fg,
      'NodeRecovered',
      `node ${node.metadata.name ?? ''} is Ready again; out-of-service taint removed`,
    );
  }
  return released;
}
