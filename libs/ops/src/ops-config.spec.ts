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
    });
  });

  it('takes the first admin from GATEWAY_ADMIN_USER and GATEWAY_ADMIN_PASSWORD', () => {
    const c = loadOpsConfig({
      GATEWAY_ADMIN_USER: 'ChenCan',
      GATEWAY_ADMIN_PASSWORD: 'long-enough-1',
      DASHBOARD_SESSION_MINUTES: '15',
    });
    expect(c.firstAdmin).toEqual({ username: 'chencan', password: 'long-enough-1' });
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
    expect((err as Error).message).toContain('至少 10 个字符');
    expect((err as Error).message).not.toContain('short123');
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
