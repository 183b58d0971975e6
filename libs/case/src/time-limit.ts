import type { TimeLimitUnit } from './codes';

const DAY_MS = 24 * 3600 * 1000;
const BEIJING_OFFSET_MS = 8 * 3600 * 1000;

/** The State Council holiday calendar of a year: days off, and weekend days that are worked (调休). */
export interface HolidayCalendar {
  /** `yyyy-MM-dd` dates that are not working days although on a weekday. */
  holidays?: readonly string[];
  /** `yyyy-MM-dd` weekend dates that are working days. */
  workdays?: readonly string[];
}

function beijingDate(ms: number): string {
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

export function isWorkingDay(ms: number, calendar: HolidayCalendar = {}): boolean {
  const date = beijingDate(ms);
  if (calendar.workdays?.includes(date)) return true;
  if (calendar.holidays?.includes(date)) return false;
  const weekday = new Date(ms + BEIJING_OFFSET_MS).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/**
 * When a promised time limit (承诺时限) runs out, counted from `start`: working days skip weekends
 * and holidays but count adjusted working weekends; natural days and hours are plain arithmetic.
 * A working-day limit ends at the end (23:59:59 Beijing) of its last working day.
 */
export function promiseDueDate(start: Date, limit: { value: number; unit: TimeLimitUnit }, calendar: HolidayCalendar = {}): Date {
  const t = start.getTime();
  if (limit.unit === 'HOUR') return new Date(t + limit.value * 3600 * 1000);
  if (limit.unit === 'NATURAL_DAY') return new Date(t + limit.value * DAY_MS);
  let day = t;
  let left = limit.value;
  while (left > 0) {
    day += DAY_MS;
    if (isWorkingDay(day, calendar)) left--;
  }
  const endOfDay = Date.parse(`${beijingDate(day)}T23:59:59+08:00`);
  return new Date(endOfDay);
}
