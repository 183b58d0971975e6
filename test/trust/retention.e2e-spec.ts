import { existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { AuditLogEntity, AuditRepository, RetentionPruner, parseDuration } from '#gw/persistence';
import { postScjgEvent, scjgEvent } from '../support/scjg-events';
import { OPERATOR_TOKEN, REPO_ROOT, TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';
import { waitFor } from '../support/wait-for';

jest.setTimeout(240_000);

const DAY = 86_400_000;

/** A time as both SQLite (TypeORM's text) and MariaDB (a UTC datetime literal) compare it. */
const sqlTime = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');

/**
 * 剩余信息保护 / retention: with ages set to minutes, raw bodies, delivery attempts and refused
 * requests older than that are pruned in small batches while departments keep posting (every
 * event accepted, none lost); audit entries younger than 180 days stay whatever is configured.
 */
describe('retention: pruning by age in small batches (剩余信息保护)', () => {
  let gw: TestGateway;
  const one = async (sql: string, params: unknown[] = []) => Number((await gw.db.manager.query(sql, params))[0].n);
  const postMany = async (count: number, prefix: string, parallel = 4) => {
    const statuses: number[] = [];
    for (let i = 0; i < count; i += parallel) {
      const chunk = Array.from({ length: Math.min(parallel, count - i) }, (_, k) => postScjgEvent(gw.url, scjgEvent({ bizNo: `${prefix}-${String(i + k).padStart(6, '0')}` })));
      for (const r of await Promise.all(chunk)) statuses.push(r.status);
    }
    return statuses;
  };
  const undelivered = () => one(`SELECT COUNT(*) AS n FROM outbox WHERE status <> 'DONE'`);

  beforeAll(async () => {
    gw = await startTestGateway({
      env: {
        RETAIN_RAW_BODY_DAYS: '10m',
        RETAIN_ATTEMPTS_DAYS: '10m',
        RETAIN_REFUSED_DAYS: '10m',
        RETAIN_CALLBACKS_DAYS: '10m',
        RETAIN_AUDIT_DAYS: '180', // the least allowed (the default is 365)
        RETAIN_SPOOL_DAYS: '20m',
        RETENTION_INTERVAL: 'off', // run by the test, at the moment it chooses
        RETENTION_BATCH_SIZE: '50',
        RETENTION_PAUSE: '5ms',
        INGRESS_REFUSALS_PER_ADDRESS: '10000',
        INGRESS_REFUSAL_BURST: '10000',
      },
    });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('reads ages as durations (30d, 12h, 10m) and refuses an audit retention under 180 days at start-up', async () => {
    expect(parseDuration('X', '10m', 1)).toBe(600_000);
    expect(parseDuration('X', '30d', 1)).toBe(30 * DAY);
    expect(parseDuration('X', '180', 1)).toBe(180 * DAY);
    expect(() => parseDuration('X', 'soon', 1)).toThrow('X="soon"');
    await expect(startTestGateway({ env: { RETAIN_AUDIT_DAYS: '179' } })).rejects.toThrow(/RETAIN_AUDIT_DAYS.*180/);
  });

  it('prunes old raw bodies, attempts and refused requests in batches of 50 while ingest goes on; young audit entries stay', async () => {
    // Audit entries 200 and 179 days old, first in the chain (written with a clock set back).
    for (const age of [200, 200, 200, 179, 179, 179]) {
      await new AuditRepository(gw.db, gw.ctx.secrets.auditKey, () => new Date(Date.now() - age * DAY)).append({ actor: 'system', action: `AGED_${age}`, outcome: 'success' });
    }

    expect(new Set(await postMany(200, 'SCJG-RT-OLD'))).toEqual(new Set([202]));
    for (let i = 0; i < 120; i++) {
      await request(gw.url).post('/api/v1/departments/scjg/events').set('Authorization', 'Bearer not-the-token-0123456789').send('{}').expect(401);
    }
    await waitFor('the first 200 delivered', async () => (await undelivered()) === 0, 60_000);

    // Everything so far becomes an hour old: older than the 10 minutes configured.
    const hourAgo = sqlTime(new Date(Date.now() - 3600_000));
    await gw.db.manager.query(`UPDATE inbound_message SET received_at = ?`, [hourAgo]);
    await gw.db.manager.query(`UPDATE delivery_attempt SET attempted_at = ?`, [hourAgo]);
    const oldAttempts = await one(`SELECT COUNT(*) AS n FROM delivery_attempt`);
    expect(await one(`SELECT COUNT(*) AS n FROM inbound_message WHERE outcome = 'ACCEPTED' AND body IS NOT NULL`)).toBe(200);
    expect(await one(`SELECT COUNT(*) AS n FROM inbound_message WHERE outcome = 'REFUSED'`)).toBe(120);
    expect(oldAttempts).toBeGreaterThanOrEqual(200);

    // Pruning and posting at once.
    const pruner = gw.app.get(RetentionPruner);
    const [run, statuses] = await Promise.all([pruner.runOnce(), postMany(100, 'SCJG-RT-NEW')]);
    expect(new Set(statuses)).toEqual(new Set([202]));
    expect(run.counts).toMatchObject({ rawBodies: 200, refused: 120, attempts: oldAttempts, audit: 3 });
    // Small batches: 200 / 50, 120 / 50, attempts / 50, and the audit's.
    expect(run.batches).toBeGreaterThanOrEqual(4 + 3 + Math.ceil(oldAttempts / 50) + 1);

    await waitFor('the 100 posted during pruning delivered', async () => (await undelivered()) === 0, 60_000);
    expect(await one(`SELECT COUNT(*) AS n FROM gw_case`)).toBe(300);
    expect(await one(`SELECT COUNT(*) AS n FROM inbound_message WHERE outcome = 'ACCEPTED' AND body IS NOT NULL`)).toBe(100);
    expect(await one(`SELECT COUNT(*) AS n FROM inbound_message WHERE outcome = 'ACCEPTED'`)).toBe(300);
    expect(await one(`SELECT COUNT(*) AS n FROM inbound_message WHERE outcome = 'REFUSED'`)).toBe(0);
    expect(await one(`SELECT COUNT(*) AS n FROM delivery_attempt WHERE attempted_at <= ?`, [hourAgo])).toBe(0);
    expect(await one(`SELECT COUNT(*) AS n FROM delivery_attempt`)).toBeGreaterThanOrEqual(100);
    // Old cases are still read whole: only the raw copies went.
    const old = await request(gw.url).get('/api/v1/cases').query({ dept: 'scjg', deptCaseNo: 'SCJG-RT-OLD-000007' }).set('Authorization', `Bearer ${OPERATOR_TOKEN}`).expect(200);
    expect(JSON.stringify(old.body)).toContain('SCJG-RT-OLD-000007');

    const actions = (await gw.db.manager.find(AuditLogEntity, { order: { id: 'ASC' } })).map((a) => a.action);
    expect(actions.filter((a) => a === 'AGED_200')).toHaveLength(0);
    expect(actions.filter((a) => a === 'AGED_179')).toHaveLength(3);
    expect(actions).toContain('RETENTION_PRUNED');
    expect((await request(gw.url).get('/api/v1/ops/audit/verify').set('Authorization', `Bearer ${OPERATOR_TOKEN}`).expect(200)).body).toMatchObject({ ok: true, firstSeq: '4' });

    // A second pass finds nothing more of the young data.
    const again = await pruner.runOnce();
    expect(again.counts).toMatchObject({ rawBodies: 0, refused: 0, attempts: 0, audit: 0 });
  });

  it('sealed batch spool files: a finished batch leaves none; orphans older than RETAIN_SPOOL_DAYS are pruned, younger ones kept', async () => {
    const spool = join(gw.ctx.config.dataDir, 'spool');
    const batchFiles = () => (existsSync(spool) ? readdirSync(spool).filter((n) => n.endsWith('.batch')) : []);
    // A whole batch, answered: its spooled file is gone with the answer.
    const res = await fetch(`${gw.url}/api/v1/departments/ybj/batches`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKENS.YBJ}`, 'Content-Type': 'text/csv', 'X-Batch-Id': 'RT-SPOOL-1' },
      body: readFileSync(join(REPO_ROOT, 'config/examples/ybj-batch.csv')),
    });
    expect(res.status).toBe(200);
    expect(batchFiles()).toEqual([]);
    // A refused one (not a CSV) too.
    const refused = await fetch(`${gw.url}/api/v1/departments/ybj/batches`, { method: 'POST', headers: { Authorization: `Bearer ${TOKENS.YBJ}`, 'Content-Type': 'application/pdf' }, body: 'not a csv' });
    expect(refused.status).toBe(415);
    expect(batchFiles()).toEqual([]);

    // Files left behind (a run cut off by a stop, a process sharing the folder that died): one an
    // hour old, one five minutes old, and a file that is not a spooled batch.
    mkdirSync(spool, { recursive: true });
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const name of ['orphan-old.batch', 'orphan-young.batch', 'notes.txt']) writeFileSync(join(spool, name), 'sealed…');
    utimesSync(join(spool, 'orphan-old.batch'), hourAgo, hourAgo);
    utimesSync(join(spool, 'notes.txt'), hourAgo, hourAgo);
    const fiveMinutesAgo = new Date(Date.now() - 5 * 60_000);
    utimesSync(join(spool, 'orphan-young.batch'), fiveMinutesAgo, fiveMinutesAgo);

    const pruner = gw.app.get(RetentionPruner);
    expect(pruner.config.spoolDir).toBe(spool);
    const run = await pruner.runOnce();
    expect(run.counts.spoolFiles).toBe(1);
    expect(readdirSync(spool).sort()).toEqual(['notes.txt', 'orphan-young.batch']);
    const pruned = await gw.db.manager.find(AuditLogEntity, { where: { action: 'RETENTION_PRUNED' }, order: { id: 'DESC' }, take: 1 });
    expect(JSON.parse(pruned[0].detail!)).toMatchObject({ spoolFiles: 1 });
    expect((await pruner.runOnce()).counts.spoolFiles).toBe(0);
  });

  it('RETAIN_SPOOL_DAYS: a day unless set; under the 15 minutes a batch under way may need, start-up stops', async () => {
    expect(gw.app.get(RetentionPruner).config.spoolMs).toBe(20 * 60_000);
    await expect(startTestGateway({ env: { RETAIN_SPOOL_DAYS: '10m' } })).rejects.toThrow(/RETAIN_SPOOL_DAYS.*15/);
  });
});
