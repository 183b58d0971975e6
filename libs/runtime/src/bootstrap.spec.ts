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
