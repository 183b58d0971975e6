import { request as httpRequest } from 'node:http';
import { AuditLogEntity } from '#gw/persistence';
import { signIn } from '../support/operators';
import { TestGateway, startTestGateway } from '../support/test-gateway';

// The e2e project's testTimeout is not applied to projects by every jest version: set it here.
jest.setTimeout(120_000);

const PASSWORD = 'Pj-race-user-2026!';

interface LoginAnswer {
  status: number;
  code?: string;
  retryAfter?: string;
}

/**
 * Signs in over real HTTP from a chosen loopback address (127.0.0.x are all this machine on
 * Linux), so each scenario is counted under its own address as a remote client would be.
 */
function login(base: string, username: string, password: string, from: string): Promise<LoginAnswer> {
  const url = new URL('/api/v1/auth/login', base);
  const body = JSON.stringify({ username, password });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress: from,
        agent: false,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            code: text ? (JSON.parse(text) as { code?: string }).code : undefined,
            retryAfter: res.headers['retry-after'] as string | undefined,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const tally = (answers: LoginAnswer[]) => ({
  checked: answers.filter((a) => a.status === 401).length,
  locked: answers.filter((a) => a.status === 429).length,
  other: answers.filter((a) => a.status !== 401 && a.status !== 429),
});

/**
 * Issue 18, hole 5: the sign-in lock-out could be raced (30 parallel wrong passwords got 28
 * password checks), and was kept per (name, address), so one address could try a password
 * against every name. Attempts are now reserved in the database before the password is checked,
 * per name and per address.
 */
describe('sign-in lock-out under parallel attempts (real HTTP, real database)', () => {
  let gw: TestGateway;
  let second: TestGateway;

  let admin: string;
  const createOperator = async (username: string) => {
    const res = await fetch(`${gw.url}/api/v1/ops/operators`, {
      method: 'POST',
      headers: { Cookie: admin, 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, role: 'viewer', password: PASSWORD }),
    });
    expect(res.status).toBe(201);
  };
  const passwordChecks = async (username: string) =>
    (await gw.db.manager.find(AuditLogEntity, { where: { action: 'LOGIN_FAILED', targetId: username } })).filter(
      (a) => JSON.stringify(a.detail).includes('WRONG_PASSWORD'),
    ).length;

  beforeAll(async () => {
    gw = await startTestGateway({ env: { GATEWAY_ADMIN_USER: 'race-admin', GATEWAY_ADMIN_PASSWORD: 'Lockout-Admin-Pass-2026' } });
    admin = await signIn(gw.url, 'race-admin', 'Lockout-Admin-Pass-2026'); // accounts are the admin's duty
    // A second instance on the same database, as behind a load balancer.
    second = await startTestGateway({ testDb: gw.testDb });
    for (const name of ['race-one', 'race-two', 'race-three', 'race-four']) await createOperator(name);
  });
  afterAll(async () => {
    await second?.close();
    await gw?.close();
  });

  it('30 parallel wrong passwords for one name, over two instances: at most 5 are checked, the rest get 429 with Retry-After', async () => {
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => login(i % 2 ? second.url : gw.url, 'race-one', `wrong-password-${i}`, '127.0.0.2')),
    );
    const { checked, locked, other } = tally(answers);
    expect(other).toEqual([]);
    expect(checked).toBeLessThanOrEqual(5);
    expect(checked + locked).toBe(30);
    expect(await passwordChecks('race-one')).toBe(checked);
    for (const a of answers.filter((x) => x.status === 429)) {
      expect(a.code).toBe('LOGIN_LOCKED');
      expect(Number(a.retryAfter)).toBeGreaterThan(0);
      expect(Number(a.retryAfter)).toBeLessThanOrEqual(5 * 60);
    }
    // The lock holds for the right password too, from any address and either instance.
    for (const [base, from] of [[gw.url, '127.0.0.2'], [second.url, '127.0.0.9']]) {
      const right = await login(base, 'race-one', PASSWORD, from);
      expect(right).toMatchObject({ status: 429, code: 'LOGIN_LOCKED' });
    }
    expect(await passwordChecks('race-one')).toBe(checked);
  });

  it('one address trying one password against 30 names is locked after 20 failures, also for a name it never tried', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `spray-${i}`);
    const answers = await Promise.all(names.map((n, i) => login(i % 2 ? second.url : gw.url, n, 'Summer2026!', '127.0.0.3')));
    const { checked, locked, other } = tally(answers);
    expect(other).toEqual([]);
    expect(checked).toBeLessThanOrEqual(20);
    expect(locked).toBeGreaterThanOrEqual(10);
    for (const a of answers.filter((x) => x.status === 429)) {
      expect(a.code).toBe('LOGIN_LOCKED');
      expect(Number(a.retryAfter)).toBeGreaterThan(0);
      expect(Number(a.retryAfter)).toBeLessThanOrEqual(15 * 60);
    }
    // The right password of a real account, from the locked address: refused, and not checked.
    expect(await login(gw.url, 'race-two', PASSWORD, '127.0.0.3')).toMatchObject({ status: 429, code: 'LOGIN_LOCKED' });
    // Another address is not held back by it.
    expect((await login(gw.url, 'race-two', PASSWORD, '127.0.0.4')).status).toBe(200);
  });

  it('a successful sign-in forgets the name’s failures; only failures count against the address', async () => {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) expect((await login(gw.url, 'race-three', `wrong-${round}-${i}`, '127.0.0.5')).status).toBe(401);
      expect((await login(second.url, 'race-three', PASSWORD, '127.0.0.5')).status).toBe(200);
    }
    // Eight failures and two sign-ins from 127.0.0.5: twelve more failures there lock it.
    const more = await Promise.all(Array.from({ length: 14 }, (_, i) => login(gw.url, `spray-b-${i}`, 'x-password-1', '127.0.0.5')));
    expect(tally(more)).toMatchObject({ checked: 12, locked: 2, other: [] });
    expect((await login(gw.url, 'race-four', PASSWORD, '127.0.0.5')).status).toBe(429);
  });
});
