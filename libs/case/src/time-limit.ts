import type { TimeLimitUnit } from './codes';
import type { Stage } from './stages';
import { WorkingCalendar, addCalendarDays, beijingDateOf, endOfBeijingDay } from './working-calendar';

export type { HolidayCalendar } from './working-calendar';

export interface TimeLimit {
  value: number;
  unit: TimeLimitUnit;
}

export function isWorkingDay(ms: number, calendar: WorkingCalendar = WorkingCalendar.published()): boolean {
  return calendar.isWorkingDay(ms);
}

/** A span during which a case's clock stood still (补正, 特别程序); `to` null while it still stands. */
export interface ClockStop {
  from: number;
  to: number | null;
}

/**
 * Where the clock of a case stood still, from its stages in time order: from 补齐补正告知
 * (SUPPLEMENT_REQUESTED) to 补正受理 (SUPPLEMENT_RECEIVED), and from 特别程序开始 to 特别程序结束;
 * overlapping ones make one stop. An end without its start is ignored.
 */
export function clockStops(stages: readonly { stage: Stage | string; time: number }[]): ClockStop[] {
  const stops: ClockStop[] = [];
  let supplement = false;
  let specials = 0;
  let current: ClockStop | null = null;
  for (const s of [...stages].sort((a, b) => a.time - b.time)) {
    if (s.stage === 'SUPPLEMENT_REQUESTED') supplement = true;
    else if (s.stage === 'SUPPLEMENT_RECEIVED') supplement = false;
    else if (s.stage === 'SPECIAL_STARTED') specials++;
    else if (s.stage === 'SPECIAL_ENDED') specials = Math.max(0, specials - 1);
    else continue;
    const stopped = supplement || specials > 0;
    if (stopped && !current) stops.push((current = { from: s.time, to: null }));
    else if (!stopped && current) {
      current.to = s.time;
      current = null;
    }
  }
  return stops;
}

/** The due date of a case, or that its clock stands still (an open 补正 or 特别程序) so none can be given. */
export type CaseDue = { due: Date; stopped: false } | { due: null; stopped: true };

/**
 * When a promised time limit (承诺时限) runs out, counted from acceptance (the day of acceptance is
 * not counted; a day limit ends at 23:59:59 Beijing of its last day). Working days skip weekends
 * and holidays and count adjusted working weekends; natural days count every day; hours are
 * plain time.
 *
 * The clock stops during 补正 and 特别程序 and restarts after: for day limits, the days from the
 * day it stopped to the day it restarted (both included) are not counted — the day of a restart,
 * like the day of acceptance, is not counted; for hour limits, the time stopped is added.
 * A stop that starts after the limit already ran out changes nothing (the case was overdue).
 */
export function caseDueDate(
  acceptedAt: Date | number,
  limit: TimeLimit,
  stops: readonly ClockStop[] = [],
  calendar: WorkingCalendar = WorkingCalendar.published(),
): CaseDue {
  const start = typeof acceptedAt === 'number' ? acceptedAt : acceptedAt.getTime();
  const relevant = stops
    .filter((s) => s.to === null || s.to > start)
    .map((s) => ({ from: Math.max(s.from, start), to: s.to }))
    .sort((a, b) => a.from - b.from);

  if (limit.unit === 'HOUR') {
    let due = start + limit.value * 3600_000;
    for (const s of relevant) {
      if (s.from >= due) break;
      if (s.to === null) return { due: null, stopped: true };
      due += s.to - s.from;
    }
    return { due: new Date(due), stopped: false };
  }

  const spans = relevant.map((s) => ({ from: beijingDateOf(s.from), to: s.to === null ? null : beijingDateOf(s.to) }));
  const countsDay = limit.unit === 'WORKING_DAY' ? (d: string) => calendar.isWorkingDate(d) : () => true;
  let day = beijingDateOf(start);
  let left = limit.value;
  while (left > 0) {
    day = addCalendarDays(day, 1);
    const span = spans.find((s) => s.from <= day && (s.to === null || day <= s.to));
    if (span) {
      if (span.to === null) return { due: null, stopped: true };
      continue;
    }
    if (countsDay(day)) left--;
  }
  return { due: endOfBeijingDay(day), stopped: false };
}

/** The promise date sent at acceptance: the due date of a clock that has not stopped yet. */
export function promiseDueDate(start: Date, limit: TimeLimit, calendar: WorkingCalendar = WorkingCalendar.published()): Date {
  return (caseDueDate(start, limit, [], calendar) as { due: Date }).due;
}
