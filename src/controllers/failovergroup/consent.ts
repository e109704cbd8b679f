// May the operator fence this failed node? Fencing taints a whole node, which
// evicts every tenant's pods on it, so whether and where it may happen is the
// cluster administrator's decision (operator flags), never a namespace
// tenant's (a FailoverGroup only asks). Pure: the caller passes the policy and
// what it observed.
import { failoverGroupReasons as reasons } from '../../api/v1alpha1/reasons.js';
import type { LabelSelector } from '../../api/v1alpha1/types.generated.js';
import { annotations } from '../../api/v1alpha1/vocabulary.js';
import { matchesSelector } from '../volumebackuppolicy/select.js';
import type { Node } from './fence.js';
import { cloudShutdownTaintKey, shutdownVerdict, type ShutdownInput } from './shutdown.js';

/**
 * Disabled: never fence. ConfirmedShutdown: Lease silence, the Ready condition
 * False or Unknown, and a confirmation that the node is shut down
 * (shutdown.ts), as KEP-2268 asks. LeaseSilence: Lease silence alone, fast
 * but unsafe for a node that is only restarting its kubelet or cut off.
 */
export const fencingModes = ['Disabled', 'ConfirmedShutdown', 'LeaseSilence'] as const;
export type FencingMode = (typeof fencingModes)[number];

export interface FencingPolicy {
  mode: FencingMode;
  /** Nodes that may ever be tainted; an empty selector allows every node. */
  nodeSelector: LabelSelector;
  /** The selector as the administrator wrote it, for messages. */
  nodeSelectorText: string;
}

export const defaultFencingPolicy: FencingPolicy = {
  mode: 'ConfirmedShutdown',
  nodeSelector: {},
  nodeSelectorText: '',
};

/** Reasons of the Degraded condition and of the Warning Event when a failed node may not be fenced. */
export const fencingRefusalReasons = {
  disabled: reasons.FencingDisabled,
  notEligible: reasons.NodeNotEligible,
  awaiting: reasons.AwaitingShutdownConfirmation,
} as const;
export type FencingRefusalReason = (typeof fencingRefusalReasons)[keyof typeof fencingRefusalReasons];

export type Consent =
  { allowed: true; evidence: string } | { allowed: false; reason: FencingRefusalReason; message: string };

export interface ConsentInput {
  policy: FencingPolicy;
  node: Node;
  /** Seconds of watched Lease silence that made the node Failed. */
  silentSeconds: number;
  shutdown: Omit<ShutdownInput, 'node'>;
}

function readyStatus(node: Node): string {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'missing';
}

function awaiting(name: string, silent: string, why: string): Consent {
  return {
    allowed: false,
    reason: fencingRefusalReasons.awaiting,
    message:
      `node ${name} is silent (${silent}) but not confirmed shut down: ${why}. It is fenced once the cloud ` +
      `provider taints it ${cloudShutdownTaintKey} or a fencing agent that powered it off annotates it ` +
      `${annotations.shutdownConfirmedAt}=<RFC 3339 time> (--fencing-mode=ConfirmedShutdown)`,
  };
}

export function fencingConsent(input: ConsentInput): Consent {
  const { policy, node } = input;
  const name = node.metadata.name ?? '';
  const silent = `Lease not renewed for ${input.silentSeconds.toFixed(0)} s`;
  if (policy.mode === 'Disabled')
    return {
      allowed: false,
      reason: fencingRefusalReasons.disabled,
      message:
        `node ${name} failed (${silent}), but the cluster administrator has disabled fencing ` +
        '(--fencing-mode=Disabled): recover the node, or once it is shut down taint it ' +
        'node.kubernetes.io/out-of-service=nodeshutdown:NoExecute by hand',
    };
  if (!matchesSelector(node.metadata.labels, policy.nodeSelector))
    return {
      allowed: false,
      reason: fencingRefusalReasons.notEligible,
      message:
        `node ${name} failed (${silent}), but it is outside the nodes the cluster administrator lets the ` +
        `operator fence (--fencing-node-selector=${policy.nodeSelectorText})`,
    };
  if (policy.mode === 'LeaseSilence')
    return { allowed: true, evidence: `${silent} (--fencing-mode=LeaseSilence)` };
  const ready = readyStatus(node);
  if (ready !== 'False' && ready !== 'Unknown')
    return awaiting(name, silent, `its Ready condition is ${ready}, not yet False or Unknown`);
  const verdict = shutdownVerdict({ node, ...input.shutdown });
  if (!verdict.confirmed) return awaiting(name, silent, verdict.why);
  return { allowed: true, evidence: `${silent}, Ready ${ready}, shut down per ${verdict.by}` };
}
