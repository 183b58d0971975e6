import type { Driver } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

/** The instants whose ISO form has a four-digit year: there it has exactly SQLite's text layout. */
const FIRST_FOUR_DIGIT_YEAR = Date.parse('0000-01-01T00:00:00.000Z');
const LAST_FOUR_DIGIT_YEAR = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * `YYYY-MM-DD HH:mm:ss.SSS` in UTC, from the ISO form (for years 0000–9999 it has the same digits
 * as the drivers' own formats; each caller checks the years its driver writes this way).
 */
export function utcDatetimeText(value: Date): string {
  const t = value.getTime();
  // A group's rows share most of their dates (received, created, updated): the last few texts are
  // kept rather than built again (three strings each; ~500,000 dates for a 50,000-row file).
  for (let i = 0; i < RECENT; i++) if (recentTimes[i] === t) return recentTexts[i];
  const iso = value.toISOString();
  const text = `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  recentTimes[nextRecent] = t;
  recentTexts[nextRecent] = text;
  nextRecent = (nextRecent + 1) % RECENT;
  return text;
}

const RECENT = 4;
const recentTimes: number[] = new Array(RECENT).fill(NaN);
const recentTexts: string[] = new Array(RECENT).fill('');
let nextRecent = 0;

/** A SQLite `datetime` column without a transformer: the one both fast paths below take. */
function isSqliteDatetime(dialect: 'sqlite' | 'mysql', column: ColumnMetadata): boolean {
  return dialect === 'sqlite' && !column.transformer && (column.type === 'datetime' || column.type === Date);
}

/**
 * A value as the driver prepares it for a column (`driver.preparePersistentValue`), with one fast
 * path: SQLite's `datetime` columns. TypeORM writes their dates as `YYYY-MM-DD HH:mm:ss.SSS` in UTC,
 * built from a dozen padded pieces per date — a tenth of everything a batch row allocated on
 * SQLite (a 50,000-row file writes ~500,000 dates). The ISO form has the same digits; the spec
 * checks both agree on any date.
 */
export function persistentValue(driver: Driver, dialect: 'sqlite' | 'mysql', value: unknown, column: ColumnMetadata): unknown {
  if (value instanceof Date && isSqliteDatetime(dialect, column)) {
    const t = value.getTime();
    if (t >= FIRST_FOUR_DIGIT_YEAR && t <= LAST_FOUR_DIGIT_YEAR) return utcDatetimeText(value);
  }
  return driver.preparePersistentValue(value, column);
}

/** `d` digits of `text` from `at` as a number, or NaN if any of them is not a digit. */
function digitsAt(text: string, at: number, d: number): number {
  let v = 0;
  for (let i = at; i < at + d; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

/**
 * A stored value as the driver hydrates it for a column (`driver.prepareHydratedValue`), with the
 * fast path matching `persistentValue`'s: SQLite `datetime` texts in exactly the layout it writes
 * (`YYYY-MM-DD HH:mm:ss.SSS`, UTC) are read digit by digit, where TypeORM tests two patterns and
 * builds two new strings per date (a batch group reads back the dates of every earlier event of
 * its cases). Anything else, or a text whose digits are not a real date, goes to the driver.
 */
export function hydratedValue(driver: Driver, dialect: 'sqlite' | 'mysql', value: unknown, column: ColumnMetadata): unknown {
  if (typeof value === 'string' && value.length === 23 && isSqliteDatetime(dialect, column)) {
    const t = sqliteDatetimeMs(value);
    if (!Number.isNaN(t)) return new Date(t);
  }
  return driver.prepareHydratedValue(value, column);
}

/** `YYYY-MM-DD HH:mm:ss.SSS` (UTC) as milliseconds, or NaN when it is not exactly that layout and a real instant. */
function sqliteDatetimeMs(s: string): number {
  if (s[4] !== '-' || s[7] !== '-' || s[10] !== ' ' || s[13] !== ':' || s[16] !== ':' || s[19] !== '.') return Number.NaN;
  const year = digitsAt(s, 0, 4);
  const month = digitsAt(s, 5, 2);
  const day = digitsAt(s, 8, 2);
  const hour = digitsAt(s, 11, 2);
  const minute = digitsAt(s, 14, 2);
  const second = digitsAt(s, 17, 2);
  const ms = digitsAt(s, 20, 3);
  // Out-of-range fields (month 13, 24:00, Feb 30) are left to the driver, which reads them its way.
  if (!(month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59)) return Number.NaN;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getUTCDate() === day ? d.getTime() : Number.NaN;
}
