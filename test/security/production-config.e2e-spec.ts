import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalogue } from '#gw/catalogue';
import { freePort } from '../support/free-port';
import { signIn } from '../support/operators';
import { AppProcess, APP_SCRIPTS, DATA_KEY, PROCESS_SECRETS, artifactsDir, departmentTokens, ensureBuilt } from '../support/processes';
import { TestDatabase, createTestDatabase, usingMysql } from '../support/test-database';
import { OPERATOR_TOKEN, REPO_ROOT, TestGateway, startTestGateway } from '../support/test-gateway';

// The e2e project's testTimeout is not applied to projects by every jest version: set it here.
jest.setTimeout(120_000);

const CATALOGUE_FILE = join(REPO_ROOT, 'config/catalogue.yaml');
/** The departments that need a token (restricted ones never pass anything, and have none). */
const DEPARTMENTS = Catalogue.fromFile(CATALOGUE_FILE)
  .departments.filter((d) => !d.restricted)
  .map((d) => d.code);

/**
 * Issue 18, hole 9: production mode took one-character secrets, named the missing variables one
 * group at a time (three attempts to learn them all), and left /metrics and /api/docs open.
 */
describe('production mode: a refused start names every problem at once (the built gateway, spawned)', () => {
  const logs = artifactsDir('security-production-config');
  let dataDir: string;
  beforeAll(() => ensureBuilt(), 300_000);
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'gw-prod-config-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const WEAK = {
    GATEWAY_OPERATOR_TOKEN: 'o',
    CITY_PLATFORM_SECRET: 's',
    PLATFORM_CALLBACK_SECRET: 'c',
    GATEWAY_DATA_KEY: '0'.repeat(64),
    ...Object.fromEntries(DEPARTMENTS.map((code) => [`GATEWAY_DEPT_TOKEN_${code}`, `${code}${code}`.repeat(10)])),
  };

  const refusedStart = async (name: string, env: Record<string, string>) => {
    const proc = new AppProcess(name, APP_SCRIPTS.gateway, { CATALOGUE_FILE, DATA_DIR: dataDir, PORT: String(await freePort()), ...env }, join(logs, `${name}.log`));
    await proc.start();
    expect(await proc.waitExit()).toBe(1);
    // Nothing generated: production mode never invents its own secrets.
    expect(existsSync(join(dataDir, 'secrets.json'))).toBe(false);
    return proc.log();
  };
  const namedOnce = (out: string, variable: string) =>
    out.split('\n').filter((l) => l.startsWith(`  - ${variable}:`) || l.startsWith(`  - ${variable}=`)).length;

  it.each([
    ['GATEWAY_MODE=production', { GATEWAY_MODE: 'production' }],
    ['NODE_ENV=production (as the image sets it)', { NODE_ENV: 'production' }],
  ])('%s, weak secrets, no database or platform URL: exits 1 and lists all of them, in Chinese and English', async (_, mode) => {
    const out = await refusedStart(`weak-${Object.keys(mode)[0]}`, { ...mode, ...WEAK });
    expect(out).toContain('配置有误');
    expect(out).toContain('configuration is invalid');
    for (const v of ['DATABASE_URL', 'CITY_PLATFORM_URL', ...Object.keys(WEAK)]) expect({ v, lines: namedOnce(out, v) }).toEqual({ v, lines: 1 });
    expect(out).toMatch(/GATEWAY_OPERATOR_TOKEN=\(hidden\): 太短，至少32个字符 too short: at least 32 characters/);
    expect(out).toMatch(/GATEWAY_DATA_KEY=\(hidden\): 字符种类太少/);
    expect(out).toMatch(/GATEWAY_DEPT_TOKEN_SCJG=\(hidden\): 字符种类太少|GATEWAY_DEPT_TOKEN_SCJG=\(hidden\): 由重复片段组成/);
    // Never the values themselves.
    expect(out).not.toContain('SCJGSCJG');
    // Nothing was started: no simulator stands in for the platform.
    expect(out).not.toMatch(/模拟器|simulator:/);
  });

  it('with nothing set at all: every secret is named missing in the one refusal', async () => {
    const out = await refusedStart('missing', { GATEWAY_MODE: 'production' });
    for (const v of ['GATEWAY_DATA_KEY', 'DATABASE_URL', 'CITY_PLATFORM_URL', 'CITY_PLATFORM_SECRET', 'PLATFORM_CALLBACK_SECRET', 'GATEWAY_OPERATOR_TOKEN', ...DEPARTMENTS.map((c) => `GATEWAY_DEPT_TOKEN_${c}`)]) {
      expect({ v, lines: namedOnce(out, v) }).toEqual({ v, lines: 1 });
    }
    expect(out).toMatch(/GATEWAY_OPERATOR_TOKEN: 缺少 missing/);
  });

  it('the image runs production mode, with no embedded secrets or simulator to fall back on', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const env = dockerfile.split('\n').filter((l) => /^ENV\s/.test(l)).join(' ');
    expect(env).toMatch(/\bGATEWAY_MODE=production\b/);
    expect(env).toMatch(/\bNODE_ENV=production\b/);
    expect(env).not.toMatch(/GATEWAY_MODE=embedded/);
  });
});

describe('production mode over HTTP: /metrics and /api/docs need credentials', () => {
  const ADMIN = { username: 'prod-admin', password: 'Pj-Prod-Ops-2026!' };
  const METRICS_TOKEN = 'metrics-Vb7Nq2Lx9Pw4Rt6Ky1Hm3Jd8Fs5Gz0Ca';
  let gw: TestGateway;
  let session: string;

  beforeAll(async () => {
    gw = await startTestGateway({ mode: 'production', env: { METRICS_TOKEN, GATEWAY_ADMIN_USER: ADMIN.username, GATEWAY_ADMIN_PASSWORD: ADMIN.password } });
    session = await signIn(gw.url, ADMIN.username, ADMIN.password); // the admin enrols its second factor
  });
  afterAll(async () => {
    await gw?.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(gw.url + path, { headers });

  it('/metrics: refused without a token (even from this machine), served with METRICS_TOKEN, the operator token or a sign-in', async () => {
    for (const headers of [{}, { Authorization: 'Bearer wrong-token-0123456789-0123456789' }, { Cookie: 'gw_session=%E0%A4%A' }] as Record<string, string>[]) {
      const res = await get('/metrics', headers);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('METRICS_UNAUTHORIZED');
    }
    for (const headers of [{ Authorization: `Bearer ${METRICS_TOKEN}` }, { Authorization: `Bearer ${OPERATOR_TOKEN}` }, { Cookie: session }] as Record<string, string>[]) {
      const res = await get('/metrics', headers);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('gw_ingest_events_total');
    }
  });

  it('/api/docs: refused without an operator sign-in or the operator token', async () => {
    for (const path of ['/api/docs', '/api/docs/', '/api/docs-json', '/api/docs/swagger-ui-init.js']) {
      for (const headers of [{}, { Authorization: `Bearer ${METRICS_TOKEN}` }] as Record<string, string>[]) {
        const res = await get(path, headers);
        expect({ path, status: res.status }).toEqual({ path, status: 401 });
        expect(((await res.json()) as { code: string }).code).toBe('OPERATOR_UNAUTHORIZED');
      }
    }
    expect((await get('/api/docs-json', { Authorization: `Bearer ${OPERATOR_TOKEN}` })).status).toBe(200);
    const docs = await get('/api/docs', { Cookie: session });
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });
});

describe('embedded mode: /metrics answers this machine only unless METRICS_TOKEN is set', () => {
  let gw: TestGateway;
  afterEach(async () => {
    await gw?.close();
  });

  it('without METRICS_TOKEN: served to a loopback scraper; with it set: the token is needed', async () => {
    gw = await startTestGateway();
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(200);
    await gw.close();
    gw = await startTestGateway({ env: { METRICS_TOKEN: 'metrics-token-0123456789' } });
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${gw.url}/metrics`, { headers: { Authorization: 'Bearer metrics-token-0123456789' } })).status).toBe(200);
    // The docs are for operators in embedded mode too (vendors read docs/departments.md).
    expect((await fetch(`${gw.url}/api/docs-json`)).status).toBe(401);
    expect((await fetch(`${gw.url}/api/docs-json`, { headers: { Authorization: `Bearer ${OPERATOR_TOKEN}` } })).status).toBe(200);
  });
});

if (usingMysql()) {
  describe('the built gateway in production mode, on MariaDB: starts with strong secrets and guards /metrics and /api/docs', () => {
    const logs = artifactsDir('security-production-http');
    let testDb: TestDatabase;
    let proc: AppProcess;
    let base: string;

    beforeAll(async () => {
      await ensureBuilt();
      testDb = await createTestDatabase();
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      proc = new AppProcess(
        'gateway-production',
        APP_SCRIPTS.gateway,
        {
          GATEWAY_MODE: 'production',
          CATALOGUE_FILE,
          HOST: '127.0.0.1',
          PORT: String(port),
          LOG_LEVEL: 'warn',
          DATA_DIR: testDb.dataDir,
          DATABASE_URL: testDb.env.DATABASE_URL,
          WAKE_URL: 'none',
          GATEWAY_DATA_KEY: DATA_KEY,
          GATEWAY_OPERATOR_TOKEN: PROCESS_SECRETS.operatorToken,
          CITY_PLATFORM_URL: 'http://127.0.0.1:9/zwfw/api/v1',
          CITY_PLATFORM_SECRET: PROCESS_SECRETS.platformSecret,
          PLATFORM_CALLBACK_SECRET: PROCESS_SECRETS.callbackSecret,
          ...Object.fromEntries(Object.entries(departmentTokens()).map(([code, token]) => [`GATEWAY_DEPT_TOKEN_${code}`, token])),
        },
        join(logs, 'gateway.log'),
        `${base}/health/live`,
      );
      await proc.start();
    }, 300_000);
    afterAll(async () => {
      await proc?.stop();
      await testDb?.drop();
    });

    it('refuses /metrics and /api/docs without credentials, serves them with the operator token', async () => {
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      expect((await fetch(`${base}/api/docs-json`)).status).toBe(401);
      const auth = { Authorization: `Bearer ${PROCESS_SECRETS.operatorToken}` };
      expect((await fetch(`${base}/metrics`, { headers: auth })).status).toBe(200);
      expect((await fetch(`${base}/api/docs-json`, { headers: auth })).status).toBe(200);
    });
  });
}
