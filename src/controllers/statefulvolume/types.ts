export { statefulVolumeType, volumeBackupType } from '../kinds.js';
