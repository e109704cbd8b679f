// Step: a FailoverGroup being deleted first finishes what it started. A
// promotion half done leaves a StatefulVolume whose claim is being rebound
// (its controller waits while the record is there), and a fenced node keeps
// a taint that nobody else would remove. The finalizer holds the group until
// both are settled; a promotion that cannot go on is reported, not abandoned,
// because giving it up could leave the workload's claim on no data at all.
import type { FailoverGroup } from '../../api/v1alpha1/types.generated.js';
import { objectKey } from '../../kube/wire.js';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizers.js';
import type { Manager } from '../../runtime/manager.js';
import { done, requeueAfter, type Result } from '../../runtime/result.js';
import { coreTypes } from '../../kube/resource.js';
import { isFencedBy, untaintNode, type Node } from './fence.js';
import { promoteVolume, readRecord } from './promote-step.js';
import { failoverGroupType } from './types.js';
import { groupVolumes } from './zone-step.js';

export const failoverCleanup = 'storage.stateful.dev/failover-cleanup';

export async function ensureFinalizer(mgr: Manager, fg: FailoverGroup): Promise<FailoverGroup> {
  const next = await addFinalizer(mgr.client, failoverGroupType, fg, failoverCleanup);
  if (next !== fg) mgr.cache.written(failoverGroupType, fg, next);
  return next;
}

type Settled = { kind: 'done' } | { kind: 'progress' } | { kind: 'stuck'; message: string };

/** Carries every recorded promotion of the group's volumes on, from the record alone. */
async function finishPromotions(mgr: Manager, fg: FailoverGroup): Promise<Settled> {
  for (const vol of await groupVolumes(mgr, fg)) {
    const record = readRecord(vol);
    if (record === undefined) continue;
    const result = await promoteVolume(mgr.client, vol, {
      zone: record.zone,
      standbyClaim: record.standbyClaim,
    });
    if (result.kind === 'stuck')
      return { kind: 'stuck', message: `StatefulVolume ${vol.metadata.name ?? ''}: ${result.message}` };
    if (result.kind === 'progress') return { kind: 'progress' };
  }
  return { kind: 'done' };
}

/**
 * The group's out-of-service taints go with it, on nodes back or not: its
 * pods were moved when the taint went on, and without the taint a dead node
 * is simply NotReady again, as Kubernetes leaves it.
 */
async function releaseTaints(mgr: Manager, fg: FailoverGroup): Promise<number> {
  const owner = objectKey(fg);
  const ours = mgr.cache.list<Node>(coreTypes.node).filter((n) => isFencedBy(n, owner));
  for (const node of ours) await untaintNode(mgr.client, node);
  return ours.length;
}

export async function finalizeGroup(mgr: Manager, fg: FailoverGroup): Promise<Result> {
  if (!hasFinalizer(fg, failoverCleanup)) return done;
  const promotions = await finishPromotions(mgr, fg);
  if (promotions.kind === 'progress') return requeueAfter(1_000);
  if (promotions.kind === 'stuck') {
    mgr.recorder.warning(
      fg,
      'CleanupBlocked',
      `${promotions.message}; the group is kept until the promotion can finish ` +
        `(remove the finalizer ${failoverCleanup} to give it up and repair the claim by hand)`,
    );
    return requeueAfter(15_000);
  }
  const released = await releaseTaints(mgr, fg);
  if (released > 0)
    mgr.recorder.normal(
      fg,
      'NodeReleased',
      `removed the out-of-service taint from ${String(released)} node(s)`,
    );
  await removeFinalizer(mgr.client, failoverGroupType, fg, failoverCleanup);
  return done;
}
