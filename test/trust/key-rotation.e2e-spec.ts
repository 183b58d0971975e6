import { createReadStream, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import request from 'supertest';
import { IsNull, Not } from 'typeorm';
import { PersonalDataCipher } from '#gw/common';
import { readSpooled, sealedParts, spoolSealed } from '../../libs/ingress/src/batch-spool';
import {
  AccessCredentialEntity,
  AuditLogEntity,
  BatchRepository,
  CaseEntity,
  CaseEventEntity,
  InboundBatchFileEntity,
  InboundMessageEntity,
  KeyRotationStatus,
  LicenceEntity,
  OperatorAccountEntity,
  OutboxEntity,
  PlatformCallbackEntity,
} from '#gw/persistence';
import { postCallback, onlineApplication } from '../support/callbacks';
import { nextTotpCode, signIn, totpSecretOf } from '../support/operators';
import { platformAdmin } from '../support/platform-admin';
import { postScjgEvent, scjgEvent } from '../support/scjg-events';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { OPERATOR_TOKEN, TestGateway, startTestGateway } from '../support/test-gateway';
import { waitFor } from '../support/wait-for';

jest.setTimeout(300_000);

const KEY_A = '5d1f8b3a9c0e7246f1a8d3b5c9e2f4a6b8d0c1e3f5a7b9d2c4e6f8a0b1c3d5e7';
const KEY_B = 'a4c6e8f0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a6';
const ADMIN = { username: 'rot-admin', password: 'Rotate-Admin-Pass-2026!' };
const USCC = '91330102MA28NBU477'; // the applicant of every SCJG example event
const SCJG_MATTER = '11430626MB123456250000120001000';
const op = { Authorization: `Bearer ${OPERATOR_TOKEN}` };

/**
 * 数据保密性: data-key rotation under load. A gateway writes with key A; restarted with key B and A
 * as the previous key, it re-encrypts everything in the background while departments keep posting;
 * restarted with key B alone, every stored value is read with B — through the case API, the
 * applicant search (keyed hash), a TOTP sign-in — and by decrypting every encrypted column of
 * every table directly, so a table the job skipped fails this suite. No event is lost.
 */
describe('data-key rotation under load (数据密钥轮换)', () => {
  let testDb: TestDatabase;
  let gw: TestGateway | undefined;
  const accepted: string[] = [];
  const postedWhileRunning: string[] = [];
  /** Cases of key A's time given a further stage during the rotation. */
  const advanced: string[] = [];
  /** Completion events of the licensed cases (a second event each). */
  let completions = 0;
  let seq = 0;
  let adminSecret: string;
  let issuedCallbackSecret: string;
  let batchId: string;
  let leftSpool: string;
  const batchBytes = Buffer.from('姓名,证件号码\n钱七,430626200107081238\n'.repeat(20_000), 'utf8'); // two sealed parts
  const spoolPlain = Buffer.from('留在磁盘上的批量文件 a spooled batch left on disk 430626200107081238', 'utf8');

  // A phase that failed leaves its gateway open: closed before the next one starts.
  const start = async (env: Record<string, string>) => {
    await gw?.close();
    gw = undefined;
    return startTestGateway({ testDb, env: { GATEWAY_ADMIN_USER: ADMIN.username, GATEWAY_ADMIN_PASSWORD: ADMIN.password, DISPATCH_RETRY_MAX_MS: '2000', ...env } });
  };

  async function postOne(g: TestGateway): Promise<void> {
    const bizNo = `SCJG-2026-${String(++seq).padStart(6, '0')}`;
    const res = await postScjgEvent(g.url, scjgEvent({ bizNo }));
    expect(res.status).toBe(202);
    accepted.push(bizNo);
  }

  const rotation = async (g: TestGateway): Promise<KeyRotationStatus> => (await request(g.url).get('/api/v1/ops/key-rotation').set(op).expect(200)).body;

  beforeAll(async () => {
    testDb = await createTestDatabase();
  });
  afterAll(async () => {
    await gw?.close();
    await testDb?.drop();
  });

  it('key A: cases, raw bodies, a callback, a kept batch file, a spooled file and an admin\'s TOTP secret are written', async () => {
    gw = await start({ GATEWAY_DATA_KEY: KEY_A });
    for (let i = 0; i < 40; i++) await postOne(gw);
    // Two cases completed with a business licence: the licence's holder is stored encrypted and hashed.
    for (const [bizNo, licenseNo] of [['SCJG-LIC-000001', '91430626MA4Q000101'], ['SCJG-LIC-000002', '91430626MA4Q000102']]) {
      expect((await postScjgEvent(gw.url, scjgEvent({ bizNo, status: 20, statusTime: '2026-11-12T09:00:00+08:00' }))).status).toBe(202);
      expect((await postScjgEvent(gw.url, scjgEvent({ bizNo, status: 50, statusTime: '2026-11-12T15:00:00+08:00', result: { decision: 'APPROVED', licenseNo } }))).status).toBe(202);
      accepted.push(bizNo);
      completions++;
    }
    // A platform callback whose data is kept (no SCJG system configured: kept for the operators).
    const cb = postCallback(gw.url, { callback_id: 'rot-app-1', type: 'ONLINE_APPLICATION', occurred_at: '2026-11-03 09:00:00', data: { ...onlineApplication(SCJG_MATTER), project_no: `${SCJG_MATTER}202611030001` } });
    expect((await cb.response.expect(200)).body).toMatchObject({ code: '0' });
    // A batch file kept in the database in sealed parts, and one spooled file left on disk (a cut-off run).
    const spoolDir = join(testDb.dataDir, 'spool');
    const batches = gw.app.get(BatchRepository);
    const spooled = await spoolSealed(Readable.from([batchBytes]), spoolDir, 64 * 1024 * 1024, gw.ctx.cipher);
    batchId = (await batches.start('YBJ', 'id:ROT-1', spooled.sha256, { 'x-batch-id': 'ROT-1' }))!.id;
    await batches.keepSealedParts(batchId, sealedParts(spooled.path));
    expect((await batches.file(batchId))!.equals(batchBytes)).toBe(true);
    const left = await spoolSealed(Readable.from([spoolPlain]), spoolDir, 1024 * 1024, gw.ctx.cipher);
    leftSpool = basename(left.path);
    // The first admin enrols a second factor (its secret stored SM4-encrypted).
    const adminCookie = await signIn(gw.url, ADMIN.username, ADMIN.password);
    adminSecret = totpSecretOf(gw.url, ADMIN.username)!;
    expect(adminSecret).toBeTruthy();
    // The admin issues a new platform callback secret: kept sealed in access_credential to verify callbacks with.
    issuedCallbackSecret = (await request(gw.url).post('/api/v1/platform/callback-secret').set('Cookie', adminCookie).send({ overlapDays: 7 }).expect(201)).body.token;
    expect(issuedCallbackSecret).toMatch(/^[0-9a-f]{64}$/);
    await waitFor('key A\'s events delivered and licences registered', async () => (await undelivered(gw!)) === 0 && (await gw!.db.manager.count(LicenceEntity)) === 2, 60_000, 200);
    expect(await rotation(gw)).toMatchObject({ state: 'idle', previousKeyNeeded: false });
    await gw.close();
    gw = undefined;
  });

  it('key B with A as previous: re-encrypts in the background while events keep arriving, then says A is no longer needed', async () => {
    gw = await start({ GATEWAY_DATA_KEY: KEY_B, GATEWAY_DATA_KEY_PREVIOUS: KEY_A, KEY_ROTATION_START_DELAY: '1s', KEY_ROTATION_BATCH_SIZE: '4', KEY_ROTATION_PAUSE: '100ms' });
    const g = gw;
    // Read during the rotation: a case written with key A, and the applicant search finding both keys' rows.
    // Before the job begins, the status already counts what is left under key A.
    const waiting = await rotation(g);
    if (waiting.state === 'waiting') expect(waiting.previousKeyNeeded).toBe(true);
    const before = (await request(g.url).get('/api/v1/cases').set(op).query({ applicant: USCC, pageSize: 100 }).expect(200)).body;
    expect(before.total).toBe(accepted.length);

    // Load: four departments' worth of posting, without pause, until the job is done.
    let done = false;
    const posters = Array.from({ length: 3 }, async () => {
      while (!done) {
        await postOne(g);
        if ((await rotationState(g)) === 'running') postedWhileRunning.push(accepted[accepted.length - 1]);
      }
    });
    // And the cases written with key A move on a stage meanwhile: the rows the job is walking change under it.
    const advancing = (async () => {
      for (const bizNo of accepted.slice(0, 40)) {
        if (done) break;
        const res = await postScjgEvent(g.url, scjgEvent({ bizNo, status: 30, statusTime: '2026-10-23T10:30:00+08:00' }));
        expect(res.status).toBe(202);
        advanced.push(bizNo);
      }
    })();
    const finished = await waitFor('the re-encryption done', async () => {
      const s = await rotation(g);
      return s.state === 'done' ? s : s.state === 'failed' ? Promise.reject(new Error(s.message)) : undefined;
    }, 180_000, 200);
    // A few more after it, then the posters stop.
    await new Promise((r) => setTimeout(r, 500));
    done = true;
    await Promise.all(posters);

    await advancing;
    expect(postedWhileRunning.length).toBeGreaterThan(5);
    expect(advanced.length).toBeGreaterThan(5);
    expect(finished).toMatchObject({ state: 'done', left: 0, unreadable: 0, previousKeyNeeded: false, keyId: new PersonalDataCipher(KEY_B).keyId, previousKeyId: new PersonalDataCipher(KEY_A).keyId });
    expect(finished.message).toContain('旧密钥（GATEWAY_DATA_KEY_PREVIOUS）已不再需要');
    expect(finished.message).toContain('no longer needed');
    const rewritten = Object.fromEntries(finished.tables.map((t) => [t.table, t.rewritten]));
    for (const table of ['gw_case', 'licence', 'access_credential', 'case_event', 'platform_callback', 'operator_account', 'inbound_message', 'inbound_batch_file', 'spool']) expect(rewritten[table]).toBeGreaterThan(0);
    // The dashboard's overview says so too, as something to do.
    const item = await waitFor('the overview line', async () => {
      const services = (await request(g.url).get('/api/v1/ops/overview').set(op).expect(200)).body.services as { key: string; level: string; summary: string; hintEn: string }[];
      return services.find((x) => x.key === 'key-rotation' && x.summary.includes('旧密钥已不再需要'));
    }, 10_000, 300);
    expect(item).toMatchObject({ level: 'amber', hintEn: expect.stringContaining('remove GATEWAY_DATA_KEY_PREVIOUS') });
    const audit = await g.db.manager.find(AuditLogEntity, { where: [{ action: 'DATA_KEY_ROTATION_STARTED' }, { action: 'DATA_KEY_ROTATION_COMPLETED' }] });
    expect(audit.map((a) => a.action).sort()).toEqual(['DATA_KEY_ROTATION_COMPLETED', 'DATA_KEY_ROTATION_STARTED']);
    await waitFor('every event delivered', async () => (await undelivered(g)) === 0, 90_000, 200);
    await g.close();
    gw = undefined;
  });

  it('key B alone: every stored value opens, the search finds every case, the admin signs in with TOTP, no event lost', async () => {
    gw = await start({ GATEWAY_DATA_KEY: KEY_B });
    const g = gw;
    const b = new PersonalDataCipher(KEY_B);
    expect(await rotation(g)).toMatchObject({ state: 'idle', previousKeyNeeded: false });

    // Every encrypted column of every table, opened with key B alone and written under its id.
    const cases = await g.db.manager.find(CaseEntity);
    expect(cases.length).toBe(accepted.length);
    for (const c of cases) {
      expect(b.isCurrentToken(c.partiesEnc)).toBe(true);
      const parties = b.decryptJson<{ applicants: { certNo: string }[] }>(c.partiesEnc);
      expect(c.applicantIdHash).toBe(b.lookupHash(parties.applicants[0].certNo));
    }
    const events = await g.db.manager.find(CaseEventEntity);
    expect(events.length).toBe(accepted.length + advanced.length + completions);
    for (const e of events) expect(b.decryptJson<{ sourceCaseNo?: string }>(e.payloadEnc)).toBeTruthy();
    const callbacks = (await g.db.manager.find(PlatformCallbackEntity)).filter((c) => c.dataEnc);
    expect(callbacks.length).toBeGreaterThan(0);
    for (const c of callbacks) expect(JSON.stringify(b.decryptJson(c.dataEnc!))).toContain('钱七');
    const licences = await g.db.manager.find(LicenceEntity);
    expect(licences.length).toBe(2);
    for (const l of licences) expect(l.holderHash).toBe(b.lookupHash(b.decryptJson<{ certNo: string }>(l.holderEnc).certNo));
    const sealedSecrets = (await g.db.manager.find(AccessCredentialEntity)).filter((c) => c.secretSealed);
    expect(sealedSecrets.length).toBe(1);
    expect(b.decrypt(sealedSecrets[0].secretSealed!)).toBe(issuedCallbackSecret);
    const admin = await g.db.manager.findOneByOrFail(OperatorAccountEntity, { username: ADMIN.username });
    expect(b.decrypt(admin.totpSecret!)).toBe(adminSecret);
    const bodies = await g.db.manager.find(InboundMessageEntity, { where: { bodyEncrypted: true } });
    expect(bodies.length).toBeGreaterThanOrEqual(accepted.length);
    for (const m of bodies) if (m.body) expect(b.open(m.body).toString('utf8')).toMatch(/SCJG-(2026|LIC)-/);
    const parts = await g.db.manager.find(InboundBatchFileEntity);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(b.isCurrentSealed(p.body)).toBe(true);
    expect((await g.app.get(BatchRepository).file(batchId))!.equals(batchBytes)).toBe(true);
    const spoolDir = join(testDb.dataDir, 'spool');
    expect(readdirSync(spoolDir)).toContain(leftSpool);
    expect(await readAll(readSpooled(join(spoolDir, leftSpool), b))).toEqual(spoolPlain);

    // Through the API: every case readable, the applicant search (keyed hash) finds them all.
    for (const c of cases) {
      const view = (await request(g.url).get(`/api/v1/cases/${c.id}`).set(op).expect(200)).body;
      expect(JSON.stringify(view)).toContain(c.sourceCaseNo);
    }
    const found = (await request(g.url).get('/api/v1/cases').set(op).query({ applicant: USCC, pageSize: 100 }).expect(200)).body;
    expect(found.total).toBe(accepted.length);
    expect((await request(g.url).get('/api/v1/licences').set(op).query({ holder: USCC }).expect(200)).body.total).toBe(2);

    // A callback signed with the issued secret verifies: the gateway unsealed it with key B.
    const signed = postCallback(g.url, { callback_id: 'rot-app-2', type: 'ONLINE_APPLICATION', occurred_at: '2026-11-04 09:00:00', data: { ...onlineApplication(SCJG_MATTER), project_no: `${SCJG_MATTER}202611040001` } }, { secret: issuedCallbackSecret });
    expect((await signed.response.expect(200)).body).toMatchObject({ code: '0' });
    expect(await g.db.manager.countBy(PlatformCallbackEntity, { callbackId: 'rot-app-2' })).toBe(1);

    // The admin's second factor still works.
    const first = await request(g.url).post('/api/v1/auth/login').send(ADMIN).expect(200);
    expect(first.body.needsTotp).toBe(true);
    await request(g.url).post('/api/v1/auth/login/totp').send({ pendingToken: first.body.pendingToken, code: await nextTotpCode(adminSecret) }).expect(200);

    // No event lost: every accepted one stored once, and delivered (its outbox row done).
    expect(cases.map((c) => c.sourceCaseNo).sort()).toEqual([...accepted].sort());
    expect(await undelivered(g)).toBe(0);
    const deliveredEvents = new Set((await g.db.manager.find(OutboxEntity, { where: { status: 'DONE' } })).map((o) => o.eventId));
    for (const e of events) expect(deliveredEvents.has(e.id)).toBe(true);
    const stages = new Map(cases.map((c) => [c.sourceCaseNo, c.currentStage]));
    const firstStage = stages.get(accepted[accepted.length - 1]);
    for (const bizNo of advanced) expect(stages.get(bizNo)).not.toBe(firstStage);
    const delivered = await platformAdmin(g.platform).received({ endpoint: 'accept' });
    expect(delivered).toEqual([]); // nothing was waiting: all delivered before this start
    // The audit chain, keyed with key A from the start, still verifies.
    expect((await request(g.url).get('/api/v1/ops/audit/verify').set(op).expect(200)).body).toMatchObject({ ok: true });
  });
});

/**
 * Outbox rows of events (deliveries to the platform, licence registrations) not done yet. The
 * callback's delivery to SCJG (no system configured in these tests) waits in its own row, not counted.
 */
async function undelivered(g: TestGateway): Promise<number> {
  return g.db.manager.count(OutboxEntity, { where: { status: Not('DONE'), eventId: Not(IsNull()) } });
}

async function rotationState(g: TestGateway): Promise<string> {
  const r = await request(g.url).get('/api/v1/ops/key-rotation').set(op);
  return r.body.state;
}

async function readAll(from: string | Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of typeof from === 'string' ? createReadStream(from) : from) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
