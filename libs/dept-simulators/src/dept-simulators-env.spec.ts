import { DeptSimulatorsEnvError, deptSimulatorsOptionsFromEnv } from './dept-simulators-env';

describe('deptSimulatorsOptionsFromEnv', () => {
  it('defaults to ports 3201-3203 on all interfaces, YBJ not polling', () => {
    expect(deptSimulatorsOptionsFromEnv({})).toEqual({ bdcPort: 3201, scjgPort: 3202, rsjPort: 3203, host: '0.0.0.0' });
  });

  it('reads ports, the gateway and YBJ token', () => {
    const o = deptSimulatorsOptionsFromEnv({
      DEPT_SIM_BDC_PORT: '4001',
      DEPT_SIM_SCJG_PORT: '0',
      DEPT_SIM_RSJ_PORT: '0',
      GATEWAY_URL: 'http://127.0.0.1:3000',
      GATEWAY_DEPT_TOKEN_YBJ: 'ybj-token',
      DEPT_SIM_YBJ_POLL_MS: '2000',
    });
    expect(o).toMatchObject({
      bdcPort: 4001,
      scjgPort: 0,
      rsjPort: 0,
      gatewayUrl: 'http://127.0.0.1:3000',
      ybjToken: 'ybj-token',
      ybjPollIntervalMs: 2000,
      startYbjPolling: true,
    });
  });

  it('lists every problem at once', () => {
    try {
      deptSimulatorsOptionsFromEnv({
        DEPT_SIM_BDC_PORT: 'abc',
        DEPT_SIM_SCJG_PORT: '70000',
        GATEWAY_URL: 'ftp://x',
        DEPT_SIM_YBJ_POLL_MS: '5',
      });
      throw new Error('expected a DeptSimulatorsEnvError');
    } catch (e) {
      expect(e).toBeInstanceOf(DeptSimulatorsEnvError);
      const problems = (e as DeptSimulatorsEnvError).problems.join('\n');
      expect(problems).toMatch(/DEPT_SIM_BDC_PORT/);
      expect(problems).toMatch(/DEPT_SIM_SCJG_PORT/);
      expect(problems).toMatch(/GATEWAY_URL must be an http/);
      expect(problems).toMatch(/GATEWAY_DEPT_TOKEN_YBJ is required/);
      expect(problems).toMatch(/DEPT_SIM_YBJ_POLL_MS/);
    }
  });

  it('refuses two departments on one fixed port', () => {
    expect(() => deptSimulatorsOptionsFromEnv({ DEPT_SIM_BDC_PORT: '4000', DEPT_SIM_RSJ_PORT: '4000' })).toThrow(
      /must differ/,
    );
  });
});
