import { deflateSync, gzipSync } from 'node:zlib';
import { OPERATOR_TOKEN, TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';

// The e2e project's testTimeout is not applied to projects by every jest version: set it here.
jest.setTimeout(60_000);

/**
 * Issue 18, hole 7: deeply nested JSON, malformed cookies and compressed bodies, sent over real
 * HTTP by someone who has not signed in. Each gets its documented refusal, never a 500.
 */
describe('malformed input: nested JSON, bad cookies, compressed bodies (real HTTP)', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  const send = (path: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}) =>
    fetch(gw.url + path, { method: init.method ?? 'POST', headers: init.headers, body: init.body });
  const nested = (depth: number) => '{"username":' + '['.repeat(depth) + ']'.repeat(depth) + ',"password":"x"}';
  const answer = async (res: Response) => ({ status: res.status, body: (await res.json()) as { code: string; message: string } });

  it('refuses JSON nested 100,000 deep on the login route and an operator route without a 500', async () => {
    for (const path of ['/api/v1/auth/login', '/api/v1/quarantine/replay', '/api/v1/ops/operators']) {
      for (const headers of [{}, { Authorization: `Bearer ${OPERATOR_TOKEN}` }] as Record<string, string>[]) {
        const res = await send(path, { headers: { 'Content-Type': 'application/json', ...headers }, body: nested(100_000) });
        const { status, body } = await answer(res);
        expect({ path, status }).toEqual({ path, status: 413 });
        expect(body.code).toBe('PAYLOAD_TOO_LARGE');
      }
    }
  });

  it('refuses JSON nested deeper than 32 levels within the size limit with 400 BAD_REQUEST', async () => {
    for (const path of ['/api/v1/auth/login', '/api/v1/quarantine/replay', '/api/v1/ops/operators']) {
      for (const depth of [33, 10_000]) {
        const res = await send(path, {
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${OPERATOR_TOKEN}` },
          body: nested(depth),
        });
        const { status, body } = await answer(res);
        expect({ path, depth, status }).toEqual({ path, depth, status: 400 });
        expect(body.code).toBe('BAD_REQUEST');
        expect(body.message).toMatch(/嵌套.*32.*nests deeper than 32/);
      }
    }
    // A department's own format is its adapter's to read: deep JSON there is refused as unreadable, not a 500.
    const dept = await send('/api/v1/departments/scjg/events', {
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKENS.SCJG}` },
      body: '{"eventId":"deep-1","applicant":' + '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000) + '}',
    });
    expect(dept.status).toBeGreaterThanOrEqual(400);
    expect(dept.status).toBeLessThan(500);
    // Brackets inside strings are text, not nesting.
    const res = await send('/api/v1/auth/login', {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'nobody', password: '['.repeat(100) + '\\"{' }),
    });
    expect(res.status).toBe(401);
  });

  it('treats a malformed gw_session cookie as signed out: public routes answer, operator routes answer 401', async () => {
    const cookies = ['gw_session=%E0%A4%A', 'gw_session=%', 'a=%ZZ; gw_session=%E0%A4%A; b=1'];
    for (const cookie of cookies) {
      const headers = { Cookie: cookie };
      expect((await send('/health/live', { method: 'GET', headers })).status).toBe(200);
      expect((await send('/dashboard', { method: 'GET', headers })).status).toBe(200);
      for (const path of ['/api/v1/auth/me', '/api/v1/ops/overview', '/api/v1/quarantine', '/api/v1/ops/operators']) {
        const { status, body } = await answer(await send(path, { method: 'GET', headers }));
        expect({ path, status }).toEqual({ path, status: 401 });
        expect(body.code).toMatch(/^OPERATOR_UNAUTHORIZED$/);
      }
      const out = await send('/api/v1/auth/logout', { headers });
      expect(out.status).toBe(200);
      // The operator token still works beside a bad cookie.
      const withToken = await send('/api/v1/ops/overview', { method: 'GET', headers: { ...headers, Authorization: `Bearer ${OPERATOR_TOKEN}` } });
      expect(withToken.status).toBe(200);
    }
  });

  it('bounds compressed bodies: a gzip or deflate bomb answers 413, an unknown encoding 415, never 500', async () => {
    const zeros = Buffer.alloc(64 * 1024 * 1024, 0x20); // 64 MiB of spaces: ~64 KiB compressed
    const bombs = { gzip: gzipSync(zeros), deflate: deflateSync(zeros) };
    for (const [encoding, bomb] of Object.entries(bombs)) {
      expect(bomb.length).toBeLessThan(100 * 1024);
      for (const [path, auth] of [
        ['/api/v1/auth/login', undefined],
        ['/api/v1/departments/scjg/events', TOKENS.SCJG],
        ['/api/v1/departments/scjg/events', undefined],
        ['/api/v1/quarantine/replay', OPERATOR_TOKEN],
      ] as const) {
        const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Content-Encoding': encoding };
        if (auth) headers.Authorization = `Bearer ${auth}`;
        const { status, body } = await answer(await send(path, { headers, body: bomb }));
        expect({ encoding, path, status }).toEqual({ encoding, path, status: 413 });
        expect(body.code).toBe('PAYLOAD_TOO_LARGE');
      }
    }
    for (const path of ['/api/v1/auth/login', '/api/v1/departments/scjg/events']) {
      const headers = { 'Content-Type': 'application/json', 'Content-Encoding': 'x-unknown', Authorization: `Bearer ${TOKENS.SCJG}` };
      const { status, body } = await answer(await send(path, { headers, body: '{}' }));
      expect({ path, status }).toEqual({ path, status: 415 });
      expect(body.code).toBe('MEDIA_TYPE_UNSUPPORTED');
      // Not gzip at all, though it says so: the caller's mistake, not a 500.
      const broken = await send(path, { headers: { ...headers, 'Content-Encoding': 'gzip' }, body: 'not gzip' });
      expect(broken.status).toBe(400);
    }
    // The gateway still serves after all of it.
    expect((await send('/health/live', { method: 'GET' })).status).toBe(200);
  });
});
