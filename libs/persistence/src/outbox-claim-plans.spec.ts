import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallbackRepository } from './callback.repository';
import { Database, openDatabase } from './database';
import { OutboxEntity } from './entities';
import { OutboxRepository } from './outbox.repository';

/**
 * The dispatchers' claims must cost the same with a backlog as without one. SQLite keeps no
 * statistics, so an equality on `status` (shared by every pending row) can make it read the
 * whole backlog through the (status, next_attempt_at) index: after one 50,000-row YBJ file each
 * platform claim spent 3 ms in its UPDATE and each department poll 11 ms in its SELECT, growing
 * with the backlog. SQLite's plans do not depend on the bound values, so the statements the
 * claims actually ran are explained here, on the real schema.
 */
describe('outbox claims on SQLite: no statement reads the backlog', () => {
  let dir: string;
  let db: Database;
  let prepared: string[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-claim-plans-'));
    db = await openDatabase({ kind: 'sqlite', path: join(dir, 'gateway.sqlite'), busyTimeoutMs: 5000 });
    const now = new Date(Date.now() - 1000);
    const row = (i: number, target: string, caseId: string | null, groupKey: string | null): Partial<OutboxEntity> => ({
      target,
      kind: 'STAGE',
      caseId,
      eventId: null,
      groupKey,
      orderTime: now,
      orderSeq: null,
      orderKey: `k${String(i).padStart(6, '0')}`,
      status: 'PENDING',
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
    });
    // A platform backlog (four stages of 50 cases) and a few department deliveries.
    const rows = Array.from({ length: 200 }, (_, i) => row(i, 'PLATFORM', `case-${Math.floor(i / 4)}`, null));
    rows.push(...Array.from({ length: 6 }, (_, i) => row(1000 + i, 'DEPT:YBJ', null, `YBJ:p${i % 3}`)));
    await db.manager.insert(OutboxEntity, rows as OutboxEntity[]);

    prepared = [];
    const connection = (db.dataSource.driver as any).databaseConnection;
    const prepare = connection.prepare.bind(connection);
    connection.prepare = (sql: string) => {
      prepared.push(sql);
      return prepare(sql);
    };
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const plansOfOutboxStatements = () => {
    const connection = (db.dataSource.driver as any).databaseConnection;
    return prepared
      .filter((sql) => /\boutbox\b/i.test(sql) && /^\s*(SELECT|UPDATE)/i.test(sql))
      .map((sql) => {
        // Any values will do (the statements hold no literal '?'): the plan is made before binding.
        const values = Array((sql.match(/\?/g) ?? []).length).fill(null);
        const plan = (connection.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...values) as { detail: string }[]).map((r) => r.detail).join(' | ');
        return { sql, plan };
      });
  };

  it('claiming platform deliveries reads by case, by target and by primary key', async () => {
    const claimed = await new OutboxRepository(db).claim('owner-1', 8, 60_000);
    expect(claimed.map((c) => c.caseId)).toEqual(Array.from({ length: 8 }, (_, i) => `case-${i}`));
    const plans = plansOfOutboxStatements();
    expect(plans.length).toBeGreaterThanOrEqual(3); // candidates, the cases' open rows, the update
    for (const { sql, plan } of plans) {
      expect({ sql, plan }).toEqual({ sql, plan: expect.not.stringMatching(/ix_outbox_claim|SCAN o(utbox)?\b/) });
    }
  });

  it('finishing a group of deliveries reads and writes outbox rows and cases by primary key', async () => {
    const outbox = new OutboxRepository(db);
    const claimed = await outbox.claim('owner-1', 8, 60_000);
    prepared.length = 0;
    // Finished together: one group. Accepts, so the group also sets the cases' project numbers.
    const kept = await Promise.all(
      claimed.map((row, i) => outbox.finish(row.id, 'owner-1', { status: 'DONE' }, [], { row, platformProjectNo: `P-${i}` })),
    );
    expect(kept).toEqual(claimed.map(() => true));
    const connection = (db.dataSource.driver as any).databaseConnection;
    const plans = prepared
      .filter((sql) => /\b(outbox|gw_case)\b/i.test(sql) && /^\s*(SELECT|UPDATE)/i.test(sql))
      .map((sql) => {
        const values = Array((sql.match(/\?/g) ?? []).length).fill(null);
        return { sql, plan: (connection.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...values) as { detail: string }[]).map((r) => r.detail).join(' | ') };
      });
    expect(plans.length).toBeGreaterThanOrEqual(3); // the leases, the outcome's update, the project numbers
    for (const { sql, plan } of plans) {
      // Not the status index (every row in flight or pending) nor the project-number index (every case not yet accepted).
      expect({ sql, plan }).toEqual({ sql, plan: expect.not.stringMatching(/ix_outbox_claim|ix_case_project_no|SCAN/) });
    }
  });

  it('claiming department deliveries reads department rows only', async () => {
    const claimed = await new CallbackRepository(db).claimDeliveries('owner-2', 10, 60_000, []);
    // One head per project group, earliest first.
    expect(claimed.map((c) => c.groupKey)).toEqual(['YBJ:p0', 'YBJ:p1', 'YBJ:p2']);
    const plans = plansOfOutboxStatements();
    expect(plans.length).toBeGreaterThanOrEqual(3); // due rows, open rows of their groups, the update
    for (const { sql, plan } of plans) {
      expect({ sql, plan }).toEqual({ sql, plan: expect.not.stringMatching(/ix_outbox_claim|SCAN o(utbox)?\b/) });
    }
  });
});
