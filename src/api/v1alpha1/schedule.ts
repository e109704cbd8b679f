// The @ macros a VolumeBackupPolicy schedule accepts, with the 5-field
// expression each stands for. The schema's pattern is built from this list,
// and the scheduler expands a macro with it before parsing, because not every
// cron library knows all of them (cron-parser 5 has no @midnight).
export const scheduleMacros = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
} as const;

export type ScheduleMacro = keyof typeof scheduleMacros;

/** A schedule as a 5-field cron expression: macros expanded, anything else as given. */
export function expandSchedule(schedule: string): string {
  const trimmed = schedule.trim();
  return Object.hasOwn(scheduleMacros, trimmed) ? scheduleMacros[trimmed as ScheduleMacro] : trimmed;
}
