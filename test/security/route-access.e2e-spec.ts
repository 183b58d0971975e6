import request from 'supertest';
import { OPERATOR_TOKEN, TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';

/**
 * Least privilege on every route: the routes are read from the running app, so a new route that
 * is not classified here fails this suite. Each is tried without credentials, with a department's
 * token, and with each operator role (a signed-in viewer, operator and admin, and the operator
 * token); each must get its documented refusal or pass, and never a 500.
 */

/** Who may call a route. Ranks: viewer < operator < admin; the operator token counts as admin. */
type Access =
  | 'public' // anyone (health, the dashboard's own files, sign-in)
  | 'signed-in' // any operator (who am I)
  | 'department' // a department's own bearer token
  | 'platform' // the city platform's signature (answers 200 with a business code, like the platform itself)
  | 'loopback' // this machine without credentials (an embedded gateway's metrics without METRICS_TOKEN), else a viewer
  | 'viewer'
  | 'viewer-or-department' // operators, or a department for its own cases
  | 'operator'
  | 'admin';

const ROUTES: Record<string, Access> = {
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  'GET /dashboard': 'public',
  'GET /dashboard/vendor/echarts.min.js': 'public',
  'GET /dashboard/:file': 'public',
  'POST /api/v1/auth/login': 'public',
  'POST /api/v1/auth/logout': 'public',
  'GET /api/v1/auth/me': 'signed-in',
  'POST /api/v1/departments/:dept/events': 'department',
  'POST /api/v1/departments/:dept/batches': 'department',
  'GET /api/v1/departments/:dept/inbox': 'department',
  'POST /api/v1/departments/:dept/inbox/:id/ack': 'department',
  'POST /api/v1/platform/callbacks': 'platform',
  'GET /api/v1/cases': 'viewer-or-department',
  'GET /api/v1/cases/:caseId': 'viewer-or-department',
  'GET /api/v1/quarantine': 'viewer',
  'POST /api/v1/quarantine/:id/replay': 'operator',
  'POST /api/v1/quarantine/replay': 'operator',
  'GET /api/v1/parked': 'viewer',
  'POST /api/v1/parked/:id/rerun': 'operator',
  'POST /api/v1/parked/rerun': 'operator',
  'GET /api/v1/delivery/status': 'viewer',
  'GET /api/v1/callbacks': 'viewer',
  'GET /api/v1/callbacks/satisfaction': 'viewer',
  'GET /api/v1/ops/operators': 'admin',
  'POST /api/v1/ops/operators': 'admin',
  'PATCH /api/v1/ops/operators/:username': 'admin',
  'GET /api/v1/ops/overview': 'viewer',
  'GET /api/v1/ops/series': 'viewer',
  'GET /api/v1/ops/cases': 'viewer',
  'GET /api/v1/ops/audit': 'viewer',
  'GET /api/v1/ops/drain': 'viewer',
  'POST /api/v1/ops/drain': 'operator',
  'DELETE /api/v1/ops/drain': 'operator',
  'GET /api/v1/reports/overdue': 'viewer',
  'GET /api/v1/reports/overdue.csv': 'viewer',
  'GET /api/v1/reports/online-share': 'viewer',
  'GET /api/v1/reports/online-share.csv': 'viewer',
  'GET /api/v1/reports/satisfaction': 'viewer',
  'GET /api/v1/reports/satisfaction.csv': 'viewer',
  'GET /api/v1/reports/bad-evaluations.csv': 'viewer',
  'GET /api/v1/reports/monthly.xlsx': 'viewer',
  'GET /api/v1/reports/cases.csv': 'viewer',
  'GET /api/v1/reports/cases.xlsx': 'viewer',
  'GET /api/v1/reports/reconciliation': 'viewer',
  'POST /api/v1/reports/reconciliation/run': 'operator',
  'GET /metrics': 'loopback',
  'GET /api/docs': 'viewer',
  'GET /api/docs/': 'viewer',
  'GET /api/docs/index.html': 'viewer',
  'GET /api/docs/swagger-ui-init.js': 'viewer',
  'GET /api/docs/docs/swagger-ui-init.js': 'viewer',
  'GET /api/docs/LICENSE': 'viewer',
  'GET /api/docs-json': 'viewer',
  'GET /api/docs-yaml': 'viewer',
};

const RANK = { viewer: 1, operator: 2, admin: 3 } as const;
type Role = keyof typeof RANK;

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
    const signIn = async (username: string, password: string) => {
      const r = await request(gw.url).post('/api/v1/auth/login').send({ username, password }).expect(200);
      return String(r.headers['set-cookie']).split(';')[0];
    };
    cookies.admin = await signIn('route-admin', 'Sturdy-Passphrase-2026!');
    for (const role of ['viewer', 'operator'] as const) {
      const password = `Sturdy-${role.length}-Passphrase-2026!`;
      await request(gw.url).post('/api/v1/ops/operators').set('Cookie', cookies.admin).send({ username: `route-${role}`, role, password }).expect(201);
      cookies[role] = await signIn(`route-${role}`, password);
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

  it('gives each operator role what its rank allows and nothing more', async () => {
    const wrong: string[] = [];
    const holders: [string, Role, Record<string, string>][] = [
      ['viewer session', 'viewer', { Cookie: cookies.viewer! }],
      ['operator session', 'operator', { Cookie: cookies.operator! }],
      ['admin session', 'admin', { Cookie: cookies.admin! }],
      ['operator token', 'admin', { Authorization: `Bearer ${OPERATOR_TOKEN}` }],
    ];
    for (const [route, access] of Object.entries(ROUTES)) {
      if (['public', 'department', 'platform'].includes(access)) continue;
      const needed: Role = ['signed-in', 'viewer-or-department', 'loopback'].includes(access) ? 'viewer' : (access as Role);
      for (const [who, role, auth] of holders) {
        if (route === 'POST /api/v1/ops/drain' && role !== 'viewer') continue; // not drained: the other calls go on
        const res = await call(route, auth);
        const allowed = RANK[role] >= RANK[needed];
        if (res.status >= 500) wrong.push(`${who} ${route}: ${res.status}`);
        else if (allowed && (res.status === 401 || res.status === 403)) wrong.push(`${who} ${route}: ${res.status}, should pass`);
        else if (!allowed && res.status !== 403) wrong.push(`${who} ${route}: ${res.status}, expected 403`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('takes no department token on an operator route, and no operator credentials on a department route', async () => {
    const wrong: string[] = [];
    for (const [route, access] of Object.entries(ROUTES)) {
      if (['public', 'platform', 'viewer-or-department', 'signed-in', 'loopback'].includes(access)) continue;
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
