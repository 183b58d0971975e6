import Database from 'better-sqlite3';
import { join } from 'node:path';
import request from 'supertest';
import { CaseEventEntity } from '#gw/persistence';
import { createTestDatabase, usingMysql } from '../support/test-database';
import { TestGateway, startTestGateway } from '../support/test-gateway';
import { TcpProxy } from '../support/tcp-proxy';
import { scjgEvent, postScjgEvent } from '../support/scjg-events';

/**
 * The database goes away mid-run: answers turn into 503 (never 202), nothing is acknowledged, and
 * when it comes back the gateway recovers by itself, without a restart.
 * SQLite: another process takes an exclusive lock on the file. MariaDB: a proxy in front of the
 * server resets every connection and refuses new ones (the shared server itself keeps running).
 */
describe('database outage', () => {
  let gw: TestGateway;
  let cut: () => Promise<void>;
  let restore: () => Promise<void>;

  const post = (body: unknown) => postScjgEvent(gw.url, body);

  beforeAll(async () => {
    if (usingMysql()) {
      const testDb = await createTestDatabase();
      const proxy = new TcpProxy(testDb.mysql!.host, testDb.mysql!.port);
      const port = await proxy.start();
      const { user, password, database } = testDb.mysql!;
      const url = `mysql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
      gw = await startTestGateway({ testDb, env: { DATABASE_URL: url } });
      const close = gw.close;
      gw.close = async () => {
        await close();
        await proxy.stop();
        await testDb.drop();
      };
      cut = () => proxy.stop();
      restore = async () => {
        await proxy.start(port);
      };
    } else {
      gw = await startTestGateway({ env: { SQLITE_BUSY_TIMEOUT_MS: '200' } });
      let locker: Database.Database | undefined;
      cut = async () => {
        locker = new Database(join(gw.testDb.dataDir, 'gateway.sqlite'));
        locker.exec('BEGIN EXCLUSIVE');
      };
      restore = async () => {
        locker?.exec('ROLLBACK');
        locker?.close();
      };
    }
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('answers 503 while the database is away, never 202, and recovers without a restart', async () => {
    await post(scjgEvent({ bizNo: 'SCJG-OUTAGE-1' })).expect(202);

    await cut();
    const during = scjgEvent({ bizNo: 'SCJG-OUTAGE-2' });
    const answers = await Promise.all([post(during), post(scjgEvent({ bizNo: 'SCJG-OUTAGE-3' })), post('{not json')]);
    for (const a of answers) {
      expect(a.status).toBe(503);
      expect(a.body.code).toBe('STORAGE_UNAVAILABLE');
    }
    if (usingMysql()) await request(gw.url).get('/health/ready').expect(503);

    await restore();
    // The department sends again later, as the 503 told it to; the gateway takes it now.
    let retried = await post(during);
    for (let i = 0; i < 20 && retried.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 250));
      retried = await post(during);
    }
    expect(retried.status).toBe(202);
    await request(gw.url).get('/health/ready').expect(200);
    expect(await gw.db.manager.count(CaseEventEntity, { where: { sourceEventId: during.eventId as string } })).toBe(1);
  });
});
