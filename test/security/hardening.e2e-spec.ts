import { randomBytes, scryptSync } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { type Server, type Server as HttpServer, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadGatewayConfig, operatorTokenExpiry, resolveSecrets } from '#gw/common';
import { createGatewayContext } from '#gw/ingress';
import { AuditLogEntity, DeliveryAttemptEntity, InboundBatchEntity, InboundMessageEntity, OperatorAccountEntity, OutboxEntity, PlatformCallbackEntity } from '#gw/persistence';
import { In } from 'typeorm';
import { platformFor } from '../../apps/gateway/src/embedded-platform';
import { freePort } from '../support/free-port';
import { onlineApplication } from '../support/callbacks';
import { waitFor } from '../support/wait-for';
import { OPERATOR_TOKEN, REPO_ROOT, TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';
import { scjgEvent } from '../support/scjg-events';
import { YBJ_HEADER, postBatch, postEvent } from '../departments/department-support';

jest.setTimeout(90_000);

/**
 * The smaller holes of the outside review (issue 18, item 10), each tried against a running
 * gateway where it can be.
 */

const modeOf = (path: string) => statSync(path).mode & 0o777;

/** A one-row YBJ file (valid). */
const ybjFile = (serial: string) =>
  Buffer.from(
    `\uFEFF${YBJ_HEADER}\r\n${serial},YB-${serial},,11430626MB456789960000150001000,异地就医备案,申报,2026/10/23 9:05,李四,430626198503120040,13800000000,,,,430626\r\n`,
    'utf8',
  );

describe('10a: the data folder and the files holding personal data or secrets are the owner\'s only', () => {
  let root: string;
  let umask: number;
  beforeAll(() => {
    // The usual umask, which left folders 0755 and files 0644.
    umask = process.umask(0o022);
    root = mkdtempSync(join(tmpdir(), 'gw-modes-'));
  });
  afterAll(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });

  it('creates the data folder 0700, the SQLite database, -wal and -shm 0600, and the batch spool folder 0700', async () => {
    const dataDir = join(root, 'gateway', 'data');
    const gw: TestGateway = await startTestGateway({ env: { DATA_DIR: dataDir } });
    try {
      const reply = await postBatch(gw, 'ybj', ybjFile('YB-MODES-0001'), { 'X-Batch-Id': 'YBJ-MODES-1' });
      expect(reply.status).toBe(200);
      expect(modeOf(dataDir)).toBe(0o700);
      expect(modeOf(join(dataDir, 'spool'))).toBe(0o700);
      if (gw.testDb.kind === 'sqlite') {
        const db = join(dataDir, 'gateway.sqlite');
        expect(existsSync(`${db}-wal`)).toBe(true);
        for (const file of [db, `${db}-wal`, `${db}-shm`]) expect({ file, mode: modeOf(file) }).toEqual({ file, mode: 0o600 });
      }
    } finally {
      await gw.close();
    }
  });

  it('writes the generated secrets.json 0600 into a 0700 folder, and tightens one left 0644', () => {
    const dataDir = join(root, 'embedded', 'data');
    const config = loadGatewayConfig({ GATEWAY_MODE: 'embedded', DATA_DIR: dataDir, CATALOGUE_FILE: resolve(REPO_ROOT, 'config/catalogue.yaml') });
    const secrets = resolveSecrets(config, ['SCJG']);
    expect(secrets.generatedFile).toBe(join(dataDir, 'secrets.json'));
    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(secrets.generatedFile!)).toBe(0o600);
    // As older versions could leave it: read again, it is made the owner's only.
    chmodSync(secrets.generatedFile!, 0o644);
    chmodSync(dataDir, 0o755);
    resolveSecrets(config, ['SCJG']);
    expect(modeOf(secrets.generatedFile!)).toBe(0o600);
    expect(modeOf(dataDir)).toBe(0o700);
  });
});

describe('10c: operator passwords hashed with scrypt N=2^17; old hashes still sign in and are made again', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: { GATEWAY_ADMIN_USER: 'hash-admin', GATEWAY_ADMIN_PASSWORD: 'Hash-pass-2026!' } });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('stores new hashes at N=2^17 and replaces a 2^14 hash at the next successful login', async () => {
    const account = () => gw.db.manager.findOneByOrFail(OperatorAccountEntity, { username: 'hash-admin' });
    expect((await account()).passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
    // As the gateway hashed before this fix.
    const salt = randomBytes(16);
    const key = scryptSync('Hash-pass-2026!', salt, 32, { N: 16384, r: 8, p: 1 });
    await gw.db.manager.update(OperatorAccountEntity, { username: 'hash-admin' }, { passwordHash: ['scrypt', 16384, 8, 1, salt.toString('base64'), key.toString('base64')].join('$') });
    const login = await fetch(`${gw.url}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'hash-admin', password: 'Hash-pass-2026!' }) });
    expect(login.status).toBe(200);
    expect((await account()).passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
  });
});

describe('10d: security headers on every answer, no X-Powered-By', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  const expectHardened = (where: string, headers: Headers, api: boolean) => {
    const h = (name: string) => headers.get(name);
    expect({ where, poweredBy: h('x-powered-by') }).toEqual({ where, poweredBy: null });
    expect({ where, csp: h('content-security-policy') }).toEqual({ where, csp: expect.stringContaining("frame-ancestors 'none'") });
    expect(h('content-security-policy')).toContain("default-src 'self'");
    expect(h('content-security-policy')).toContain("object-src 'none'");
    expect(h('content-security-policy')).toContain("base-uri 'self'");
    expect({ where, nosniff: h('x-content-type-options') }).toEqual({ where, nosniff: 'nosniff' });
    expect({ where, frame: h('x-frame-options') }).toEqual({ where, frame: 'DENY' });
    expect({ where, referrer: h('referrer-policy') }).toEqual({ where, referrer: 'no-referrer' });
    expect({ where, coop: h('cross-origin-opener-policy') }).toEqual({ where, coop: 'same-origin' });
    expect(h('strict-transport-security')).toMatch(/max-age=\d+/);
    if (api) expect({ where, cache: h('cache-control') }).toEqual({ where, cache: 'no-store' });
  };

  it('sets them on the API (answers and errors), the dashboard, health and the department events fast path', async () => {
    const operator = { Authorization: `Bearer ${OPERATOR_TOKEN}` };
    const status = await fetch(`${gw.url}/api/v1/delivery/status`, { headers: operator });
    expect(status.status).toBe(200);
    expectHardened('GET /api/v1/delivery/status', status.headers, true);
    const unauthorised = await fetch(`${gw.url}/api/v1/quarantine`);
    expect(unauthorised.status).toBe(401);
    expectHardened('GET /api/v1/quarantine without a token', unauthorised.headers, true);
    const missing = await fetch(`${gw.url}/api/v1/no-such-route`);
    expect(missing.status).toBe(404);
    expectHardened('404', missing.headers, true);
    const dashboard = await fetch(`${gw.url}/dashboard/`);
    expect(dashboard.status).toBe(200);
    expectHardened('GET /dashboard/', dashboard.headers, false);
    const health = await fetch(`${gw.url}/health/live`);
    expectHardened('GET /health/live', health.headers, false);
    const event = await postEvent(gw, 'scjg', JSON.stringify(scjgEvent({ bizNo: 'SCJG-HDR-0001' })), 'application/json');
    expect(event.status).toBe(202);
    const fastPath = await fetch(`${gw.url}/api/v1/departments/scjg/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKENS.SCJG}` },
      body: JSON.stringify(scjgEvent({ bizNo: 'SCJG-HDR-0002' })),
    });
    expect(fastPath.status).toBe(202);
    expectHardened('POST events (fast path)', fastPath.headers, true);
    const tooLarge = await fetch(`${gw.url}/api/v1/departments/scjg/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKENS.SCJG}` },
      body: 'x'.repeat(2 * 1024 * 1024),
    });
    expect(tooLarge.status).toBe(413);
    expectHardened('POST events, too large (fast path)', tooLarge.headers, true);
  });
});

describe('10e: the built-in platform simulator\'s admin API needs its token; production never starts it', () => {
  let root: string;
  beforeAll(() => (root = mkdtempSync(join(tmpdir(), 'gw-sim-'))));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('guards the embedded simulator\'s admin API with a token generated into secrets.json', async () => {
    const dataDir = join(root, 'data');
    const ctx = createGatewayContext({
      GATEWAY_MODE: 'embedded',
      DATA_DIR: dataDir,
      CATALOGUE_FILE: resolve(REPO_ROOT, 'config/catalogue.yaml'),
      SIMULATOR_PORT: String(await freePort()),
      LOG_LEVEL: 'silent',
    });
    const token = ctx.secrets.simulatorAdminToken!;
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    expect(JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).simulatorAdminToken).toBe(token);
    const platform = await platformFor(ctx);
    try {
      const origin = new URL(platform.url).origin;
      const open = await fetch(`${origin}/admin/stats`);
      expect(open.status).toBe(401);
      // Signing a callback with the real callback secret is what an open admin API gave away.
      const forged = await fetch(`${origin}/admin/online-applications`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      expect(forged.status).toBe(401);
      expect((await fetch(`${origin}/admin/stats`, { headers: { Authorization: 'Bearer wrong-token' } })).status).toBe(401);
      expect((await fetch(`${origin}/admin/stats`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      await platform.close?.();
    }
  });

  it('never starts the simulator in production mode', async () => {
    const ctx = createGatewayContext({ GATEWAY_MODE: 'embedded', DATA_DIR: join(root, 'prod'), CATALOGUE_FILE: resolve(REPO_ROOT, 'config/catalogue.yaml'), SIMULATOR_PORT: String(await freePort()) });
    const production = { ...ctx, config: { ...ctx.config, mode: 'production' as const }, secrets: { ...ctx.secrets, simulatorAdminToken: undefined } };
    await expect(platformFor(production)).rejects.toThrow(/production mode never starts the platform simulator/);
    // Production's secrets hold no simulator token at all.
    const prodSecrets = resolveSecrets(
      loadGatewayConfig({ GATEWAY_MODE: 'production', DATA_DIR: join(root, 'prod2'), DATABASE_URL: 'mysql://u:p@127.0.0.1:3306/x', GATEWAY_DATA_KEY: '3f9a1c7e5b2d8046af1e9c3b7d5a2f8e0c4b6d9a1e3f5c7b9d2a4e6f8b0c1d3e', PLATFORM_CALLBACK_SECRET: 'callback-Qm4Rt7Yx2Kp9Lw3Nz6Bv1Cj8Hd5Fs0Ga', GATEWAY_OPERATOR_TOKEN: 'operator-7Hq2vK9pLz3xW8rT5mN1bC6dF4gJ0sYa', GATEWAY_DEPT_TOKEN_SCJG: 'scjg-Zx8Cv3Bn6Ml1Kj4Hg7Fd2Sa9Qw5Er0Ty' }),
      ['SCJG'],
    );
    expect(prodSecrets.simulatorAdminToken).toBeUndefined();
  });
});

describe('10f: slow clients get bounded time (slowloris)', () => {
  it('limits the time for headers, for a whole request and for idle kept-alive connections; configurable', async () => {
    const defaults = await startTestGateway();
    try {
      const server = defaults.app.getHttpServer() as Server;
      expect({ headers: server.headersTimeout, request: server.requestTimeout, keepAlive: server.keepAliveTimeout }).toEqual({ headers: 20_000, request: 120_000, keepAlive: 5_000 });
    } finally {
      await defaults.close();
    }
    // A slower county link gets a longer request limit.
    const slowLinks = await startTestGateway({ env: { HTTP_HEADERS_TIMEOUT_MS: '10000', HTTP_REQUEST_TIMEOUT_MS: '600000' } });
    try {
      const server = slowLinks.app.getHttpServer() as Server;
      expect({ headers: server.headersTimeout, request: server.requestTimeout }).toEqual({ headers: 10_000, request: 600_000 });
    } finally {
      await slowLinks.close();
    }
  });
});

describe('10g: deliveries to department systems follow no redirect and read no answer of any size', () => {
  const SETUP = '11430626MB123456250000120001000'; // SCJG's 企业设立登记 (online-capable)
  let gw: TestGateway;
  let dept: HttpServer;
  /** What the stand-in SCJG system does with the next delivery. */
  let mode: 'redirect' | 'huge' = 'redirect';
  const hits: string[] = [];
  let hugeClosedEarly = false;

  beforeAll(async () => {
    dept = createServer((req, res) => {
      hits.push(req.url ?? '');
      req.resume();
      if (req.url === '/moved') {
        res.end('{"code":"0"}');
      } else if (mode === 'redirect') {
        res.writeHead(302, { Location: `http://127.0.0.1:${(dept.address() as AddressInfo).port}/moved` }).end();
      } else {
        // 50 MB of answer, written as the client reads it: a gateway that reads it all takes it all.
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        let sent = 0;
        const more = () => {
          while (sent < 50) {
            sent++;
            if (!res.write(chunk)) return void res.once('drain', more);
          }
          res.end();
        };
        res.on('close', () => (hugeClosedEarly = sent < 50 || !res.writableFinished));
        more();
      }
    });
    await new Promise<void>((r) => dept.listen(0, '127.0.0.1', r));
    gw = await startTestGateway({ env: { DEPT_SCJG_URL: `http://127.0.0.1:${(dept.address() as AddressInfo).port}/scjg`, DISPATCH_RETRY_BASE_MS: '60000' } });
  });
  afterAll(async () => {
    await gw?.close();
    await new Promise((r) => dept?.close(r));
  });

  /** The delivery attempts to SCJG of the callback carrying `projectNo` (through its outbox row). */
  const attemptsFor = async (projectNo: string) => {
    const callback = await gw.db.manager.findOneBy(PlatformCallbackEntity, { projectNo });
    if (!callback) return [];
    const outbox = await gw.db.manager.findBy(OutboxEntity, { refId: callback.id });
    if (!outbox.length) return [];
    return gw.db.manager.findBy(DeliveryAttemptEntity, { endpoint: 'dept:SCJG', outboxId: In(outbox.map((o) => o.id)) });
  };

  it('parks a delivery answered by a redirect, with the reason, without following it', async () => {
    mode = 'redirect';
    const { projectNo } = (await request(gw.platform.origin).post('/admin/online-applications').send(onlineApplication(SETUP)).expect(202)).body;
    const parked = await waitFor('the redirected delivery parked', async () => (await attemptsFor(projectNo)).find((a) => a.outcome === 'PARK'));
    expect(parked.httpStatus).toBe(302);
    expect(parked.message).toMatch(/redirect to http:\/\/127\.0\.0\.1:\d+\/moved not followed/);
    expect(hits).toContain('/scjg');
    expect(hits).not.toContain('/moved');
  });

  it('cuts off an answer of 50 MB at 1 MiB and counts the delivery as failed', async () => {
    mode = 'huge';
    const { projectNo } = (await request(gw.platform.origin).post('/admin/online-applications').send(onlineApplication(SETUP)).expect(202)).body;
    const failed = await waitFor('the over-long answer counted as a failure', async () => (await attemptsFor(projectNo)).find((a) => a.outcome === 'RETRY'));
    expect(failed.message).toMatch(/larger than 1048576 bytes and was cut off/);
    await waitFor('the department system to see its answer abandoned', async () => hugeClosedEarly);
  });
});

describe('10h: stored requests keep no credential headers, and no header of any length', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  const CREDENTIALS: Record<string, string> = {
    Cookie: 'gw_session=cookie-credential-0001',
    'Proxy-Authorization': 'Basic cHJveHktY3JlZGVudGlhbA==',
    'X-Api-Key': 'api-key-credential-0001',
    'X-Auth-Token': 'auth-token-credential-0001',
    'X-Signature': 'signature-credential-0001',
    'X-Client-Secret': 'client-secret-credential-0001',
    'X-Upstream-Password': 'password-credential-0001',
  };
  const LONG = 'L'.repeat(5000);

  it('leaves them out of a kept event and a kept batch, and caps the rest', async () => {
    const extra = { ...CREDENTIALS, 'X-Long-Header': LONG, 'X-Vendor': 'vendor-kept' };
    const invalid = await postEvent(gw, 'scjg', JSON.stringify(scjgEvent({ bizNo: 'SCJG-HDRS-001', status: 99 })), 'application/json', TOKENS.SCJG, extra);
    expect(invalid.status).toBe(422);
    const batch = await postBatch(gw, 'ybj', ybjFile('YB-HDRS-0001'), { 'X-Batch-Id': 'YBJ-HDRS-1', ...extra });
    expect(batch.status).toBe(200);

    const stored = [
      ...(await gw.db.manager.find(InboundMessageEntity)).map((m) => m.headers),
      ...(await gw.db.manager.find(InboundBatchEntity)).map((b) => b.headers),
    ].filter((h): h is string => !!h);
    expect(stored.length).toBeGreaterThanOrEqual(2);
    for (const text of stored) {
      const headers = JSON.parse(text) as Record<string, string>;
      expect(Object.keys(headers).filter((k) => /cookie|authorization|api-key|token|signature|secret|password/i.test(k))).toEqual([]);
      for (const value of Object.values(CREDENTIALS)) expect(text).not.toContain(value);
      expect(text).not.toContain(TOKENS.SCJG);
      expect(text).not.toContain(TOKENS.YBJ);
      expect(headers['x-vendor']).toBe('vendor-kept');
      expect(headers['x-long-header'].length).toBeLessThanOrEqual(513);
    }
  });
});

describe('10i: a dashboard session ends at its maximum lifetime, however active', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    // ~1.8 s of lifetime; the idle timeout stays 30 minutes, so only the maximum can end it.
    gw = await startTestGateway({ env: { GATEWAY_ADMIN_USER: 'life-admin', GATEWAY_ADMIN_PASSWORD: 'Life-pass-2026!', DASHBOARD_SESSION_MAX_HOURS: '0.0005' } });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('answers 401 once the maximum is reached although the session is used all along', async () => {
    const login = await fetch(`${gw.url}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'life-admin', password: 'Life-pass-2026!' }) });
    expect(login.status).toBe(200);
    const cookie = String(login.headers.get('set-cookie')).split(';')[0];
    const me = () => fetch(`${gw.url}/api/v1/auth/me`, { headers: { Cookie: cookie } });
    const first = await me();
    expect(first.status).toBe(200);
    expect(Date.parse(((await first.json()) as { expiresAt: string }).expiresAt) - Date.now()).toBeLessThan(60_000);
    // Used every 100 ms: without a maximum each use would keep it alive for another 30 minutes.
    const ended = await waitFor('the session to end', async () => ((await me()).status === 401 ? true : null), 20_000, 100);
    expect(ended).toBe(true);
  });
});

describe('10j: the operator token can expire (GATEWAY_OPERATOR_TOKEN_EXPIRES) and its uses are audited as operator:token', () => {
  const operator = { Authorization: `Bearer ${OPERATOR_TOKEN}` };

  it('refuses the token after its date, with its own code', async () => {
    const gw = await startTestGateway({ env: { GATEWAY_OPERATOR_TOKEN_EXPIRES: '2020-01-01' } });
    try {
      const r = await fetch(`${gw.url}/api/v1/delivery/status`, { headers: operator });
      expect(r.status).toBe(401);
      expect((await r.json()) as { code: string }).toMatchObject({ code: 'OPERATOR_TOKEN_EXPIRED' });
      expect((await fetch(`${gw.url}/api/v1/auth/me`, { headers: operator })).status).toBe(401);
    } finally {
      await gw.close();
    }
  });

  it('accepts it until the end of its day (Beijing time), auditing what it does as operator:token', async () => {
    const gw = await startTestGateway({ env: { GATEWAY_OPERATOR_TOKEN_EXPIRES: '2999-12-31' } });
    try {
      const me = await fetch(`${gw.url}/api/v1/auth/me`, { headers: operator });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { expiresAt: string }).expiresAt).toBe('2999-12-31T16:00:00.000Z');
      const replay = await fetch(`${gw.url}/api/v1/quarantine/replay`, { method: 'POST', headers: { ...operator, 'Content-Type': 'application/json' }, body: '{}' });
      expect(replay.status).toBeLessThan(300);
      const audit = await gw.db.manager.find(AuditLogEntity);
      expect(audit.filter((a) => a.action === 'QUARANTINE_REPLAY_MATCHING').map((a) => a.actor)).toEqual(['operator:token']);
    } finally {
      await gw.close();
    }
  });

  it('refuses to start with a malformed date', () => {
    expect(() => operatorTokenExpiry({ GATEWAY_OPERATOR_TOKEN_EXPIRES: '2026-02-30' })).toThrow(/yyyy-MM-dd/);
    expect(() => operatorTokenExpiry({ GATEWAY_OPERATOR_TOKEN_EXPIRES: '31.12.2026' })).toThrow(/yyyy-MM-dd/);
    expect(operatorTokenExpiry({})).toBeNull();
  });
});
