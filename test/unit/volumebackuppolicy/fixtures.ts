// Small builders for the policy controller's unit tests.
import type { StatefulVolume } from '../../../src/api/v1alpha1/types.generated.js';
import { annotations as names } from '../../../src/api/v1alpha1/vocabulary.js';
import type { Backup, Policy } from '../../../src/controllers/volumebackuppolicy/types.js';
import { statefulVolume, volumeBackup, volumeBackupPolicy } from '../../support/builders.js';

const created = '2024-01-01T00:00:00Z';

/** Volume `name` of namespace ns, created at the start of 2024. */
export function volume(
  name: string,
  labels: Record<string, string> = {},
  extra: Partial<StatefulVolume> = {},
): StatefulVolume {
  return {
    ...statefulVolume('ns', name, { metadata: { labels, creationTimestamp: created } }),
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
    ...(opts.run !== undefined ? { [names.scheduledTime]: opts.run } : {}),
  };
  const status = {
    ...(opts.phase !== undefined ? { phase: opts.phase } : {}),
    ...(opts.startedAt !== undefined ? { startedAt: opts.startedAt } : {}),
  };
  return volumeBackup('ns', name, opts.volume ?? 'a', {
    metadata: { uid: `uid-${name}`, annotations, creationTimestamp: created },
    spec: opts.policy !== undefined ? { policyName: opts.policy } : {},
    status: Object.keys(status).length > 0 ? status : undefined,
  });
}

/** Policy nightly of namespace ns, at generation 3, of volume a unless `spec` says otherwise. */
export function policy(spec: Partial<Policy['spec']> = {}, status?: Policy['status']): Policy {
  return volumeBackupPolicy('ns', 'nightly', {
    metadata: { uid: 'uid-policy', generation: 3, creationTimestamp: created },
    spec: { volumes: ['a'], ...spec },
    status,
  });
}
