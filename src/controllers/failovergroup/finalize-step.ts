// Step: a FailoverGroup being deleted first finishes what it started. A
// promotion recorded in its status is being carried out by the StatefulVolume
// controller, which follows the record while the group exists; and a fenced
// node keeps a taint that nobody else would remove. The finalizer holds the
// group until every recorded promotion is Completed (or its volume refused it
// before touching the claim, or is gone) and its taints are lifted. A
// promotion that cannot go on is reported, not abandoned, because giving it up
// could leave the workload's claim on no data at all.
import { failoverGroupReasons as reasons } from '../../api/v1alpha1/reasons.js';
import { finalizers } from '../../api/v1alpha1/vocabulary.js';
import type {
  FailoverGroup,
  FailoverGroupStatus,
  PromotionRecord,
} from '../../api/v1alpha1/types.generated.js';
import { objectKey } from '../../kube/wire.js';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizers.js';
import type {
  ApiClient,
  ApiReader,
  ApiWriter,
  CacheReader,
  CacheWriter,
  Recorder,
} from '../../runtime/capabilities.js';
import { done, requeueAfter, type Result } from '../../runtime/result.js';
import { coreTypes } from '../../kube/resource.js';
import { isFencedBy, untaintNode, type Node } from './fence.js';
import { liveProgress, livePromotions } from './promotions.js';
import { failoverGroupType } from './types.js';
import { writeStatus } from '../../runtime/status.js';

export async function ensureFinalizer(
  deps: { client: ApiWriter; cache: CacheWriter },
  fg: FailoverGroup,
): Promise<FailoverGroup> {
  return addFinalizer(deps.client, failoverGroupType, fg, finalizers.failoverCleanup, deps.cache);
}

type Settled = { kind: 'done' } | { kind: 'progress' } | { kind: 'stuck'; message: string };

/** Whether a record still holds the group: not while its volume is done, gone, or refused it. */
async function holds(
  deps: { client: ApiReader },
  fg: FailoverGroup,
  record: PromotionRecord,
): Promise<false | { stuck?: string }> {
  const progress = await liveProgress(deps, fg, record);
  if (progress.kind === 'completed' || progress.kind === 'gone') return false;
  // A refusal touches nothing more: the volume is released.
  if (progress.kind === 'stuck' && progress.reason === reasons.PromotionRefused) return false;
  return progress.kind === 'stuck' ? { stuck: progress.message } : {};
}

/**
 * Waits for every recorded promotion to end, dropping each record once its
 * volume reports it Completed, refused it (a refusal touches nothing more, so
 * the volume is released), or is gone.
 */
async function finishPromotions(
  deps: { client: ApiClient; cache: CacheWriter },
  fg: FailoverGroup,
): Promise<Settled> {
  const live = await livePromotions(deps, fg);
  if (live.length === 0) return { kind: 'done' };
  const keep: PromotionRecord[] = [];
  let stuck: string | undefined;
  for (const record of live) {
    const held = await holds(deps, fg, record);
    if (held === false) continue;
    keep.push(record);
    stuck ??= held.stuck;
  }
  if (keep.length !== live.length) {
    const { promotions: _, ...rest } = fg.status ?? {};
    const status: FailoverGroupStatus = keep.length > 0 ? { ...rest, promotions: keep } : rest;
    await writeStatus(deps.client, failoverGroupType, fg, status, deps.cache);
    return { kind: 'progress' };
  }
  return stuck !== undefined ? { kind: 'stuck', message: stuck } : { kind: 'progress' };
}

/**
 * The group's out-of-service taints go with it, on nodes back or not: its
 * pods were moved when the taint went on, and without the taint a dead node
 * is simply NotReady again, as Kubernetes leaves it.
 */
async function releaseTaints(
  deps: { client: ApiWriter; cache: CacheReader },
  fg: FailoverGroup,
): Promise<number> {
  const owner = objectKey(fg);
  const ours = deps.cache.list<Node>(coreTypes.node).filter((n) => isFencedBy(n, owner));
  for (const node of ours) await untaintNode(deps.client, node);
  return ours.length;
}

export async function finalizeGroup(
  deps: { client: ApiClient; cache: CacheReader & CacheWriter; recorder: Recorder },
  fg: FailoverGroup,
): Promise<Result> {
  if (!hasFinalizer(fg, finalizers.failoverCleanup)) return done;
  const promotions = await finishPromotions(deps, fg);
  if (promotions.kind === 'progress') return requeueAfter(1_000);
  if (promotions.kind === 'stuck') {
    deps.recorder.warning(
      fg,
      reasons.CleanupBlocked,
      `${promotions.message}; the group is kept until the promotion can finish ` +
        `(remove the finalizer ${finalizers.failoverCleanup} to give it up and repair the claim by hand)`,
    );
    return requeueAfter(15_000);
  }
  const released = await releaseTaints(deps, fg);
  if (released > 0)
    deps.recorder.normal(
      fg,
      reasons.NodeReleased,
      `removed the out-of-service taint from ${String(released)} node(s)`,
    );
  await removeFinalizer(deps.client, failoverGroupType, fg, finalizers.failoverCleanup);
  return done;
}
