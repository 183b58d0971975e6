import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { AccessCredentialEntity, AuditLogEntity } from '#gw/persistence';
import { postCallback } from '../support/callbacks';
import { createAndSignIn, signIn } from '../support/operators';
import { scjgEvent } from '../support/scjg-events';
import { CALLBACK_SECRET, OPERATOR_TOKEN, TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';

const ADMIN = { user: 'rotation-admin', password: 'Sturdy-Passphrase-2026!' };

/**
 * Rotating a department's token (and the platform's callback secret) from the dashboard's API:
 * the new value is answered once; old and new both work during the overlap; the old one is
 * refused (401 TOKEN_EXPIRED) once revoked or past its overlap; lists never show a value; every
 * issue and revocation is audited; only an admin may do any of it.
 */
describe('department tokens and the callback secret rotate with an overlap', () => {
  let gw: TestGateway;
  let admin = '';
  const others: Record<string, string> = {};

  beforeAll(async () => {
    gw = await startTestGateway({ env: { GATEWAY_ADMIN_USER: ADMIN.user, GATEWAY_ADMIN_PASSWORD: ADMIN.password } });
    admin = await signIn(gw.url, ADMIN.user, ADMIN.password);
    for (const role of ['viewer', 'operator', 'auditor']) others[role] = await createAndSignIn(gw.url, admin, `token-${role}`, role, `Sturdy-${role}-Passphrase-2026!`);
  });
  afterAll(async () => {
    await gw?.close();
  });

  let n = 0;
  const postEvent = (dept: string, token: string) =>
    request(gw.url)
      .post(`/api/v1/departments/${dept}/events`)
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(scjgEvent({ bizNo: `SCJG-ROT-${String(++n).padStart(6, '0')}` })));

  const auditRows = (action: string) => gw.db.manager.find(AuditLogEntity, { where: { action } });

  it('issues a new SCJG token once; old and new both post; revoking the old refuses it with TOKEN_EXPIRED', async () => {
    const issued = await request(gw.url).post('/api/v1/departments/scjg/tokens').set('Cookie', admin).send({ overlapDays: 7 }).expect(201);
    const token: string = issued.body.token;
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(issued.body).toMatchObject({ owner: 'SCJG', overlapDays: 7 });
    const overlapEnd = Date.parse(issued.body.previousExpireAt) - Date.now();
    expect(overlapEnd).toBeGreaterThan(6.9 * 86_400_000);
    expect(overlapEnd).toBeLessThanOrEqual(7 * 86_400_000);

    // Both work during the overlap.
    expect((await postEvent('scjg', TOKENS.SCJG)).status).toBe(202);
    expect((await postEvent('scjg', token)).status).toBe(202);
    // The new token is SCJG's only.
    expect((await postEvent('bdc', token)).status).toBe(403);

    // The list: the configured (env) token now expiring, the new one active — and no value anywhere.
    const list = await request(gw.url).get('/api/v1/departments/scjg/tokens').set('Cookie', admin).expect(200);
    const text = JSON.stringify(list.body);
    expect(text).not.toContain(token);
    expect(text).not.toContain(TOKENS.SCJG);
    expect(text).not.toMatch(/hash|sealed/i);
    const items = list.body.items as { id: string; source: string; state: string; expiresAt: string | null; lastUsedAt: string | null }[];
    const old = items.find((i) => i.source === 'env')!;
    const fresh = items.find((i) => i.id === issued.body.id)!;
    expect(old).toMatchObject({ state: 'expiring', expiresAt: issued.body.previousExpireAt });
    expect(fresh).toMatchObject({ source: 'database', state: 'active', expiresAt: null });

    // A second issue: the first new one is shortened too (overlap 0: expires at once).
    const again = await request(gw.url).post('/api/v1/departments/scjg/tokens').set('Cookie', admin).send({ overlapDays: 0 }).expect(201);
    expect(again.body.shortened).toEqual(expect.arrayContaining([issued.body.id, old.id]));
    const expired = await postEvent('scjg', token);
    expect(expired.status).toBe(401);
    expect(expired.body.code).toBe('TOKEN_EXPIRED');
    expect((await postEvent('scjg', TOKENS.SCJG)).body.code).toBe('TOKEN_EXPIRED');
    expect((await postEvent('scjg', again.body.token)).status).toBe(202);

    // Revoking the newest: refused at once; the department has no working token left but others are untouched.
    await request(gw.url).delete(`/api/v1/departments/scjg/tokens/${again.body.id}`).set('Cookie', admin).expect(200);
    const revoked = await postEvent('scjg', again.body.token);
    expect(revoked.status).toBe(401);
    expect(revoked.body.code).toBe('TOKEN_EXPIRED');
    const stillBdc = await request(gw.url).get('/api/v1/cases?dept=bdc&deptCaseNo=BDC-NONE').set('Authorization', `Bearer ${TOKENS.BDC}`);
    expect(stillBdc.status).toBe(404); // signed in as BDC: no such case

    // Audited (ids and dates, never a value).
    const issuedAudit = await auditRows('DEPT_TOKEN_ISSUED');
    const revokedAudit = await auditRows('DEPT_TOKEN_REVOKED');
    expect(issuedAudit.map((a) => a.actor)).toEqual([`operator:${ADMIN.user}`, `operator:${ADMIN.user}`]);
    expect(revokedAudit).toHaveLength(1);
    for (const a of [...issuedAudit, ...revokedAudit]) {
      expect(a.targetId).toBe('SCJG');
      expect(a.detail ?? '').not.toContain(token);
      expect(a.detail ?? '').not.toContain(again.body.token);
    }
    // Stored hashed only.
    const rows = await gw.db.manager.find(AccessCredentialEntity);
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('revokes the old token while the new one goes on working (RSJ); last use is recorded', async () => {
    const issued = await request(gw.url).post('/api/v1/departments/rsj/tokens').set('Cookie', admin).send({}).expect(201);
    expect(issued.body.overlapDays).toBe(7);
    // The refusal is about the token, before the body is read: an RSJ-shaped body is not needed.
    expect((await postEvent('rsj', TOKENS.RSJ)).status).not.toBe(401);
    expect((await postEvent('rsj', issued.body.token)).status).not.toBe(401);
    const list = await request(gw.url).get('/api/v1/departments/RSJ/tokens').set('Cookie', admin).expect(200);
    const old = list.body.items.find((i: { source: string }) => i.source === 'env');
    await request(gw.url).delete(`/api/v1/departments/rsj/tokens/${old.id}`).set('Cookie', admin).expect(200);
    const refused = await postEvent('rsj', TOKENS.RSJ);
    expect(refused.status).toBe(401);
    expect(refused.text).toContain('TOKEN_EXPIRED'); // in RSJ's own answer format
    expect((await postEvent('rsj', issued.body.token)).status).not.toBe(401);
    // The case API takes the new token and refuses the old.
    await request(gw.url).get('/api/v1/cases?dept=rsj&deptCaseNo=RSJ-NONE').set('Authorization', `Bearer ${issued.body.token}`).expect(404); // signed in: no such case
    await request(gw.url).get('/api/v1/cases?dept=rsj&deptCaseNo=RSJ-NONE').set('Authorization', `Bearer ${TOKENS.RSJ}`).expect(401);
    // Revoking twice, an unknown id, an unknown department.
    await request(gw.url).delete(`/api/v1/departments/rsj/tokens/${old.id}`).set('Cookie', admin).expect(200);
    expect((await request(gw.url).delete('/api/v1/departments/rsj/tokens/999999').set('Cookie', admin).expect(404)).body.code).toBe('TOKEN_NOT_FOUND');
    expect((await request(gw.url).delete(`/api/v1/departments/bdc/tokens/${old.id}`).set('Cookie', admin).expect(404)).body.code).toBe('TOKEN_NOT_FOUND');
    expect((await request(gw.url).get('/api/v1/departments/nope/tokens').set('Cookie', admin).expect(404)).body.code).toBe('DEPARTMENT_UNKNOWN');
    expect((await request(gw.url).post('/api/v1/departments/nope/tokens').set('Cookie', admin).send({}).expect(404)).body.code).toBe('DEPARTMENT_UNKNOWN');
    // Overlap bounds.
    await request(gw.url).post('/api/v1/departments/rsj/tokens').set('Cookie', admin).send({ overlapDays: 91 }).expect(400);
    await request(gw.url).post('/api/v1/departments/rsj/tokens').set('Cookie', admin).send({ overlapDays: -1 }).expect(400);
    // Last use: written coarsely (on the next refresh); the table is read again by the registry's refresh.
    await gw.app.get((await import('#gw/ingress')).DepartmentAuth).registry.refresh();
    const after = await request(gw.url).get('/api/v1/departments/rsj/tokens').set('Cookie', admin).expect(200);
    expect(after.body.items.find((i: { id: string }) => i.id === issued.body.id).lastUsedAt).toEqual(expect.any(String));
  });

  it('refuses every role but admin (403), and the operator token and department tokens too', async () => {
    const routes: [string, string][] = [
      ['get', '/api/v1/departments/bdc/tokens'],
      ['post', '/api/v1/departments/bdc/tokens'],
      ['delete', '/api/v1/departments/bdc/tokens/1'],
      ['get', '/api/v1/ops/department-tokens'],
      ['get', '/api/v1/platform/callback-secret'],
      ['post', '/api/v1/platform/callback-secret'],
      ['delete', '/api/v1/platform/callback-secret/1'],
    ];
    for (const [method, path] of routes) {
      for (const role of ['viewer', 'operator', 'auditor']) {
        const r = await (request(gw.url) as any)[method](path).set('Cookie', others[role]).send({});
        expect(`${role} ${method} ${path} ${r.status}`).toBe(`${role} ${method} ${path} 403`);
      }
      expect((await (request(gw.url) as any)[method](path).set('Authorization', `Bearer ${OPERATOR_TOKEN}`).send({})).status).toBe(403);
      expect((await (request(gw.url) as any)[method](path).set('Authorization', `Bearer ${TOKENS.BDC}`).send({})).status).toBe(401);
    }
    // Nothing was issued by the refused calls.
    const bdc = await request(gw.url).get('/api/v1/departments/bdc/tokens').set('Cookie', admin).expect(200);
    expect(bdc.body.items.map((i: { source: string }) => i.source)).toEqual(['env']);
  });

  it('lists every department with its tokens for the dashboard', async () => {
    const r = await request(gw.url).get('/api/v1/ops/department-tokens').set('Cookie', admin).expect(200);
    const codes = r.body.items.map((d: { code: string }) => d.code);
    expect(codes).toEqual(expect.arrayContaining(['SCJG', 'BDC', 'RSJ', 'YBJ', 'MZJ']));
    expect(JSON.stringify(r.body)).not.toContain(TOKENS.BDC);
  });

  it('accepts callbacks signed with the old and the new secret during the overlap, then only the new', async () => {
    const callback = (secret: string) =>
      postCallback(gw.url, { callback_id: `rot-${randomUUID()}`, type: 'URGE', data: { project_no: `NOPE-${randomUUID().slice(0, 8)}` } }, { secret }).response;
    expect((await callback(CALLBACK_SECRET)).body.code).toBe('0');
    const issued = await request(gw.url).post('/api/v1/platform/callback-secret').set('Cookie', admin).send({ overlapDays: 3 }).expect(201);
    const secret: string = issued.body.token;
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect((await callback(CALLBACK_SECRET)).body.code).toBe('0');
    expect((await callback(secret)).body.code).toBe('0');
    expect((await callback('forged-secret-0123456789abcdef')).body.code).toBe('1001');

    const list = await request(gw.url).get('/api/v1/platform/callback-secret').set('Cookie', admin).expect(200);
    expect(JSON.stringify(list.body)).not.toContain(secret);
    expect(JSON.stringify(list.body)).not.toContain(CALLBACK_SECRET);
    const old = list.body.items.find((i: { source: string }) => i.source === 'env');
    expect(old.state).toBe('expiring');
    // Sealed, not in clear.
    expect(JSON.stringify(await gw.db.manager.find(AccessCredentialEntity, { where: { kind: 'CALLBACK' } }))).not.toContain(secret);

    await request(gw.url).delete(`/api/v1/platform/callback-secret/${old.id}`).set('Cookie', admin).expect(200);
    expect((await callback(CALLBACK_SECRET)).body.code).toBe('1001');
    expect((await callback(secret)).body.code).toBe('0');
    expect(await auditRows('CALLBACK_SECRET_ISSUED')).toHaveLength(1);
    expect(await auditRows('CALLBACK_SECRET_REVOKED')).toHaveLength(1);
  });
});

/** Production: a token set in the environment wins — it keeps working after a rotation and cannot be revoked from the dashboard. */
describe('in production the environment variable wins', () => {
  let gw: TestGateway;
  let admin = '';
  beforeAll(async () => {
    gw = await startTestGateway({ mode: 'production', env: { GATEWAY_ADMIN_USER: ADMIN.user, GATEWAY_ADMIN_PASSWORD: ADMIN.password } });
    admin = await signIn(gw.url, ADMIN.user, ADMIN.password);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('keeps the env token working after a rotation with no overlap; revoking it answers 409', async () => {
    const issued = await request(gw.url).post('/api/v1/departments/scjg/tokens').set('Cookie', admin).send({ overlapDays: 0 }).expect(201);
    let n = 0;
    const post = (token: string) =>
      request(gw.url)
        .post('/api/v1/departments/scjg/events')
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(scjgEvent({ bizNo: `SCJG-PRD-${String(++n).padStart(6, '0')}` })));
    expect((await post(TOKENS.SCJG)).status).toBe(202);
    expect((await post(issued.body.token)).status).toBe(202);
    const list = await request(gw.url).get('/api/v1/departments/scjg/tokens').set('Cookie', admin).expect(200);
    const env = list.body.items.find((i: { source: string }) => i.source === 'env');
    expect(env).toMatchObject({ environmentWins: true, state: 'active', expiresAt: null });
    expect((await request(gw.url).delete(`/api/v1/departments/scjg/tokens/${env.id}`).set('Cookie', admin).expect(409)).body.code).toBe('TOKEN_FROM_ENVIRONMENT');
    expect((await post(TOKENS.SCJG)).status).toBe(202);
  });
});
