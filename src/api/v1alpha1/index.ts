// The API of storage.stateful.dev/v1alpha1 as the operator uses it: the
// generated types and constants, and the meaning of schedule macros.
export * from './types.generated.js';
export { expandSchedule, scheduleMacros, type ScheduleMacro } from './schedule.js';
