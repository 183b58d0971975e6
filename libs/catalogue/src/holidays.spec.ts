import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HolidayFileError, loadWorkingCalendar, parseHolidayOverrides } from './holidays';

const dir = mkdtempSync(join(tmpdir(), 'gw-holidays-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const problem = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HolidayFileError);
    return (e as Error).message;
  }
  throw new Error('expected a HolidayFileError');
};

describe('config/holidays.yaml', () => {
  it('the shipped file loads and keeps the published 2026 schedule', () => {
    const cal = loadWorkingCalendar(resolve(__dirname, '../../../config/holidays.yaml'), { required: true });
    expect(cal.isWorkingDate('2026-10-10')).toBe(true);
    expect(cal.isWorkingDate('2026-10-01')).toBe(false);
  });

  it('adds next year from dates and ranges, without code', () => {
    const cal = loadWorkingCalendar(file('next.yaml', 'holidays: [2099-01-01, "2099-10-01..2099-10-07"]\nworkdays:\n  - 2099-10-10\n'));
    expect(cal.covers(2099)).toBe(true);
    expect(cal.isWorkingDate('2099-01-01')).toBe(false);
    expect(cal.isWorkingDate('2099-10-05')).toBe(false);
    expect(cal.isWorkingDate('2099-10-10')).toBe(true); // a Saturday
    expect(cal.addWorkingDays('2099-09-30', 1)).toBe('2099-10-08');
  });

  it('no file beside the catalogue: the published schedule alone; a named file that is missing is an error', () => {
    expect(loadWorkingCalendar(join(dir, 'absent.yaml')).isWorkingDate('2026-10-10')).toBe(true);
    expect(problem(() => loadWorkingCalendar(join(dir, 'absent.yaml'), { required: true }))).toMatch(/节假日文件不存在 holiday file not found/);
  });

  it('every bad entry is named at once, in Chinese and English', () => {
    const msg = problem(() =>
      parseHolidayOverrides({ holidays: ['2027-02-30', 'next friday', '2027-10-07..2027-10-01', '2027-05-01'], workdays: ['2027-05-01', '2026-03-10'], extra: 1 }),
    );
    expect(msg).toMatch(/节假日文件有误，网关不能启动 holiday file has errors, the gateway cannot start/);
    expect(msg).toMatch(/holidays\[0\] "2027-02-30": 没有这一天 no such date/);
    expect(msg).toMatch(/holidays\[1\] "next friday": 不是日期 not a date/);
    expect(msg).toMatch(/holidays\[2\] .*结束日期早于开始日期 the range ends before it starts/);
    expect(msg).toMatch(/2027-05-01: 同时列为放假和上班 listed both as a holiday and as a working day/);
    expect(msg).toMatch(/workdays 2026-03-10: 本来就是工作日 is a working day anyway/);
    expect(msg).toMatch(/extra: 未知的项 unknown key/);
  });

  it('a file that is not YAML, or not a mapping, is refused', () => {
    expect(problem(() => loadWorkingCalendar(file('broken.yaml', 'holidays: [2027-01-01\n')))).toMatch(/不是合法的 YAML holiday file is not valid YAML/);
    expect(problem(() => loadWorkingCalendar(file('list.yaml', '- 2027-01-01\n')))).toMatch(/must be a mapping/);
  });
});
