import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGatewayConfig } from '#gw/common';
import { freePort } from '../support/free-port';
import { AppProcess, APP_SCRIPTS, DATA_KEY, artifactsDir, departmentTokens, ensureBuilt, gatewayEnv } from '../support/processes';
import { TestDatabase, createTestDatabase, usingMysql } from '../support/test-database';
import { REPO_ROOT, TestGateway, startTestGateway } from '../support/test-gateway';
import { waitFor } from '../support/wait-for';

jest.setTimeout(300_000);

const CATALOGUE_FILE = join(REPO_ROOT, 'config/catalogue.yaml');

/** A self-signed certificate for 127.0.0.1 (its own CA), made with openssl. */
function selfSigned(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'gateway.crt');
  const key = join(dir, 'gateway.key');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return { cert, key };
}

type Reply = { status: number; body: string };

/** GET over HTTPS trusting only `ca` (the certificate's name is checked). */
function getHttps(url: string, ca: Buffer, extra: { maxVersion?: 'TLSv1.2' } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, { ca, timeout: 5000, ...extra }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', reject);
  });
}

/** GET over plain HTTP: resolves with the answer, or with the error if none came. */
function getPlain(url: string): Promise<Reply | { error: string }> {
  return new Promise((resolve) => {
    const req = httpGet(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
  });
}

describe('TLS for the gateway\'s own listener (TLS_CERT_FILE, TLS_KEY_FILE)', () => {
  let dir: string;
  let files: { cert: string; key: string };
  let ca: Buffer;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-tls-'));
    files = selfSigned(dir);
    ca = readFileSync(files.cert);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts a spawned gateway process and waits until it answers /health/live over HTTPS. */
  const startOverHttps = async (proc: AppProcess, port: number, what: string) => {
    await proc.start();
    await waitFor(
      `the ${what} answering over HTTPS`,
      async () => {
        if (!proc.alive) throw new Error(`the ${what} exited:\n${proc.tail()}`);
        return (await getHttps(`https://127.0.0.1:${port}/health/live`, ca).catch(() => null))?.status === 200;
      },
      90_000,
      200,
    );
  };

  const refusal = (env: Record<string, string>): string => {
    try {
      loadGatewayConfig({ GATEWAY_MODE: 'embedded', DATA_DIR: dir, ...env });
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('expected the configuration to be refused');
  };

  it('both or neither; each a readable file; a key that is the certificate\'s — else start-up stops naming the variable', () => {
    expect(loadGatewayConfig({ GATEWAY_MODE: 'embedded', DATA_DIR: dir }).tls).toBeUndefined();
    expect(loadGatewayConfig({ GATEWAY_MODE: 'embedded', DATA_DIR: dir, TLS_CERT_FILE: files.cert, TLS_KEY_FILE: files.key }).tls).toEqual({
      certFile: files.cert,
      keyFile: files.key,
      minVersion: 'TLSv1.2',
    });
    expect(refusal({ TLS_CERT_FILE: files.cert })).toMatch(/TLS_KEY_FILE: 缺少 missing .*give both the certificate and the key, or neither/);
    expect(refusal({ TLS_KEY_FILE: files.key })).toMatch(/TLS_CERT_FILE: 缺少 missing/);
    const missing = refusal({ TLS_CERT_FILE: join(dir, 'nope.crt'), TLS_KEY_FILE: files.key });
    expect(missing).toContain('配置有误');
    expect(missing).toMatch(/TLS_CERT_FILE=".*nope\.crt": 文件不存在 no such file/);
    // The key swapped for the certificate: named, and nothing of the key is printed.
    const swapped = refusal({ TLS_CERT_FILE: files.cert, TLS_KEY_FILE: files.cert });
    expect(swapped).toMatch(/TLS_CERT_FILE=.*证书或私钥无法使用.* the certificate or key cannot be used/);
    expect(swapped).not.toContain('BEGIN');
    // Another key than the certificate's.
    const other = join(dir, 'other.key');
    writeFileSync(other, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(refusal({ TLS_CERT_FILE: files.cert, TLS_KEY_FILE: other })).toMatch(/证书或私钥无法使用.*the certificate or key cannot be used/);
    expect(refusal({ TLS_CERT_FILE: files.cert, TLS_KEY_FILE: files.key, TLS_MIN_VERSION: 'TLSv1.0' })).toMatch(/TLS_MIN_VERSION.*TLSv1\.2 or TLSv1\.3/);
    if (process.getuid?.() !== 0) {
      const unreadable = join(dir, 'unreadable.key');
      writeFileSync(unreadable, readFileSync(files.key));
      chmodSync(unreadable, 0o000);
      expect(refusal({ TLS_CERT_FILE: files.cert, TLS_KEY_FILE: unreadable })).toMatch(/TLS_KEY_FILE=\".*unreadable\.key\": 文件不可读 cannot be read \(EACCES\)/);
    }
  });

  describe('the built gateway, spawned in embedded mode with a certificate', () => {
    const logs = artifactsDir('security-tls');
    let proc: AppProcess;
    let dataDir: string;
    let port: number;

    beforeAll(async () => {
      await ensureBuilt();
      dataDir = mkdtempSync(join(tmpdir(), 'gw-tls-data-'));
      port = await freePort();
      proc = new AppProcess(
        'gateway-tls',
        APP_SCRIPTS.gateway,
        {
          GATEWAY_MODE: 'embedded',
          CATALOGUE_FILE,
          DATA_DIR: dataDir,
          HOST: '127.0.0.1',
          PORT: String(port),
          SIMULATOR_PORT: String(await freePort()),
          WAKE_URL: 'none',
          RETENTION_INTERVAL: 'off',
          LOG_LEVEL: 'warn',
          GATEWAY_DATA_KEY: DATA_KEY,
          TLS_CERT_FILE: files.cert,
          TLS_KEY_FILE: files.key,
        },
        join(logs, 'gateway.log'),
      );
      await startOverHttps(proc, port, 'gateway');
    }, 300_000);
    afterAll(async () => {
      await proc?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('serves /health over HTTPS to a client trusting its CA; the banner prints https:// addresses', async () => {
      const live = await getHttps(`https://127.0.0.1:${port}/health/live`, ca);
      expect(live.status).toBe(200);
      const ready = await getHttps(`https://127.0.0.1:${port}/health/ready`, ca);
      expect(ready.status).toBe(200);
      await waitFor('the banner', async () => proc.log().includes('Pingjiang gateway is running'), 10_000);
      expect(proc.log()).toContain(`https://127.0.0.1:${port}/dashboard`);
      expect(proc.log()).not.toContain(`http://127.0.0.1:${port}/`);
    });

    it('serves no plain HTTP on that port', async () => {
      const plain = await getPlain(`http://127.0.0.1:${port}/health/live`);
      // Node's TLS server drops a connection that does not start a handshake: no answer at all.
      expect(plain).not.toMatchObject({ status: 200 });
      expect('error' in plain ? plain.error : `HTTP ${(plain as Reply).status}`).toMatch(/ECONNRESET|socket hang up|EPIPE|HTTP 4\d\d/);
    });

    it('refuses a client that does not trust the certificate', async () => {
      await expect(getHttps(`https://127.0.0.1:${port}/health/live`, Buffer.from(''))).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
    });
  });

  (usingMysql() ? describe : describe.skip)('a production ingress process (split deployment) on MariaDB, with a certificate', () => {
    const logs = artifactsDir('security-tls-ingress');
    let proc: AppProcess;
    let testDb: TestDatabase;
    let port: number;

    beforeAll(async () => {
      await ensureBuilt();
      testDb = await createTestDatabase();
      port = await freePort();
      proc = new AppProcess(
        'ingress-tls',
        APP_SCRIPTS.ingress,
        {
          ...gatewayEnv('https://127.0.0.1:9/zwfw/api/v1', departmentTokens()),
          GATEWAY_MODE: 'production',
          DATA_DIR: testDb.dataDir,
          DATABASE_URL: testDb.env.DATABASE_URL,
          PORT: String(port),
          WAKE_URL: 'none',
          RETENTION_INTERVAL: 'off',
          TLS_CERT_FILE: files.cert,
          TLS_KEY_FILE: files.key,
        },
        join(logs, 'ingress.log'),
      );
      await startOverHttps(proc, port, 'ingress');
    }, 300_000);
    afterAll(async () => {
      await proc?.stop();
      await testDb?.drop();
    });

    it('serves /health/ready over HTTPS only; its banner prints https://', async () => {
      expect((await getHttps(`https://127.0.0.1:${port}/health/ready`, ca)).status).toBe(200);
      expect(await getPlain(`http://127.0.0.1:${port}/health/ready`)).not.toMatchObject({ status: 200 });
      await waitFor('the banner', async () => proc.log().includes('ingress is running'), 10_000);
      expect(proc.log()).toContain(`https://127.0.0.1:${port}/health/ready`);
    });
  });

  describe('TLS_MIN_VERSION=TLSv1.3 (the gateway as the suites start it)', () => {
    let gw: TestGateway;
    afterAll(async () => {
      await gw?.close();
    });

    it('answers TLS 1.3 and refuses a client that offers at most TLS 1.2', async () => {
      gw = await startTestGateway({ env: { TLS_CERT_FILE: files.cert, TLS_KEY_FILE: files.key, TLS_MIN_VERSION: 'TLSv1.3' } });
      expect(gw.url).toMatch(/^https:\/\//);
      expect((await getHttps(`${gw.url}/health/live`, ca)).status).toBe(200);
      await expect(getHttps(`${gw.url}/health/live`, ca, { maxVersion: 'TLSv1.2' })).rejects.toThrow(/version|alert|handshake/i);
    });
  });
});

describe('a refused start names the TLS variable in Chinese and English (the built gateway, spawned)', () => {
  const logs = artifactsDir('security-tls-refused');
  let dataDir: string;
  beforeAll(() => ensureBuilt(), 300_000);
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'gw-tls-refused-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('a certificate without its key: exits 1, nothing started', async () => {
    const proc = new AppProcess(
      'tls-refused',
      APP_SCRIPTS.gateway,
      { GATEWAY_MODE: 'embedded', CATALOGUE_FILE, DATA_DIR: dataDir, PORT: String(await freePort()), TLS_CERT_FILE: join(dataDir, 'missing.crt') },
      join(logs, 'tls-refused.log'),
    );
    await proc.start();
    expect(await proc.waitExit()).toBe(1);
    const out = proc.log();
    expect(out).toContain('配置有误');
    expect(out).toContain('configuration is invalid');
    expect(out).toMatch(/TLS_KEY_FILE: 缺少 missing/);
    expect(out).not.toContain('Pingjiang gateway is running');
  });
});
