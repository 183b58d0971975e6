import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '#gw/common';
import { loadStartupContext } from './bootstrap';

const CATALOGUE_FILE = resolve(__dirname, '../../../config/catalogue.yaml');

describe('loadStartupContext', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'gw-runtime-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const problem = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('production: lists CITY_PLATFORM_URL with the other missing settings', () => {
    const msg = problem(() => loadStartupContext({ name: 'ingress', requirePlatformUrl: 'production' }, { GATEWAY_MODE: 'production', CATALOGUE_FILE, DATA_DIR: dataDir }));
    expect(msg).toContain('GATEWAY_DATA_KEY');
    expect(msg).toContain('DATABASE_URL');
    expect(msg).toContain('CITY_PLATFORM_URL');
  });

  it('production: one refusal names every missing or weak secret, the database and the platform URL at once', () => {
    for (const mode of [{ GATEWAY_MODE: 'production' }, { NODE_ENV: 'production' }]) {
      const msg = problem(() =>
        loadStartupContext(
          { name: 'gateway', requirePlatformUrl: 'production' },
          { ...mode, CATALOGUE_FILE, DATA_DIR: dataDir, GATEWAY_OPERATOR_TOKEN: 'x', CITY_PLATFORM_SECRET: 'y', GATEWAY_DEPT_TOKEN_SCJG: 'z'.repeat(40), PORT: 'abc' },
        ),
      );
      expect(msg).toContain('配置有误');
      expect(msg).toContain('configuration is invalid');
      for (const v of ['PORT', 'GATEWAY_DATA_KEY', 'DATABASE_URL', 'CITY_PLATFORM_URL', 'CITY_PLATFORM_SECRET', 'PLATFORM_CALLBACK_SECRET', 'GATEWAY_OPERATOR_TOKEN', 'GATEWAY_DEPT_TOKEN_SCJG', 'GATEWAY_DEPT_TOKEN_BDC', 'GATEWAY_DEPT_TOKEN_RSJ', 'GATEWAY_DEPT_TOKEN_YBJ', 'GATEWAY_DEPT_TOKEN_MZJ']) {
        // Each named once.
        expect({ v, lines: msg.split('\n').filter((l) => l.startsWith(`  - ${v}:`) || l.startsWith(`  - ${v}=`)).length }).toEqual({ v, lines: 1 });
      }
      expect(msg).toMatch(/GATEWAY_OPERATOR_TOKEN=\(hidden\): 太短.*too short/);
      expect(msg).toMatch(/GATEWAY_DEPT_TOKEN_SCJG=\(hidden\): 字符种类太少.*too few different/);
      expect(existsSync(join(dataDir, 'secrets.json'))).toBe(false);
    }
  });

  it('a dispatcher needs CITY_PLATFORM_URL even in embedded mode, and writes no secrets before refusing', () => {
    const msg = problem(() => loadStartupContext({ name: 'dispatcher', requirePlatformUrl: 'always' }, { CATALOGUE_FILE, DATA_DIR: dataDir }));
    expect(msg).toMatch(/CITY_PLATFORM_URL.*dispatcher/);
    expect(existsSync(join(dataDir, 'secrets.json'))).toBe(false);
  });

  it('embedded ingress starts without a platform URL (it never calls the platform)', () => {
    const ctx = loadStartupContext({ name: 'ingress', requirePlatformUrl: 'production' }, { CATALOGUE_FILE, DATA_DIR: dataDir });
    expect(ctx.config.mode).toBe('embedded');
    expect(ctx.config.platform.url).toBeUndefined();
  });
});
