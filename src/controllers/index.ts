// Every controller of the operator, registered on one manager.
import type { Register } from '../operator.js';

export const registerControllers: Register = () => {
  // Controllers are added here as they land (StatefulVolume first).
};
