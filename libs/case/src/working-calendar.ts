import published from 'chinese-days/dist/chinese-days.json';

/**
 * Extra days off and adjusted working days (调休) on top of the published schedule: what an operator
 * writes into `config/holidays.yaml` once the State Council publishes next year's arrangement.
 */
export interface HolidayCalendar {
  /** `yyyy-MM-dd` dates that are not working days although on a weekday. */
  holidays?: readonly string[];
  /** `yyyy-MM-dd` dates that are working days (weekends worked in lieu, or a published holiday withdrawn). */
  workdays?: readonly string[];
}

const DAY_MS = 24 * 3600 * 1000;
const BEIJING_OFFSET_MS = 8 * 3600 * 1000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The Beijing calendar date (`yyyy-MM-dd`) of an instant. */
export function beijingDateOf(ms: number): string {
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

/** `date` plus `days` calendar days. */
export function addCalendarDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Is `text` a real `yyyy-MM-dd` date (not 2026-02-30)? */
export function isCalendarDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

/** The instant a Beijing calendar date ends (23:59:59). */
export function endOfBeijingDay(date: string): Date {
  return new Date(Date.parse(`${date}T23:59:59+08:00`));
}

/**
 * Working days in China: Monday to Friday, minus the State Council's public holidays, plus the
 * weekends worked in lieu (调休). The published years come from the maintained `chinese-days`
 * package; `config/holidays.yaml` adds a year not yet in it (or corrects one) without code.
 */
export class WorkingCalendar {
  private readonly holidays: ReadonlySet<string>;
  private readonly workdays: ReadonlySet<string>;
  private readonly years: ReadonlySet<number>;

  constructor(calendar: HolidayCalendar = {}) {
    this.holidays = new Set(calendar.holidays ?? []);
    this.workdays = new Set(calendar.workdays ?? []);
    this.years = new Set([...this.holidays, ...this.workdays].map((d) => Number(d.slice(0, 4))));
  }

  private static publishedOnly?: WorkingCalendar;

  /** The published schedule (chinese-days) with the operator's overrides on top: an override wins. */
  static published(overrides: HolidayCalendar = {}): WorkingCalendar {
    const noOverrides = !overrides.holidays?.length && !overrides.workdays?.length;
    if (noOverrides && WorkingCalendar.publishedOnly) return WorkingCalendar.publishedOnly;
    const extraWork = new Set(overrides.workdays ?? []);
    const extraOff = new Set(overrides.holidays ?? []);
    const holidays = Object.keys(published.holidays).filter((d) => !extraWork.has(d));
    const workdays = Object.keys(published.workdays).filter((d) => !extraOff.has(d));
    const calendar = new WorkingCalendar({ holidays: [...holidays, ...extraOff], workdays: [...workdays, ...extraWork] });
    if (noOverrides) WorkingCalendar.publishedOnly = calendar;
    return calendar;
  }

  /** Whether the schedule of `year` is known (published or overridden); otherwise only weekends are skipped. */
  covers(year: number): boolean {
    return this.years.has(year);
  }

  /** `yyyy-MM-dd` (Beijing). */
  isWorkingDate(date: string): boolean {
    if (this.workdays.has(date)) return true;
    if (this.holidays.has(date)) return false;
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    return weekday !== 0 && weekday !== 6;
  }

  isWorkingDay(ms: number): boolean {
    return this.isWorkingDate(beijingDateOf(ms));
  }

  /** The `n`th working day after `date` (`date` itself not counted). */
  addWorkingDays(date: string, n: number): string {
    let day = date;
    let left = n;
    while (left > 0) {
      day = addCalendarDays(day, 1);
      if (this.isWorkingDate(day)) left--;
    }
    return day;
  }

  /** Working days after `from` up to and including `to` (0 when `to` is not after `from`). */
  workingDaysBetween(from: string, to: string): number {
    let n = 0;
    for (let day = addCalendarDays(from, 1); day <= to; day = addCalendarDays(day, 1)) if (this.isWorkingDate(day)) n++;
    return n;
  }
}
