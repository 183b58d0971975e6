/**
 * The production shape: each app its own process. The platform simulator, two ingress processes
 * and two dispatcher processes share one MariaDB database; the ingress processes wake the
 * dispatchers over RabbitMQ. Departments post to both ingress processes alternately; every case
 * must reach the platform with seq 1..n exactly once each, in stage order, and both dispatchers
 * must have done part of the work. Several processes on one database needs MariaDB/MySQL.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DrivenEvent, driveCases, scjgLifecycle } from '../support/event-driver';
import { freePort } from '../support/free-port';
import { AppProcess, APP_SCRIPTS, artifactsDir, deliveryStatus, departmentTokens, ensureBuilt, gatewayEnv, getJson, startSimulatorProcess } from '../support/processes';
import { TestDatabase, createTestDatabase, usingMysql } from '../support/test-database';
import { waitFor } from '../support/wait-for';

const RABBITMQ_URL = process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const CASES = Number(process.env.SPLIT_CASES ?? 60);
/** Long enough that a stage delivered within a second can only have been woken up, not polled. */
const POLL_MS = 10_000;

describe('production apps refuse to start without explicit configuration', () => {
  const logs = artifactsDir('split-config');
  beforeAll(() => ensureBuilt(), 180_000);

  it.each([
    ['ingress', APP_SCRIPTS.ingress],
    ['dispatcher', APP_SCRIPTS.dispatcher],
  ])('%s: exits 1 and names every missing variable', async (name, script) => {
    const proc = new AppProcess(name, script, { GATEWAY_MODE: 'production', CATALOGUE_FILE: join(__dirname, '../../config/catalogue.yaml') }, join(logs, `${name}.log`));
    await proc.start();
    expect(await proc.waitExit()).toBe(1);
    const out = proc.log();
    for (const v of ['GATEWAY_DATA_KEY', 'DATABASE_URL', 'CITY_PLATFORM_URL']) expect(out).toContain(v);
  }, 30_000);

  it('ingress: with the database, key and platform, still names the missing tokens', async () => {
    const proc = new AppProcess(
      'ingress',
      APP_SCRIPTS.ingress,
      {
        GATEWAY_MODE: 'production',
        CATALOGUE_FILE: join(__dirname, '../../config/catalogue.yaml'),
        DATABASE_URL: 'mysql://u:p@127.0.0.1:1/never_opened',
        GATEWAY_DATA_KEY: '0'.repeat(64),
        CITY_PLATFORM_URL: 'http://127.0.0.1:1/zwfw/api/v1',
        CITY_PLATFORM_SECRET: 'never-used-0123456789',
      },
      join(logs, 'ingress-secrets.log'),
    );
    await proc.start();
    expect(await proc.waitExit()).toBe(1);
    const out = proc.log();
    for (const v of ['GATEWAY_DEPT_TOKEN_SCJG', 'GATEWAY_DEPT_TOKEN_BDC', 'GATEWAY_OPERATOR_TOKEN']) expect(out).toContain(v);
  }, 30_000);
});

if (!usingMysql()) {
  describe('split deployment: 2 ingress + 2 dispatcher processes on one database, woken over RabbitMQ', () => {
    it.skip('runs only on MariaDB/MySQL (TEST_DATABASE_URL=mysql://…): SQLite is one process\'s database, several processes cannot share it', () => undefined);
  });
} else {
  describe('split deployment: 2 ingress + 2 dispatcher processes on one database, woken over RabbitMQ', () => {
    const logs = artifactsDir('split');
    const queue = `gw_outbox_wake_t_${randomBytes(4).toString('hex')}`;
    const tokens = departmentTokens();
    let testDb: TestDatabase;
    let sim: Awaited<ReturnType<typeof startSimulatorProcess>>;
    const ingress: { proc: AppProcess; base: string }[] = [];
    const dispatchers: { proc: AppProcess; base: string }[] = [];

    beforeAll(async () => {
      await ensureBuilt();
      testDb = await createTestDatabase();
      sim = await startSimulatorProcess(logs);
      const common = {
        ...gatewayEnv(sim.url, tokens),
        GATEWAY_MODE: 'production',
        DATABASE_URL: testDb.env.DATABASE_URL,
        WAKE_URL: `${RABBITMQ_URL}?queue=${queue}`,
        DATABASE_POOL_SIZE: '8',
      };
      const spawnApp = async (kind: 'ingress' | 'dispatcher', n: number, extra: Record<string, string> = {}) => {
        const port = await freePort();
        const base = `http://127.0.0.1:${port}`;
        const proc = new AppProcess(`${kind}-${n}`, APP_SCRIPTS[kind], { ...common, PORT: String(port), ...extra }, join(logs, `${kind}-${n}.log`), `${base}/health/ready`);
        return { proc, base };
      };
      ingress.push(await spawnApp('ingress', 1), await spawnApp('ingress', 2));
      // A small concurrency each, so that one dispatcher cannot take every case on its own.
      const dispatcherEnv = { DISPATCH_POLL_MS: String(POLL_MS), DISPATCH_CONCURRENCY: '4' };
      dispatchers.push(await spawnApp('dispatcher', 1, dispatcherEnv), await spawnApp('dispatcher', 2, dispatcherEnv));
      // All four at once: they race to migrate the fresh database (a named lock lets one do it).
      await Promise.all([...ingress, ...dispatchers].map((a) => a.proc.start()));
    }, 180_000);

    afterAll(async () => {
      await Promise.all([...ingress, ...dispatchers].map((a) => a.proc.stop()));
      await sim?.proc.stop();
      await testDb?.drop();
      // The wake-up queue of this run (non-durable, but it would stay until RabbitMQ restarts).
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- amqplib ships no types
      const amqp = require('amqplib') as { connect(url: string): Promise<any> };
      const conn = await amqp.connect(RABBITMQ_URL).catch(() => null);
      if (conn) {
        const ch = await conn.createChannel();
        await ch.deleteQueue(queue).catch(() => undefined);
        await conn.close().catch(() => undefined);
      }
    }, 60_000);

    const post = (base: string, body: unknown) =>
      fetch(`${base}/api/v1/departments/scjg/events`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${tokens.SCJG}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const simCase = async (caseNo: string) => ((await getJson(`${sim.origin}/admin/cases`)) as any[]).find((c) => c.sourceCaseId === caseNo);

    it('a dispatcher is woken at once over RabbitMQ (not at its next poll)', async () => {
      // Both dispatchers are idle now, sleeping until their poll in 10 s unless woken.
      await new Promise((r) => setTimeout(r, 500));
      for (const [i, app] of ingress.entries()) {
        const [submitted] = scjgLifecycle(`SCJG-WAKE-${i}`, 900 + i);
        const t = Date.now();
        expect((await post(app.base, submitted.body)).status).toBe(202);
        await waitFor(`case SCJG-WAKE-${i} at the platform`, () => simCase(`SCJG-WAKE-${i}`), 8000, 20);
        expect(Date.now() - t).toBeLessThan(POLL_MS / 2);
      }
    });

    it('counts failed dashboard sign-ins across ingress processes: five spread over both lock the name on both', async () => {
      const login = (username: string, base: string, i: number) =>
        fetch(`${base}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ username, password: `bad-password-${i}` }),
        });
      const expectLocked = async (username: string) => {
        for (const app of ingress) {
          const r = await login(username, app.base, 9);
          expect(r.status).toBe(429);
          expect(((await r.json()) as { code: string }).code).toBe('LOGIN_LOCKED');
        }
      };
      for (let i = 0; i < 5; i++) expect((await login('split-lock', ingress[i % 2].base, i)).status).toBe(401);
      await expectLocked('split-lock');
      // Five at the same moment, on both processes: each is counted (the first ones race to create the count).
      const statuses = await Promise.all(Array.from({ length: 5 }, (_, i) => login('split-burst', ingress[i % 2].base, i).then((r) => r.status)));
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
      await expectLocked('split-burst');
    });

    it('delivers every case posted to both ingress processes with seq 1..n exactly once each, in stage order, sharing the work', async () => {
      const cases: DrivenEvent[][] = Array.from({ length: CASES }, (_, i) => scjgLifecycle(`SCJG-SPLIT-${String(i).padStart(6, '0')}`, i));
      const { report, done } = driveCases(cases, { targets: ingress.map((a) => a.base), token: tokens.SCJG, concurrency: 16, giveUpAfterMs: 30_000 });
      await done;
      expect(report.unexpected).toEqual([]);
      const events = cases.flat();
      expect(events.filter((e) => e.ackStatus === undefined)).toEqual([]);
      // Alternately: both ingress processes took about half.
      for (const app of ingress) expect(events.filter((e) => e.ackBy === app.base).length).toBeGreaterThan(events.length * 0.4);

      await waitFor(
        'every case closed at the platform',
        async () => {
          const all: any[] = await getJson(`${sim.origin}/admin/cases`);
          return cases.every((life) => all.find((c) => c.sourceCaseId === life[0].caseNo)?.closed);
        },
        60_000,
        200,
      );
      await waitFor('the outbox to drain', async () => {
        const [a, b] = await Promise.all(dispatchers.map((d) => deliveryStatus(d.base)));
        return a.outbox.pending === 0 && a.outbox.inFlight === 0 && a.dispatcher.activeDeliveries === 0 && b.dispatcher.activeDeliveries === 0;
      });

      const all: any[] = await getJson(`${sim.origin}/admin/cases`);
      const received: any[] = await getJson(`${sim.origin}/admin/received`);
      for (const life of cases) {
        const caseNo = life[0].caseNo;
        const c = all.find((k) => k.sourceCaseId === caseNo);
        expect({ caseNo, events: c.events.map((e: any) => [e.seq, e.kind === 'result' ? 'RESULT' : e.content.event_name]) }).toEqual({
          caseNo,
          events: [
            [1, 'REVIEWED'],
            [2, 'APPROVED'],
            [3, 'RESULT'],
          ],
        });
        // Exactly once on the wire too: one accept, then each seq once, in order, all answered 0.
        const calls = received.filter((r) => r.sourceCaseId === caseNo);
        expect({ caseNo, calls: calls.map((r) => `${r.endpoint}${r.body?.seq ? ` ${r.body.seq}` : ''}:${r.code}`) }).toEqual({
          caseNo,
          calls: ['accept:0', 'accept:0', 'process 1:0', 'process 2:0', 'result 3:0', 'licenses:0'],
        });
      }

      // Both dispatchers delivered part of it; together every outbox row once (a completed case's licence is a row of its own).
      const statuses = await Promise.all(dispatchers.map((d) => deliveryStatus(d.base)));
      const done0 = statuses.map((s) => s.dispatcher.counters.done);
      process.stdout.write(`split deployment: dispatchers ${statuses.map((s) => `${s.dispatcher.owner} ${JSON.stringify(s.dispatcher.counters)}`).join(' · ')}\n`);
      expect(new Set(statuses.map((s) => s.dispatcher.owner)).size).toBe(2);
      for (const d of done0) expect(d).toBeGreaterThan(0);
      expect(done0[0] + done0[1]).toBe(events.length + cases.length + ingress.length);
      expect(statuses[0].outbox).toMatchObject({ pending: 0, inFlight: 0, parked: 0 });

      // Every process is still healthy.
      for (const app of [...ingress, ...dispatchers]) expect((await fetch(`${app.base}/health/ready`)).status).toBe(200);
      // And none logged an error at start-up (a dispatcher used to: UnknownElementException … IngestService).
      for (const app of [...ingress, ...dispatchers]) expect(app.proc.log()).not.toContain('UnknownElementException');
    }, 120_000);
  });
}
