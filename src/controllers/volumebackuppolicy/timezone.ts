// Wall-clock arithmetic in IANA time zones with the ICU data built into Node,
// so that schedules and retention buckets need no time zone library and agree
// with each other. A "wall time" is a local date and time written as if it were
// UTC (Date.UTC(year, month - 1, day, hour, minute)); an "instant" is a real
// point in time in epoch milliseconds.

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export interface LocalTime {
  readonly year: number;
  /** 1 to 12. */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** Local time minus UTC, in milliseconds (Europe/Berlin in summer: +7,200,000). */
  readonly offsetMs: number;
}

/** What a wall time is in real time: usually one instant, two in a fall-back overlap, none in a gap. */
export interface ResolvedWallTime {
  /** Ascending. */
  readonly instants: readonly number[];
  /** For a wall time in a spring-forward gap: the first instant after the gap. */
  readonly gapEnd?: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

// Offsets are looked up for the same few instants again and again (each local day asks for the
// offset a day before and two days after it); ICU formatting is the slow part, so it is memoised.
const offsetCache = new Map<string, number>();
const offsetCacheLimit = 20_000;

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * Whether the operator's time zone database knows the zone. Checked by
 * constructing a formatter rather than against Intl.supportedValuesOf, which
 * lists canonical names only and would refuse UTC and Etc/UTC.
 */
export function isTimeZone(name: string): boolean {
  if (name === '' || name.trim() !== name) return false;
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

function wallFields(timeZone: string, epochMs: number): Omit<LocalTime, 'offsetMs'> {
  const values: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(epochMs)) values[part.type] = part.value;
  const year = Number(values.year);
  return {
    year: values.era === 'BC' ? 1 - year : year,
    month: Number(values.month),
    day: Number(values.day),
    hour: Number(values.hour),
    minute: Number(values.minute),
    second: Number(values.second),
  };
}

function wallOf(t: Omit<LocalTime, 'offsetMs'>): number {
  const d = new Date(0);
  d.setUTCFullYear(t.year, t.month - 1, t.day);
  d.setUTCHours(t.hour, t.minute, t.second, 0);
  return d.getTime();
}

/** The local date and time of an instant. */
export function localTime(timeZone: string, epochMs: number): LocalTime {
  // Offsets are whole seconds, and the formatter shows whole seconds.
  const whole = epochMs - (((epochMs % 1000) + 1000) % 1000);
  const fields = wallFields(timeZone, whole);
  return { ...fields, offsetMs: wallOf(fields) - whole };
}

/** Local time minus UTC at an instant, in milliseconds. */
export function offsetAt(timeZone: string, epochMs: number): number {
  const key = `${timeZone}\n${epochMs}`;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  const offset = localTime(timeZone, epochMs).offsetMs;
  if (offsetCache.size >= offsetCacheLimit) offsetCache.clear();
  offsetCache.set(key, offset);
  return offset;
}

/** The local calendar date of an instant, as the wall time of its midnight. */
export function localDate(timeZone: string, epochMs: number): number {
  const t = wallFields(timeZone, epochMs);
  return wallOf({ ...t, hour: 0, minute: 0, second: 0 });
}

/** The first instant at or after lo whose offset differs from lo's; hi must have another offset. */
function transitionBetween(timeZone: string, lo: number, hi: number): number {
  const from = offsetAt(timeZone, lo);
  let low = Math.floor(lo / 1000);
  let high = Math.ceil(hi / 1000);
  // Offsets change on whole seconds, so a search over seconds finds the exact instant.
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (offsetAt(timeZone, mid * 1000) === from) low = mid;
    else high = mid;
  }
  return high * 1000;
}

/** Resolves the wall times of one local day to instants. */
export interface DayResolver {
  /** The offset of the whole day when it has no transition: the fast path. */
  readonly steadyOffsetMs?: number;
  resolve(wall: number): ResolvedWallTime;
}

/**
 * A resolver for the wall times of the local day starting at dayWall. Whatever
 * the zone, an instant lies within 14 hours of its wall time, so the offsets a
 * day before and two days after the day are the only candidates. Real zones
 * change their offset at most once in three days, so equal offsets there mean
 * a day without a change, and different ones mean exactly one transition.
 */
export function dayResolver(timeZone: string, dayWall: number): DayResolver {
  const before = offsetAt(timeZone, dayWall - DAY_MS);
  const after = offsetAt(timeZone, dayWall + 2 * DAY_MS);
  if (before === after) {
    return { steadyOffsetMs: before, resolve: (wall) => ({ instants: [wall - before] }) };
  }
  const transition = transitionBetween(timeZone, dayWall - DAY_MS, dayWall + 2 * DAY_MS);
  return {
    resolve: (wall): ResolvedWallTime => {
      const instants: number[] = [];
      if (wall - before < transition) instants.push(wall - before);
      if (wall - after >= transition) instants.push(wall - after);
      instants.sort((a, b) => a - b);
      return instants.length > 0 ? { instants } : { instants, gapEnd: transition };
    },
  };
}

/** The instants at which the local clock shows a wall time. */
export function resolveWallTime(timeZone: string, wall: number): ResolvedWallTime {
  return dayResolver(timeZone, wall).resolve(wall);
}

/** Year, month (1-12) and day of a wall time. */
export function calendarDate(wall: number): { year: number; month: number; day: number; weekday: number } {
  const d = new Date(wall);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    weekday: d.getUTCDay(),
  };
}

/** The ISO 8601 week-numbering year and week of a calendar date. */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = Date.UTC(year, month - 1, day);
  const mondayBased = (new Date(date).getUTCDay() + 6) % 7;
  // The ISO week belongs to the year that holds its Thursday.
  const thursday = date + (3 - mondayBased) * DAY_MS;
  const weekYear = new Date(thursday).getUTCFullYear();
  return { year: weekYear, week: 1 + Math.floor((thursday - Date.UTC(weekYear, 0, 1)) / (7 * DAY_MS)) };
}
