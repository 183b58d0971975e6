import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { WorkingCalendar, isCalendarDate } from '#gw/case';
import { CatalogueError } from './catalogue';

/** A holiday override that cannot be used; start-up stops with this message (as for the catalogue). */
export class HolidayFileError extends CatalogueError {}

const DATE_TEXT = /^\d{4}-\d{2}-\d{2}$/;

/** `2027-10-01` or a range `2027-10-01..2027-10-07`, as written by an operator. */
function expand(entry: unknown, at: string, problems: string[]): string[] {
  // YAML 1.1 readers turn unquoted dates into timestamps; accept them as the date they name.
  const text = entry instanceof Date ? entry.toISOString().slice(0, 10) : typeof entry === 'string' ? entry.trim() : String(entry);
  const [from, to, extra] = text.split('..').map((s) => s.trim());
  const bad = (why: string) => {
    problems.push(`${at} "${text}": ${why}`);
    return [];
  };
  if (extra !== undefined || !DATE_TEXT.test(from) || (to !== undefined && !DATE_TEXT.test(to))) {
    return bad('不是日期 not a date: write yyyy-MM-dd or yyyy-MM-dd..yyyy-MM-dd');
  }
  if (!isCalendarDate(from)) return bad(`没有这一天 no such date: ${from}`);
  if (to === undefined) return [from];
  if (!isCalendarDate(to)) return bad(`没有这一天 no such date: ${to}`);
  if (to < from) return bad('结束日期早于开始日期 the range ends before it starts');
  const days: string[] = [];
  for (let d = from; d <= to; d = new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)) days.push(d);
  if (days.length > 31) return bad('区间超过31天 a range longer than 31 days is surely a typo');
  return days;
}

/**
 * The working-day calendar: the published schedule (chinese-days) plus the operator's
 * `config/holidays.yaml`, checked whole: every bad entry is reported at once, in Chinese and English,
 * and stops start-up (a wrong holiday would silently move every promised date).
 *
 * ```yaml
 * holidays: [2027-01-01, 2027-02-06..2027-02-12]   # 放假 days off
 * workdays: [2027-02-14]                            # 调休上班 weekends worked
 * ```
 */
export function loadWorkingCalendar(path: string, options: { required?: boolean } = {}): WorkingCalendar {
  if (!existsSync(path)) {
    if (options.required) throw new HolidayFileError(`节假日文件不存在 holiday file not found: ${path}`);
    return WorkingCalendar.published();
  }
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new HolidayFileError(`节假日文件不是合法的 YAML holiday file is not valid YAML: ${path}: ${(e as Error).message}`);
  }
  return WorkingCalendar.published(parseHolidayOverrides(doc, path));
}

export function parseHolidayOverrides(doc: unknown, source = 'holidays.yaml'): { holidays: string[]; workdays: string[] } {
  const problems: string[] = [];
  const root = (doc ?? {}) as Record<string, unknown>;
  if (typeof root !== 'object' || Array.isArray(root)) {
    throw new HolidayFileError(`${source}: 应为含 holidays 与 workdays 两个列表的映射 must be a mapping with the lists holidays and workdays`);
  }
  for (const key of Object.keys(root)) {
    if (key !== 'holidays' && key !== 'workdays') problems.push(`${key}: 未知的项 unknown key (only holidays, workdays)`);
  }
  const list = (key: 'holidays' | 'workdays'): string[] => {
    const raw = root[key];
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) {
      problems.push(`${key}: 应为日期列表 must be a list of dates`);
      return [];
    }
    return raw.flatMap((entry, i) => expand(entry, `${key}[${i}]`, problems));
  };
  const holidays = list('holidays');
  const workdays = list('workdays');
  const off = new Set(holidays);
  for (const d of workdays) if (off.has(d)) problems.push(`${d}: 同时列为放假和上班 listed both as a holiday and as a working day`);
  for (const d of new Set(workdays)) {
    const weekday = new Date(`${d}T00:00:00Z`).getUTCDay();
    // A working day on a weekday only makes sense to withdraw a published holiday.
    if (weekday !== 0 && weekday !== 6 && WorkingCalendar.published().isWorkingDate(d)) {
      problems.push(`workdays ${d}: 本来就是工作日 is a working day anyway (a weekday that is no holiday)`);
    }
  }
  if (problems.length) {
    throw new HolidayFileError(`节假日文件有误，网关不能启动 holiday file has errors, the gateway cannot start: ${source}: ${problems.join('; ')}`);
  }
  return { holidays, workdays };
}
