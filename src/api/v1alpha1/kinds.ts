// The four kinds of storage.stateful.dev/v1alpha1, in the order they are
// documented. The generator and the schema tests walk this list.
import { failoverGroup } from './failovergroup.js';
import type { KindDefinition } from './schema.js';
import { statefulVolume } from './statefulvolume.js';
import { volumeBackup } from './volumebackup.js';
import { volumeBackupPolicy } from './volumebackuppolicy.js';

export { category, group, version } from './common.js';

export const kinds: readonly KindDefinition[] = [
  statefulVolume,
  volumeBackupPolicy,
  volumeBackup,
  failoverGroup,
];
