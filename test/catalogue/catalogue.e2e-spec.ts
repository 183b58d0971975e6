import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import { Catalogue } from '#gw/catalogue';
import { AccessCredentialEntity, AuditLogEntity, CaseEntity, CatalogueVersionEntity, InboundMessageEntity } from '#gw/persistence';
import { postEvent, waitDelivered } from '../departments/department-support';
import { BAD_ORG_CODE, NEW_DEPT, NEW_MATTER, mzjMapping, newDeptEvent } from '../support/catalogue';
import { createAndSignIn, signIn } from '../support/operators';
import { TestDatabase, createTestDatabase, usingMysql } from '../support/test-database';
import { OPERATOR_TOKEN, TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';
import { waitFor } from '../support/wait-for';

const ADMIN = { user: 'cat-admin', password: 'Sturdy-Catalogue-2026!' };

/**
 * Departments and matters from the dashboard (issue 21): added through the API, applied without a
 * restart (the new department posts with its new token and its case reaches the platform), tried
 * without storing, refused with the failing field, audited, rolled back, admin only, and picked up
 * by a second instance on the same database.
 */
describe('catalogue from the dashboard: versions, live reload, rollback', () => {
  let gw: TestGateway;
  let testDb: TestDatabase;
  let admin: string;
  let token: string;
  const api = () => request(gw.url);
  const asAdmin = (method: 'get' | 'post', path: string) => api()[method](path).set('Cookie', admin);
  const post = (body: unknown, t = token) => postEvent(gw, NEW_DEPT.code.toLowerCase(), JSON.stringify(body), 'application/json', t);

  beforeAll(async () => {
    testDb = await createTestDatabase(); // kept across the restart below
    gw = await startTestGateway({ testDb, env: { GATEWAY_ADMIN_USER: ADMIN.user, GATEWAY_ADMIN_PASSWORD: ADMIN.password } });
    admin = await signIn(gw.url, ADMIN.user, ADMIN.password);
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await testDb?.drop();
  });

  it('shows the file catalogue until a version is saved', async () => {
    const r = await asAdmin('get', '/api/v1/catalogue').expect(200);
    expect(r.body).toMatchObject({ versionId: null, source: 'file' });
    expect(r.body.departments.map((d: any) => d.code)).toEqual(['SCJG', 'BDC', 'RSJ', 'YBJ', 'MZJ', 'GAJ']);
    expect(r.body.departments.find((d: any) => d.code === 'MZJ')).toMatchObject({ adapter: 'mapped', tokens: 1 });
    expect(r.body.departments.find((d: any) => d.code === 'GAJ')).toMatchObject({ restricted: true, tokens: null });
    expect(JSON.stringify(r.body)).not.toContain(TOKENS.MZJ);
  });

  it('refuses a bad credit code, matter code or mapping with 422 naming the field, and stores nothing', async () => {
    const bad = await asAdmin('post', '/api/v1/catalogue/departments').send({ ...NEW_DEPT, orgCode: BAD_ORG_CODE, options: mzjMapping() }).expect(422);
    expect(bad.body).toMatchObject({ code: 'CATALOGUE_INVALID', errors: [{ field: 'orgCode', code: 'USCC_INVALID' }] });
    expect(bad.body.message).toMatch(/^[\u4e00-\u9fff]/);
    expect(bad.body.errors[0].message).toMatch(/统一社会信用代码.*校验位/);

    const noAdapter = await asAdmin('post', '/api/v1/catalogue/departments').send({ ...NEW_DEPT, adapter: 'scjg', options: {} }).expect(422);
    expect(noAdapter.body.errors.map((e: any) => e.field)).toContain('adapter');

    const mapping = await asAdmin('post', '/api/v1/catalogue/departments').send({ ...NEW_DEPT, options: { ...mzjMapping(), fields: { nosuchfield: 'lsh' } } }).expect(422);
    expect(mapping.body.errors).toEqual([expect.objectContaining({ field: 'options', code: 'MAPPING_INVALID' })]);

    const matter = await asAdmin('post', '/api/v1/catalogue/matters').send({ ...NEW_MATTER, taskCode: 'abc', department: 'NOPE', timeLimit: { value: 0, unit: 'WEEK' } }).expect(422);
    expect(matter.body.errors.map((e: any) => e.field).sort()).toEqual(['department', 'taskCode', 'timeLimit.unit', 'timeLimit.value']);

    expect(await gw.db.manager.count(CatalogueVersionEntity)).toBe(0);
  });

  it('tries a mapping on a pasted sample without storing anything', async () => {
    const inbound = await gw.db.manager.count(InboundMessageEntity);
    const r = await asAdmin('post', `/api/v1/catalogue/departments/${NEW_DEPT.code}/try`).send({ options: mzjMapping(), sample: newDeptEvent() }).expect(200);
    // The matter is not in the catalogue yet: said, with the department's own field name.
    expect(r.body.ok).toBe(false);
    expect(r.body.issues).toEqual([expect.objectContaining({ field: 'matterCode', code: 'MATTER_UNKNOWN', source: 'sxbm' })]);
    const mzjSample = { ...newDeptEvent(), sxbm: '11430626MB6789012A0000160010000' };
    const ok = await asAdmin('post', '/api/v1/catalogue/departments/MZJ/try').send({ sample: JSON.stringify(mzjSample) }).expect(200);
    expect(ok.body).toMatchObject({ ok: true, code: 'ACCEPTED', issues: [] });
    expect(ok.body.event).toMatchObject({ sourceEventId: 'TYJ20261023000001', sourceCaseNo: 'PJTY-2026-0001', stage: 'ACCEPTED', applicants: [{ name: '周八', certType: '111' }] });
    const wrong = await asAdmin('post', '/api/v1/catalogue/departments/MZJ/try').send({ sample: { ...mzjSample, zt: '42', ztsj: '2026-02-30 09:00:00' } }).expect(200);
    expect(Object.fromEntries(wrong.body.issues.map((i: any) => [i.source, i.code]))).toMatchObject({ zt: 'STATUS_UNKNOWN', ztsj: 'DATE_INVALID' });
    expect(await gw.db.manager.count(InboundMessageEntity)).toBe(inbound);
    expect(await gw.db.manager.count(CaseEntity, { where: { department: NEW_DEPT.code } })).toBe(0);
    expect(await gw.db.manager.count(CatalogueVersionEntity)).toBe(0);
  });

  it('adds a department and a matter; the department posts with its new token and its case reaches the platform, no restart', async () => {
    // Unknown before.
    expect((await post(newDeptEvent(), TOKENS.MZJ)).status).toBe(404);

    const d = await asAdmin('post', '/api/v1/catalogue/departments').send({ ...NEW_DEPT, options: mzjMapping() }).expect(200);
    expect(d.body).toMatchObject({ versionId: '2', department: { code: 'TYJ', adapter: 'mapped', enabled: true }, token: expect.stringMatching(/^[0-9a-f]{64}$/) });
    token = d.body.token;
    const m = await asAdmin('post', '/api/v1/catalogue/matters').send(NEW_MATTER).expect(200);
    expect(m.body).toMatchObject({ versionId: '3', matter: { taskCode: NEW_MATTER.taskCode, department: 'TYJ' } });

    const cat = await asAdmin('get', '/api/v1/catalogue').expect(200);
    expect(cat.body).toMatchObject({ versionId: '3', source: 'database' });
    expect(cat.body.departments.find((x: any) => x.code === 'TYJ')).toMatchObject({ tokens: 1 });
    // The token is the 部门令牌 page's like any other: listed there (never its value), rotatable, revocable.
    const listed = await asAdmin('get', '/api/v1/departments/tyj/tokens').expect(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ source: 'database', state: 'active' })]);
    // Changing it again issues no second token.
    const again = await asAdmin('post', '/api/v1/catalogue/departments').send({ ...NEW_DEPT, name: '平江县体育局（改）', options: mzjMapping() }).expect(200);
    expect(again.body.token).toBeUndefined();
    expect(again.body.versionId).toBe('4');

    const reply = await post(newDeptEvent());
    expect(reply.status).toBe(202);
    expect(reply.json).toMatchObject({ code: '0000', data: { zt: 'ACCEPTED' } });
    const c = await waitDelivered(gw, reply.json.data.bjid);
    expect(c).toMatchObject({ department: 'TYJ', matterCode: NEW_MATTER.taskCode, sourceCaseNo: 'PJTY-2026-0001', delivery: { state: 'DELIVERED' } });
    // Another department's token is not this one's.
    expect((await post(newDeptEvent({ lsh: 'TYJ-X' }), TOKENS.MZJ)).status).toBe(403);
  });

  it('audits every change by code, and the token issue as the token page does, never with the token', async () => {
    const rows = await gw.db.manager.find(AuditLogEntity, { where: { action: 'CATALOGUE_CHANGED' }, order: { id: 'ASC' } });
    expect(rows.map((r) => JSON.parse(r.detail!).change)).toEqual(['CATALOGUE_DEPARTMENT_ADDED', 'CATALOGUE_MATTER_ADDED', 'CATALOGUE_DEPARTMENT_CHANGED']);
    expect(rows[0]).toMatchObject({ actor: `operator:${ADMIN.user}`, targetType: 'catalogue', targetId: '2' });
    expect(JSON.parse(rows[0].detail!)).toMatchObject({ departments: ['TYJ'] });
    const issued = await gw.db.manager.find(AuditLogEntity, { where: { action: 'DEPT_TOKEN_ISSUED', targetId: 'TYJ' } });
    expect(issued).toHaveLength(1);
    const all =
      JSON.stringify(await gw.db.manager.find(AuditLogEntity)) +
      JSON.stringify(await gw.db.manager.find(CatalogueVersionEntity)) +
      JSON.stringify(await gw.db.manager.find(AccessCredentialEntity));
    expect(all).not.toContain(token);
  });

  it('rolls back: restoring the seed version refuses the new department (404), restoring later brings it back with its token', async () => {
    const list = await asAdmin('get', '/api/v1/catalogue/versions').expect(200);
    expect(list.body.current).toBe('4');
    expect(list.body.items.map((v: any) => v.id)).toEqual(['4', '3', '2', '1']);
    expect(list.body.items[3].comment).toMatch(/初始目录/);

    const r = await asAdmin('post', '/api/v1/catalogue/versions/1/restore').expect(200);
    expect(r.body).toEqual({ versionId: '5', restoredFrom: '1' });
    const refused = await post(newDeptEvent({ lsh: 'TYJ20261023000002' }));
    expect(refused.status).toBe(404);
    expect(refused.json.code).toBe('DEPARTMENT_UNKNOWN');
    const audit = await gw.db.manager.findOneOrFail(AuditLogEntity, { where: { action: 'CATALOGUE_CHANGED', targetId: '5' } });
    expect(JSON.parse(audit.detail!)).toMatchObject({ change: 'CATALOGUE_RESTORED', restoredFrom: '1', departments: ['TYJ'], matters: [NEW_MATTER.taskCode] });

    await asAdmin('post', '/api/v1/catalogue/versions/4/restore').expect(200);
    expect((await post(newDeptEvent({ lsh: 'TYJ20261023000003', zt: '07' }))).status).toBe(202);
    await asAdmin('post', '/api/v1/catalogue/versions/99/restore').expect(404);
  });

  it('is the admin\'s: viewer, operator, auditor and the operator token get 403', async () => {
    const viewer = await createAndSignIn(gw.url, admin, 'cat-viewer', 'viewer', 'Sturdy-Viewer-2026!');
    const operator = await createAndSignIn(gw.url, admin, 'cat-operator', 'operator', 'Sturdy-Operator-2026!');
    const auditor = await createAndSignIn(gw.url, admin, 'cat-auditor', 'auditor', 'Sturdy-Auditor-2026!');
    for (const auth of [{ Cookie: viewer }, { Cookie: operator }, { Cookie: auditor }, { Authorization: `Bearer ${OPERATOR_TOKEN}` }]) {
      expect((await api().get('/api/v1/catalogue').set(auth)).status).toBe(403);
      expect((await api().post('/api/v1/catalogue/departments').set(auth).send({ ...NEW_DEPT, code: 'ZZZ', options: mzjMapping() })).status).toBe(403);
      expect((await api().post('/api/v1/catalogue/versions/1/restore').set(auth)).status).toBe(403);
    }
    expect((await api().get('/api/v1/catalogue')).status).toBe(401);
    expect(await gw.db.manager.count(CatalogueVersionEntity)).toBe(6);
  });

  it('takes two changes at once one after the other: neither is lost', async () => {
    const codes = ['0000180002000', '0000180003000'].map((tail) => `${NEW_DEPT.orgCode}${tail}`);
    const answers = await Promise.all(codes.map((taskCode, i) => asAdmin('post', '/api/v1/catalogue/matters').send({ ...NEW_MATTER, taskCode, name: `并发事项${i}` })));
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    const cat = await asAdmin('get', '/api/v1/catalogue').expect(200);
    for (const c of codes) expect(cat.body.matters.map((m: any) => m.taskCode)).toContain(c);
  });

  it('exports the catalogue in force as catalogue.yaml, which loads back as the same catalogue', async () => {
    const r = await asAdmin('get', '/api/v1/catalogue/export.yaml').expect(200);
    expect(r.headers['content-type']).toMatch(/^application\/yaml/);
    const text = r.text ?? r.body.toString('utf8');
    const exported = Catalogue.fromObject(parseYaml(text));
    const cat = await asAdmin('get', '/api/v1/catalogue').expect(200);
    expect(exported.toDocument().departments.map((d) => d.code)).toEqual(cat.body.departments.map((d: any) => d.code));
    expect(exported.matter(NEW_MATTER.taskCode)?.department).toBe('TYJ');
    expect(text).not.toContain(token);
  });

  it('after a restart the stored version is in force (not the file), and the department\'s token still works', async () => {
    await gw.close();
    gw = await startTestGateway({ testDb });
    expect(gw.ctx.catalogue.department('TYJ')?.name).toBe('平江县体育局（改）');
    const cat = await asAdmin('get', '/api/v1/catalogue').expect(200);
    expect(cat.body).toMatchObject({ source: 'database', versionId: '8' });
    expect((await post(newDeptEvent({ lsh: 'TYJ20261023000009', zt: '08' }))).status).toBe(202);
  });

  (usingMysql() ? it : it.skip)('a second instance on the same database starts with the stored version and polls for newer ones', async () => {
    const second = await startTestGateway({ testDb: gw.testDb, env: { CATALOGUE_POLL_MS: '500' } });
    try {
      // Started after the change: the stored version wins over the file.
      expect(second.ctx.catalogue.department('TYJ')).toBeDefined();
      expect((await postEvent(second, 'tyj', JSON.stringify(newDeptEvent({ lsh: 'TYJ-2ND-1', zt: '08' })), 'application/json', token)).status).toBe(202);
      // A rollback saved on the first instance reaches the second by its poll.
      await asAdmin('post', '/api/v1/catalogue/versions/1/restore').expect(200);
      await waitFor('the second instance to drop TYJ', async () => !second.ctx.catalogue.department('TYJ'), 10_000, 100);
      expect((await postEvent(second, 'tyj', JSON.stringify(newDeptEvent({ lsh: 'TYJ-2ND-2' })), 'application/json', token)).status).toBe(404);
    } finally {
      await second.close();
    }
  });
});
