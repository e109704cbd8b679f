// Should the group move to another zone while its active zone still runs? A
// person asks for it with the promote annotation (reason Manual), or failback
// Automatic moves the group back to its preferred zone once every node there
// has been Ready for failbackDelaySeconds (reason Failback). A zone that is
// lost is zone-step.ts's business, not this. Pure.
import { failoverGroupReasons as reasons } from '../../api/v1alpha1/reasons.js';
import type { HealthReport } from './health.js';
import { zoneHealth } from './health.js';

export interface SwitchInput {
  /** spec.zones, in preference order. */
  zones: readonly string[];
  activeZone: string;
  failback: 'Manual' | 'Automatic';
  failbackDelaySeconds: number;
  /** The zone a person asked for with the promote annotation. */
  requestedZone?: string;
  report: HealthReport;
  /** Per zone: when its last node became Ready; absent when unknown. */
  readySince: ReadonlyMap<string, Date>;
  /** A failover of any kind that has not completed. */
  inProgress: boolean;
  now: Date;
}

export type SwitchDecision =
  | { action: 'none' }
  /** Not yet, or not possible as asked: said in status, looked at again after retryAfterMs. */
  | { action: 'wait'; reason: string; message: string; retryAfterMs: number }
  | { action: 'switch'; reason: 'Manual' | 'Failback'; to: string };

const none: SwitchDecision = { action: 'none' };
const recheckMs = 15_000;

/** Every node of the zone Ready (and there is at least one). */
function whole(report: HealthReport, zone: string): boolean {
  const h = zoneHealth([zone], report)[0];
  return h !== undefined && h.nodes > 0 && h.readyNodes === h.nodes;
}

function runs(report: HealthReport, zone: string): boolean {
  const h = zoneHealth([zone], report)[0];
  return h !== undefined && h.readyNodes > 0;
}

function requested(input: SwitchInput, to: string): SwitchDecision {
  if (!input.zones.includes(to))
    return {
      action: 'wait',
      reason: reasons.UnknownZone,
      message: `the promote annotation asks for zone ${to}, which is not in spec.zones`,
      retryAfterMs: recheckMs,
    };
  if (!whole(input.report, to))
    return {
      action: 'wait',
      reason: reasons.TargetZoneUnhealthy,
      message: `moving to ${to} as the promote annotation asks once every node there is Ready`,
      retryAfterMs: recheckMs,
    };
  return { action: 'switch', reason: 'Manual', to };
}

function failback(input: SwitchInput): SwitchDecision {
  const preferred = input.zones[0];
  if (preferred === undefined || preferred === input.activeZone) return none;
  if (!whole(input.report, preferred)) return none;
  const since = input.readySince.get(preferred);
  const readyForMs = since === undefined ? 0 : input.now.getTime() - since.getTime();
  const waitMs = input.failbackDelaySeconds * 1000 - readyForMs;
  if (since === undefined || waitMs > 0)
    return {
      action: 'wait',
      reason: 'FailbackPending',
      message: `every node of ${preferred} is Ready; moving back after failbackDelaySeconds ${String(input.failbackDelaySeconds)}`,
      retryAfterMs: Math.max(1_000, Math.min(waitMs, recheckMs * 4)),
    };
  return { action: 'switch', reason: 'Failback', to: preferred };
}

export function decideSwitch(input: SwitchInput): SwitchDecision {
  if (input.inProgress || input.report.kind !== 'Assessed') return none;
  // A lost active zone is promoted away from by zone-step.ts, with its own rules.
  if (!runs(input.report, input.activeZone)) return none;
  const to = input.requestedZone;
  if (to !== undefined && to !== input.activeZone) return requested(input, to);
  return input.failback === 'Automatic' ? failback(input) : none;
}
