// Every controller of the operator, registered on one manager.
import type { Register } from '../operator.js';
import { registerFailoverGroup } from './failovergroup/controller.js';
import { registerStatefulVolume } from './statefulvolume/controller.js';
import { registerVolumeBackup } from './volumebackup/controller.js';
import { registerVolumeBackupPolicy } from './volumebackuppolicy/controller.js';

export const registerControllers: Register = (mgr, config) => {
  registerFailoverGroup(mgr, config);
  registerStatefulVolume(mgr, config);
  registerVolumeBackup(mgr, config);
  registerVolumeBackupPolicy(mgr, config);
};
