import request from 'supertest';
import { createAndSignIn, signIn } from '../support/operators';
import { OPERATOR_TOKEN, TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';

/**
 * Least privilege on every route: the routes are read from the running app, so a new route that
 * is not classified here fails this suite. Each is tried without credentials, with a department's
 * token, and with each operator role (a signed-in viewer, operator, admin and auditor, and the
 * operator token); each must get its documented refusal or pass, and never a 500.
 */

/**
 * Who may call a route. Separate duties (三权分立): viewer reads, operator reads and operates,
 * admin administers accounts and sees the status, auditor reads the audit log only; the operator
 * token acts as an operator.
 */
type Access =
  | 'public' // anyone (health, the dashboard's own files, sign-in)
  | 'signed-in' // any operator or the token (who am I)
  | 'own-account' // any signed-in session, for its own account (second factor, password); not the token
  | 'department' // a department's own bearer token
  | 'platform' // the city platform's signature (answers 200 with a business code, like the platform itself)
  | 'loopback' // this machine without credentials (an embedded gateway's metrics without METRICS_TOKEN), else 'status'
  | 'status' // the gateway's health, no case data: viewer, operator, admin
  | 'read' // the gateway's work (cases, quarantine, parked, callbacks): viewer, operator
  | 'read-or-department' // 'read', or a department for its own cases
  | 'operate' // operator
  | 'accounts' // admin
  | 'configure' // admin: the catalogue (departments, mappings, matters)
  | 'audit' // auditor
  | 'audit-or-status'; // the audit chain's state: the auditor, and whoever watches status

const ROUTES: Record<string, Access> = {
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  'GET /dashboard': 'public',
  'GET /dashboard/vendor/echarts.min.js': 'public',
  'GET /dashboard/:file': 'public',
  'POST /api/v1/auth/login': 'public',
  'POST /api/v1/auth/logout': 'public',
  'POST /api/v1/auth/login/totp': 'public',
  'GET /api/v1/codes': 'public',
  'GET /api/v1/auth/me': 'signed-in',
  'POST /api/v1/auth/totp/enrol': 'own-account',
  'POST /api/v1/auth/totp/confirm': 'own-account',
  'POST /api/v1/auth/password': 'own-account',
  'POST /api/v1/departments/:dept/events': 'department',
  'POST /api/v1/departments/:dept/batches': 'department',
  'GET /api/v1/departments/:dept/inbox': 'department',
  'POST /api/v1/departments/:dept/inbox/:id/ack': 'department',
  'POST /api/v1/platform/callbacks': 'platform',
  'GET /api/v1/cases': 'read-or-department',
  'GET /api/v1/cases/:caseId': 'read-or-department',
  'GET /api/v1/licences': 'read-or-department',
  'GET /api/v1/quarantine': 'read',
  'POST /api/v1/quarantine/:id/replay': 'operate',
  'POST /api/v1/ops/connection-test/platform': 'operate',
  'POST /api/v1/ops/connection-test/departments/:code': 'operate',
  'GET /api/v1/quarantine/:id/raw': 'read',
  'POST /api/v1/quarantine/:id/correct': 'operate',
  'POST /api/v1/quarantine/replay': 'operate',
  'GET /api/v1/parked': 'read',
  'POST /api/v1/parked/:id/rerun': 'operate',
  'POST /api/v1/parked/rerun': 'operate',
  'POST /api/v1/parked/:id/confirm': 'operate',
  'GET /api/v1/delivery/status': 'status',
  'GET /api/v1/callbacks': 'read',
  'GET /api/v1/callbacks/satisfaction': 'read',
  'GET /api/v1/ops/operators': 'accounts',
  'POST /api/v1/ops/operators': 'accounts',
  'PATCH /api/v1/ops/operators/:username': 'accounts',
  'GET /api/v1/catalogue': 'configure',
  'GET /api/v1/catalogue/export.yaml': 'configure',
  'POST /api/v1/catalogue/departments': 'configure',
  'POST /api/v1/catalogue/departments/:code/try': 'configure',
  'POST /api/v1/catalogue/matters': 'configure',
  'GET /api/v1/catalogue/versions': 'configure',
  'POST /api/v1/catalogue/versions/:id/restore': 'configure',
  'GET /api/v1/ops/department-tokens': 'accounts',
  'GET /api/v1/departments/:dept/tokens': 'accounts',
  'POST /api/v1/departments/:dept/tokens': 'accounts',
  'DELETE /api/v1/departments/:dept/tokens/:id': 'accounts',
  'GET /api/v1/platform/callback-secret': 'accounts',
  'POST /api/v1/platform/callback-secret': 'accounts',
  'DELETE /api/v1/platform/callback-secret/:id': 'accounts',
  'GET /api/v1/ops/overview': 'status',
  'GET /api/v1/ops/series': 'status',
  'GET /api/v1/ops/cases': 'read',
  'GET /api/v1/ops/audit': 'audit',
  'GET /api/v1/ops/audit/verify': 'audit-or-status',
  'GET /api/v1/ops/audit/export': 'audit',
  'GET /api/v1/ops/key-rotation': 'status',
  'GET /api/v1/ops/drain': 'status',
  'POST /api/v1/ops/drain': 'operate',
  'DELETE /api/v1/ops/drain': 'operate',
  'GET /api/v1/reports/overdue': 'read',
  'GET /api/v1/reports/overdue.csv': 'read',
  'GET /api/v1/reports/online-share': 'read',
  'GET /api/v1/reports/online-share.csv': 'read',
  'GET /api/v1/reports/satisfaction': 'read',
  'GET /api/v1/reports/satisfaction.csv': 'read',
  'GET /api/v1/reports/bad-evaluations.csv': 'read',
  'GET /api/v1/reports/monthly.xlsx': 'read',
  'GET /api/v1/reports/cases.csv': 'read',
  'GET /api/v1/reports/cases.xlsx': 'read',
  'GET /api/v1/reports/reconciliation': 'read',
  'POST /api/v1/reports/reconciliation/run': 'operate',
  'GET /metrics': 'loopback',
  'GET /api/docs': 'status',
  'GET /api/docs/': 'status',
  'GET /api/docs/index.html': 'status',
  'GET /api/docs/swagger-ui-init.js': 'status',
  'GET /api/docs/docs/swagger-ui-init.js': 'status',
  'GET /api/docs/LICENSE': 'status',
  'GET /api/docs-json': 'status',
  'GET /api/docs-yaml': 'status',
};

type Role = 'viewer' | 'operator' | 'admin' | 'auditor';
type Holder = Role | 'token';
/** Who passes each kind of route. */
const MAY: Record<Exclude<Access, 'public' | 'department' | 'platform'>, Holder[]> = {
  'signed-in': ['viewer', 'operator', 'admin', 'auditor', 'token'],
  'own-account': ['viewer', 'operator', 'admin', 'auditor'],
  loopback: ['viewer', 'operator', 'admin', 'token'],
  status: ['viewer', 'operator', 'admin', 'token'],
  read: ['viewer', 'operator', 'token'],
  'read-or-department': ['viewer', 'operator', 'token'],
  operate: ['operator', 'token'],
  accounts: ['admin'],
  configure: ['admin'],
  audit: ['auditor'],
  'audit-or-status': ['viewer', 'operator', 'admin', 'auditor', 'token'],
};

/** A concrete path for a route pattern (values that exist or not: the guard comes first either way). */
const concrete = (path: string) =>
  path
    .replace(':dept', path.includes('/inbox') ? 'ybj' : 'scjg')
    .replace(':caseId', '1')
    .replace(':id', '1')
    .replace(':username', 'nobody-here')
    .replace(':file', 'app.js');

function routesOf(gw: TestGateway): string[] {
  const app: any = gw.app.getHttpAdapter().getInstance();
  const stack: any[] = (app.router ?? app._router).stack;
  const out = new Set<string>();
  for (const layer of stack) {
    if (!layer.route || String(layer.route.path).includes('*')) continue; // the catch-all not-found handlers
    for (const m of Object.keys(layer.route.methods)) out.add(`${m.toUpperCase()} ${layer.route.path}`);
  }
  return [...out].sort();
}

describe('every route: who may call it', () => {
  let gw: TestGateway;
  const cookies: Partial<Record<Role, string>> = {};

  const call = (route: string, auth: Record<string, string>) => {
    const [method, path] = route.split(' ');
    const r = request(gw.url)[method.toLowerCase() as 'get'](concrete(path)).set(auth);
    return method === 'GET' ? r : r.set('Content-Type', 'application/json').send('{}');
  };

  beforeAll(async () => {
    gw = await startTestGateway({ env: { GATEWAY_ADMIN_USER: 'route-admin', GATEWAY_ADMIN_PASSWORD: 'Sturdy-Passphrase-2026!' } });
    cookies.admin = await signIn(gw.url, 'route-admin', 'Sturdy-Passphrase-2026!'); // enrols its second factor
    for (const role of ['viewer', 'operator', 'auditor'] as const) {
      cookies[role] = await createAndSignIn(gw.url, cookies.admin, `route-${role}`, role, `Sturdy-${role.length}-Passphrase-2026!`);
    }
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('classifies every route the gateway serves', () => {
    const served = routesOf(gw);
    expect(served.filter((r) => !(r in ROUTES))).toEqual([]);
    // …and every classified route exists (a renamed route must be reclassified).
    expect(Object.keys(ROUTES).filter((r) => !served.includes(r))).toEqual([]);
  });

  it('refuses every protected route without credentials, and never answers 500', async () => {
    const wrong: string[] = [];
    for (const [route, access] of Object.entries(ROUTES)) {
      const res = await call(route, {});
      if (res.status >= 500) wrong.push(`${route}: ${res.status}`);
      else if (access === 'public' || access === 'loopback') {
        if (res.status === 401 || res.status === 403) wrong.push(`${route}: ${res.status} for a public route`);
      } else if (access === 'platform') {
        // The platform's convention: HTTP 200 with a business code; unsigned is refused (1xxx), nothing stored.
        if (res.status !== 200 || !/^1\d{3}$/.test(String(res.body?.code))) wrong.push(`${route}: ${res.status} ${JSON.stringify(res.body)}`);
      } else if (res.status !== 401) wrong.push(`${route}: ${res.status}, expected 401`);
    }
    expect(wrong).toEqual([]);
  });

  it('gives each operator role its own duty and nothing more', async () => {
    const wrong: string[] = [];
    const holders: [string, Holder, Record<string, string>][] = [
      ['viewer session', 'viewer', { Cookie: cookies.viewer! }],
      ['operator session', 'operator', { Cookie: cookies.operator! }],
      ['admin session', 'admin', { Cookie: cookies.admin! }],
      ['auditor session', 'auditor', { Cookie: cookies.auditor! }],
      ['operator token', 'token', { Authorization: `Bearer ${OPERATOR_TOKEN}` }],
    ];
    for (const [route, access] of Object.entries(ROUTES)) {
      if (access === 'public' || access === 'department' || access === 'platform') continue;
      for (const [who, holder, auth] of holders) {
        const allowed = MAY[access].includes(holder);
        if (route === 'POST /api/v1/ops/drain' && allowed) continue; // not drained: the other calls go on
        const res = await call(route, auth);
        if (res.status >= 500) wrong.push(`${who} ${route}: ${res.status}`);
        else if (allowed && (res.status === 401 || res.status === 403)) wrong.push(`${who} ${route}: ${res.status}, should pass`);
        else if (!allowed) {
          // The token has no account of its own (401 there); elsewhere it is refused for its role.
          const expected = holder === 'token' && access === 'own-account' ? 401 : 403;
          if (res.status !== expected) wrong.push(`${who} ${route}: ${res.status}, expected ${expected}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('limits an admin who has not enrolled the second factor to enrolling it', async () => {
    await request(gw.url)
      .post('/api/v1/ops/operators')
      .set('Cookie', cookies.admin!)
      .send({ username: 'route-admin2', role: 'admin', password: 'Sturdy-Second-Admin-2026!' })
      .expect(201);
    const r = await request(gw.url).post('/api/v1/auth/login').send({ username: 'route-admin2', password: 'Sturdy-Second-Admin-2026!' }).expect(200);
    expect(r.body.setup).toBe('totp-enrolment');
    const cookie = String(r.headers['set-cookie']).split(';')[0];
    const wrong: string[] = [];
    for (const [route, access] of Object.entries(ROUTES)) {
      if (!['status', 'read', 'read-or-department', 'operate', 'accounts', 'configure', 'audit', 'audit-or-status', 'loopback'].includes(access)) continue;
      if (route === 'POST /api/v1/ops/drain') continue;
      const res = await call(route, { Cookie: cookie });
      if (res.status !== 403) wrong.push(`${route}: ${res.status}, expected 403`);
    }
    expect(wrong).toEqual([]);
    expect((await request(gw.url).get('/api/v1/ops/operators').set('Cookie', cookie).expect(403)).body.code).toBe('OPERATOR_SETUP_REQUIRED');
    expect((await request(gw.url).get('/api/v1/auth/me').set('Cookie', cookie).expect(200)).body).toMatchObject({ role: 'admin', setup: 'totp-enrolment' });
  });

  it('takes no department token on an operator route, and no operator credentials on a department route', async () => {
    const wrong: string[] = [];
    for (const [route, access] of Object.entries(ROUTES)) {
      if (['public', 'platform', 'read-or-department', 'signed-in', 'own-account', 'loopback'].includes(access)) continue;
      if (access === 'department') {
        const res = await call(route, { Cookie: cookies.admin!, Authorization: `Bearer ${OPERATOR_TOKEN}` });
        if (res.status !== 401) wrong.push(`operator credentials on ${route}: ${res.status}`);
      } else {
        const res = await call(route, { Authorization: `Bearer ${TOKENS.SCJG}` });
        if (res.status !== 401) wrong.push(`department token on ${route}: ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
