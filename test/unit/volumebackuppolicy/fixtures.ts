// Small builders for the policy controller's unit tests.
import type { StatefulVolume } from '../../../src/api/v1alpha1/types.generated.js';
import type { Backup, Policy } from '../../../src/controllers/volumebackuppolicy/types.js';

export function volume(
  name: string,
  labels: Record<string, string> = {},
  extra: Partial<StatefulVolume> = {},
): StatefulVolume {
  return {
    apiVersion: 'storage.stateful.dev/v1alpha1',
    kind: 'StatefulVolume',
    metadata: { name, namespace: 'ns', labels, creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { size: '1Gi' },
    ...extra,
  };
}

export function backup(
  name: string,
  opts: {
    volume?: string;
    policy?: string;
    phase?: 'Pending' | 'InProgress' | 'Ready' | 'Failed' | 'Deleting';
    run?: string;
    startedAt?: string;
    annotations?: Record<string, string>;
  } = {},
): Backup {
  const annotations = {
    ...opts.annotations,
    ...(opts.run !== undefined ? { 'storage.stateful.dev/scheduled-time': opts.run } : {}),
  };
  return {
    apiVersion: 'storage.stateful.dev/v1alpha1',
    kind: 'VolumeBackup',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      annotations,
      creationTimestamp: '2024-01-01T00:00:00Z',
    },
    spec: {
      volumeName: opts.volume ?? 'a',
      ...(opts.policy !== undefined ? { policyName: opts.policy } : {}),
    },
    ...(opts.phase !== undefined || opts.startedAt !== undefined
      ? {
          status: {
            ...(opts.phase !== undefined ? { phase: opts.phase } : {}),
            ...(opts.startedAt !== undefined ? { startedAt: opts.startedAt } : {}),
          },
        }
      : {}),
  };
}

export function policy(spec: Partial<Policy['spec']> = {}, status?: Policy['status']): Policy {
  return {
    apiVersion: 'storage.stateful.dev/v1alpha1',
    kind: 'VolumeBackupPolicy',
    metadata: {
      name: 'nightly',
      namespace: 'ns',
      uid: 'uid-policy',
      generation: 3,
      creationTimestamp: '2024-01-01T00:00:00Z',
    },
    spec: { schedule: '0 * * * *', timeZone: 'UTC', volumes: ['a'], ...spec },
    ...(status !== undefined ? { status } : {}),
  };
}
