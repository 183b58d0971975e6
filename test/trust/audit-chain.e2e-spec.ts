import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import request from 'supertest';
import { Browser } from 'playwright-core';
import { AuditLogEntity, AuditRepository, openDatabase } from '#gw/persistence';
import { CliIo, runCli } from '../../apps/gateway/src/cli';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { OPERATOR_TOKEN, TestGateway, startTestGateway } from '../support/test-gateway';
import { CHROMIUM, launchChromium } from '../support/browser';

jest.setTimeout(120_000);

/** The auditor: the one duty that reads the audit log and exports it (三权分立). */
const VIEWER = { username: 'wangwu', password: 'Viewer-pass-2026' };

/**
 * 安全审计: the audit log is an HMAC-SM3 chain. An entry edited, deleted, inserted or cut off the
 * end directly in the database is named by `npm run operator -- verify-audit` (exit 1) and by
 * `GET /api/v1/ops/audit/verify`, which the dashboard's audit page shows.
 */
describe('the audit trail is a chain nobody can quietly edit (安全审计)', () => {
  let testDb: TestDatabase;
  let gw: TestGateway;
  let auditorCookie = '';
  // The audit log is the auditor's (separate duties); the rest is read with the operator token.
  const ops = (path: string) =>
    path.startsWith('audit')
      ? request(gw.url).get(`/api/v1/ops/${path}`).set('Cookie', auditorCookie)
      : request(gw.url).get(`/api/v1/ops/${path}`).set('Authorization', `Bearer ${OPERATOR_TOKEN}`);
  const cli = async (argv: string[], stdin = '') => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      env: { ...gw.ctx.config.env } as Record<string, string>,
      stdin: Readable.from([stdin]),
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s) },
    };
    const code = await runCli(argv, io);
    return { code, out: out.join(''), err: err.join('') };
  };
  const rows = () => gw.db.manager.find(AuditLogEntity, { order: { id: 'ASC' } });
  const verify = async () => (await ops('audit/verify').expect(200)).body;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    gw = await startTestGateway({ testDb });
    // Entries of every kind: a created account, a failed and a good sign-in, token use, drain.
    expect((await cli(['create-operator', '--user', VIEWER.username, '--role', 'auditor'], `${VIEWER.password}\n`)).code).toBe(0);
    await request(gw.url).post('/api/v1/auth/login').send({ username: VIEWER.username, password: 'wrong-password-x' }).expect(401);
    auditorCookie = String((await request(gw.url).post('/api/v1/auth/login').send(VIEWER).expect(200)).headers['set-cookie']).split(';')[0];
    await ops('overview').expect(200);
    await ops('overview').expect(200);
    await request(gw.url).post('/api/v1/ops/drain').set('Authorization', `Bearer ${OPERATOR_TOKEN}`).expect(200);
    await request(gw.url).delete('/api/v1/ops/drain').set('Authorization', `Bearer ${OPERATOR_TOKEN}`).expect(200);
  });
  afterAll(async () => {
    await gw?.close();
    await testDb?.drop();
  });

  it('chains every entry, each with time, subject, object, outcome and address', async () => {
    const all = await rows();
    expect(all.map((r) => r.action)).toEqual([
      'OPERATOR_CREATED',
      'LOGIN_FAILED',
      'LOGIN',
      'OPERATOR_TOKEN_READ', // the second read within the hour is not recorded again
      'OPERATOR_TOKEN_WRITE',
      'DRAIN_ON',
      'OPERATOR_TOKEN_WRITE',
      'DRAIN_OFF',
    ]);
    all.forEach((r, i) => {
      expect(String(r.seq)).toBe(String(i + 1));
      expect(r.mac).toMatch(/^[0-9a-f]{64}$/);
      expect(r.prevMac).toBe(i ? all[i - 1].mac : '');
      expect(r.at).toBeInstanceOf(Date);
      expect(r.actor).toBeTruthy();
      expect(r.outcome).toMatch(/^(success|failure)$/);
    });
    const byAction = (a: string) => all.find((r) => r.action === a)!;
    expect(byAction('LOGIN_FAILED')).toMatchObject({ outcome: 'failure', actor: `operator:${VIEWER.username}`, targetId: VIEWER.username, address: expect.stringMatching(/127\.0\.0\.1/) });
    expect(byAction('LOGIN')).toMatchObject({ outcome: 'success', address: expect.stringMatching(/127\.0\.0\.1/) });
    expect(byAction('OPERATOR_TOKEN_READ')).toMatchObject({ actor: 'operator:token', targetId: 'GET /api/v1/ops/overview', address: expect.stringMatching(/127\.0\.0\.1/) });
    expect(byAction('DRAIN_ON')).toMatchObject({ actor: 'operator:token', targetType: 'instance', address: expect.stringMatching(/127\.0\.0\.1/) });

    expect(await verify()).toMatchObject({ ok: true, checked: 8, firstSeq: '1', headSeq: '8' });
    const listed = (await ops('audit?limit=1').expect(200)).body.items[0];
    expect(listed).toMatchObject({ action: 'DRAIN_OFF', outcome: 'success', address: expect.stringMatching(/127\.0\.0\.1/), seq: '8' });
  });

  it('names an entry edited in the database: the CLI exits 1, the API and the dashboard say where', async () => {
    const victim = (await rows()).find((r) => r.action === 'LOGIN_FAILED')!;
    const good = await cli(['verify-audit']);
    expect(good).toMatchObject({ code: 0, out: expect.stringContaining('audit chain intact') });

    // Someone with database access turns the failed sign-in into a success.
    await gw.db.manager.query(`UPDATE audit_log SET outcome = 'success' WHERE id = ?`, [victim.id]);
    const broken = await cli(['verify-audit']);
    expect(broken.code).toBe(1);
    expect(broken.err).toContain('ALTERED');
    expect(broken.err).toContain(`entry seq ${victim.seq} (id ${victim.id}`);
    expect(await verify()).toMatchObject({ ok: false, broken: { problem: 'ALTERED', seq: String(victim.seq), id: String(victim.id) } });
    await dashboardShows(new RegExp(`审计链断裂.*entry seq ${victim.seq} \\(id ${victim.id}`));

    await gw.db.manager.query(`UPDATE audit_log SET outcome = 'failure' WHERE id = ?`, [victim.id]);
    expect((await cli(['verify-audit'])).code).toBe(0);
    await dashboardShows(/审计链完整/);
  });

  it('names an entry deleted in the database, one inserted, and entries cut off the end', async () => {
    const before = await rows();
    const victim = before.find((r) => r.action === 'LOGIN')!;
    await gw.db.manager.query(`DELETE FROM audit_log WHERE id = ?`, [victim.id]);
    const broken = await cli(['verify-audit']);
    expect(broken.code).toBe(1);
    expect(broken.err).toContain('DELETED');
    expect(broken.err).toContain(`audit entry seq ${victim.seq} was deleted`);
    expect(await verify()).toMatchObject({ ok: false, broken: { problem: 'DELETED', seq: String(victim.seq) } });
    await dashboardShows(new RegExp(`审计链断裂.*seq ${victim.seq} was deleted`));

    // Put it back exactly as it was: the chain holds again.
    await gw.db.manager.insert(AuditLogEntity, { ...victim });
    expect((await cli(['verify-audit'])).code).toBe(0);

    // The newest entry removed (and nothing after it to show a gap): the head knows.
    const current = await rows();
    const last = current[current.length - 1];
    await gw.db.manager.query(`DELETE FROM audit_log WHERE id = ?`, [last.id]);
    expect(await cli(['verify-audit'])).toMatchObject({ code: 1, err: expect.stringContaining('TRUNCATED') });
    await gw.db.manager.insert(AuditLogEntity, { ...last });

    // A row written behind the gateway's back, even copying a real MAC, is not in the chain.
    await gw.db.manager.query(`INSERT INTO audit_log (at, actor, action, outcome) VALUES ('2026-01-01 00:00:00.000', 'operator:nobody', 'LOGIN', 'success')`);
    expect(await cli(['verify-audit'])).toMatchObject({ code: 1, err: expect.stringContaining('UNCHAINED') });
    await gw.db.manager.query(`DELETE FROM audit_log WHERE actor = 'operator:nobody'`);

    // Two entries' places swapped.
    const [a, b] = before.slice(1, 3);
    await gw.db.manager.query(`UPDATE audit_log SET seq = ? WHERE id = ?`, [-1, a.id]);
    await gw.db.manager.query(`UPDATE audit_log SET seq = ? WHERE id = ?`, [a.seq, b.id]);
    await gw.db.manager.query(`UPDATE audit_log SET seq = ? WHERE id = ?`, [b.seq, a.id]);
    expect(await cli(['verify-audit'])).toMatchObject({ code: 1, err: expect.stringContaining(`entry seq ${a.seq} (id ${b.id}`) });
    await gw.db.manager.query(`UPDATE audit_log SET seq = ? WHERE id = ?`, [-1, a.id]);
    await gw.db.manager.query(`UPDATE audit_log SET seq = ? WHERE id = ?`, [b.seq, b.id]);
    await gw.db.manager.query(`UPDATE audit_log SET seq = ? WHERE id = ?`, [a.seq, a.id]);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('stays one line when instances append at once (the chain head is locked per group)', async () => {
    // MariaDB: two connection pools, as two gateway instances. SQLite has one writer per file
    // (one process): two repositories share it.
    const mysql = testDb.kind === 'mysql';
    const [one, two] = mysql ? [await openDatabase(gw.ctx.config.database), await openDatabase(gw.ctx.config.database)] : [gw.db, gw.db];
    try {
      const writers = [new AuditRepository(one, gw.ctx.secrets.auditKey), new AuditRepository(two, gw.ctx.secrets.auditKey)];
      await Promise.all(
        Array.from({ length: 120 }, (_, i) => writers[i % 2].append({ actor: 'system', action: 'CONCURRENT_TEST', targetId: String(i), address: null })),
      );
    } finally {
      if (mysql) await Promise.all([one.close(), two.close()]);
    }
    const v = await verify();
    expect(v).toMatchObject({ ok: true });
    expect(Number(v.checked)).toBe((await rows()).length);
    expect((await rows()).filter((r) => r.action === 'CONCURRENT_TEST')).toHaveLength(120);
  });

  it('exports a time range as CSV (API and CLI), and the export is itself audited', async () => {
    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const res = await request(gw.url).get(`/api/v1/ops/audit/export?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`).set('Cookie', auditorCookie).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.text.replace(/^\ufeff/, '').trim().split('\r\n');
    expect(lines[0]).toBe('seq,id,at,actor,action,target_type,target_id,outcome,address,detail,correlation_id,prev_mac,mac');
    expect(lines.some((l) => l.includes(',LOGIN_FAILED,') && l.includes(',failure,'))).toBe(true);
    expect(lines.some((l) => l.includes(',AUDIT_EXPORTED,'))).toBe(true);
    await ops('audit/export?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z').expect(400);

    const viaCli = await cli(['export-audit', '--from', from, '--to', to]);
    expect(viaCli.code).toBe(0);
    expect(viaCli.out).toContain(',DRAIN_ON,');
    expect((await rows()).filter((r) => r.action === 'AUDIT_EXPORTED').map((r) => r.actor)).toEqual([`operator:${VIEWER.username}`, 'cli']);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('chains the rows written before the chain existed, once, at start-up or by verify-audit', async () => {
    // The state right after the migration: rows without MACs up to legacy_until_id, an empty head.
    await gw.db.manager.query(`DELETE FROM audit_log`);
    for (const action of ['LOGIN', 'PARKED_RERUN', 'LOGOUT']) {
      await gw.db.manager.query(`INSERT INTO audit_log (at, actor, action) VALUES ('2026-01-01 00:00:00.000', 'operator:legacy', ?)`, [action]);
    }
    const [{ maxId }] = await gw.db.manager.query(`SELECT MAX(id) AS maxId FROM audit_log`);
    await gw.db.manager.query(`UPDATE audit_chain_head SET seq = 0, mac = '', head_mac = NULL, anchor_seq = 0, anchor_mac = '', anchor_tag = NULL, legacy_until_id = ?`, [maxId]);
    expect(await cli(['verify-audit'])).toMatchObject({ code: 0, out: expect.stringContaining('3 条 entries') });
    expect((await rows()).map((r) => String(r.seq))).toEqual(['1', '2', '3']);
    // New appends continue the chain.
    await request(gw.url).post('/api/v1/ops/drain').set('Authorization', `Bearer ${OPERATOR_TOKEN}`).expect(200);
    expect(await verify()).toMatchObject({ ok: true, checked: 5 });
  });

  /** The audit page, signed in as a viewer, shows the chain's state. */
  async function dashboardShows(text: RegExp): Promise<void> {
    if (!existsSync(CHROMIUM)) {
      console.warn(`dashboard check skipped: ${CHROMIUM} is missing`);
      return;
    }
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage();
      await page.request.post(`${gw.url}/api/v1/auth/login`, { data: VIEWER });
      await page.goto(`${gw.url}/dashboard/#/audit`);
      await page.locator('#audit-chain[data-state="ok"], #audit-chain[data-state="broken"]').waitFor();
      expect(await page.locator('#audit-chain-text').textContent()).toMatch(text);
    } finally {
      await browser?.close();
    }
  }
});
