import {
  formatBeijingCompactDate,
  formatBeijingDateTime,
  parseBeijingDate,
  parseBeijingDateTime,
} from '#gw/case';
import { SimulatorEnvError, simulatorOptionsFromEnv } from './simulator-env';

describe('simulatorOptionsFromEnv', () => {
  it('reads every setting', () => {
    const options = simulatorOptionsFromEnv({
      SIMULATOR_PORT: '3200',
      SIMULATOR_APPS: '430626-gateway:secret1, other:se:cret2',
      CITY_PLATFORM_SIGN_ALG: 'HMAC-SHA256',
      SIMULATOR_RATE_LIMIT: '20',
      SIMULATOR_CALLBACK_URL: 'http://127.0.0.1:3000/platform/callbacks',
      PLATFORM_CALLBACK_APP_ID: 'yueyang-platform',
      PLATFORM_CALLBACK_SECRET: 'cb-secret',
      SIMULATOR_LOG: 'off',
    });
    expect(options).toMatchObject({
      port: 3200,
      host: '0.0.0.0',
      apps: { '430626-gateway': 'secret1', other: 'se:cret2' },
      signAlg: 'hmac-sha256',
      rateLimitPerSecond: 20,
      callbackUrl: 'http://127.0.0.1:3000/platform/callbacks',
      callbackAppId: 'yueyang-platform',
      callbackSecret: 'cb-secret',
      logger: false,
    });
  });

  it('defaults the port to 3100 and requires SIMULATOR_APPS', () => {
    expect(simulatorOptionsFromEnv({ SIMULATOR_APPS: 'a:b' }).port).toBe(3100);
    expect(() => simulatorOptionsFromEnv({})).toThrow(/SIMULATOR_APPS is required/);
  });

  it('lists every problem at once', () => {
    try {
      simulatorOptionsFromEnv({
        SIMULATOR_PORT: '70000',
        SIMULATOR_APPS: 'a:b,a:c',
        SIMULATOR_RATE_LIMIT: '-1',
        SIMULATOR_CALLBACK_URL: 'http://x',
      });
      throw new Error('expected a failure');
    } catch (e) {
      expect(e).toBeInstanceOf(SimulatorEnvError);
      expect((e as SimulatorEnvError).problems).toEqual([
        expect.stringMatching(/^SIMULATOR_PORT/),
        expect.stringMatching(/lists a twice/),
        expect.stringMatching(/^SIMULATOR_RATE_LIMIT/),
        expect.stringMatching(/^PLATFORM_CALLBACK_SECRET is required/),
      ]);
    }
  });
});

describe('Beijing time', () => {
  const instant = Date.parse('2026-11-27T17:30:05Z'); // 01:30:05 the next day in Beijing

  it('formats in UTC+8', () => {
    expect(formatBeijingDateTime(instant)).toBe('2026-11-28 01:30:05');
    expect(formatBeijingCompactDate(instant)).toBe('20261128');
  });

  it('parses only real times in the platform format', () => {
    expect(parseBeijingDateTime('2026-11-28 01:30:05')).toBe(instant);
    expect(parseBeijingDateTime('2026-02-29 00:00:00')).toBeNull();
    expect(parseBeijingDateTime('2026-11-28T01:30:05')).toBeNull();
    expect(parseBeijingDateTime('2026-11-28 24:00:00')).toBeNull();
    expect(parseBeijingDate('2028-02-29')).toBe(Date.parse('2028-02-29T00:00:00+08:00'));
    expect(parseBeijingDate('2026-13-01')).toBeNull();
  });
});
