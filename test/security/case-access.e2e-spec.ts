import request from 'supertest';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { beijingDateTime } from '#gw/dept-simulators';
import { CaseEntity } from '#gw/persistence';
import { createAndSignIn, signIn as signInWithTotp } from '../support/operators';
import { OPERATOR_TOKEN, TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';
import { scjgEvent, postScjgEvent } from '../support/scjg-events';
import { waitFor } from '../support/wait-for';
import { postEvent } from '../departments/department-support';

jest.setTimeout(60_000);

const ADMIN = { username: 'anquan', password: 'Pj-admin-2026!' };
const MISSING_CASE = '00000000-0000-7000-8000-000000000000';


/**
 * The case API answers only an operator (the operator token, or a dashboard session of a viewer or operator)
 * or a department with its own token, which sees only its own department's cases: another
 * department's case answers 404 exactly like a missing one. Every other data route under /api/v1
 * refuses a request without credentials too.
 */
describe('security: who may read cases (GET /api/v1/cases…)', () => {
  let gw: TestGateway;
  const sessions: Record<string, string> = {};
  let scjgCase: string;
  let rsjCase: string;
  let rsjProject: string;

  beforeAll(async () => {
    gw = await startTestGateway({ env: { GATEWAY_ADMIN_USER: ADMIN.username, GATEWAY_ADMIN_PASSWORD: ADMIN.password } });
    sessions.admin = await signInWithTotp(gw.url, ADMIN.username, ADMIN.password);
    for (const [username, role] of [
      ['chakan', 'viewer'],
      ['caozuo', 'operator'],
      ['shenji', 'auditor'],
    ]) {
      sessions[role] = await createAndSignIn(gw.url, sessions.admin, username, role, `${role}-pass-2026`);
    }

    scjgCase = (await postScjgEvent(gw.url, scjgEvent({ bizNo: 'SCJG-ACC-000001' })).expect(202)).body.caseId;
    const form = new URLSearchParams({
      xxbh: 'RSJACC000000001',
      ywbh: 'RS-ACC-0001',
      sxbm: '11430626MB345678350000140001000',
      sxmc: '就业失业登记',
      zt: 'SL',
      ztsj: beijingDateTime(Date.now() - 60_000),
      sqrxm: '王五',
      sqrsfzh: '430626199001010022',
      jbr: '张三',
    }).toString();
    expect((await postEvent(gw, 'rsj', form, 'application/x-www-form-urlencoded')).status).toBe(202);
    // RSJ's case gets its platform project number once the platform accepted it.
    const rsj = await waitFor('RSJ case accepted by the platform', async () => {
      const c = await gw.db.manager.findOneBy(CaseEntity, { department: 'RSJ', sourceCaseNo: 'RS-ACC-0001' });
      return c?.platformProjectNo ? c : null;
    });
    rsjCase = rsj.id;
    rsjProject = rsj.platformProjectNo!;
  });
  afterAll(async () => {
    await gw?.close();
  });

  const reads = () => [
    `/api/v1/cases/${scjgCase}`,
    `/api/v1/cases/${rsjCase}`,
    '/api/v1/cases?dept=scjg&deptCaseNo=SCJG-ACC-000001',
    `/api/v1/cases?projectNo=${encodeURIComponent(rsjProject)}`,
    `/api/v1/cases/${MISSING_CASE}`,
  ];

  it('answers 401 CREDENTIALS_REQUIRED without credentials, 401 TOKEN_INVALID for a token that is nobody’s, and shows nothing', async () => {
    for (const path of reads()) {
      const none = await request(gw.url).get(path);
      expect([path, none.status, none.body.code]).toEqual([path, 401, 'CREDENTIALS_REQUIRED']);
      expect(JSON.stringify(none.body)).not.toMatch(/SCJG-ACC|RS-ACC|caseId|stages/);
      const wrong = await request(gw.url).get(path).set('Authorization', 'Bearer not-a-token-of-anyone-0123');
      expect([path, wrong.status, wrong.body.code]).toEqual([path, 401, 'TOKEN_INVALID']);
      const badCookie = await request(gw.url).get(path).set('Cookie', 'gw_session=forged-session-id');
      expect([path, badCookie.status, badCookie.body.code]).toEqual([path, 401, 'CREDENTIALS_REQUIRED']);
    }
  });

  it('lets viewers, operators and the operator token read every case; not the admin nor the auditor (separate duties)', async () => {
    for (const who of ['admin', 'auditor']) {
      const res = await request(gw.url).get(`/api/v1/cases/${scjgCase}`).set('Cookie', sessions[who]);
      expect([who, res.status, res.body.code, res.body.sourceCaseNo]).toEqual([who, 403, 'OPERATOR_FORBIDDEN', undefined]);
    }
    const as: [string, Record<string, string>][] = [
      ['viewer', { Cookie: sessions.viewer }],
      ['operator', { Cookie: sessions.operator }],
      ['operator token', { Authorization: `Bearer ${OPERATOR_TOKEN}` }],
    ];
    for (const [who, headers] of as) {
      const byId = await request(gw.url).get(`/api/v1/cases/${scjgCase}`).set(headers);
      expect([who, byId.status, byId.body.sourceCaseNo]).toEqual([who, 200, 'SCJG-ACC-000001']);
      const other = await request(gw.url).get(`/api/v1/cases/${rsjCase}`).set(headers);
      expect([who, other.status, other.body.department]).toEqual([who, 200, 'RSJ']);
      const byNo = await request(gw.url).get('/api/v1/cases').query({ dept: 'rsj', deptCaseNo: 'RS-ACC-0001' }).set(headers);
      expect([who, byNo.status, byNo.body.caseId]).toEqual([who, 200, rsjCase]);
      const byProject = await request(gw.url).get('/api/v1/cases').query({ projectNo: rsjProject }).set(headers);
      expect([who, byProject.status, byProject.body.caseId]).toEqual([who, 200, rsjCase]);
    }
    // Signed out, the same cookie reads nothing.
    await request(gw.url).post('/api/v1/auth/logout').set('Cookie', sessions.viewer).expect(200);
    expect((await request(gw.url).get(`/api/v1/cases/${scjgCase}`).set('Cookie', sessions.viewer)).status).toBe(401);
  });

  it("gives a department token its own cases only: another department's case is 404 exactly like a missing one; another ?dept= is 403", async () => {
    const scjg = { Authorization: `Bearer ${TOKENS.SCJG}` };
    const own = await request(gw.url).get(`/api/v1/cases/${scjgCase}`).set(scjg).expect(200);
    expect(own.body).toMatchObject({ caseId: scjgCase, department: 'SCJG', sourceCaseNo: 'SCJG-ACC-000001' });
    // Personal data masked as for operators.
    expect(JSON.stringify(own.body)).not.toMatch(/430626200107081238|13900000000/);
    expect((await request(gw.url).get('/api/v1/cases').query({ dept: 'scjg', deptCaseNo: 'SCJG-ACC-000001' }).set(scjg).expect(200)).body.caseId).toBe(scjgCase);
    // Its own department is implied when dept is left out.
    expect((await request(gw.url).get('/api/v1/cases').query({ deptCaseNo: 'SCJG-ACC-000001' }).set(scjg).expect(200)).body.caseId).toBe(scjgCase);

    const missing = await request(gw.url).get(`/api/v1/cases/${MISSING_CASE}`).set(scjg);
    const others = [
      await request(gw.url).get(`/api/v1/cases/${rsjCase}`).set(scjg),
      await request(gw.url).get('/api/v1/cases').query({ projectNo: rsjProject }).set(scjg),
    ];
    const answer = (r: request.Response) => ({ status: r.status, code: r.body.code, message: r.body.message, keys: Object.keys(r.body).sort() });
    expect(answer(missing)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    for (const r of others) {
      expect(answer(r)).toEqual(answer(missing));
      expect(JSON.stringify(r.body)).not.toMatch(/RSJ|RS-ACC|就业/);
    }

    // Naming another department is refused whether or not the case exists.
    for (const deptCaseNo of ['RS-ACC-0001', 'RS-NONE-0001']) {
      const r = await request(gw.url).get('/api/v1/cases').query({ dept: 'rsj', deptCaseNo }).set(scjg);
      expect([r.status, r.body.code]).toEqual([403, 'TOKEN_WRONG_DEPARTMENT']);
    }

    // The other way round too: RSJ sees its own, not SCJG's.
    const rsj = { Authorization: `Bearer ${TOKENS.RSJ}` };
    expect((await request(gw.url).get(`/api/v1/cases/${rsjCase}`).set(rsj).expect(200)).body.sourceCaseNo).toBe('RS-ACC-0001');
    expect((await request(gw.url).get('/api/v1/cases').query({ projectNo: rsjProject }).set(rsj).expect(200)).body.caseId).toBe(rsjCase);
    expect(answer(await request(gw.url).get(`/api/v1/cases/${scjgCase}`).set(rsj))).toEqual(answer(missing));
  });

  it('cannot walk the case ids with a department token: of every stored case, only its own answer', async () => {
    const all = await gw.db.manager.find(CaseEntity);
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const dept of ['SCJG', 'RSJ', 'YBJ']) {
      const seen: string[] = [];
      for (const c of all) {
        const r = await request(gw.url).get(`/api/v1/cases/${c.id}`).set('Authorization', `Bearer ${TOKENS[dept]}`);
        expect([200, 404]).toContain(r.status);
        if (r.status === 200) seen.push(r.body.caseId);
      }
      expect(seen.sort()).toEqual(all.filter((c) => c.department === dept).map((c) => c.id).sort());
    }
  });

  it('refuses every other route under /api/v1 without credentials (but sign-in, its second step, logout, the signed platform callbacks and the code catalogue)', async () => {
    const doc = SwaggerModule.createDocument(gw.app, new DocumentBuilder().build());
    // The code catalogue is public: the same text as docs/codes.md, nothing of any case or account.
    const open = new Set(['POST /api/v1/auth/login', 'POST /api/v1/auth/login/totp', 'POST /api/v1/auth/logout', 'POST /api/v1/platform/callbacks', 'GET /api/v1/codes']);
    const tried: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/v1/')) continue;
      for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
        if (!(ops as Record<string, unknown>)[method]) continue;
        const route = `${method.toUpperCase()} ${path}`;
        tried.push(route);
        if (open.has(route)) continue;
        // A department with an inbox, so its routes reach the token check.
        const url = path.replace(/\{dept\}/g, 'ybj').replace(/\{[^}]+\}/g, MISSING_CASE);
        const r = await request(gw.url)[method](url).set('Content-Type', 'application/json').send('{}');
        expect([route, r.status]).toEqual([route, 401]);
      }
    }
    expect(tried).toEqual(expect.arrayContaining([...open, 'GET /api/v1/cases', 'GET /api/v1/cases/{caseId}', 'GET /api/v1/quarantine', 'GET /api/v1/parked', 'GET /api/v1/callbacks', 'GET /api/v1/delivery/status']));
  });

  it('declares in the API docs what the case and operator routes need: the bearer token or the dashboard session', async () => {
    const doc = SwaggerModule.createDocument(gw.app, new DocumentBuilder().addBearerAuth().addCookieAuth('gw_session').build());
    for (const path of ['/api/v1/cases', '/api/v1/cases/{caseId}']) {
      const get = (doc.paths[path] as any).get;
      expect(get.security).toEqual(expect.arrayContaining([{ bearer: [] }, { cookie: [] }]));
      expect(Object.keys(get.responses)).toEqual(expect.arrayContaining(['401', '404']));
    }
    const operatorRoutes = Object.entries(doc.paths).filter(([path]) => /^\/api\/v1\/(quarantine|parked|delivery|callbacks|ops)\b/.test(path));
    expect(operatorRoutes.length).toBeGreaterThanOrEqual(10);
    for (const [path, ops] of operatorRoutes) {
      for (const [method, op] of Object.entries(ops as Record<string, any>)) {
        expect([method, path, op.security]).toEqual([method, path, expect.arrayContaining([{ bearer: [] }, { cookie: [] }])]);
      }
    }
  });
});
