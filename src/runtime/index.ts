// The controller runtime's public face. Nothing here knows about storage:
// controllers in src/controllers are built from these pieces.
export { Cache } from './cache.js';
export type { ApiClient, ApiReader, ApiWriter, CacheReader, CacheWriter, Recorder } from './capabilities.js';
export { ManualClock, microTime, rfc3339, systemClock, type Clock } from './clock.js';
export {
  findCondition,
  isConditionTrue,
  removeCondition,
  setCondition,
  type Condition,
  type ConditionStatus,
  type ConditionUpdate,
} from './conditions.js';
export {
  Controller,
  labelKeys,
  ownerKeys,
  type ControllerSpec,
  type ReconcileContext,
  type ReconcileRequest,
  type Reconciler,
  type WatchSpec,
} from './controller.js';
export { EventRecorder, type EventType } from './events.js';
export { addFinalizer, hasFinalizer, removeFinalizer } from './finalizers.js';
export { Informer, type InformerEvent, type InformerHandler } from './informer.js';
export { LeaderElector, defaultLeaderTimings, type LeaderElectionOptions } from './leaderelection.js';
export { Manager, type ManagerOptions, type RunOutcome } from './manager.js';
export { WorkQueue, backoffDelay, defaultBackoff, type BackoffPolicy } from './queue.js';
export { TerminalError, done, requeueAfter, soonest, type Result } from './result.js';
export { canonicalJson, sameJson, writeStatus } from './status.js';
