import { loadRetentionConfig, parseDuration } from './retention';

describe('retention settings', () => {
  it('defaults to one pass an hour, 200 ms between statements (fallbacks are milliseconds)', () => {
    const c = loadRetentionConfig({});
    expect(c.intervalMs).toBe(60 * 60 * 1000);
    expect(c.pauseMs).toBe(200);
    expect(c.rawBodyMs).toBe(30 * 24 * 3600 * 1000);
    expect(c.auditMs).toBe(365 * 24 * 3600 * 1000);
    expect(c.spoolMs).toBe(24 * 3600 * 1000);
  });

  it('keeps spooled batch files at least 15 minutes (a batch under way reads its file)', () => {
    expect(loadRetentionConfig({ RETAIN_SPOOL_DAYS: '15m' }).spoolMs).toBe(15 * 60_000);
    expect(loadRetentionConfig({ RETAIN_SPOOL_DAYS: '6h' }).spoolMs).toBe(6 * 3600_000);
    expect(() => loadRetentionConfig({ RETAIN_SPOOL_DAYS: '14m' })).toThrow(/RETAIN_SPOOL_DAYS.*至少保留 15 分钟.*at least 15 minutes/);
  });

  it('reads a plain number as days and a unit as given; off stops the job', () => {
    expect(parseDuration('X', '180', 1)).toBe(180 * 24 * 3600 * 1000);
    expect(parseDuration('X', '10m', 1)).toBe(600_000);
    expect(parseDuration('X', '200ms', 1)).toBe(200);
    expect(loadRetentionConfig({ RETENTION_INTERVAL: 'off' }).intervalMs).toBe(0);
    expect(() => loadRetentionConfig({ RETAIN_AUDIT_DAYS: '179' })).toThrow(/180/);
  });
});
