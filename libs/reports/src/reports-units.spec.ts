import { ConfigError, GatewayError } from '#gw/common';
import { monthSpan, monthsEndingWith, parseAsOf, parseMonth } from './month';
import { loadReportConfig } from './report-config';
import { toCsv } from './report-export';
import { epochOf } from './report.repository';
import { placeOf } from './reports.service';

describe('report months (Beijing time)', () => {
  it('a month spans Beijing midnight to Beijing midnight', () => {
    const m = monthSpan('2026-11');
    expect(m.from.toISOString()).toBe('2026-10-31T16:00:00.000Z');
    expect(m.to.toISOString()).toBe('2026-11-30T16:00:00.000Z');
    expect([m.fromText, m.toText]).toEqual(['2026-11-01 00:00:00', '2026-12-01 00:00:00']);
    expect(monthSpan('2026-12').toText).toBe('2027-01-01 00:00:00');
  });

  it('the 12 months ending with one, across a year', () => {
    expect(monthsEndingWith('2026-03', 12).map((m) => m.month)).toEqual(['2025-04', '2025-05', '2025-06', '2025-07', '2025-08', '2025-09', '2025-10', '2025-11', '2025-12', '2026-01', '2026-02', '2026-03']);
  });

  it('month and asOf are checked; by default this month and now', () => {
    expect(parseMonth(undefined, Date.parse('2026-11-30T16:30:00Z'))).toBe('2026-12');
    expect(() => parseMonth('2026-13')).toThrow(GatewayError);
    expect(() => parseMonth('2026-1')).toThrow(/month must be yyyy-MM/);
    expect(parseAsOf('2026-11-30 12:00:00')).toBe(Date.parse('2026-11-30T04:00:00Z'));
    expect(() => parseAsOf('2026-11-31 12:00:00')).toThrow(/asOf must be a Beijing time/);
  });
});

describe('report settings', () => {
  it('defaults: 1 working day near-due, 60 % online', () => {
    expect(loadReportConfig({})).toEqual({ nearDueWorkingDays: 1, onlineTarget: 0.6 });
    expect(loadReportConfig({ REPORT_NEAR_DUE_WORKING_DAYS: '3', REPORT_ONLINE_TARGET: '70%' })).toEqual({ nearDueWorkingDays: 3, onlineTarget: 0.7 });
    expect(loadReportConfig({ REPORT_ONLINE_TARGET: '0.65' }).onlineTarget).toBe(0.65);
  });

  it('a bad setting stops start-up, naming it in Chinese and English', () => {
    expect(() => loadReportConfig({ REPORT_NEAR_DUE_WORKING_DAYS: 'one' })).toThrow(ConfigError);
    expect(() => loadReportConfig({ REPORT_ONLINE_TARGET: '1.5' })).toThrow(/REPORT_ONLINE_TARGET="1.5": 必须是 0 到 1 之间的小数或百分比 must be a fraction/);
  });
});

describe('places, times and CSV', () => {
  it('a division code names its township, the county, or neither', () => {
    expect(placeOf('430626101')).toEqual({ code: '430626101', name: '安定镇' });
    expect(placeOf('430626').name).toBe('县本级 county level');
    expect(placeOf(null).name).toBe('未填写 not given');
    expect(placeOf('430621001').name).toBe('其他 other (430621001)');
  });

  it('raw datetimes of both databases are read as UTC', () => {
    expect(epochOf('2026-11-30 04:00:00.000')).toBe(Date.parse('2026-11-30T04:00:00Z'));
    expect(epochOf(new Date('2026-11-30T04:00:00Z'))).toBe(Date.parse('2026-11-30T04:00:00Z'));
  });

  it('CSV: UTF-8 with a BOM, quoted where needed, and no cell an office suite would run as a formula', () => {
    const text = toCsv({ title: 't', headers: ['名称 name', 'n'], rows: [['a,"b"', 1], ['=HYPERLINK("x")', null], ['-2+3', true]] }).toString('utf8');
    expect(text).toBe('\uFEFF名称 name,n\r\n"a,""b""",1\r\n"\'=HYPERLINK(""x"")",\r\n\'-2+3,true\r\n');
  });
});
