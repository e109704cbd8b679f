// Failure-detection timings. "default" is what users live with on a stock
// cluster (the baseline for benchmarks); "fast" shrinks every wait so failure
// tests finish in seconds while keeping the same order of events.
export type TimingProfile = 'fast' | 'default';

export interface Timings {
  /** kube-controller-manager --node-monitor-grace-period: no heartbeat for this long marks a node NotReady. */
  readonly nodeMonitorGracePeriod: string;
  /** kube-controller-manager --node-monitor-period: how often node health is checked. */
  readonly nodeMonitorPeriod: string;
  /** KWOK --node-lease-duration-seconds: lease duration; renewed every quarter of it, like a kubelet. */
  readonly nodeLeaseDurationSeconds: number;
  /** kube-apiserver default tolerations for not-ready / unreachable taints, in seconds. */
  readonly defaultNotReadyTolerationSeconds: number;
  readonly defaultUnreachableTolerationSeconds: number;
  /** kube-controller-manager --attach-detach-reconcile-sync-period. */
  readonly attachDetachReconcileSyncPeriod: string;
}

export const timingProfiles: Record<TimingProfile, Timings> = {
  default: {
    nodeMonitorGracePeriod: '50s',
    nodeMonitorPeriod: '5s',
    nodeLeaseDurationSeconds: 40,
    defaultNotReadyTolerationSeconds: 300,
    defaultUnreachableTolerationSeconds: 300,
    attachDetachReconcileSyncPeriod: '1m0s',
  },
  fast: {
    nodeMonitorGracePeriod: '8s',
    nodeMonitorPeriod: '1s',
    nodeLeaseDurationSeconds: 4,
    defaultNotReadyTolerationSeconds: 10,
    defaultUnreachableTolerationSeconds: 10,
    attachDetachReconcileSyncPeriod: '5s',
  },
};

export function parseTimingProfile(value: string | undefined): TimingProfile {
  if (value === undefined || value === '') return 'fast';
  if (value === 'fast' || value === 'default') return value;
  throw new Error(`unknown timing profile "${value}": use "fast" or "default"`);
}
