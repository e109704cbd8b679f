export { failoverGroupType } from '../kinds.js';
