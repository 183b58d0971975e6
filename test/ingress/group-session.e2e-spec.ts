import { join } from 'node:path';
import { Database, Statement, mysqlLiteral, openDatabase } from '#gw/persistence';
import { TestDatabase, createTestDatabase } from '../support/test-database';

/**
 * The group transaction the ingest path writes through (`Database.groupTransaction`): on MySQL its
 * statements go several per request and the writes travel with COMMIT, so these check what that
 * must not change — reads see the group's own earlier writes, a refused statement anywhere leaves
 * nothing of the group behind (also when the writes are split over several requests), and only
 * these connections accept several statements per request. Run on SQLite and on MariaDB.
 */
describe('group transactions (statements several per request on MySQL)', () => {
  let testDb: TestDatabase;
  let db: Database;

  const st = (sql: string, params: unknown[] = []): Statement => ({ sql, params, bytes: sql.length + params.length * 24 });
  const count = async () => Number((await db.manager.query('SELECT COUNT(*) AS n FROM gs_probe'))[0].n);

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = await openDatabase(
      testDb.kind === 'sqlite'
        ? { kind: 'sqlite', path: join(testDb.dataDir, 'gateway.sqlite'), busyTimeoutMs: 5000 }
        : { kind: 'mysql', url: testDb.env.DATABASE_URL, poolSize: 4 },
    );
    await db.manager.query('CREATE TABLE gs_probe (id varchar(16) PRIMARY KEY, v int NOT NULL)');
  });

  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  beforeEach(async () => {
    await db.manager.query('DELETE FROM gs_probe');
  });

  it('answers reads in order, sees the rows the same transaction wrote, and commits them', async () => {
    const { value, durable } = await db.groupTransaction(async (s) => {
      await s.write([st('INSERT INTO gs_probe (id, v) VALUES (?, ?), (?, ?)', ['a', 1, 'b', 2])]);
      const [ab, none, sum] = await s.read([
        st('SELECT id, v FROM gs_probe WHERE id IN (?, ?) ORDER BY id', ['a', 'b']),
        st('SELECT id FROM gs_probe WHERE id = ?', ['zzz']),
        st('SELECT SUM(v) AS total FROM gs_probe'),
      ]);
      await s.write([st('UPDATE gs_probe SET v = v + 10 WHERE id = ?', ['a']), st('INSERT INTO gs_probe (id, v) VALUES (?, ?)', ['c', 3])]);
      return { ab: ab.map((r) => `${r.id}=${Number(r.v)}`), none, total: Number(sum[0].total) };
    }, 4 * 1024 * 1024);
    await durable;
    expect(value).toEqual({ ab: ['a=1', 'b=2'], none: [], total: 3 });
    expect((await db.manager.query('SELECT id, v FROM gs_probe ORDER BY id')).map((r: any) => `${r.id}=${Number(r.v)}`)).toEqual(['a=11', 'b=2', 'c=3']);
  });

  it.each([
    ['in one request', 4 * 1024 * 1024],
    ['split over one request per statement', 1],
  ])('leaves nothing of a group whose last write is refused (%s)', async (_how, maxRequestBytes) => {
    await db.manager.query("INSERT INTO gs_probe (id, v) VALUES ('taken', 0)");
    const attempt = db.groupTransaction(async (s) => {
      await s.read([st('SELECT id FROM gs_probe WHERE id = ?', ['taken'])]);
      await s.write([
        st('INSERT INTO gs_probe (id, v) VALUES (?, ?)', ['x1', 1]),
        st('UPDATE gs_probe SET v = 99 WHERE id = ?', ['taken']),
        st('INSERT INTO gs_probe (id, v) VALUES (?, ?)', ['x2', 2]),
        st('INSERT INTO gs_probe (id, v) VALUES (?, ?)', ['taken', 3]),
      ]);
    }, maxRequestBytes);
    const error = await attempt.then(
      () => null,
      (e: unknown) => e,
    );
    expect(Database.isUniqueViolation(error)).toBe(true);
    expect(await db.manager.query('SELECT id, v FROM gs_probe')).toEqual([{ id: 'taken', v: 0 }]);
    // The connection is usable again and holds no open transaction.
    const { durable } = await db.groupTransaction(async (s) => s.write([st('INSERT INTO gs_probe (id, v) VALUES (?, ?)', ['after', 1])]), maxRequestBytes);
    await durable;
    expect(await count()).toBe(2);
  });

  it('stores bytes written in place exactly (every byte value, quotes, backslashes, NUL)', async () => {
    if (testDb.kind !== 'mysql') {
      // Values are written in place only on MySQL; SQLite binds them.
      expect(db.dialect).toBe('sqlite');
      return;
    }
    await db.manager.query('CREATE TABLE IF NOT EXISTS gs_bytes (id int PRIMARY KEY, b longblob NULL)');
    const all = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
    const samples = [all, Buffer.from("'\\\0\"`;--", 'latin1'), Buffer.alloc(0), Buffer.from('受理 𠀀', 'utf8')];
    const { durable } = await db.groupTransaction(async (s) => {
      const rows = samples.map((b, i) => `(${i}, ${mysqlLiteral(b, 'Z')})`).join(', ');
      await s.write([{ sql: `INSERT INTO gs_bytes (id, b) VALUES ${rows}, (99, ${mysqlLiteral(null, 'Z')})`, params: [], bytes: rows.length }]);
    }, 4 * 1024 * 1024);
    await durable;
    const stored: { id: number; b: Buffer | null }[] = await db.manager.query('SELECT id, b FROM gs_bytes ORDER BY id');
    expect(stored.map((r) => r.b === null ? null : Buffer.from(r.b).toString('hex'))).toEqual([...samples.map((b) => b.toString('hex')), null]);
  });

  it('rolls back when the caller fails between its reads and its writes', async () => {
    const attempt = db.groupTransaction(async (s) => {
      await s.read([st('SELECT id FROM gs_probe')]);
      await s.write([st('INSERT INTO gs_probe (id, v) VALUES (?, ?)', ['never', 1])]);
      throw new Error('planning failed');
    }, 4 * 1024 * 1024);
    await expect(attempt).rejects.toThrow('planning failed');
    expect(await count()).toBe(0);
  });

  it('keeps one statement per request on the shared connections (MySQL)', async () => {
    if (testDb.kind !== 'mysql') {
      // SQLite's driver runs one statement per call whatever it is given: nothing to check here.
      expect(db.dialect).toBe('sqlite');
      return;
    }
    await expect(db.manager.query('SELECT 1; SELECT 2')).rejects.toThrow(/syntax/i);
  });
});
