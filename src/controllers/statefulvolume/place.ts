// Step: where the replicas go, from what the node cache shows now and where
// replicas already are. The decision itself is planPlacement (placement.ts);
// this step only gathers its inputs and the node each new claim is pinned to.
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { NodeView } from '../../runtime/projections.js';
import type { StatefulVolume } from '../../api/v1alpha1/types.generated.js';
import { labelValue } from '../../kube/names.js';
import { coreTypes } from '../../kube/resource.js';
import type { Stored } from '../../kube/wire.js';
import type { CacheReader } from '../../runtime/capabilities.js';
import { labels } from '../../api/v1alpha1/vocabulary.js';
import { claimNameOf } from './claim.js';
import { planPlacement, type Placement, type PlacedReplica } from './placement.js';

export const defaultTopologyKey = 'topology.kubernetes.io/zone';

export interface PlacementView extends Placement {
  readonly topologyKey: string;
  /** A Ready node of each zone, written as the claim's selected node to provision it there. */
  readonly pinNodeOf: (zone: string) => string | undefined;
  readonly zoneOfNode: (node: string) => string | undefined;
}

type Node = NodeView;
type Claim = Stored<V1PersistentVolumeClaim>;

export function isReadyNode(node: Node): boolean {
  if (node.spec?.unschedulable === true) return false;
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** Zones with their Ready nodes, sorted by name so the pinned node is stable. */
export function readyNodesByZone(nodes: readonly Node[], topologyKey: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const node of nodes) {
    const zone = node.metadata.labels?.[topologyKey];
    if (zone === undefined) continue;
    const list = out.get(zone) ?? [];
    if (isReadyNode(node)) list.push(node.metadata.name ?? '');
    out.set(zone, list);
  }
  for (const list of out.values()) list.sort();
  return out;
}

/** The zone a bound claim's volume lives in, from the PV's node affinity. */
export function zoneOfVolume(
  pv: Stored<V1PersistentVolume> | undefined,
  topologyKey: string,
): string | undefined {
  for (const term of pv?.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? []) {
    const expr = term.matchExpressions?.find((e) => e.key === topologyKey && e.operator === 'In');
    if (expr?.values?.length === 1) return expr.values[0];
  }
  return undefined;
}

export function standbyClaimsOf(deps: { cache: CacheReader }, vol: StatefulVolume): Claim[] {
  const name = vol.metadata.name ?? '';
  return deps.cache.list<Claim>(
    coreTypes.persistentVolumeClaim,
    vol.metadata.namespace,
    (c) =>
      c.metadata.labels?.[labels.volume] === labelValue(name) &&
      c.metadata.labels[labels.role] === 'standby' &&
      c.metadata.ownerReferences?.some((o) => o.uid === vol.metadata.uid) === true,
  );
}

/**
 * The primary's zone: where its claim is (label, then the bound PV) and, only
 * while the claim is out of view, what status said. The claim wins because a
 * failover may rebind the claim to a volume in another zone.
 */
function primaryZone(
  deps: { cache: CacheReader },
  vol: StatefulVolume,
  topologyKey: string,
): string | undefined {
  const claim = deps.cache.get<Claim>(
    coreTypes.persistentVolumeClaim,
    vol.metadata.namespace,
    claimNameOf(vol),
  );
  if (claim === undefined) return vol.status?.primary?.zone;
  const labelled = claim.metadata.labels?.[labels.zone];
  if (labelled !== undefined) return labelled;
  return zoneOfVolume(boundVolume(deps, claim), topologyKey) ?? vol.status?.primary?.zone;
}

/**
 * The claim's PV, only once the claim is Bound: the binder sets volumeName an
 * update before the phase, and a zone reported in between would cost a status
 * write of its own a moment before the one that says Bound.
 */
function boundVolume(deps: { cache: CacheReader }, claim: Claim): Stored<V1PersistentVolume> | undefined {
  const pvName = claim.status?.phase === 'Bound' ? claim.spec?.volumeName : undefined;
  if (pvName === undefined || pvName === '') return undefined;
  return deps.cache.get<Stored<V1PersistentVolume>>(coreTypes.persistentVolume, undefined, pvName);
}

function placedReplicas(
  deps: { cache: CacheReader },
  vol: StatefulVolume,
  topologyKey: string,
): PlacedReplica[] {
  const placed: PlacedReplica[] = [];
  const primary = primaryZone(deps, vol, topologyKey);
  if (primary !== undefined) placed.push({ role: 'Primary', zone: primary });
  for (const claim of standbyClaimsOf(deps, vol)) {
    const zone = claim.metadata.labels?.[labels.zone];
    if (zone !== undefined) placed.push({ role: 'Standby', zone });
  }
  return placed;
}

export function placeReplicas(deps: { cache: CacheReader }, vol: StatefulVolume): PlacementView {
  const topologyKey = vol.spec.placement?.topologyKey ?? defaultTopologyKey;
  const nodes = deps.cache.list<Node>(coreTypes.node);
  const byZone = readyNodesByZone(nodes, topologyKey);
  const plan = planPlacement({
    replicas: vol.spec.placement?.replicas ?? 1,
    allowedZones: vol.spec.placement?.zones ?? [],
    readyNodesByZone: new Map([...byZone].map(([zone, list]) => [zone, list.length])),
    placed: placedReplicas(deps, vol, topologyKey),
  });
  const zoneByNode = new Map(nodes.map((n) => [n.metadata.name ?? '', n.metadata.labels?.[topologyKey]]));
  return {
    ...plan,
    topologyKey,
    pinNodeOf: (zone) => byZone.get(zone)?.[0],
    zoneOfNode: (node) => zoneByNode.get(node),
  };
}
