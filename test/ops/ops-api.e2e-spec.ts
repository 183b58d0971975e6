import request from 'supertest';
import { AuditLogEntity, LoginThrottleEntity, OperatorAccountEntity, OperatorSessionEntity } from '#gw/persistence';
import { createAndSignIn, nextTotpCode, signIn as signInWithTotp, totpSecretOf } from '../support/operators';
import { OPERATOR_TOKEN, TestGateway, startTestGateway } from '../support/test-gateway';
import { platformAdmin } from '../support/platform-admin';
import { scjgEvent, postScjgEvent } from '../support/scjg-events';
import { waitFor } from '../support/wait-for';

// The e2e project's testTimeout is not applied to projects by every jest version: set it here.
jest.setTimeout(60_000);

export const ADMIN = { username: 'zhangsan', password: 'Pj-admin-2026!' };

/** Signs in and returns the session cookie (`gw_session=…`); an admin enrols its second factor the first time. */
export const signIn = signInWithTotp;

describe('operators: sign-in, roles, overview, drain, readiness (real HTTP, real database)', () => {
  let gw: TestGateway;
  let admin: string;
  /** Separate duties: the admin sees no cases and no audit log; these roles do. */
  let reader: string;
  let auditor: string;
  const post = (body: unknown) => postScjgEvent(gw.url, body);
  const audit = (action: string) => gw.db.manager.find(AuditLogEntity, { where: { action }, order: { id: 'ASC' } });

  beforeAll(async () => {
    gw = await startTestGateway({
      env: {
        GATEWAY_ADMIN_USER: ADMIN.username,
        GATEWAY_ADMIN_PASSWORD: ADMIN.password,
        BREAKER_RESET_MS: '1500',
        PLATFORM_TIMEOUT_MS: '1000',
        READY_MAX_OUTBOX_AGE_SECONDS: '1',
      },
    });
    admin = await signIn(gw.url, ADMIN.username, ADMIN.password);
    reader = await createAndSignIn(gw.url, admin, 'duyan', 'viewer', 'Reader-Pass-2026');
    auditor = await createAndSignIn(gw.url, admin, 'shenji', 'auditor', 'Auditor-Pass-2026');
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('creates the first admin from the environment, storing only a salted scrypt hash', async () => {
    const a = await gw.db.manager.findOneByOrFail(OperatorAccountEntity, { username: ADMIN.username });
    expect(a.role).toBe('admin');
    expect(a.passwordHash).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a.passwordHash).not.toContain(ADMIN.password);
    expect((await audit('OPERATOR_CREATED')).some((e) => e.targetId === ADMIN.username && e.actor === 'system')).toBe(
      true,
    );
  });

  it('signs in with an HttpOnly SameSite=Strict cookie, audits success and failure without the password, and signs out', async () => {
    const bad = await request(gw.url)
      .post('/api/v1/auth/login')
      .send({ username: ADMIN.username, password: 'wrong-password-123' })
      .expect(401);
    expect(bad.body.code).toBe('LOGIN_FAILED');
    expect(bad.headers['set-cookie']).toBeUndefined();
    await request(gw.url)
      .post('/api/v1/auth/login')
      .send({ username: 'nobody', password: 'whatever-123456' })
      .expect(401);

    const res = await request(gw.url)
      .post('/api/v1/auth/login')
      .send({ username: 'ZhangSan', password: ADMIN.password, code: await nextTotpCode(totpSecretOf(gw.url, ADMIN.username)!) })
      .expect(200);
    expect(res.body).toMatchObject({ username: ADMIN.username, role: 'admin' });
    const cookie = ([] as string[]).concat(res.headers['set-cookie'])[0];
    expect(cookie).toMatch(/^gw_session=[A-Za-z0-9_-]{40,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=1800$/);
    const session = cookie.split(';')[0];
    const me = await request(gw.url).get('/api/v1/auth/me').set('Cookie', session).expect(200);
    expect(me.body).toMatchObject({ username: ADMIN.username, role: 'admin', sessionMinutes: 30 });
    // Only the hash of the session id is stored.
    const stored = await gw.db.manager.find(OperatorSessionEntity);
    expect(stored.some((s) => session.includes(s.idHash))).toBe(false);

    await request(gw.url).post('/api/v1/auth/logout').set('Cookie', session).expect(200);
    await request(gw.url).get('/api/v1/auth/me').set('Cookie', session).expect(401);
    await request(gw.url).get('/api/v1/ops/overview').set('Cookie', session).expect(401);

    const failed = await audit('LOGIN_FAILED');
    expect(failed.map((f) => [f.actor, JSON.parse(f.detail!).reason])).toEqual(
      expect.arrayContaining([
        [`operator:${ADMIN.username}`, 'WRONG_PASSWORD'],
        ['anonymous', 'UNKNOWN_USER'],
      ]),
    );
    expect((await audit('LOGIN')).length).toBeGreaterThanOrEqual(2);
    expect((await audit('LOGOUT')).length).toBe(1);
    const all = JSON.stringify(await gw.db.manager.find(AuditLogEntity));
    expect(all).not.toContain(ADMIN.password);
    expect(all).not.toContain('wrong-password-123');
    expect(all).not.toContain('whatever-123456');
  });

  it('locks a user name after five failures in a row', async () => {
    const name = 'lockme';
    for (let i = 0; i < 5; i++)
      await request(gw.url)
        .post('/api/v1/auth/login')
        .send({ username: name, password: `bad-password-${i}` })
        .expect(401);
    const locked = await request(gw.url)
      .post('/api/v1/auth/login')
      .send({ username: name, password: 'bad-password-x' })
      .expect(429);
    expect(locked.body.code).toBe('LOGIN_LOCKED');
    // Counted in the database (shared by every instance), under a hash: neither the name nor the address is kept.
    const rows = await gw.db.manager.find(LoginThrottleEntity);
    const row = rows.find((r) => r.failures === 5);
    expect(row?.lockedUntil?.getTime()).toBeGreaterThan(Date.now() + 4 * 60_000);
    expect(row?.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(name);
  });

  it('forgets counts whose window and lock are over as new failures come in', async () => {
    const hourAgo = new Date(Date.now() - 60 * 60_000);
    const stale = 'a'.repeat(64);
    const stillLocked = 'b'.repeat(64);
    await gw.db.manager.insert(LoginThrottleEntity, [
      { keyHash: stale, failures: 3, firstAt: hourAgo, lockedUntil: null },
      { keyHash: stillLocked, failures: 5, firstAt: hourAgo, lockedUntil: new Date(Date.now() + 60_000) },
    ]);
    await request(gw.url).post('/api/v1/auth/login').send({ username: 'someone-else', password: 'bad-password-1' }).expect(401);
    const keys = (await gw.db.manager.find(LoginThrottleEntity)).map((r) => r.keyHash);
    expect(keys).not.toContain(stale);
    expect(keys).toContain(stillLocked);
  });

  it('forgets the failures of a name once it signs in', async () => {
    await request(gw.url).post('/api/v1/auth/login').send({ username: ADMIN.username, password: 'wrong-password-456' }).expect(401);
    const before = await gw.db.manager.count(LoginThrottleEntity);
    await signIn(gw.url, ADMIN.username, ADMIN.password);
    expect(await gw.db.manager.count(LoginThrottleEntity)).toBe(before - 1);
  });

  it('expires sessions, and slides the expiry forward while the dashboard is used', async () => {
    const s = await signIn(gw.url, ADMIN.username, ADMIN.password);
    const rows = await gw.db.manager.find(OperatorSessionEntity, { order: { createdAt: 'DESC' } });
    const row = rows[0];
    // Nearly expired: the next request moves it to now + 30 minutes and sends the cookie again.
    await gw.db.manager.update(
      OperatorSessionEntity,
      { idHash: row.idHash },
      { expiresAt: new Date(Date.now() + 10_000) },
    );
    const res = await request(gw.url).get('/api/v1/auth/me').set('Cookie', s).expect(200);
    expect(String(res.headers['set-cookie'])).toMatch(/gw_session=.*Max-Age=1[78]\d\d/);
    const slid = await gw.db.manager.findOneByOrFail(OperatorSessionEntity, { idHash: row.idHash });
    expect(slid.expiresAt.getTime()).toBeGreaterThan(Date.now() + 29 * 60_000);
    // Expired: refused, and the row is removed.
    await gw.db.manager.update(
      OperatorSessionEntity,
      { idHash: row.idHash },
      { expiresAt: new Date(Date.now() - 1000) },
    );
    await request(gw.url).get('/api/v1/auth/me').set('Cookie', s).expect(401);
    expect(await gw.db.manager.countBy(OperatorSessionEntity, { idHash: row.idHash })).toBe(0);
  });

  it('enforces separate duties: viewers read, operators act, admins manage accounts, auditors read the log; the token acts as an operator', async () => {
    await request(gw.url)
      .post('/api/v1/ops/operators')
      .set('Cookie', admin)
      .send({ username: 'wangwu', role: 'viewer', password: 'viewer-pass-2026' })
      .expect(201);
    await request(gw.url)
      .post('/api/v1/ops/operators')
      .set('Cookie', admin)
      .send({ username: 'lisi', role: 'operator', password: 'operator-pass-2026' })
      .expect(201);
    const short = await request(gw.url)
      .post('/api/v1/ops/operators')
      .set('Cookie', admin)
      .send({ username: 'shorty', role: 'viewer', password: 'short' })
      .expect(400);
    expect(short.body.code).toBe('OPERATOR_INVALID');
    await request(gw.url)
      .post('/api/v1/ops/operators')
      .set('Cookie', admin)
      .send({ username: 'lisi', role: 'viewer', password: 'another-pass-2026' })
      .expect(409);

    const viewer = await signIn(gw.url, 'wangwu', 'viewer-pass-2026');
    const operator = await signIn(gw.url, 'lisi', 'operator-pass-2026');

    await request(gw.url).get('/api/v1/ops/overview').set('Cookie', viewer).expect(200);
    await request(gw.url).get('/api/v1/parked').set('Cookie', viewer).expect(200);
    await request(gw.url).get('/api/v1/ops/audit').set('Cookie', viewer).expect(403);
    await request(gw.url).get('/api/v1/ops/audit').set('Cookie', auditor).expect(200);
    await request(gw.url).get('/api/v1/parked').set('Cookie', auditor).expect(403);
    await request(gw.url).get('/api/v1/parked').set('Cookie', admin).expect(403);
    expect(
      (await request(gw.url).post('/api/v1/parked/rerun').set('Cookie', viewer).send({}).expect(403)).body.code,
    ).toBe('OPERATOR_FORBIDDEN');
    await request(gw.url).post('/api/v1/ops/drain').set('Cookie', viewer).expect(403);
    await request(gw.url).get('/api/v1/ops/operators').set('Cookie', viewer).expect(403);

    await request(gw.url).post('/api/v1/parked/rerun').set('Cookie', operator).send({}).expect(200);
    await request(gw.url).get('/api/v1/ops/operators').set('Cookie', operator).expect(403);
    await request(gw.url)
      .post('/api/v1/ops/operators')
      .set('Cookie', operator)
      .send({ username: 'x1', role: 'admin', password: 'operator-pass-2026' })
      .expect(403);

    await request(gw.url).get('/api/v1/ops/operators').set('Authorization', `Bearer ${OPERATOR_TOKEN}`).expect(403);
    await request(gw.url).post('/api/v1/parked/rerun').set('Authorization', `Bearer ${OPERATOR_TOKEN}`).send({}).expect(200);
    const list = await request(gw.url).get('/api/v1/ops/operators').set('Cookie', admin).expect(200);
    expect(list.body.items.map((a: any) => [a.username, a.role])).toEqual(
      expect.arrayContaining([
        ['lisi', 'operator'],
        ['wangwu', 'viewer'],
        [ADMIN.username, 'admin'],
      ]),
    );
    expect(JSON.stringify(list.body)).not.toMatch(/scrypt|passwordHash/);
    await request(gw.url).get('/api/v1/ops/overview').expect(401);

    // A page of another site cannot act with the operator's cookie.
    await request(gw.url)
      .post('/api/v1/parked/rerun')
      .set('Cookie', operator)
      .set('Origin', 'http://evil.example')
      .send({})
      .expect(401);

    // Disabling an account ends its sessions; the last admin cannot be demoted.
    await request(gw.url)
      .patch('/api/v1/ops/operators/wangwu')
      .set('Cookie', admin)
      .send({ disabled: true })
      .expect(200);
    await request(gw.url).get('/api/v1/ops/overview').set('Cookie', viewer).expect(401);
    await request(gw.url)
      .post('/api/v1/auth/login')
      .send({ username: 'wangwu', password: 'viewer-pass-2026' })
      .expect(401);
    const last = await request(gw.url)
      .patch(`/api/v1/ops/operators/${ADMIN.username}`)
      .set('Cookie', admin)
      .send({ role: 'viewer' })
      .expect(409);
    expect(last.body.code).toBe('LAST_ADMIN');
    const changes = await audit('OPERATOR_UPDATED');
    expect(changes.map((c) => [c.actor, c.targetId])).toContainEqual([`operator:${ADMIN.username}`, 'wangwu']);
  });

  it('shows each department, service and platform endpoint with a light and a hint, and finds cases masked', async () => {
    await post(scjgEvent({ bizNo: 'SCJG-OPS-000001' })).expect(202);
    await post(
      scjgEvent({
        bizNo: 'SCJG-OPS-000002',
        agent: { name: '钱七', idNo: '430626200107081239', mobile: '13900000000' },
      }),
    ).expect(422);
    await request(gw.url)
      .post('/api/v1/departments/scjg/events')
      .set('Authorization', 'Bearer wrong-token-000000000')
      .set('Content-Type', 'application/json')
      .send('{}')
      .expect(401);

    const o = await waitFor('overview with SCJG activity', async () => {
      const r = await request(gw.url).get('/api/v1/ops/overview').set('Cookie', admin).expect(200);
      const d = r.body.departments.find((x: any) => x.key === 'dept:SCJG');
      return d?.facts?.lastHourTotal >= 3 && d.facts.quarantined === 1 ? r.body : null;
    });
    const scjg = o.departments.find((d: any) => d.key === 'dept:SCJG');
    expect(scjg).toMatchObject({
      name: '平江县市场监督管理局',
      level: 'red',
      facts: { lastHourTotal: 3, lastHourErrors: 2, quarantined: 1 },
    });
    expect(scjg.hint).toMatch(/隔离区|令牌/);
    expect(o.departments.find((d: any) => d.key === 'dept:BDC')).toMatchObject({
      level: 'amber',
      hint: expect.stringContaining('尚未收到'),
    });
    expect(o.services.map((s: any) => s.key)).toEqual([
      'database',
      'ingress',
      'dispatcher',
      'backlog',
      'parked',
      'quarantine',
      'callbacks',
    ]);
    expect(o.services.find((s: any) => s.key === 'database').level).toBe('green');
    expect(o.services.find((s: any) => s.key === 'quarantine')).toMatchObject({
      level: 'amber',
      facts: { quarantine: 1 },
    });
    expect(o.platform.map((p: any) => p.key)).toEqual([
      'platform:accept',
      'platform:process',
      'platform:special',
      'platform:result',
      'platform:licenses',
      'platform:case',
    ]);
    expect(o.actions[0].level).toBe('red');
    for (const item of [...o.services, ...o.departments, ...o.platform]) {
      expect(['green', 'amber', 'red', 'grey']).toContain(item.level);
      expect(item.hint).toEqual(expect.any(String));
    }

    const found = await waitFor('case delivered', async () => {
      const r = await request(gw.url)
        .get('/api/v1/ops/cases')
        .query({ q: 'SCJG-OPS-000001' })
        .set('Cookie', reader)
        .expect(200);
      return r.body.items[0]?.platformProjectNo ? r.body.items[0] : null;
    });
    expect(found).toMatchObject({
      sourceCaseNo: 'SCJG-OPS-000001',
      agent: { certNo: '4306**********1238', phone: '139****0000' },
    });
    expect(found.stages[0].delivery.history[0]).toMatchObject({ endpoint: 'accept', businessCode: '0' });
    const byProject = await request(gw.url)
      .get('/api/v1/ops/cases')
      .query({ q: found.platformProjectNo })
      .set('Cookie', reader)
      .expect(200);
    expect(byProject.body.items.map((c: any) => c.caseId)).toEqual([found.caseId]);
    expect(
      (await request(gw.url).get('/api/v1/ops/cases').query({ q: 'NO-SUCH-CASE' }).set('Cookie', reader).expect(200))
        .body,
    ).toEqual({ total: 0, items: [] });

    const series = await request(gw.url).get('/api/v1/ops/series').query({ hours: 2 }).set('Cookie', admin).expect(200);
    expect(series.body.buckets).toHaveLength(12);
    const last = series.body.buckets[series.body.buckets.length - 1];
    expect(last.ingestAccepted + last.ingestInvalid + last.ingestRefused).toBeGreaterThanOrEqual(3);
    expect(series.body.buckets.reduce((s: number, b: any) => s + b.deliveries, 0)).toBeGreaterThanOrEqual(1);
  });

  it('drains for maintenance: ready answers 503 with draining, nothing is claimed, and delivery resumes after', async () => {
    await request(gw.url).get('/health/ready').expect(200);
    const lisi = await signIn(gw.url, 'lisi', 'operator-pass-2026');
    await request(gw.url).post('/api/v1/ops/drain').set('Cookie', lisi).expect(200, { draining: true });
    const ready = await request(gw.url).get('/health/ready').expect(503);
    expect(ready.body).toMatchObject({
      status: 'error',
      draining: true,
      error: { drain: { status: 'down' } },
      info: { database: { status: 'up' } },
    });

    await post(scjgEvent({ bizNo: 'SCJG-DRAIN-000001' })).expect(202);
    await new Promise((r) => setTimeout(r, 800));
    let c = (
      await request(gw.url).get('/api/v1/ops/cases').query({ q: 'SCJG-DRAIN-000001' }).set('Cookie', lisi).expect(200)
    ).body.items[0];
    expect(c.delivery).toMatchObject({ state: 'PENDING', pending: 1 });
    const overview = (await request(gw.url).get('/api/v1/ops/overview').set('Cookie', lisi).expect(200)).body;
    expect(overview).toMatchObject({ draining: true });
    expect(overview.services.find((s: any) => s.key === 'dispatcher')).toMatchObject({
      level: 'amber',
      hint: expect.stringContaining('恢复报送'),
    });

    await request(gw.url).delete('/api/v1/ops/drain').set('Cookie', lisi).expect(200, { draining: false });
    await request(gw.url).get('/health/ready').expect(200);
    c = await waitFor('delivered after resume', async () => {
      const r = await request(gw.url)
        .get('/api/v1/ops/cases')
        .query({ q: 'SCJG-DRAIN-000001' })
        .set('Cookie', lisi)
        .expect(200);
      return r.body.items[0]?.delivery.state === 'DELIVERED' ? r.body.items[0] : null;
    });
    expect((await audit('DRAIN_ON')).map((a) => a.actor)).toEqual(['operator:lisi']);
    expect((await audit('DRAIN_OFF')).map((a) => a.actor)).toEqual(['operator:lisi']);
    const log = await request(gw.url)
      .get('/api/v1/ops/audit')
      .query({ actor: 'lisi' })
      .set('Cookie', auditor)
      .expect(200);
    expect(log.body.items.map((a: any) => a.action)).toEqual(
      expect.arrayContaining(['DRAIN_ON', 'DRAIN_OFF', 'LOGIN', 'PARKED_RERUN_MATCHING']),
    );
  });

  it('stays ready during a platform outage (ingest still works) and reports the open breaker, then recovers', async () => {
    const sim = platformAdmin(gw.platform);
    await sim.setFaults({ outage: '503' });
    try {
      for (let i = 0; i < 6; i++)
        await post(scjgEvent({ bizNo: `SCJG-OPSOUT-${String(i).padStart(6, '0')}` })).expect(202);
      // During an outage the breaker cycles OPEN -> HALF_OPEN (after BREAKER_RESET_MS) -> OPEN
      // (the probe fails), so each reading waits for an OPEN moment instead of taking the first.
      const ready = await waitFor('breaker open on ready', async () => {
        const r = await request(gw.url).get('/health/ready');
        return r.body.details?.platform?.endpoints?.accept === 'OPEN' ? r : null;
      });
      expect(ready.status).toBe(200);
      expect(ready.body.details.platform.degraded).toBe(true);
      expect(ready.body.details.platform.warning).toContain('accept=OPEN');
      // The backlog is older than READY_MAX_OUTBOX_AGE_SECONDS=1: a warning, not "down".
      await new Promise((r) => setTimeout(r, 2100));
      const late = await request(gw.url).get('/health/ready').expect(200);
      expect(late.body.details.outbox).toMatchObject({ status: 'up', warning: expect.any(String) });
      const accept = await waitFor('open breaker on the overview', async () => {
        const o = (await request(gw.url).get('/api/v1/ops/overview').set('Cookie', admin).expect(200)).body;
        const a = o.platform.find((p: any) => p.key === 'platform:accept');
        return a?.facts?.breaker === 'OPEN' ? a : null;
      });
      expect(accept).toMatchObject({ level: 'red', facts: { breaker: 'OPEN' } });
      expect(accept.hint).toContain('熔断');
    } finally {
      await sim.clearFaults();
    }
    await waitFor(
      'breakers closed',
      async () => {
        const r = await request(gw.url).get('/health/ready').expect(200);
        return r.body.details.platform.degraded === false && r.body.details.outbox.pending === 0;
      },
      30000,
    );
  });
});
