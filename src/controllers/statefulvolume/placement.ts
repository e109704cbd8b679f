// Where a StatefulVolume's replicas live: one per zone, never two in one zone,
// and never moved once placed (moving a replica would mean copying its data).
// Pure: the caller passes in the zones the cluster's nodes report.
import { statefulVolumeReasons as reasons } from '../../api/v1alpha1/reasons.js';

export interface PlacementInput {
  /** 1 primary + (replicas - 1) standbys. */
  readonly replicas: number;
  /** spec.placement.zones in preference order; empty means every zone that has nodes. */
  readonly allowedZones: readonly string[];
  /** Zones with at least one Ready, schedulable node, mapped to that node count. */
  readonly readyNodesByZone: ReadonlyMap<string, number>;
  /** Zones already holding a replica, primary first when known. Kept as they are. */
  readonly placed: readonly PlacedReplica[];
}

export interface PlacedReplica {
  readonly role: 'Primary' | 'Standby';
  readonly zone: string;
}

export type PlacementProblem =
  | { readonly reason: 'ZoneHasNoNodes'; readonly zone: string }
  | { readonly reason: 'NotEnoughZones'; readonly wanted: number; readonly available: number }
  | { readonly reason: 'UnknownZone'; readonly zone: string };

export interface Placement {
  /** The primary's zone, or undefined when it is left to the scheduler (no zones known yet). */
  readonly primaryZone: string | undefined;
  readonly standbyZones: readonly string[];
  readonly problems: readonly PlacementProblem[];
}

function candidateZones(input: PlacementInput): string[] {
  if (input.allowedZones.length > 0) return [...input.allowedZones];
  return [...input.readyNodesByZone.keys()].sort();
}

function hasNodes(input: PlacementInput, zone: string): boolean {
  return (input.readyNodesByZone.get(zone) ?? 0) > 0;
}

function zoneProblems(input: PlacementInput): PlacementProblem[] {
  const problems: PlacementProblem[] = [];
  for (const zone of input.allowedZones) {
    if (!input.readyNodesByZone.has(zone)) problems.push({ reason: reasons.UnknownZone, zone });
    else if (!hasNodes(input, zone)) problems.push({ reason: reasons.ZoneHasNoNodes, zone });
  }
  return problems;
}

function keptReplicas(input: PlacementInput): { primary: string | undefined; standbys: string[] } {
  const primary = input.placed.find((r) => r.role === 'Primary')?.zone;
  const used = new Set(primary !== undefined ? [primary] : []);
  const standbys: string[] = [];
  for (const r of input.placed) {
    if (r.role !== 'Standby' || used.has(r.zone)) continue;
    used.add(r.zone);
    standbys.push(r.zone);
  }
  return { primary, standbys };
}

/**
 * Picks a zone for every replica. Existing replicas keep their zones; new ones
 * take the next preferred zones that have Ready nodes. A zone without nodes is
 * reported, never used for a new replica.
 */
export function planPlacement(input: PlacementInput): Placement {
  const problems = zoneProblems(input);
  const kept = keptReplicas(input);
  const used = new Set([...kept.standbys, ...(kept.primary !== undefined ? [kept.primary] : [])]);
  const free = candidateZones(input).filter((z) => !used.has(z) && hasNodes(input, z));
  // A lone replica with no zone list is left to the scheduler (WaitForFirstConsumer
  // puts it where its pod lands); with standbys, the primary needs a zone now so
  // that no standby can end up beside it.
  const pinPrimary = input.allowedZones.length > 0 || input.replicas > 1;
  const primaryZone = kept.primary ?? (pinPrimary ? free.shift() : undefined);
  const wantedStandbys = Math.max(0, input.replicas - 1);
  const standbyZones = [...kept.standbys, ...free].slice(0, wantedStandbys);
  const placedCount = (primaryZone !== undefined || !pinPrimary ? 1 : 0) + standbyZones.length;
  if (placedCount < input.replicas) {
    problems.push({ reason: reasons.NotEnoughZones, wanted: input.replicas, available: placedCount });
  }
  return { primaryZone, standbyZones, problems };
}

export function describeProblem(p: PlacementProblem): string {
  switch (p.reason) {
    case reasons.ZoneHasNoNodes:
      return `zone ${p.zone} has no Ready node; replicas are not placed there until one is Ready`;
    case reasons.UnknownZone:
      return `zone ${p.zone} is listed in spec.placement.zones but no node reports it; check the zone names`;
    case reasons.NotEnoughZones:
      return `${p.wanted} replicas need ${p.wanted} zones with Ready nodes, only ${p.available} can be used; add zones to spec.placement.zones or lower spec.placement.replicas`;
  }
}
