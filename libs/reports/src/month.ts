import { ErrorCodes, GatewayError } from '#gw/common';
import { beijingDateOf, parseBeijingDate, parseBeijingDateTime } from '#gw/case';

/** A Beijing calendar month `yyyy-MM` and the instants it spans: [from, to). */
export interface MonthSpan {
  month: string;
  from: Date;
  to: Date;
  /** The same bounds as platform times (`yyyy-MM-dd HH:mm:ss`, Beijing), to compare with stored platform text. */
  fromText: string;
  toText: string;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

function next(month: string, delta: number): string {
  const [y, m] = month.split('-').map(Number);
  const index = y * 12 + (m - 1) + delta;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

export function monthSpan(month: string): MonthSpan {
  const after = next(month, 1);
  return {
    month,
    from: new Date(parseBeijingDate(`${month}-01`)!),
    to: new Date(parseBeijingDate(`${after}-01`)!),
    fromText: `${month}-01 00:00:00`,
    toText: `${after}-01 00:00:00`,
  };
}

/** `?month=yyyy-MM`, by default the current Beijing month. */
export function parseMonth(text: string | undefined, now = Date.now()): string {
  if (text === undefined || text === '') return beijingDateOf(now).slice(0, 7);
  if (!MONTH.test(text)) throw new GatewayError(ErrorCodes.BAD_REQUEST, 400, `month 应为 yyyy-MM（如 2026-11） month must be yyyy-MM, e.g. 2026-11: "${String(text).slice(0, 20)}"`);
  return text;
}

/** The `n` months ending with `month`, oldest first. */
export function monthsEndingWith(month: string, n: number): MonthSpan[] {
  return Array.from({ length: n }, (_, i) => monthSpan(next(month, i - n + 1)));
}

/** `?asOf=yyyy-MM-dd HH:mm:ss` (Beijing), by default now. */
export function parseAsOf(text: string | undefined): number {
  if (text === undefined || text === '') return Date.now();
  const ms = parseBeijingDateTime(text);
  if (ms === null) throw new GatewayError(ErrorCodes.BAD_REQUEST, 400, `asOf 应为北京时间 yyyy-MM-dd HH:mm:ss asOf must be a Beijing time yyyy-MM-dd HH:mm:ss: "${String(text).slice(0, 30)}"`);
  return ms;
}
