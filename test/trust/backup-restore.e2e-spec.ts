import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import request from 'supertest';
import { CliIo, runCli } from '../../apps/gateway/src/cli';
import { platformAdmin } from '../support/platform-admin';
import { postScjgEvent, scjgEvent } from '../support/scjg-events';
import { TestDatabase, createTestDatabase, usingMysql } from '../support/test-database';
import { OPERATOR_TOKEN, TestGateway, startTestGateway } from '../support/test-gateway';
import { waitFor } from '../support/wait-for';

jest.setTimeout(180_000);

const run = promisify(execFile);
const haveMariadbTools = ['/usr/bin/mariadb-dump', '/usr/bin/mariadb'].every((p) => existsSync(p));

async function cli(env: Record<string, string | undefined>, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { env, stdin: Readable.from(['']), stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } };
  const code = await runCli(argv, io);
  return { code, out: out.join(''), err: err.join('') };
}

/** The SCJG case numbers the platform has been sent an acceptance for. */
async function acceptedAt(gw: TestGateway): Promise<string[]> {
  const calls = await platformAdmin(gw.platform).received({ endpoint: 'accept' });
  return calls.filter((c) => c.httpStatus === 200).map((c) => JSON.stringify(c.body).match(/SCJG-BR-\d+/)?.[0] ?? '?').sort();
}

async function caseIsReadable(gw: TestGateway, bizNo: string) {
  const res = await request(gw.url).get('/api/v1/cases').query({ dept: 'scjg', deptCaseNo: bizNo }).set('Authorization', `Bearer ${OPERATOR_TOKEN}`);
  expect(res.status).toBe(200);
  const text = JSON.stringify(res.body);
  expect(text).toContain(bizNo);
  expect(text).not.toContain('430626200107081238'); // the agent's ID number, decrypted and masked
  expect(text).toContain('4306**********1238');
}

/**
 * 数据备份恢复: a running gateway with cases, some delivered and some waiting for the platform, is
 * backed up; the backup restored into an empty data folder and started on another port shows the
 * same cases and delivers exactly the ones that were waiting.
 */
describe('backup and restore (数据备份恢复)', () => {
  let testDb: TestDatabase;
  let gwA: TestGateway | undefined;
  let gwB: TestGateway | undefined;
  const cleanup: (() => Promise<unknown>)[] = [];
  const delivered = ['SCJG-BR-000001', 'SCJG-BR-000002'];
  const waiting = ['SCJG-BR-000003', 'SCJG-BR-000004'];

  beforeAll(async () => {
    testDb = await createTestDatabase();
    // Back-off capped at 2 s: the restored gateway must not wait out minutes of the outage's back-off.
    // Lease of 5 s: a dump taken while a retry is in flight holds that row's lease, which the
    // restored gateway waits out before claiming it again (60 s by default: as long as the test's wait).
    gwA = await startTestGateway({ testDb, env: { DISPATCH_RETRY_MAX_MS: '2000', DISPATCH_LEASE_MS: '5000' } });
    for (const bizNo of delivered) expect((await postScjgEvent(gwA.url, scjgEvent({ bizNo }))).status).toBe(202);
    await waitFor('the first two cases accepted by the platform', async () => (await acceptedAt(gwA!)).length === 2, 30_000);
    // The platform goes down: these two wait in the outbox.
    await platformAdmin(gwA.platform).setFaults({ outage: '503' });
    for (const bizNo of waiting) expect((await postScjgEvent(gwA.url, scjgEvent({ bizNo }))).status).toBe(202);
  });
  afterAll(async () => {
    await gwB?.close();
    await gwA?.close();
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    await testDb?.drop();
  });

  (usingMysql() ? it.skip : it)('SQLite: `backup` online, `restore` into an empty folder, the same cases and delivery resumes on another port', async () => {
    const env = gwA!.ctx.config.env as Record<string, string>;
    const backups = mkdtempSync(join(tmpdir(), 'gw-backups-'));
    cleanup.push(async () => rmSync(backups, { recursive: true, force: true }));

    // Online: the gateway keeps running (and accepting) while it is copied.
    const backup = await cli(env, ['backup', '--to', backups]);
    expect(backup).toMatchObject({ code: 0, out: expect.stringContaining('backed up to') });
    const [folderName] = readdirSync(backups);
    expect(folderName).toMatch(/^gateway-backup-\d{8}T\d{6}Z$/);
    const folder = join(backups, folderName);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(folder)) expect(statSync(join(folder, f)).mode & 0o777).toBe(0o600);
    expect(readdirSync(folder).sort()).toEqual(expect.arrayContaining(['gateway.sqlite', 'manifest.json']));
    expect((await acceptedAt(gwA!)).length).toBe(2);
    await gwA!.close();
    gwA = undefined;

    const dataDir = join(mkdtempSync(join(tmpdir(), 'gw-restored-')), 'data');
    cleanup.push(async () => rmSync(join(dataDir, '..'), { recursive: true, force: true }));
    const restored = await cli(env, ['restore', '--from', folder, '--data-dir', dataDir]);
    expect(restored).toMatchObject({ code: 0, out: expect.stringContaining('audit chain: 完整 intact') });
    // Never over a gateway's data.
    expect(await cli(env, ['restore', '--from', folder, '--data-dir', dataDir])).toMatchObject({ code: 1, err: expect.stringContaining('empty folder') });

    gwB = await startTestGateway({ testDb: { kind: 'sqlite', env: { DATA_DIR: dataDir }, dataDir, drop: async () => undefined } });
    await waitFor('the waiting cases delivered from the restored gateway', async () => (await acceptedAt(gwB!)).length >= 2, 60_000);
    expect(await acceptedAt(gwB!)).toEqual(waiting);
    for (const bizNo of [...delivered, ...waiting]) await caseIsReadable(gwB!, bizNo);
    expect((await request(gwB!.url).get('/api/v1/ops/audit/verify').set('Authorization', `Bearer ${OPERATOR_TOKEN}`).expect(200)).body).toMatchObject({ ok: true });
  });

  (usingMysql() && haveMariadbTools ? it : it.skip)('MariaDB: the printed mariadb-dump procedure restores into a new database; delivery resumes there', async () => {
    const env = gwA!.ctx.config.env as Record<string, string>;
    const printed = await cli(env, ['backup']);
    expect(printed.code).toBe(0);
    expect(printed.out).toContain('mariadb-dump');
    expect(printed.out).toContain('--single-transaction');
    expect(printed.out).not.toContain('gw_test@'); // no password or URL with credentials printed

    // The documented procedure, as root over TCP (this machine's MariaDB has no root password).
    const source = testDb.mysql!.database;
    const target = `gw_t_${randomBytes(5).toString('hex')}`;
    const conn = ['-h', '127.0.0.1', '-P', String(testDb.mysql!.port), '-u', 'root'];
    const dumpFile = join(testDb.dataDir, 'dump.sql');
    await run('/bin/sh', ['-c', `mariadb-dump ${conn.join(' ')} --single-transaction --quick --hex-blob --default-character-set=utf8mb4 --routines --triggers ${source} > ${dumpFile}`]);
    const admin = await createConnection({ host: '127.0.0.1', port: testDb.mysql!.port, user: 'root' });
    await admin.query(`CREATE DATABASE \`${target}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await admin.query(`GRANT ALL ON \`${target}\`.* TO '${testDb.mysql!.user}'@'%'`).catch(() => undefined);
    cleanup.push(async () => {
      await admin.query(`DROP DATABASE IF EXISTS \`${target}\``);
      await admin.end();
    });
    await run('/bin/sh', ['-c', `mariadb ${conn.join(' ')} --default-character-set=utf8mb4 ${target} < ${dumpFile}`]);
    await gwA!.close();
    gwA = undefined;

    const dataDir = mkdtempSync(join(tmpdir(), 'gw-restored-'));
    cleanup.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const url = new URL(testDb.env.DATABASE_URL);
    url.pathname = `/${target}`;
    gwB = await startTestGateway({ testDb: { kind: 'mysql', env: { DATA_DIR: dataDir, DATABASE_URL: url.toString() }, dataDir, drop: async () => undefined } });
    await waitFor('the waiting cases delivered from the restored gateway', async () => (await acceptedAt(gwB!)).length >= 2, 60_000);
    expect(await acceptedAt(gwB!)).toEqual(waiting);
    for (const bizNo of [...delivered, ...waiting]) await caseIsReadable(gwB!, bizNo);
    expect((await request(gwB!.url).get('/api/v1/ops/audit/verify').set('Authorization', `Bearer ${OPERATOR_TOKEN}`).expect(200)).body).toMatchObject({ ok: true });
  });
});
