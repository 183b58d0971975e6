import { loadRetentionConfig, parseDuration } from './retention';

describe('retention settings', () => {
  it('defaults to one pass an hour, 200 ms between statements (fallbacks are milliseconds)', () => {
    const c = loadRetentionConfig({});
    expect(c.intervalMs).toBe(60 * 60 * 1000);
    expect(c.pauseMs).toBe(200);
    expect(c.rawBodyMs).toBe(30 * 24 * 3600 * 1000);
    expect(c.auditMs).toBe(365 * 24 * 3600 * 1000);
  });

  it('reads a plain number as days and a unit as given; off stops the job', () => {
    expect(parseDuration('X', '180', 1)).toBe(180 * 24 * 3600 * 1000);
    expect(parseDuration('X', '10m', 1)).toBe(600_000);
    expect(parseDuration('X', '200ms', 1)).toBe(200);
    expect(loadRetentionConfig({ RETENTION_INTERVAL: 'off' }).intervalMs).toBe(0);
    expect(() => loadRetentionConfig({ RETAIN_AUDIT_DAYS: '179' })).toThrow(/180/);
  });
});
