// Is a node really gone? Fencing a node that is alive can corrupt data (two
// writers on one volume), so a node counts as failed only when every piece of
// evidence agrees, and the operator refuses to fence when what it sees looks
// more like its own trouble than the node's:
//
// 1. The node's Lease (kube-node-lease) has not been renewed for detectionSeconds, and for at least
//    twice the interval at which this node was seen renewing it (a kubelet renews every 10 s by
//    default; 10 s is assumed until an interval has been seen), measured on the operator's own clock
//    from when it first saw the current renewTime (clock skew between kubelet and operator does not
//    matter). The Ready condition is not waited for: the node lifecycle controller derives it from
//    the same Lease, 40 s or more later. A node that reports NotReady while renewing its Lease has a
//    live kubelet and is never fenced, only reported.
// 2. (kept numbering) The node's Ready condition, where it says NotReady, makes the node Suspect.
// 3. The operator's view was live for that whole window: its watch of Leases was connected, so "not
//    renewed" is not "not heard about". Callers pass when that view last (re)started.
// 4. Not every node looks unhealthy at once, and not a majority of all nodes: a whole cluster going
//    quiet at the same moment is an API server, etcd or network partition seen from here.
//
// Everything is passed in; nothing here reads the clock or the API.
import { failoverGroupReasons as reasons } from '../../api/v1alpha1/reasons.js';

export interface NodeObservation {
  name: string;
  zone: string | undefined;
  /** status of the node's Ready condition; undefined when it has none. */
  ready: 'True' | 'False' | 'Unknown' | undefined;
  /** When the operator first saw the node's current Lease renewTime (its own clock). */
  leaseSeenAt: Date | undefined;
  /** Seconds between the last two renewals the operator saw; undefined until it saw two. */
  heartbeatIntervalSeconds?: number;
}

/** A kubelet's default Lease renew interval, assumed until a node's own has been seen. */
export const assumedHeartbeatSeconds = 10;

export interface HealthInput {
  nodes: readonly NodeObservation[];
  now: Date;
  detectionSeconds: number;
  /** When the operator's node and Lease watches last became live (start or reconnect). */
  viewLiveSince: Date;
}

export type NodeVerdict =
  | { name: string; zone: string | undefined; state: 'Healthy' }
  | { name: string; zone: string | undefined; state: 'Suspect'; failedForSeconds: number }
  | { name: string; zone: string | undefined; state: 'Failed'; failedForSeconds: number };

export type HealthReport =
  | { kind: 'Assessed'; nodes: NodeVerdict[] }
  /** The operator cannot tell node failure from its own partition: fence nothing. */
  | {
      kind: 'Unsure';
      reason: 'ViewNotLiveLongEnough' | 'MostNodesUnhealthy';
      message: string;
      nodes: NodeVerdict[];
    };

function silentSeconds(node: NodeObservation, now: Date): number {
  if (node.leaseSeenAt === undefined) return Infinity;
  return Math.max(0, (now.getTime() - node.leaseSeenAt.getTime()) / 1000);
}

/** Silence that proves a node gone: the configured detection time, but never under two heartbeats. */
export function requiredSilence(node: NodeObservation, detectionSeconds: number): number {
  return Math.max(detectionSeconds, 2 * (node.heartbeatIntervalSeconds ?? assumedHeartbeatSeconds));
}

/** Seconds of silence that make a node Suspect: half a heartbeat late. */
function lateAfter(node: NodeObservation): number {
  return 1.5 * (node.heartbeatIntervalSeconds ?? assumedHeartbeatSeconds);
}

/** Watched silence: a window the operator did not watch in full is not evidence of silence. */
function evidenceOf(node: NodeObservation, input: HealthInput): number {
  const liveFor = (input.now.getTime() - input.viewLiveSince.getTime()) / 1000;
  return Math.min(silentSeconds(node, input.now), liveFor);
}

function verdict(node: NodeObservation, input: HealthInput): NodeVerdict {
  const { name, zone } = node;
  const evidence = evidenceOf(node, input);
  const required = requiredSilence(node, input.detectionSeconds);
  if (evidence >= required) return { name, zone, state: 'Failed', failedForSeconds: evidence };
  if (evidence > lateAfter(node) || node.ready !== 'True')
    return { name, zone, state: 'Suspect', failedForSeconds: evidence };
  return { name, zone, state: 'Healthy' };
}

/**
 * Seconds until silence alone could change the verdict of one of the named
 * nodes (Healthy to Suspect, Suspect to Failed), if no renewal comes first.
 * Silence sends no event, so the caller must look again by itself then; a
 * caller that waited for the next event would wait for the node lifecycle
 * controller's NotReady, 40 s or more later. Undefined when none can change.
 */
export function secondsUntilVerdictChange(
  input: HealthInput,
  names: ReadonlySet<string>,
): number | undefined {
  let soonest: number | undefined;
  for (const node of input.nodes) {
    if (!names.has(node.name)) continue;
    const evidence = evidenceOf(node, input);
    for (const threshold of [lateAfter(node), requiredSilence(node, input.detectionSeconds)]) {
      if (evidence >= threshold) continue;
      soonest = Math.min(soonest ?? Infinity, threshold - evidence);
    }
  }
  return soonest;
}

export function assessNodes(input: HealthInput): HealthReport {
  const nodes = input.nodes.map((n) => verdict(n, input));
  const unhealthy = nodes.filter((n) => n.state !== 'Healthy').length;
  if (nodes.length > 0 && unhealthy * 2 > nodes.length) {
    return {
      kind: 'Unsure',
      reason: 'MostNodesUnhealthy',
      message:
        `${String(unhealthy)} of ${String(nodes.length)} nodes look unhealthy at once: that is more likely the ` +
        'control plane or the network than the nodes, so nothing is fenced until most nodes are Ready again.',
      nodes,
    };
  }
  const liveFor = (input.now.getTime() - input.viewLiveSince.getTime()) / 1000;
  const suspects = input.nodes.filter((_, i) => nodes[i]?.state !== 'Healthy');
  if (suspects.some((n) => liveFor < requiredSilence(n, input.detectionSeconds))) {
    return {
      kind: 'Unsure',
      reason: 'ViewNotLiveLongEnough',
      message:
        `the operator has watched nodes for only ${liveFor.toFixed(0)} s since it (re)connected; a node is ` +
        `declared failed only after ${String(input.detectionSeconds)} s (and two heartbeats) of watched silence.`,
      nodes,
    };
  }
  return { kind: 'Assessed', nodes };
}

/** Nodes that may be fenced: Failed in an Assessed report, and hosting the group's pods. */
export function nodesToFence(report: HealthReport, groupNodes: ReadonlySet<string>): NodeVerdict[] {
  if (report.kind !== 'Assessed') return [];
  return report.nodes.filter((n) => n.state === 'Failed' && groupNodes.has(n.name));
}

export interface ZoneHealth {
  zone: string;
  readyNodes: number;
  /** Nodes confirmed Failed (not merely Suspect). */
  failedNodes: number;
  nodes: number;
}

/** Per zone of the group: how many of its nodes are Ready. Zones with no nodes at all are listed too. */
export function zoneHealth(zones: readonly string[], report: HealthReport): ZoneHealth[] {
  return zones.map((zone) => {
    const inZone = report.nodes.filter((n) => n.zone === zone);
    return {
      zone,
      nodes: inZone.length,
      readyNodes: inZone.filter((n) => n.state === 'Healthy').length,
      failedNodes: inZone.filter((n) => n.state === 'Failed').length,
    };
  });
}

export interface PromotionCandidate {
  zone: string;
  /** The standby replica in that zone, if any, and the time of the backup it holds. */
  standby?: { claim: string; backupTakenAt: Date | undefined };
}

export type PromotionDecision =
  | { action: 'stay'; reason: 'ActiveZoneHealthy' | 'Unsure' | 'ZoneSuspect' }
  | { action: 'promote'; zone: string; claim: string; dataLossSeconds: number }
  | {
      action: 'refuse';
      reason: 'NoHealthyZone' | 'NoStandby' | 'DataLossTooLarge' | 'ManualPromotion';
      message: string;
    };

export interface PromotionInput {
  activeZone: string;
  /** spec.zones in preference order. */
  zones: readonly string[];
  report: HealthReport;
  candidates: readonly PromotionCandidate[];
  promotion: 'Automatic' | 'Manual';
  maxDataLossSeconds: number | undefined;
  now: Date;
  /**
   * A zone a person asked to promote (annotation storage.stateful.dev/promote on the group): that zone's
   * standby is promoted whatever the promotion policy and data loss limit, if the zone is healthy.
   */
  requestedZone?: string;
}

/** Whether to promote a standby when the active zone is lost, and which one. */
export function decidePromotion(input: PromotionInput): PromotionDecision {
  if (input.report.kind === 'Unsure') return { action: 'stay', reason: 'Unsure' };
  const health = zoneHealth(input.zones, input.report);
  const active = health.find((z) => z.zone === input.activeZone);
  if (active !== undefined && active.readyNodes > 0) return { action: 'stay', reason: 'ActiveZoneHealthy' };
  // A zone is lost only when every one of its nodes is confirmed Failed, not while some are merely late.
  if (active !== undefined && active.failedNodes < active.nodes)
    return { action: 'stay', reason: 'ZoneSuspect' };
  const healthy = health.filter((z) => z.zone !== input.activeZone && z.readyNodes > 0).map((z) => z.zone);
  if (healthy.length === 0)
    return {
      action: 'refuse',
      reason: reasons.NoHealthyZone,
      message: 'no other zone of spec.zones has a Ready node',
    };
  const order = input.requestedZone !== undefined ? [input.requestedZone] : healthy;
  const withStandby = order
    .filter((zone) => healthy.includes(zone))
    .map((zone) => input.candidates.find((c) => c.zone === zone))
    .find(
      (c): c is PromotionCandidate & { standby: NonNullable<PromotionCandidate['standby']> } =>
        c?.standby !== undefined,
    );
  if (withStandby === undefined)
    return {
      action: 'refuse',
      reason: reasons.NoStandby,
      message:
        input.requestedZone !== undefined
          ? `promotion to ${input.requestedZone} was asked for, but that zone has no Ready node or no standby replica`
          : `no standby replica in a healthy zone (${healthy.join(', ')}); add replicas to spec.placement`,
    };
  return promoteOrRefuse(withStandby.zone, withStandby.standby, input);
}

function promoteOrRefuse(
  zone: string,
  standby: { claim: string; backupTakenAt: Date | undefined },
  input: PromotionInput,
): PromotionDecision {
  const loss =
    standby.backupTakenAt === undefined
      ? Infinity
      : (input.now.getTime() - standby.backupTakenAt.getTime()) / 1000;
  if (input.requestedZone === zone)
    return { action: 'promote', zone, claim: standby.claim, dataLossSeconds: loss };
  if (input.promotion === 'Manual')
    return {
      action: 'refuse',
      reason: reasons.ManualPromotion,
      message:
        `zone ${input.activeZone} is lost; to promote ${standby.claim} in ${zone}, annotate the group ` +
        `storage.stateful.dev/promote=${zone} (data loss window ${fmt(loss)})`,
    };
  if (input.maxDataLossSeconds !== undefined && loss > input.maxDataLossSeconds)
    return {
      action: 'refuse',
      reason: reasons.DataLossTooLarge,
      message:
        `the standby in ${zone} holds a backup ${fmt(loss)} old, more than maxDataLossSeconds ` +
        `(${String(input.maxDataLossSeconds)} s); if losing that is acceptable, annotate the group ` +
        `storage.stateful.dev/promote=${zone}`,
    };
  return { action: 'promote', zone, claim: standby.claim, dataLossSeconds: loss };
}

function fmt(seconds: number): string {
  return Number.isFinite(seconds) ? `${seconds.toFixed(0)} s` : 'unknown (no backup)';
}
