// Every controller of the operator, registered on one manager.
import type { Register } from '../operator.js';
import { registerFailoverGroup } from './failovergroup/controller.js';

export const registerControllers: Register = (mgr, config) => {
  registerFailoverGroup(mgr, config);
};
