import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { AuditLogEntity, CaseEventEntity, InboundMessageEntity } from '#gw/persistence';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { OPERATOR_TOKEN, REPO_ROOT, TOKENS, TestGateway, keptBody, startTestGateway } from '../support/test-gateway';
import { scjgEvent } from '../support/scjg-events';

const CHANGE_REGISTRATION = '11430626MB123456250000120002000';

/**
 * What cannot be taken is listed for operators and replayed through the current configuration after
 * a fix: here the catalogue lacked a matter; the gateway restarts with it and the entry is replayed.
 */
describe('quarantine and replay', () => {
  let testDb: TestDatabase;
  let gw: TestGateway;
  const op = { Authorization: `Bearer ${OPERATOR_TOKEN}` };
  const post = (body: unknown) =>
    request(gw.url).post('/api/v1/departments/scjg/events').set('Authorization', `Bearer ${TOKENS.SCJG}`).set('Content-Type', 'application/json').send(JSON.stringify(body));

  beforeAll(async () => {
    testDb = await createTestDatabase();
    const partial = join(testDb.dataDir, 'catalogue-without-change-registration.yaml');
    const full = readFileSync(join(REPO_ROOT, 'config/catalogue.yaml'), 'utf8');
    writeFileSync(partial, full.split('\n').filter((l) => !l.includes(CHANGE_REGISTRATION)).join('\n'));
    gw = await startTestGateway({ testDb, env: { CATALOGUE_FILE: partial } });
  });
  afterAll(async () => {
    await gw?.close();
    await testDb?.drop();
  });

  it('lists rejected and unreadable payloads with filters, and replays them after the fix, once', async () => {
    const change = scjgEvent({ bizNo: 'SCJG-2026-Q-1', itemCode: CHANGE_REGISTRATION, itemName: '变更登记' });
    const refused = await post(change).expect(422);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'itemCode', code: 'MATTER_UNKNOWN' })]);
    await post(scjgEvent({ bizNo: 'SCJG-2026-Q-2', agent: { name: '钱七', idNo: '430626200107081239' } })).expect(422);
    await post('not json').expect(400);

    await request(gw.url).get('/api/v1/quarantine').expect(401);
    const all = (await request(gw.url).get('/api/v1/quarantine').set(op).query({ dept: 'scjg' }).expect(200)).body;
    expect(all.total).toBe(3);
    const byCode = (await request(gw.url).get('/api/v1/quarantine').set(op).query({ code: 'MATTER_UNKNOWN' }).expect(200)).body;
    expect(byCode.items).toHaveLength(1);
    expect(byCode.items[0]).toMatchObject({ department: 'SCJG', outcome: 'REJECTED', httpStatus: 422, errorCode: 'VALIDATION_FAILED', sourceEventId: change.eventId });
    const future = (await request(gw.url).get('/api/v1/quarantine').set(op).query({ since: new Date(Date.now() + 60000).toISOString() }).expect(200)).body;
    expect(future.total).toBe(0);
    expect(JSON.stringify(all)).not.toContain('430626200107081239');

    // Replaying before the fix changes nothing and keeps the entry.
    const early = (await request(gw.url).post(`/api/v1/quarantine/${byCode.items[0].id}/replay`).set(op).expect(200)).body;
    expect(early).toMatchObject({ httpStatus: 422, code: 'VALIDATION_FAILED' });

    // The catalogue is fixed and the gateway restarted on the same database.
    await gw.close();
    gw = await startTestGateway({ testDb });
    const replayed = (await request(gw.url).post(`/api/v1/quarantine/${byCode.items[0].id}/replay`).set(op).expect(200)).body;
    expect(replayed).toMatchObject({ httpStatus: 202, code: 'ACCEPTED', caseId: expect.any(String) });
    const again = (await request(gw.url).post(`/api/v1/quarantine/${byCode.items[0].id}/replay`).set(op).expect(200)).body;
    expect(again.code).toBe('ALREADY_RESOLVED');
    expect(await gw.db.manager.count(CaseEventEntity, { where: { sourceEventId: change.eventId as string } })).toBe(1);

    const left = (await request(gw.url).get('/api/v1/quarantine').set(op).expect(200)).body;
    expect(left.total).toBe(2);
    // Replay all matching: the bad ID is still bad, the non-JSON still unreadable; nothing new is listed.
    const bulk = (await request(gw.url).post('/api/v1/quarantine/replay').set(op).send({ dept: 'scjg' }).expect(200)).body;
    expect(bulk.replayed).toBe(2);
    expect(bulk.results.map((r: any) => r.httpStatus).sort()).toEqual([400, 422]);
    expect((await request(gw.url).get('/api/v1/quarantine').set(op).expect(200)).body.total).toBe(2);

    const audit = await gw.db.manager.find(AuditLogEntity, { where: { action: 'QUARANTINE_REPLAY' } });
    expect(audit.length).toBeGreaterThanOrEqual(3);
  });

  it('keeps payloads sealed, and still replays one kept in clear before they were', async () => {
    const bad = scjgEvent({ bizNo: 'SCJG-2026-Q-3', agent: { name: '钱七', idNo: '430626200107081239' } });
    await post(bad).expect(422);
    const row = await gw.db.manager.findOneByOrFail(InboundMessageEntity, { sourceEventId: String(bad.eventId) });
    expect(row.bodyEncrypted).toBe(true);
    expect(row.body!.includes(Buffer.from('430626200107081239'))).toBe(false);
    expect(JSON.parse(keptBody(row).toString('utf8'))).toEqual(bad);

    // As a gateway before 2026-11-28 kept it: in clear (here with the ID number corrected).
    const fixed = { ...bad, agent: { name: '钱七', idNo: '430626200107081238' } };
    await gw.db.manager.update(InboundMessageEntity, { id: row.id }, { body: Buffer.from(JSON.stringify(fixed)), bodyEncrypted: false });
    const replayed = (await request(gw.url).post(`/api/v1/quarantine/${row.id}/replay`).set(op).expect(200)).body;
    expect(replayed).toMatchObject({ httpStatus: 202, code: 'ACCEPTED' });
  });
});
