import request from 'supertest';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { signIn } from '../support/operators';
import { scjgEvent } from '../support/scjg-events';
import { TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';

jest.setTimeout(60_000);

const ADMIN = { user: 'instances-admin', password: 'Sturdy-Passphrase-2026!' };
const REFRESH_SECONDS = 2;

/**
 * Two gateway instances over one database (as ingress ×2 behind a balancer): a token issued on one
 * works on the other a second later at most (an unknown token re-reads the table, at most once a
 * second); a revocation made on one takes effect on the other within TOKEN_REFRESH_SECONDS (30 s by
 * default; 2 s here).
 */
describe('token rotation across instances sharing one database', () => {
  let testDb: TestDatabase;
  let a: TestGateway;
  let b: TestGateway;
  let admin = '';
  let n = 0;
  const post = (gw: TestGateway, token: string) =>
    request(gw.url)
      .post('/api/v1/departments/scjg/events')
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(scjgEvent({ bizNo: `SCJG-INS-${String(++n).padStart(6, '0')}` })));

  beforeAll(async () => {
    testDb = await createTestDatabase();
    const env = { GATEWAY_ADMIN_USER: ADMIN.user, GATEWAY_ADMIN_PASSWORD: ADMIN.password, TOKEN_REFRESH_SECONDS: String(REFRESH_SECONDS) };
    a = await startTestGateway({ testDb, env });
    b = await startTestGateway({ testDb, env });
    admin = await signIn(a.url, ADMIN.user, ADMIN.password);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await testDb?.drop();
  });

  it('accepts a token issued on A on B a second later, and refuses it on B within the refresh interval of its revocation on A', async () => {
    const issued = await request(a.url).post('/api/v1/departments/scjg/tokens').set('Cookie', admin).send({ overlapDays: 1 }).expect(201);
    const token: string = issued.body.token;
    await new Promise((r) => setTimeout(r, 1_100)); // B re-reads for an unknown token at most once a second
    expect((await post(b, token)).status).toBe(202);
    expect((await post(b, TOKENS.SCJG)).status).toBe(202);

    await request(a.url).delete(`/api/v1/departments/scjg/tokens/${issued.body.id}`).set('Cookie', admin).expect(200);
    expect((await post(a, token)).status).toBe(401); // at once where it was revoked
    const revokedAt = Date.now();
    let status = 0;
    while (Date.now() - revokedAt < (REFRESH_SECONDS + 2) * 1000) {
      status = (await post(b, token)).status;
      if (status === 401) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(401);
    expect(Date.now() - revokedAt).toBeLessThanOrEqual((REFRESH_SECONDS + 1) * 1000);
    expect((await post(b, TOKENS.SCJG)).status).toBe(202);
  });

  it('refuses a bad TOKEN_REFRESH_SECONDS at start-up', async () => {
    await expect(startTestGateway({ env: { TOKEN_REFRESH_SECONDS: '0' } })).rejects.toThrow(/TOKEN_REFRESH_SECONDS/);
  });
});
