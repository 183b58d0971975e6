import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalogue } from '#gw/catalogue';
import { loadGatewayConfig } from '#gw/common';
import { startupWarnings } from '#gw/runtime';
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

  it('an http:// CITY_PLATFORM_URL is refused (HTTPS towards the platform), naming the escape hatch for a test network', async () => {
    const out = await refusedStart('platform-http', { GATEWAY_MODE: 'production', ...WEAK, CITY_PLATFORM_URL: 'http://user:pw@10.0.0.8:8080/zwfw/api/v1' });
    expect(namedOnce(out, 'CITY_PLATFORM_URL')).toBe(1);
    expect(out).toMatch(/CITY_PLATFORM_URL="http:\/\/\*\*\*@10\.0\.0\.8:8080\/zwfw\/api\/v1": 生产模式必须使用 https:\/\/ 地址 production mode delivers to the city platform over https:\/\/ only/);
    expect(out).toContain('PLATFORM_ALLOW_HTTP=true');
    expect(out).not.toContain('user:pw');
  });

  it('the image runs production mode, with no embedded secrets or simulator to fall back on', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const env = dockerfile.split('\n').filter((l) => /^ENV\s/.test(l)).join(' ');
    expect(env).toMatch(/\bGATEWAY_MODE=production\b/);
    expect(env).toMatch(/\bNODE_ENV=production\b/);
    expect(env).not.toMatch(/GATEWAY_MODE=embedded/);
  });
});

describe('production mode: HTTPS towards the city platform (the configuration as start-up reads it)', () => {
  const PRODUCTION = {
    GATEWAY_MODE: 'production',
    DATA_DIR: join(tmpdir(), 'gw-prod-https'),
    DATABASE_URL: 'mysql://u:p@127.0.0.1:3306/x',
    GATEWAY_DATA_KEY: DATA_KEY,
    CITY_PLATFORM_SECRET: PROCESS_SECRETS.platformSecret,
  };
  const catalogue = Catalogue.fromFile(CATALOGUE_FILE);
  const refused = (env: Record<string, string>) => {
    try {
      loadGatewayConfig(env);
    } catch (e) {
      return (e as Error).message;
    }
    return null;
  };

  it('an https:// platform is accepted, with no warning', () => {
    const config = loadGatewayConfig({ ...PRODUCTION, CITY_PLATFORM_URL: 'https://10.0.0.8:8443/zwfw/api/v1' });
    expect(config.platform.url).toBe('https://10.0.0.8:8443/zwfw/api/v1');
    expect(startupWarnings(config, catalogue)).toEqual([]);
  });

  it('an http:// platform is refused, in Chinese and English, naming the escape hatch', () => {
    const message = refused({ ...PRODUCTION, CITY_PLATFORM_URL: 'http://10.0.0.8:8080/zwfw/api/v1' });
    expect(message).toContain('配置有误');
    expect(message).toMatch(/CITY_PLATFORM_URL=.*生产模式必须使用 https:\/\/ 地址 production mode delivers to the city platform over https:\/\/ only/);
    expect(message).toContain('PLATFORM_ALLOW_HTTP=true');
    expect(refused({ ...PRODUCTION, CITY_PLATFORM_URL: 'http://10.0.0.8:8080/zwfw/api/v1', PLATFORM_ALLOW_HTTP: 'false' })).toMatch(/CITY_PLATFORM_URL=/);
    expect(refused({ ...PRODUCTION, CITY_PLATFORM_URL: 'https://10.0.0.8/zwfw/api/v1', PLATFORM_ALLOW_HTTP: 'yes' })).toMatch(/PLATFORM_ALLOW_HTTP=.*true or false/);
  });

  it('PLATFORM_ALLOW_HTTP=true (a test network) lets it through with a warning at start-up', () => {
    const config = loadGatewayConfig({ ...PRODUCTION, CITY_PLATFORM_URL: 'http://10.0.0.8:8080/zwfw/api/v1', PLATFORM_ALLOW_HTTP: 'true' });
    expect(config.platformAllowHttp).toBe(true);
    expect(startupWarnings(config, catalogue)).toEqual([expect.stringMatching(/PLATFORM_ALLOW_HTTP=true.*the city platform is reached over plain http/)]);
  });

  it('embedded mode keeps http (the built-in simulator), warning about nothing', () => {
    const config = loadGatewayConfig({ GATEWAY_MODE: 'embedded', DATA_DIR: PRODUCTION.DATA_DIR, CITY_PLATFORM_URL: 'http://127.0.0.1:3100/zwfw/api/v1', DEPT_BDC_URL: 'http://10.0.0.9/bdc' });
    expect(config.platform.url).toBe('http://127.0.0.1:3100/zwfw/api/v1');
    expect(startupWarnings(config, catalogue)).toEqual([]);
  });

  it('department push addresses over http:// are warned about in production (named, not refused)', () => {
    const config = loadGatewayConfig({ ...PRODUCTION, CITY_PLATFORM_URL: 'https://10.0.0.8/zwfw/api/v1', DEPT_BDC_URL: 'http://10.0.0.9/bdc', DEPT_RSJ_URL: 'https://10.0.0.10/rsj' });
    const warnings = startupWarnings(config, catalogue);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/部门推送地址为明文 http.*BDC \(DEPT_BDC_URL\).*over plain http/);
    expect(warnings[0]).not.toContain('RSJ');
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
          PLATFORM_ALLOW_HTTP: 'true', // a test network: started, with a warning
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

    it('an http:// platform let through by PLATFORM_ALLOW_HTTP=true is warned about at start-up', () => {
      expect(proc.log()).toMatch(/市平台地址为明文 http（PLATFORM_ALLOW_HTTP=true），仅限测试网络 the city platform is reached over plain http/);
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
