// Command lines of the control-plane components. Kept apart from the start-up
// sequence so docs/testing.md and a person debugging can read them in one place.
import { join } from 'node:path';
import type { Pki } from './pki.js';
import type { Timings } from './timings.js';

export interface Ports {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiserver: number;
  readonly controllerManager: number;
  readonly scheduler: number;
  readonly [kwokZone: string]: number;
}

export function etcdArgs(runDir: string, ports: Ports): string[] {
  const client = `http://127.0.0.1:${ports.etcdClient}`;
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  return [
    '--name=svo',
    `--data-dir=${join(runDir, 'etcd')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=svo=${peer}`,
    // Test data is thrown away with the run; fsync would only cost time.
    '--unsafe-no-fsync=true',
    '--quota-backend-bytes=8589934592',
    '--log-level=warn',
  ];
}

export function apiserverArgs(runDir: string, ports: Ports, pki: Pki, timings: Timings): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${ports.apiserver}`,
    `--cert-dir=${join(runDir, 'apiserver-certs')}`,
    `--tls-cert-file=${pki.servingCert}`,
    `--tls-private-key-file=${pki.servingKey}`,
    `--client-ca-file=${pki.caCert}`,
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    '--service-cluster-ip-range=10.96.0.0/16',
    // RBAC on, so permission tests mean something.
    '--authorization-mode=Node,RBAC',
    '--allow-privileged=true',
    // A loopback advertise address cannot be published as the kubernetes
    // Service's endpoint; nothing here runs in-cluster networking anyway.
    '--endpoint-reconciler-type=none',
    `--default-not-ready-toleration-seconds=${timings.defaultNotReadyTolerationSeconds}`,
    `--default-unreachable-toleration-seconds=${timings.defaultUnreachableTolerationSeconds}`,
    '--profiling=false',
    // Every write, with its user agent: benchmarks count the operator's API
    // writes from the server's own record, not from the operator's metrics.
    // Every request of a test's service accounts: a 403 fails the tier.
    `--audit-policy-file=${auditPolicyPath(runDir)}`,
    `--audit-log-path=${auditLogPath(runDir)}`,
    '--audit-log-maxsize=500',
    '--audit-log-maxbackup=1',
    '--v=1',
  ];
}

export function auditPolicyPath(runDir: string): string {
  return join(runDir, 'audit-policy.yaml');
}

export function auditLogPath(runDir: string): string {
  return join(runDir, 'logs', 'audit.log');
}

/**
 * One line per API server restart: from the moment it was stopped to the
 * moment its /readyz answered 200. Until it is ready its authorizer may not
 * have loaded the RBAC rules, and refuses requests its rules allow.
 */
export function apiserverRestartsPath(runDir: string): string {
  return join(runDir, 'apiserver-restarts.jsonl');
}

/**
 * Metadata of every write, and of every request, reads included, of the
 * service accounts tests create: the operator's, a chart's, the runtime
 * fixture's. A list or watch the operator's RBAC refuses shows up as a 403 as
 * surely as a refused write (scripts/test.ts fails the tier on it). The
 * built-in controllers' reads (kube-system accounts) would dwarf the rest.
 */
export const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    userGroups: ["system:serviceaccounts:kube-system"]
    verbs: [get, list, watch]
  - level: Metadata
    userGroups: ["system:serviceaccounts"]
  - level: Metadata
    verbs: [create, update, patch, delete, deletecollection]
  - level: None
`;

function componentAuthArgs(kubeconfig: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
  ];
}

export function controllerManagerArgs(runDir: string, ports: Ports, pki: Pki, timings: Timings): string[] {
  return [
    ...componentAuthArgs(join(runDir, 'kcm.kubeconfig')),
    `--secure-port=${ports.controllerManager}`,
    `--cert-dir=${join(runDir, 'kcm-certs')}`,
    `--service-account-private-key-file=${pki.serviceAccountKey}`,
    `--root-ca-file=${pki.caCert}`,
    // Each controller acts as its own service account, as kubeadm sets it up,
    // so the built-in RBAC roles apply exactly as on a real cluster.
    '--use-service-account-credentials=true',
    `--node-monitor-grace-period=${timings.nodeMonitorGracePeriod}`,
    `--node-monitor-period=${timings.nodeMonitorPeriod}`,
    `--attach-detach-reconcile-sync-period=${timings.attachDetachReconcileSyncPeriod}`,
    '--profiling=false',
    '--v=1',
  ];
}

export function schedulerArgs(runDir: string, ports: Ports): string[] {
  return [
    ...componentAuthArgs(join(runDir, 'scheduler.kubeconfig')),
    `--secure-port=${ports.scheduler}`,
    '--profiling=false',
    '--v=1',
  ];
}

/** Label that ties a node to the KWOK process of its zone; changing it detaches the node. */
export const kwokControllerLabel = 'kwok.stateful.dev/controller';

export function kwokArgs(
  runDir: string,
  zone: string,
  port: number,
  stages: string,
  timings: Timings,
): string[] {
  return [
    `--kubeconfig=${join(runDir, 'kwok.kubeconfig')}`,
    `--config=${stages}`,
    `--manage-nodes-with-label-selector=${kwokControllerLabel}=${zone}`,
    `--server-address=127.0.0.1:${port}`,
    `--node-lease-duration-seconds=${timings.nodeLeaseDurationSeconds}`,
    '--cidr=10.244.0.0/16',
    '--node-ip=127.0.0.1',
  ];
}

// ---- storage -----------------------------------------------------------------

/**
 * Client-side rate limits of the CSI sidecars and the snapshot controller.
 * The defaults are the upstream defaults of every one of them (5 QPS, burst
 * 10), so throughput measured here is what a stock installation gets.
 */
export interface KubeApiLimits {
  readonly qps: number;
  readonly burst: number;
}

export const upstreamKubeApiLimits: KubeApiLimits = { qps: 5, burst: 10 };

export interface CsiPaths {
  readonly socket: string;
  readonly kubeconfig: string;
}

function sidecarArgs(paths: CsiPaths, limits: KubeApiLimits): string[] {
  return [
    `--csi-address=${paths.socket}`,
    `--kubeconfig=${paths.kubeconfig}`,
    // One instance of each, as in a single-replica controller Deployment.
    '--leader-election=false',
    `--kube-api-qps=${limits.qps}`,
    `--kube-api-burst=${limits.burst}`,
    '--v=2',
  ];
}

export function csiProvisionerArgs(paths: CsiPaths, limits: KubeApiLimits): string[] {
  return [
    ...sidecarArgs(paths, limits),
    // Topology is GA (on by default) in v6. Strict: under WaitForFirstConsumer
    // the driver is offered only the selected node's zone, as zonal disks need.
    '--strict-topology=true',
    '--extra-create-metadata=true',
    // A restore copies bytes inside CreateVolume; the default 10 s is tight on a busy 2-core machine.
    '--timeout=60s',
  ];
}

export function csiAttacherArgs(paths: CsiPaths, limits: KubeApiLimits): string[] {
  return sidecarArgs(paths, limits);
}

export function csiResizerArgs(paths: CsiPaths, limits: KubeApiLimits): string[] {
  return sidecarArgs(paths, limits);
}

export function csiSnapshotterArgs(paths: CsiPaths, limits: KubeApiLimits): string[] {
  // Its CSI timeout already defaults to one minute, enough for a snapshot's copy.
  return [...sidecarArgs(paths, limits), '--extra-create-metadata=true'];
}

export function snapshotControllerArgs(kubeconfig: string, limits: KubeApiLimits): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    '--leader-election=false',
    `--kube-api-qps=${limits.qps}`,
    `--kube-api-burst=${limits.burst}`,
    '--v=2',
  ];
}
