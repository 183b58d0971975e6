/**
 * 429 and Retry-After (issue 22): the platform client and the pushes to department systems read
 * Retry-After as seconds or as an HTTP date and wait that long; a 429 never opens a breaker.
 */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { DepartmentDispatcher } from '#gw/callbacks';
import { startDepartmentSimulators } from '#gw/dept-simulators';
import { OutboxEntity } from '#gw/persistence';
import { PlatformHttpClient } from '#gw/platform';
import { BreakerRegistry, RateLimiter } from '#gw/resilience';
import { OPERATOR_TOKEN, PLATFORM_APP_ID, PLATFORM_SECRET, TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';
import { onlineApplication } from '../support/callbacks';
import { platformAdmin } from '../support/platform-admin';
import { scjgEvent } from '../support/scjg-events';
import { waitFor } from '../support/wait-for';

const SCJG_MATTER = { code: '11430626MB123456250000120001000', name: '企业设立登记' };

describe('429 and Retry-After', () => {
  let gw: TestGateway;
  let sims: Awaited<ReturnType<typeof startDepartmentSimulators>>;
  const op = { Authorization: `Bearer ${OPERATOR_TOKEN}` };

  beforeAll(async () => {
    sims = await startDepartmentSimulators({});
    gw = await startTestGateway({ env: { DEPT_SCJG_URL: sims.scjg.url, BREAKER_RESET_MS: '1000' } });
  });
  afterAll(async () => {
    await gw?.close();
    await sims?.close();
  });

  const applyOnline = async (): Promise<string> =>
    (
      await request(gw.platform.origin)
        .post('/admin/online-applications')
        .send(JSON.parse(JSON.stringify(onlineApplication(SCJG_MATTER.code, { task_name: SCJG_MATTER.name, apply_date: '2026-12-04 09:00:00' }))))
        .expect(202)
    ).body.projectNo;
  const deliveryRow = (projectNo: string) => gw.db.manager.findOneOrFail(OutboxEntity, { where: { target: 'DEPT:SCJG', groupKey: projectNo } });
  const scjgBreaker = () => gw.app.get(DepartmentDispatcher).breakerStates().find((b) => b.department === 'SCJG')!;

  it('a department answering 429 with Retry-After in seconds: each retry waits as asked, the breaker stays closed, delivered once after', async () => {
    await sims.scjg.setFaults({ status: 429, retryAfter: '1' });
    const projectNo = await applyOnline();
    const calls = () => sims.scjg.received().filter((r) => r.projectNo === projectNo);
    // More 429s than the breaker's volume threshold (5): with the old code they opened it.
    await waitFor('six 429s at SCJG', async () => calls().length >= 6, 30_000, 100);
    // Read between attempts (a row in flight shows its claim, not its retry).
    const row = await waitFor('the row waiting for its retry', async () => {
      const r = await deliveryRow(projectNo);
      return r.status === 'PENDING' ? r : null;
    }, 30_000, 20);
    expect(row.lastErrorCode).toBe('HTTP_429');
    // The next attempt as the department asked (1 s from the answer; the row is written a moment later), not the back-off's 100–200 ms.
    expect(row.nextAttemptAt.getTime() - row.updatedAt.getTime()).toBeGreaterThan(900);
    expect(scjgBreaker()).toMatchObject({ state: 'CLOSED', opens: 0 });

    await sims.scjg.setFaults({});
    await waitFor('accepted at SCJG', async () => calls().some((r) => r.accepted), 30_000, 100);
    expect(calls().filter((r) => r.accepted)).toHaveLength(1);
  });

  it('a department answering 429 with Retry-After as an HTTP date: the next attempt is at that date', async () => {
    const notBefore = new Date(Math.ceil((Date.now() + 5000) / 1000) * 1000);
    await sims.scjg.setFaults({ status: 429, retryAfter: notBefore.toUTCString() });
    const projectNo = await applyOnline();
    const row = await waitFor('a 429 recorded', async () => {
      const r = await deliveryRow(projectNo).catch(() => null);
      return r?.lastErrorCode === 'HTTP_429' ? r : null;
    }, 30_000, 100);
    expect(row.nextAttemptAt.getTime()).toBe(notBefore.getTime());
    await sims.scjg.setFaults({});
    await waitFor('accepted at SCJG', async () => sims.scjg.received().some((r) => r.projectNo === projectNo && r.accepted), 30_000, 100);
    expect(scjgBreaker()).toMatchObject({ state: 'CLOSED', opens: 0 });
  });

  it('the platform client reads Retry-After as an HTTP date and holds every call until then; a 429 never counts toward the breaker', async () => {
    let answered = 0;
    const notBefore = () => new Date(Math.ceil((Date.now() + 2000) / 1000) * 1000);
    const server: Server = createServer((req, res) => {
      answered++;
      res.writeHead(429, { 'Retry-After': notBefore().toUTCString(), 'Content-Type': 'text/plain' }).end('slow down');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const breakers = new BreakerRegistry({ timeoutMs: 2000, errorThresholdPercentage: 50, volumeThreshold: 1, resetTimeoutMs: 10_000, rollingCountTimeoutMs: 10_000 });
    const client = new PlatformHttpClient(
      { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, appId: PLATFORM_APP_ID, secret: PLATFORM_SECRET, signAlg: 'hmac-sm3' },
      breakers,
      new RateLimiter(1000),
    );
    try {
      const first = await client.call('accept', 'POST', '/cases/accept', {});
      expect(first).toMatchObject({ httpStatus: 429 });
      // Whole seconds: more than the 1 s the old code fell back to for a date it could not read.
      expect(first.retryAfterMs).toBeGreaterThan(1000);
      expect(first.retryAfterMs).toBeLessThanOrEqual(3000);
      expect(breakers.state('accept')).toBe('CLOSED');
      // The next call waits for the date (the limiter is paused), and still no breaker opens.
      const second = await client.call('accept', 'POST', '/cases/accept', {});
      expect(second.httpStatus).toBe(429);
      expect(answered).toBe(2);
      expect(breakers.state('accept')).toBe('CLOSED');
    } finally {
      breakers.shutdown();
      await new Promise((r) => server.close(r));
    }
  });

  it('the platform simulator over its rate limit: 429s with Retry-After, no breaker opened, every case accepted once', async () => {
    const admin = platformAdmin(gw.platform);
    await admin.setFaults({ rateLimitPerSecond: 2 });
    try {
      const cases = Array.from({ length: 10 }, (_, i) => `SCJG-429-${String(i).padStart(6, '0')}`);
      for (const bizNo of cases) {
        await request(gw.url).post('/api/v1/departments/scjg/events').set('Authorization', `Bearer ${TOKENS.SCJG}`).send(scjgEvent({ bizNo, status: 10, statusTime: '2026-12-04T09:00:00+08:00' })).expect(202);
      }
      await waitFor('every case accepted', async () => {
        const got = await admin.received({ endpoint: 'accept' });
        return cases.every((c) => got.some((g) => g.sourceCaseId === c && g.code === '0'));
      }, 60_000, 200);
      const accepts = (await admin.received({ endpoint: 'accept' })).filter((g) => cases.includes(g.sourceCaseId));
      expect(accepts.filter((g) => g.httpStatus === 429).length).toBeGreaterThan(0);
      expect(accepts.filter((g) => g.code === '0')).toHaveLength(cases.length);
      const status = (await request(gw.url).get('/api/v1/delivery/status').set(op).expect(200)).body;
      const accept = (status.platform as any[]).find((e) => e.endpoint === 'accept');
      expect(accept).toMatchObject({ state: 'CLOSED', opens: 0 });
    } finally {
      await admin.clearFaults();
    }
  });
});
