import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { generate } from 'otplib';
import request from 'supertest';
import { AuditLogEntity, OperatorAccountEntity } from '#gw/persistence';
import { CliIo, runCli } from '../../apps/gateway/src/cli';
import { createAndSignIn, enrolTotp, nextTotpCode, signIn, totpSecretOf } from '../support/operators';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { DATA_KEY, OPERATOR_TOKEN, REPO_ROOT, TestGateway, startTestGateway } from '../support/test-gateway';

jest.setTimeout(120_000);

/**
 * 身份鉴别 (GB/T 22239-2019 level 3): two factors for operators (password + TOTP), the password
 * policy and its expiry, against a running gateway and its real database.
 */
const ADMIN = { username: 'sec-admin', password: 'Trust-Admin-Pass-2026!' };

describe('operators sign in with two factors', () => {
  let testDb: TestDatabase;
  let gw: TestGateway;
  let adminCookie: string;

  const login = (body: Record<string, string>, ip = '10.9.0.1') =>
    request(gw.url).post('/api/v1/auth/login').set('X-Forwarded-For', ip).send(body);
  const cookieOf = (r: request.Response) => String(r.headers['set-cookie']).split(';')[0];
  const account = (username: string) => gw.db.manager.findOneByOrFail(OperatorAccountEntity, { username });
  const cli = async (argv: string[]) => {
    const out: string[] = [];
    const io: CliIo = {
      env: {
        GATEWAY_MODE: 'embedded',
        CATALOGUE_FILE: resolve(REPO_ROOT, 'config/catalogue.yaml'),
        GATEWAY_DATA_KEY: DATA_KEY,
        GATEWAY_OPERATOR_TOKEN: OPERATOR_TOKEN,
        ...testDb.env,
      },
      stdin: Readable.from(['']),
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => out.push(s) },
    };
    return { code: await runCli(argv, io), out: out.join('') };
  };

  beforeAll(async () => {
    testDb = await createTestDatabase();
    gw = await startTestGateway({ testDb, env: { GATEWAY_ADMIN_USER: ADMIN.username, GATEWAY_ADMIN_PASSWORD: ADMIN.password } });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('limits an admin without a second factor to enrolling one, then asks every sign-in for a code', async () => {
    const first = await login(ADMIN).expect(200);
    expect(first.body).toMatchObject({ role: 'admin', setup: 'totp-enrolment' });
    const pending = cookieOf(first);
    expect((await request(gw.url).get('/api/v1/ops/operators').set('Cookie', pending).expect(403)).body.code).toBe('OPERATOR_SETUP_REQUIRED');

    const started = await request(gw.url).post('/api/v1/auth/totp/enrol').set('Cookie', pending).expect(200);
    expect(started.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(started.body.uri).toContain(`secret=${started.body.secret}`);
    expect(started.body.qrCode).toMatch(/^data:image\/png;base64,/);
    // Stored SM4-encrypted, never in clear.
    const stored = await account(ADMIN.username);
    expect(stored.totpSecret).toMatch(/^sm4\./);
    expect(stored.totpSecret).not.toContain(started.body.secret);
    expect(gw.ctx.cipher.decrypt(stored.totpSecret!)).toBe(started.body.secret);
    // Not active until a code confirms it: a wrong one does not.
    await request(gw.url).post('/api/v1/auth/totp/confirm').set('Cookie', pending).send({ code: '000000' }).expect(401);
    expect((await account(ADMIN.username)).totpEnabled).toBe(false);
    const code = await nextTotpCode(started.body.secret);
    await request(gw.url).post('/api/v1/auth/totp/confirm').set('Cookie', pending).send({ code }).expect(200);
    // The same session may now work.
    await request(gw.url).get('/api/v1/ops/operators').set('Cookie', pending).expect(200);
    const secret: string = started.body.secret;

    // The password alone opens nothing now: a challenge, no cookie.
    const step1 = await login(ADMIN).expect(200);
    expect(step1.body).toMatchObject({ needsTotp: true });
    expect(step1.headers['set-cookie']).toBeUndefined();
    expect((await request(gw.url).post('/api/v1/auth/login/totp').send({ pendingToken: step1.body.pendingToken, code: '123456' }).expect(401)).body.code).toBe('TOTP_FAILED');
    // The code that confirmed the enrolment was used: it is refused within its window.
    await request(gw.url).post('/api/v1/auth/login/totp').send({ pendingToken: step1.body.pendingToken, code }).expect(401);
    // A forged challenge is refused.
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(step1.body.pendingToken, 'base64url').toString()), u: 'someone-else' })).toString('base64url');
    expect((await request(gw.url).post('/api/v1/auth/login/totp').send({ pendingToken: forged, code: '123456' }).expect(401)).body.code).toBe('TOTP_CHALLENGE_INVALID');
    const ok = await request(gw.url).post('/api/v1/auth/login/totp').send({ pendingToken: step1.body.pendingToken, code: await nextTotpCode(secret) }).expect(200);
    expect(ok.body).toMatchObject({ username: ADMIN.username, role: 'admin', setup: null });
    adminCookie = cookieOf(ok);
    await request(gw.url).get('/api/v1/ops/operators').set('Cookie', adminCookie).expect(200);

    // …or password and code in one request.
    const again = await nextTotpCode(secret);
    await login({ ...ADMIN, code: again }).expect(200);
    // That code once more: refused (RFC 6238 §5.2, one use per step).
    expect((await login({ ...ADMIN, code: again }).expect(401)).body.code).toBe('TOTP_FAILED');

    const audit = await gw.db.manager.find(AuditLogEntity, { where: { targetId: ADMIN.username } });
    const actions = audit.map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['TOTP_ENROLMENT_STARTED', 'TOTP_ENABLED', 'LOGIN', 'LOGIN_FAILED']));
    expect(audit.filter((a) => a.action === 'LOGIN_FAILED').map((a) => JSON.parse(String(a.detail)).reason)).toContain('WRONG_TOTP');
    expect(JSON.stringify(audit)).not.toContain(secret);
  });

  it('counts wrong codes toward the lock-out: five lock the name, even for the right code', async () => {
    const cookie = await createAndSignIn(gw.url, adminCookie, 'lock-op', 'operator', 'Locked-Out-Later-2026!');
    const secret = await enrolTotp(gw.url, cookie);
    for (let i = 0; i < 5; i++) {
      const r = await login({ username: 'lock-op', password: 'Locked-Out-Later-2026!' }, `10.9.1.${i}`).expect(200);
      await request(gw.url).post('/api/v1/auth/login/totp').set('X-Forwarded-For', `10.9.1.${i}`).send({ pendingToken: r.body.pendingToken, code: '000001' }).expect(401);
    }
    const locked = await login({ username: 'lock-op', password: 'Locked-Out-Later-2026!', code: await nextTotpCode(secret) }, '10.9.2.1').expect(429);
    expect(locked.body.code).toBe('LOGIN_LOCKED');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('lets an admin require a second factor of another account, and reset it', async () => {
    await createAndSignIn(gw.url, adminCookie, 'req-viewer', 'viewer', 'Viewer-Needs-2fa-2026');
    const list = (await request(gw.url).get('/api/v1/ops/operators').set('Cookie', adminCookie).expect(200)).body.items;
    expect(list.find((a: { username: string }) => a.username === 'req-viewer')).toMatchObject({ totp: 'off', totpRequired: false });
    await request(gw.url).patch('/api/v1/ops/operators/req-viewer').set('Cookie', adminCookie).send({ totpRequired: true }).expect(200);
    const r = await login({ username: 'req-viewer', password: 'Viewer-Needs-2fa-2026' }).expect(200);
    expect(r.body.setup).toBe('totp-enrolment');
    await request(gw.url).get('/api/v1/quarantine').set('Cookie', cookieOf(r)).expect(403);
    await enrolTotp(gw.url, cookieOf(r));
    await request(gw.url).get('/api/v1/quarantine').set('Cookie', cookieOf(r)).expect(200);
    expect((await login({ username: 'req-viewer', password: 'Viewer-Needs-2fa-2026' }).expect(200)).body.needsTotp).toBe(true);
    await request(gw.url).patch('/api/v1/ops/operators/req-viewer').set('Cookie', adminCookie).send({ resetTotp: true }).expect(200);
    expect((await login({ username: 'req-viewer', password: 'Viewer-Needs-2fa-2026' }).expect(200)).body.setup).toBe('totp-enrolment');
  });

  it('resets a locked-out admin\'s second factor from the command line', async () => {
    await createAndSignIn(gw.url, adminCookie, 'lost-phone', 'admin', 'Phone-Gone-Admin-2026');
    expect(totpSecretOf(gw.url, 'lost-phone')).toBeDefined();
    expect((await login({ username: 'lost-phone', password: 'Phone-Gone-Admin-2026' }).expect(200)).body.needsTotp).toBe(true);
    expect(await cli(['reset-totp', '--user', 'lost-phone'])).toMatchObject({ code: 0, out: expect.stringContaining('lost-phone') });
    const r = await login({ username: 'lost-phone', password: 'Phone-Gone-Admin-2026' }).expect(200);
    expect(r.body).toMatchObject({ role: 'admin', setup: 'totp-enrolment' });
    expect((await cli(['list-operators'])).out).toMatch(/lost-phone\tadmin\tactive\t\S+\ttotp:off/);
    const audit = await gw.db.manager.find(AuditLogEntity, { where: { action: 'TOTP_RESET', targetId: 'lost-phone' } });
    expect(audit.map((a) => a.actor)).toEqual(['cli']);
  });

  it('accepts a code of the step before or after, not two away', async () => {
    const cookie = await createAndSignIn(gw.url, adminCookie, 'drift-op', 'operator', 'Clock-Drift-Pass-2026!');
    const secret = await enrolTotp(gw.url, cookie);
    const step = Math.floor(Date.now() / 30_000);
    const far = await generate({ secret, epoch: (step + 3) * 30 });
    expect((await login({ username: 'drift-op', password: 'Clock-Drift-Pass-2026!', code: far }).expect(401)).body.code).toBe('TOTP_FAILED');
    const near = await generate({ secret, epoch: (step + 1) * 30 + 1 });
    await login({ username: 'drift-op', password: 'Clock-Drift-Pass-2026!', code: near }).expect(200);
  });
});

describe('the password policy', () => {
  let gw: TestGateway;
  let adminCookie: string;
  const cookieOf = (r: request.Response) => String(r.headers['set-cookie']).split(';')[0];

  beforeAll(async () => {
    gw = await startTestGateway({ env: { GATEWAY_ADMIN_USER: 'pw-admin', GATEWAY_ADMIN_PASSWORD: 'Policy-Admin-Pass-2026', PASSWORD_MAX_AGE_DAYS: '30' } });
    adminCookie = await signIn(gw.url, 'pw-admin', 'Policy-Admin-Pass-2026');
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('refuses short, two-class, name-containing and common passwords with the reason', async () => {
    const create = (username: string, password: string) =>
      request(gw.url).post('/api/v1/ops/operators').set('Cookie', adminCookie).send({ username, role: 'viewer', password });
    expect((await create('wangwu', 'Short-1!').expect(400)).body.message).toContain('至少 12 个字符');
    expect((await create('wangwu', 'onlylowercase-letters').expect(400)).body.message).toContain('至少三类');
    expect((await create('wangwu', 'Wangwu-Pass-2026').expect(400)).body.message).toContain('用户名');
    expect((await create('wangwu', 'Admin@123456').expect(400)).body.message).toContain('常见');
    await create('wangwu', 'Wang-Wu-Valid-2026').expect(201);
  });

  it('makes an expired password be changed before anything else, and not back to the last one', async () => {
    await request(gw.url).post('/api/v1/ops/operators').set('Cookie', adminCookie).send({ username: 'old-pw', role: 'operator', password: 'First-Old-Pass-2026' }).expect(201);
    await request(gw.url).post('/api/v1/auth/login').send({ username: 'old-pw', password: 'First-Old-Pass-2026' }).expect(200);
    await gw.db.transaction((em) => em.update(OperatorAccountEntity, { username: 'old-pw' }, { passwordChangedAt: new Date(Date.now() - 31 * 86_400_000) }));

    const r = await request(gw.url).post('/api/v1/auth/login').send({ username: 'old-pw', password: 'First-Old-Pass-2026' }).expect(200);
    expect(r.body.setup).toBe('password-change');
    const cookie = cookieOf(r);
    expect((await request(gw.url).get('/api/v1/parked').set('Cookie', cookie).expect(403)).body.code).toBe('OPERATOR_SETUP_REQUIRED');
    expect((await request(gw.url).get('/api/v1/auth/me').set('Cookie', cookie).expect(200)).body.setup).toBe('password-change');
    await request(gw.url).post('/api/v1/auth/totp/enrol').set('Cookie', cookie).expect(403); // the password first
    const change = (currentPassword: string, newPassword: string) =>
      request(gw.url).post('/api/v1/auth/password').set('Cookie', cookie).send({ currentPassword, newPassword });
    expect((await change('Wrong-Current-2026', 'Second-New-Pass-2026').expect(401)).body.code).toBe('PASSWORD_WRONG');
    expect((await change('First-Old-Pass-2026', 'First-Old-Pass-2026').expect(400)).body.code).toBe('PASSWORD_REUSED');
    expect((await change('First-Old-Pass-2026', 'weak').expect(400)).body.message).toContain('至少 12 个字符');
    await change('First-Old-Pass-2026', 'Second-New-Pass-2026').expect(200);
    await request(gw.url).get('/api/v1/parked').set('Cookie', cookie).expect(200);
    // Not back to the one before either.
    expect((await change('Second-New-Pass-2026', 'First-Old-Pass-2026').expect(400)).body.code).toBe('PASSWORD_REUSED');
    await request(gw.url).post('/api/v1/auth/login').send({ username: 'old-pw', password: 'First-Old-Pass-2026' }).expect(401);
    expect((await request(gw.url).post('/api/v1/auth/login').send({ username: 'old-pw', password: 'Second-New-Pass-2026' }).expect(200)).body.setup).toBeNull();
    const audit = await gw.db.manager.find(AuditLogEntity, { where: { action: 'PASSWORD_CHANGED', targetId: 'old-pw' } });
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain('Pass-2026');
  });
});
