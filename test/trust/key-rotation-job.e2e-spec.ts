import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { PersonalDataCipher, loadGatewayConfig } from '#gw/common';
import {
  AccessCredentialEntity,
  AuditLogEntity,
  AuditRepository,
  CaseEntity,
  CaseEventEntity,
  Database,
  InboundMessageEntity,
  JobLeaseEntity,
  KEY_ROTATION_UNREADABLE,
  KeyRotationJob,
  OperatorAccountEntity,
  loadKeyRotationConfig,
  openDatabase,
} from '#gw/persistence';
import { CliIo, runCli } from '../../apps/gateway/src/cli';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { REPO_ROOT } from '../support/test-gateway';
import { waitFor } from '../support/wait-for';
import { legacySeal, legacyToken } from '../support/legacy-cipher';

const KEY_A = '5d1f8b3a9c0e7246f1a8d3b5c9e2f4a6b8d0c1e3f5a7b9d2c4e6f8a0b1c3d5e7';
const KEY_B = 'a4c6e8f0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a6';
const FOREIGN = 'c0ffee00c0ffee11c0ffee22c0ffee33c0ffee44c0ffee55c0ffee66c0ffee77';
const ID_X = '430626200107081238';
const ID_Y = '91330102MA28NBU477';


/**
 * The re-encryption job against a real database (SQLite, or MariaDB with TEST_DATABASE_URL):
 * values from before key ids, values of the previous key, values of neither key (counted under a
 * stable code, logged without content, left alone), lookup hashes recovered from the case's
 * events, the lease between instances; and `operator -- rotate-data-key` in embedded mode.
 */
describe('KeyRotationJob', () => {
  let testDb: TestDatabase;
  let db: Database;
  const a = new PersonalDataCipher(KEY_A);
  const rotating = new PersonalDataCipher(KEY_B, KEY_A);
  const b = new PersonalDataCipher(KEY_B);
  const foreign = new PersonalDataCipher(FOREIGN);
  const now = new Date('2026-11-02T01:00:00Z');

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = await openDatabase(loadGatewayConfig({ ...testDb.env }).database);
  });
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  const account = (username: string, totpSecret: string | null) =>
    db.manager.insert(OperatorAccountEntity, { username, passwordHash: 'scrypt$x', role: 'viewer', createdAt: now, updatedAt: now, totpSecret } as Partial<OperatorAccountEntity>);
  const parties = (certType: string, certNo: string) => JSON.stringify({ applicants: [{ kind: 'PERSON', name: '钱七', certType, certNo }], agent: null });
  const kase = (id: string, partiesEnc: string, applicantIdHash: string | null) =>
    db.manager.insert(CaseEntity, {
      id, department: 'SCJG', sourceCaseNo: `SCJG-${id.slice(0, 8)}`, matterCode: 'M', matterName: '事项', currentStage: 'ACCEPTED', openedAt: now, lastStageTime: now, partiesEnc, applicantIdHash, createdAt: now, updatedAt: now,
    } as Partial<CaseEntity>);

  it('rewrites old-format and previous-key values with the current key; counts what neither key opens, without logging it', async () => {
    await account('legacy-a', legacyToken(KEY_A, 'LEGACYSECRETAAAA'));
    await account('new-a', a.encrypt('NEWFORMATSECRETA'));
    await account('already-b', b.encrypt('ALREADYBSECRETBB'));
    await account('lost', foreign.encrypt('LOSTSECRETLOSTSE'));
    await account('none', null);
    // A callback secret issued from the dashboard, kept sealed to be read back (main's credential rotation).
    await db.manager.insert(AccessCredentialEntity, { kind: 'CALLBACK', owner: 'PLATFORM', source: 'database', tokenHash: 'x'.repeat(64), secretSealed: a.encrypt('issued-callback-secret-0123456789'), createdAt: now, createdBy: 'admin' } as Partial<AccessCredentialEntity>);
    // A case in the old format; and one whose hash is of an earlier event's applicant (a later event carried a passport).
    const c1 = randomUUID();
    const c2 = randomUUID();
    await kase(c1, legacyToken(KEY_A, parties('111', ID_X)), a.lookupHash(ID_X));
    await kase(c2, a.encryptJson(JSON.parse(parties('414', 'E12345678'))), a.lookupHash(ID_Y));
    await db.manager.insert(CaseEventEntity, { id: randomUUID(), caseId: c2, department: 'SCJG', sourceEventId: 'e1', stage: 'ACCEPTED', stageTime: now, payloadEnc: a.encryptJson({ applicants: [{ certType: 'USCC', certNo: ID_Y }] }), inboundId: 'i1', createdAt: now } as Partial<CaseEventEntity>);
    const body = (id: string, sealed: Buffer) =>
      db.manager.insert(InboundMessageEntity, { id, department: 'SCJG', channel: 'http', receivedAt: now, outcome: 'ACCEPTED', httpStatus: 202, body: sealed, bodyEncrypted: true } as Partial<InboundMessageEntity>);
    await body('m-legacy', legacySeal(KEY_A, Buffer.from('{"idNo":"430626200107081238"}')));
    await body('m-lost', foreign.seal(Buffer.from('{"idNo":"430626200107081238"}')));

    const logs: string[] = [];
    const logger = { log: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
    const audit = new AuditRepository(db, KEY_A);
    const job = new KeyRotationJob(db, rotating, audit, { ...loadKeyRotationConfig({}), batchSize: 2, pauseMs: 0 }, undefined, logger);
    expect(job.status()).toMatchObject({ state: 'waiting', previousKeyNeeded: true });
    const s = await job.runOnce();

    expect(s).toMatchObject({ state: 'done', unreadable: 2, left: 2, unreadableCode: KEY_ROTATION_UNREADABLE, hashesUnmatched: 0, previousKeyNeeded: false });
    const t = Object.fromEntries(s.tables.map((x) => [x.table, x]));
    expect(t.operator_account).toMatchObject({ rewritten: 2, unreadable: 1, left: 1 });
    expect(t.gw_case).toMatchObject({ rewritten: 2, unreadable: 0, left: 0 });
    expect(t.access_credential).toMatchObject({ rewritten: 1, unreadable: 0, left: 0 });
    const credential = await db.manager.findOneByOrFail(AccessCredentialEntity, { owner: 'PLATFORM' });
    expect(b.decrypt(credential.secretSealed!)).toBe('issued-callback-secret-0123456789');
    expect(t.inbound_message).toMatchObject({ rewritten: 1, unreadable: 1, left: 1 });
    expect(s.message).toContain(KEY_ROTATION_UNREADABLE);

    const secret = async (u: string) => (await db.manager.findOneByOrFail(OperatorAccountEntity, { username: u })).totpSecret;
    expect(b.decrypt((await secret('legacy-a'))!)).toBe('LEGACYSECRETAAAA');
    expect(b.decrypt((await secret('new-a'))!)).toBe('NEWFORMATSECRETA');
    expect(b.decrypt((await secret('already-b'))!)).toBe('ALREADYBSECRETBB');
    expect(await secret('none')).toBeNull();
    expect(foreign.decrypt((await secret('lost'))!)).toBe('LOSTSECRETLOSTSE'); // left exactly as it was
    const cases = await db.manager.findBy(CaseEntity, {});
    expect(cases.find((c) => c.id === c1)!.applicantIdHash).toBe(b.lookupHash(ID_X));
    expect(cases.find((c) => c.id === c2)!.applicantIdHash).toBe(b.lookupHash(ID_Y)); // recovered from its event
    for (const c of cases) expect(b.isCurrentToken(c.partiesEnc)).toBe(true);
    const legacyBody = await db.manager.findOneByOrFail(InboundMessageEntity, { id: 'm-legacy' });
    expect(b.open(legacyBody.body!).toString()).toContain(ID_X);

    // Named by table and key, with the stable code; never a value, plain or encrypted.
    const warned = logs.filter((l) => l.startsWith(`${KEY_ROTATION_UNREADABLE}:`));
    expect(warned).toEqual([expect.stringContaining('operator_account lost'), expect.stringContaining('inbound_message m-lost')]);
    expect(logs[logs.length - 1]).toMatch(/^重新加密完成；2 条数据任一密钥都无法解开.*re-encryption finished; 2 value\(s\) neither key opens/);
    const lost = (await secret('lost'))!;
    for (const l of logs) {
      expect(l).not.toContain('LOSTSECRET');
      expect(l).not.toContain(ID_X);
      expect(l).not.toContain(lost.slice(13, 40));
    }
    const entries = await db.manager.find(AuditLogEntity, { order: { id: 'ASC' } });
    expect(entries.map((e) => e.action)).toEqual(['DATA_KEY_ROTATION_STARTED', 'DATA_KEY_ROTATION_COMPLETED']);
    expect(entries[1].outcome).toBe('failure');
    expect(JSON.parse(String(entries[1].detail))).toMatchObject({ unreadable: 2, unreadableCode: KEY_ROTATION_UNREADABLE });

    // Another instance with the same keys finds the job done (its lease), and does not run it again.
    const second = new KeyRotationJob(db, rotating, audit, loadKeyRotationConfig({}));
    expect(await second.runOnce()).toMatchObject({ state: 'done', left: 2 });
    expect(await db.manager.count(AuditLogEntity)).toBe(2);
  });

  it('leaves the job to the instance holding its lease', async () => {
    const other = new PersonalDataCipher(FOREIGN, KEY_B);
    await db.manager.insert(JobLeaseEntity, { name: `data-key-rotation:${other.previousKeyId}:${other.keyId}`, owner: 'elsewhere:1', leaseUntil: new Date(Date.now() + 60_000), doneAt: null });
    const job = new KeyRotationJob(db, other, new AuditRepository(db, KEY_A), loadKeyRotationConfig({}));
    expect(await job.runOnce()).toMatchObject({ state: 'elsewhere', previousKeyNeeded: true });
  });

  it('lets its lease go when stopped mid-way, so the next start carries on at once', async () => {
    const other = new PersonalDataCipher(KEY_A, FOREIGN);
    for (let i = 0; i < 12; i++) await account(`stop-${i}`, new PersonalDataCipher(FOREIGN).encrypt('STOPSECRETSTOPSE'));
    const audit = new AuditRepository(db, KEY_A);
    const job = new KeyRotationJob(db, other, audit, { ...loadKeyRotationConfig({}), batchSize: 1, pauseMs: 200 });
    const pass = job.runOnce();
    const name = `data-key-rotation:${other.previousKeyId}:${other.keyId}`;
    await waitFor('the job under way', async () => (await db.manager.findOneBy(JobLeaseEntity, { name }))?.leaseUntil);
    await job.stop();
    expect(await pass).toMatchObject({ state: 'waiting' });
    expect((await db.manager.findOneByOrFail(JobLeaseEntity, { name })).leaseUntil.getTime()).toBeLessThan(Date.now());
    const next = new KeyRotationJob(db, other, audit, { ...loadKeyRotationConfig({}), pauseMs: 0 });
    expect(await next.runOnce()).toMatchObject({ state: 'done' });
    const stopped = await db.manager.findBy(OperatorAccountEntity, {});
    for (const a of stopped.filter((x) => x.username.startsWith('stop-'))) expect(other.isCurrentToken(a.totpSecret!)).toBe(true);
  });

  it('reseals spooled batch files left on disk part by part; one neither key opens is counted and left', async () => {
    const keyC = randomBytes(32).toString('hex');
    const cipher = new PersonalDataCipher(keyC, KEY_A);
    const dir = join(testDb.dataDir, 'spool-test');
    mkdirSync(dir, { recursive: true });
    const file = (parts: Buffer[]) => Buffer.concat(parts.map((p) => { const len = Buffer.alloc(4); len.writeUInt32BE(p.length); return Buffer.concat([len, p]); }));
    writeFileSync(join(dir, 'old.batch'), file([legacySeal(KEY_A, Buffer.from('part one 430626200107081238,')), a.seal(Buffer.from('part two'))]));
    writeFileSync(join(dir, 'lost.batch'), file([foreign.seal(Buffer.from('nobody can read this'))]));
    writeFileSync(join(dir, 'starting.batch'), Buffer.alloc(0)); // being written right now: left alone
    const logs: string[] = [];
    const logger = { log: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
    const s = await new KeyRotationJob(db, cipher, new AuditRepository(db, KEY_A), { ...loadKeyRotationConfig({}), pauseMs: 0 }, dir, logger).runOnce();
    expect(s.tables.find((t) => t.table === 'spool')).toEqual({ table: 'spool', left: 1, rewritten: 1, unreadable: 1 });
    const resealed = readFileSync(join(dir, 'old.batch'));
    const parts: string[] = [];
    for (let at = 0; at < resealed.length; ) {
      const n = resealed.readUInt32BE(at);
      const part = resealed.subarray(at + 4, at + 4 + n);
      expect(cipher.isCurrentSealed(part)).toBe(true);
      parts.push(new PersonalDataCipher(keyC).open(part).toString());
      at += 4 + n;
    }
    expect(parts.join('')).toBe('part one 430626200107081238,part two');
    expect(foreign.open(readFileSync(join(dir, 'lost.batch')).subarray(4)).toString()).toBe('nobody can read this');
    expect(logs.filter((l) => l.includes('spool'))).toEqual([expect.stringMatching(/^DATA_KEY_ROTATION_UNREADABLE: spool lost\.batch/)]);
    expect(logs.join('\n')).not.toContain('nobody can read');
  });

  it('is idle without a previous key, and off with KEY_ROTATION=off', () => {
    const audit = new AuditRepository(db, KEY_A);
    expect(new KeyRotationJob(db, b, audit, loadKeyRotationConfig({})).status()).toMatchObject({ state: 'idle', previousKeyNeeded: false, left: 0 });
    expect(new KeyRotationJob(db, rotating, audit, loadKeyRotationConfig({ KEY_ROTATION: 'off' })).status()).toMatchObject({ state: 'off', previousKeyNeeded: true });
  });
});

describe('operator -- rotate-data-key (embedded mode, key in secrets.json)', () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase();
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  const env = () => ({ GATEWAY_MODE: 'embedded', CATALOGUE_FILE: join(REPO_ROOT, 'config/catalogue.yaml'), ...testDb.env });
  async function cli(argv: string[], extra: Record<string, string> = {}) {
    const out: string[] = [];
    const io: CliIo = { env: { ...env(), ...extra }, stdin: Readable.from(['']), stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) } };
    return { code: await runCli(argv, io), out: out.join('') };
  }
  const secrets = () => JSON.parse(readFileSync(join(testDb.dataDir, 'secrets.json'), 'utf8'));

  it('writes a new key and keeps the old one as previous; --finish refuses while values are left, then removes it; the audit chain stays intact', async () => {
    expect((await cli(['list-operators'])).code).toBe(0); // the first start: secrets.json generated
    const old = secrets().personalDataKey as string;
    const oldCipher = new PersonalDataCipher(old);
    const db = await openDatabase(loadGatewayConfig(env()).database);
    try {
      const at = new Date();
      await db.manager.insert(OperatorAccountEntity, { username: 'with-totp', passwordHash: 'scrypt$x', role: 'admin', createdAt: at, updatedAt: at, totpSecret: oldCipher.encrypt('JBSWY3DPEHPK3PXP') } as Partial<OperatorAccountEntity>);
    } finally {
      await db.close();
    }

    const rotated = await cli(['rotate-data-key']);
    expect(rotated.code).toBe(0);
    expect(rotated.out).toContain('rotate-data-key --finish');
    const s = secrets();
    expect(s.previousPersonalDataKey).toBe(old);
    expect(s.personalDataKey).toMatch(/^[0-9a-f]{64}$/);
    expect(s.personalDataKey).not.toBe(old);
    expect(s.auditKey).toBe(old);
    expect(rotated.out).not.toContain(s.personalDataKey);
    expect((await cli(['rotate-data-key'])).code).toBe(1); // one rotation at a time
    const early = await cli(['rotate-data-key', '--finish']);
    expect(early).toMatchObject({ code: 1, out: expect.stringContaining('operator_account=1') });
    // With the key from the environment, the command says to rotate there.
    expect((await cli(['rotate-data-key'], { GATEWAY_DATA_KEY: KEY_A })).out).toContain('GATEWAY_DATA_KEY_PREVIOUS');

    // What the restarted gateway does in the background.
    const db2 = await openDatabase(loadGatewayConfig(env()).database);
    try {
      const cipher = new PersonalDataCipher(s.personalDataKey, s.previousPersonalDataKey);
      expect(await new KeyRotationJob(db2, cipher, new AuditRepository(db2, s.auditKey), loadKeyRotationConfig({})).runOnce()).toMatchObject({ state: 'done', left: 0 });
    } finally {
      await db2.close();
    }
    const finished = await cli(['rotate-data-key', '--finish']);
    expect(finished).toMatchObject({ code: 0, out: expect.stringContaining('removed') });
    expect(secrets().previousPersonalDataKey).toBeUndefined();
    expect(secrets().auditKey).toBe(old);
    expect(await cli(['verify-audit'])).toMatchObject({ code: 0, out: expect.stringContaining('intact') });
  });
});
