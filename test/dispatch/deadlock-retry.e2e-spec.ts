/**
 * MariaDB only: a deadlock in a dispatcher's transaction is retried in place, not waited out for
 * a lease and then sent again (issue 22). Two dispatchers (the gateway's and a second one in this
 * process, over the same database) drain a backlog while a third connection keeps taking every
 * case row and then the in-flight outbox rows — the opposite order to a finish that records an
 * accept's project_no (outbox row, then case row) — so InnoDB picks finishes as deadlock victims.
 * The platform must still see every call once.
 */
import request from 'supertest';
import { Catalogue } from '#gw/catalogue';
import { PersonalDataCipher } from '#gw/common';
import { DEFAULT_DISPATCHER_SETTINGS, Dispatcher } from '#gw/dispatch';
import { OutboxRepository } from '#gw/persistence';
import { CityPlatformPort } from '#gw/platform';
import { TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';
import { platformAdmin } from '../support/platform-admin';
import { scjgLifecycle } from '../support/event-driver';
import { waitFor } from '../support/wait-for';

const onMariaDb = (process.env.TEST_DATABASE_URL ?? '').startsWith('mysql') ? describe : describe.skip;
const CASES = 120;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

onMariaDb('deadlocks in the dispatchers are retried in place (MariaDB)', () => {
  let gw: TestGateway;
  let second: Dispatcher;

  beforeAll(async () => {
    // A short lease: a deadlock that escaped would bring its message back (and send it again) within the test.
    gw = await startTestGateway({ env: { DISPATCH_LEASE_MS: '3000', DISPATCH_CONCURRENCY: '16' } });
    second = new Dispatcher(new OutboxRepository(gw.db), gw.app.get(CityPlatformPort), gw.app.get(Catalogue), gw.app.get(PersonalDataCipher), {
      ...DEFAULT_DISPATCHER_SETTINGS,
      concurrency: 16,
      leaseMs: 3000,
      pollIntervalMs: 200,
      retryBaseMs: 100,
    }, { log: () => undefined, warn: () => undefined, error: () => undefined });
  }, 60_000);
  afterAll(async () => {
    await second?.stop();
    await gw?.close();
  });

  it('two dispatchers, deadlocks provoked: every platform call made once, the deadlocks retried', async () => {
    const first = gw.app.get(Dispatcher);
    first.setDraining(true);
    const lives = Array.from({ length: CASES }, (_, i) => scjgLifecycle(`SCJG-DEADLOCK-${String(i).padStart(6, '0')}`, i));
    await Promise.all(
      lives.map(async (life) => {
        for (const e of life) await request(gw.url).post('/api/v1/departments/scjg/events').set('Authorization', `Bearer ${TOKENS.SCJG}`).send(e.body).expect(202);
      }),
    );

    // The third connection: all case rows, a pause, then the outbox rows in flight; over and over.
    const qr = gw.db.dataSource.createQueryRunner();
    await qr.connect();
    let stop = false;
    let hostileVictims = 0;
    const hostile = (async () => {
      while (!stop) {
        try {
          await qr.startTransaction();
          await qr.query('UPDATE gw_case SET updated_at = NOW(3)');
          await qr.query('SELECT SLEEP(0.05)');
          await qr.query(`SELECT id FROM outbox WHERE status = 'IN_FLIGHT' FOR UPDATE`);
          await qr.commitTransaction();
        } catch {
          hostileVictims++;
          await qr.rollbackTransaction().catch(() => undefined);
        }
        // Hostile, but not a wall: a finish retried a moment later gets through.
        await sleep(100);
      }
    })();

    const retriesBefore = gw.db.transientLockRetries;
    first.setDraining(false);
    second.start();
    try {
      await waitFor('the backlog delivered', async () => {
        const s = await gw.app.get(OutboxRepository).stats();
        return s.pending === 0 && s.inFlight === 0;
      }, 240_000, 250);
    } finally {
      stop = true;
      await hostile;
      await qr.release();
    }

    const retried = gw.db.transientLockRetries - retriesBefore;
    process.stdout.write(`deadlock-retry: ${JSON.stringify({ retried, hostileVictims, first: first.counters, second: second.counters })}\n`);

    const received = await platformAdmin(gw.platform).received();
    const count = (key: (c: any) => string | null) => {
      const m = new Map<string, number>();
      for (const c of received) {
        const k = key(c);
        if (k) m.set(k, (m.get(k) ?? 0) + 1);
      }
      return [...m.entries()].filter(([, n]) => n !== 1).map(([k, n]) => `${k}: ${n} calls`);
    };
    // Two accepts per case: 申报 opens it, 受理 repeats the accept with accept_date and promise_date.
    expect(received.filter((c) => c.endpoint === 'accept')).toHaveLength(2 * CASES);
    expect(count((c) => (c.endpoint === 'accept' ? `${c.body.source_case_id}/${c.body.status}` : null))).toEqual([]);
    expect(count((c) => (['process', 'result'].includes(c.endpoint) ? `${c.projectNo}#${c.body.seq}` : null))).toEqual([]);
    expect(count((c) => (c.endpoint === 'licenses' ? c.body.certificate_number : null))).toEqual([]);
    expect(received.filter((c) => c.endpoint === 'licenses')).toHaveLength(CASES);
    expect(received.filter((c) => c.code !== '0').map((c) => `${c.endpoint} ${c.code}`)).toEqual([]);

    // Deadlocks happened and were retried in place; both dispatchers did part of the work.
    expect(retried).toBeGreaterThan(0);
    expect(first.counters.leaseLost + second.counters.leaseLost).toBe(0);
    // Both dispatchers did part of the work.
    expect(first.counters.done).toBeGreaterThan(0);
    expect(second.counters.done).toBeGreaterThan(0);
  }, 300_000);
});
