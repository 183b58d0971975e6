import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLogEntity } from './entities';
import { Database, WalSync, openDatabase } from './database';

/**
 * SQLite commits that do not stop the event loop: the flush to disk after COMMIT and the
 * checkpoint both run off the main thread, and neither weakens what an acknowledgement means.
 */
describe('SQLite: flushes and checkpoints off the event loop', () => {
  let dir: string;
  let db: Database;
  const path = () => join(dir, 'gateway.sqlite');
  const pragma = (sql: string) => (db.dataSource.driver as any).databaseConnection.pragma(sql, { simple: true });
  const row = (i: number) => ({
    at: new Date(),
    actor: 'test',
    action: 'TEST',
    targetType: 'x',
    targetId: String(i),
    detail: JSON.stringify({ filler: 'x'.repeat(2000), i }),
  });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-durability-'));
    db = await openDatabase({ kind: 'sqlite', path: path(), busyTimeoutMs: 5000 });
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('overwrites a deleted row in the file (secure_delete), so pruned data does not linger on disk', async () => {
    const marker = 'PRUNED-MARKER-' + Date.now();
    await db.manager.insert(AuditLogEntity, { ...row(1), detail: JSON.stringify({ marker }) });
    await db.manager.insert(AuditLogEntity, row(2)); // keeps the page in use: only the deleted cell is wiped
    await db.manager.delete(AuditLogEntity, { targetId: '1' });
    pragma('wal_checkpoint(TRUNCATE)');
    const bytes: Buffer = readFileSync(path());
    expect(bytes.includes(Buffer.from('"filler"'))).toBe(true); // the kept row is there
    expect(bytes.includes(Buffer.from(marker))).toBe(false);
    expect(pragma('secure_delete')).toBe(2); // FAST
  });

  it('commits with the flush afterwards, then restores synchronous = FULL for everything else', async () => {
    const { value, durable } = await db.transactionFlushedLater(async (em) => {
      expect(pragma('synchronous')).toBe(1); // NORMAL inside: COMMIT writes the log, does not fsync
      await em.insert(AuditLogEntity, row(1));
      return 'stored';
    });
    expect(value).toBe('stored');
    await expect(durable).resolves.toBeUndefined();
    expect(pragma('synchronous')).toBe(2); // FULL
    expect(await db.manager.count(AuditLogEntity)).toBe(1);
  });

  it('a failing transaction rolls back, restores FULL, and reports no flush', async () => {
    await expect(
      db.transactionFlushedLater(async (em) => {
        await em.insert(AuditLogEntity, row(1));
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(pragma('synchronous')).toBe(2);
    expect(await db.manager.count(AuditLogEntity)).toBe(0);
  });

  it('every other transaction too: commits without the flush, and answers only once it is flushed', async () => {
    const wal = (db as any).wal as WalSync;
    const flushes: (() => void)[] = [];
    const sync = jest.spyOn(wal, 'sync').mockImplementation(() => new Promise<void>((resolve) => flushes.push(resolve)));
    let answered = false;
    const done = db
      .transaction(async (em) => {
        expect(pragma('synchronous')).toBe(1); // NORMAL inside: COMMIT does not fsync on the event loop
        await em.insert(AuditLogEntity, row(1));
        return 'stored';
      })
      .then((v) => {
        answered = true;
        return v;
      });
    for (let i = 0; i < 200 && !flushes.length; i++) await new Promise((r) => setTimeout(r, 5));
    expect(flushes).toHaveLength(1);
    // Committed (a reader sees the row) but not answered before the flush.
    expect(await db.manager.count(AuditLogEntity)).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(answered).toBe(false);
    flushes[0]();
    await expect(done).resolves.toBe('stored');
    sync.mockRestore();
    expect(pragma('synchronous')).toBe(2);
  });

  it('checkpoints on the worker: the automatic checkpoint is off, yet the data reaches the database file', async () => {
    expect(pragma('wal_autocheckpoint')).toBe(0);
    const before = statSync(path()).size;
    for (let g = 0; g < 10; g++) {
      await db.transaction(async (em) => {
        for (let i = 0; i < 100; i++) await em.insert(AuditLogEntity, row(g * 100 + i));
      });
    }
    // ~2 MB written to the log; the worker copies it into the main file within a few ticks.
    const deadline = Date.now() + 10_000;
    while (statSync(path()).size < before + 1_500_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(statSync(path()).size).toBeGreaterThan(before + 1_500_000);
    expect(await db.manager.count(AuditLogEntity)).toBe(1000);
  });

  it('if the checkpoint worker dies, the connection checkpoints for itself again', async () => {
    const worker = (db as any).checkpointer.worker;
    await worker.terminate();
    const deadline = Date.now() + 5000;
    while (pragma('wal_autocheckpoint') !== 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(pragma('wal_autocheckpoint')).toBe(1000);
  });
});

describe('WalSync', () => {
  it('shares one flush among the requests that arrive while one runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-walsync-'));
    try {
      const sync = new WalSync(join(dir, 'none.sqlite')); // neither file exists: flushing is a no-op
      let flushes = 0;
      const flush = (sync as any).flush.bind(sync);
      (sync as any).flush = () => {
        flushes++;
        return flush();
      };
      await Promise.all(Array.from({ length: 50 }, () => sync.sync()));
      // The first request starts a flush; the other 49 arrived during it and share the next one.
      expect(flushes).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
