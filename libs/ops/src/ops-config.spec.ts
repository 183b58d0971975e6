import { ConfigError } from '#gw/common';
import { loadOpsConfig } from './ops-config';

describe('dashboard configuration', () => {
  it('has defaults and no admin unless one is configured', () => {
    expect(loadOpsConfig({})).toEqual({
      sessionMinutes: 30,
      sessionMaxHours: 12,
      readyMaxOutboxAgeSeconds: 900,
      deptSilentHours: 24,
      firstAdmin: undefined,
      metricsToken: undefined,
      passwordMaxAgeDays: 90,
    });
  });

  it('takes the first admin from GATEWAY_ADMIN_USER and GATEWAY_ADMIN_PASSWORD', () => {
    const c = loadOpsConfig({
      GATEWAY_ADMIN_USER: 'ChenCan',
      GATEWAY_ADMIN_PASSWORD: 'Long-enough-1',
      DASHBOARD_SESSION_MINUTES: '15',
    });
    expect(c.firstAdmin).toEqual({ username: 'chencan', password: 'Long-enough-1' });
    expect(c.sessionMinutes).toBe(15);
  });

  it('refuses to start with a short admin password, naming the variable but not the value', () => {
    let err: unknown;
    try {
      loadOpsConfig({ GATEWAY_ADMIN_USER: 'admin', GATEWAY_ADMIN_PASSWORD: 'short123' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('GATEWAY_ADMIN_PASSWORD');
    expect((err as Error).message).toContain('至少 12 个字符');
    expect((err as Error).message).not.toContain('short123');
  });

  it('refuses an admin password of fewer than three character classes, or a common one', () => {
    expect(() => loadOpsConfig({ GATEWAY_ADMIN_USER: 'admin', GATEWAY_ADMIN_PASSWORD: 'alllowercase-letters' })).toThrow(/至少三类/);
    expect(() => loadOpsConfig({ GATEWAY_ADMIN_USER: 'chencan', GATEWAY_ADMIN_PASSWORD: 'Admin@123456' })).toThrow(/过于常见/);
    expect(() => loadOpsConfig({ GATEWAY_ADMIN_USER: 'chencan', GATEWAY_ADMIN_PASSWORD: 'Chencan-2026-pw' })).toThrow(/用户名/);
  });

  it('reads PASSWORD_MAX_AGE_DAYS', () => {
    expect(loadOpsConfig({ PASSWORD_MAX_AGE_DAYS: '30' }).passwordMaxAgeDays).toBe(30);
    expect(() => loadOpsConfig({ PASSWORD_MAX_AGE_DAYS: '0' })).toThrow(/PASSWORD_MAX_AGE_DAYS/);
  });

  it('reports every problem together', () => {
    expect(() =>
      loadOpsConfig({
        GATEWAY_ADMIN_PASSWORD: 'long-enough-password',
        DASHBOARD_SESSION_MINUTES: '0',
        READY_MAX_OUTBOX_AGE_SECONDS: 'x',
      }),
    ).toThrow(/DASHBOARD_SESSION_MINUTES[\s\S]*READY_MAX_OUTBOX_AGE_SECONDS[\s\S]*GATEWAY_ADMIN_USER/);
  });
});
