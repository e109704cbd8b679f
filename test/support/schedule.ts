// A policy's schedule as the controller parses it, for tests that compute
// ticks: a schedule a test writes is valid, so an error is the test's bug.
import {
  isScheduleError,
  parseSchedule,
  type ParsedSchedule,
} from '../../src/controllers/volumebackuppolicy/schedule.js';

export function schedule(expression: string, timeZone = 'UTC'): ParsedSchedule {
  const s = parseSchedule(expression, timeZone);
  if (isScheduleError(s)) throw new Error(s.message);
  return s;
}

/** At minute 0 of every hour, UTC: the schedule the builders give a policy. */
export const hourly = schedule('0 * * * *');
