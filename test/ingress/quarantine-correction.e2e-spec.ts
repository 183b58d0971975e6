import request from 'supertest';
import { AuditLogEntity, InboundMessageEntity } from '#gw/persistence';
import { platformAdmin } from '../support/platform-admin';
import { postScjgEvent, scjgEvent } from '../support/scjg-events';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { OPERATOR_TOKEN, TestGateway, keptBody, startTestGateway } from '../support/test-gateway';
import { waitFor } from '../support/wait-for';

const WRONG_ID = '430626200107081239'; // check digit wrong
const RIGHT_ID = '430626200107081238';

/**
 * An operator reads a quarantined message (decoded, masked) and corrects it in place: what was left
 * masked keeps its original value, what was typed goes in as typed; the original is kept; both the
 * correction and its result are audited, and the answer says why when it is still refused.
 */
describe('quarantine: view masked, correct in place, replay', () => {
  let testDb: TestDatabase;
  let gw: TestGateway;
  const op = { Authorization: `Bearer ${OPERATOR_TOKEN}` };

  beforeAll(async () => {
    testDb = await createTestDatabase();
    gw = await startTestGateway({ testDb });
  });
  afterAll(async () => {
    await gw?.close();
    await testDb?.drop();
  });

  it('shows the message masked with its failing field, and takes a correction that keeps the masked values', async () => {
    const bad = scjgEvent({ bizNo: 'SCJG-2026-C-1', agent: { name: '钱七', idNo: WRONG_ID, mobile: '13900000000' } });
    await postScjgEvent(gw.url, bad).expect(422);
    const [entry] = (await request(gw.url).get('/api/v1/quarantine').set(op).query({ code: 'ID_CHECK_DIGIT' }).expect(200)).body.items;

    const raw = (await request(gw.url).get(`/api/v1/quarantine/${entry.id}/raw`).set(op).expect(200)).body;
    expect(raw).toMatchObject({ department: 'SCJG', charset: 'utf-8', editable: true, errorCode: 'VALIDATION_FAILED' });
    expect(raw.failingFields).toContain('idNo');
    expect(raw.errors[0].message).toMatch(/^身份证号校验位错误/);
    for (const clear of [WRONG_ID, '钱七', '13900000000', '赵六', '0730-6223456']) expect(raw.text).not.toContain(clear);
    expect(raw.text).toContain('4306**********1239');
    expect(raw.text).toContain('钱*');
    expect(raw.text).toContain('SCJG-2026-C-1'); // the rest reads as sent

    // Reading is for every reader, correcting only for those who operate.
    await request(gw.url).get(`/api/v1/quarantine/${entry.id}/raw`).expect(401);

    // A correction that changes nothing: refused again, and the answer says why.
    const same = (await request(gw.url).post(`/api/v1/quarantine/${entry.id}/correct`).set(op).send({ text: raw.text }).expect(200)).body;
    expect(same).toMatchObject({ httpStatus: 422, code: 'VALIDATION_FAILED' });
    expect(same.errors).toEqual([expect.objectContaining({ code: 'ID_CHECK_DIGIT', message: expect.stringMatching(/^身份证号校验位错误/) })]);

    // The operator types the right number and leaves the other masks alone.
    const fixed = raw.text.replace('4306**********1239', RIGHT_ID);
    const done = (await request(gw.url).post(`/api/v1/quarantine/${entry.id}/correct`).set(op).send({ text: fixed }).expect(200)).body;
    expect(done).toMatchObject({ httpStatus: 202, code: 'ACCEPTED', caseId: expect.any(String) });

    // Resolved: no longer listed; the original kept as sent; the corrected bytes on the replay's own row.
    expect((await request(gw.url).get('/api/v1/quarantine').set(op).expect(200)).body.total).toBe(0);
    const original = await gw.db.manager.findOneByOrFail(InboundMessageEntity, { id: entry.id });
    expect(keptBody(original).toString('utf8')).toContain(WRONG_ID);
    const correction = await gw.db.manager.findOneByOrFail(InboundMessageEntity, { replayOf: entry.id, outcome: 'ACCEPTED' });
    expect(correction.channel).toBe('correction');
    const sent = JSON.parse(keptBody(correction).toString('utf8'));
    expect(sent.agent).toEqual({ name: '钱七', idNo: RIGHT_ID, mobile: '13900000000' });
    expect(sent.applicant.legalRep).toBe('赵六');

    // The platform got the people as the department meant them: the masked values restored.
    const admin = platformAdmin(gw.platform);
    const accept: any = await waitFor('the accept at the platform', async () => (await admin.received({ endpoint: 'accept' })).find((c) => c.sourceCaseId === 'SCJG-2026-C-1'));
    expect(accept.body).toMatchObject({ contact_name: '钱七', contact_mobile: '13900000000', legal: '赵六', handle_user_name: '王五' });

    const audit = await gw.db.manager.find(AuditLogEntity, { where: { action: 'QUARANTINE_CORRECTED', targetId: entry.id } });
    expect(audit.map((a) => a.outcome).sort()).toEqual(['failure', 'success']);
    expect(audit.map((a) => a.detail).join(' ')).not.toContain(RIGHT_ID);

    // Once resolved, a further correction changes nothing.
    const again = (await request(gw.url).post(`/api/v1/quarantine/${entry.id}/correct`).set(op).send({ text: fixed }).expect(200)).body;
    expect(again.code).toBe('ALREADY_RESOLVED');
  });

  it('refuses an empty correction with a code and the field', async () => {
    await postScjgEvent(gw.url, scjgEvent({ bizNo: 'SCJG-2026-C-2', agent: { name: '孙八', idNo: WRONG_ID, mobile: '13900000001' } })).expect(422);
    const [entry] = (await request(gw.url).get('/api/v1/quarantine').set(op).expect(200)).body.items;
    const refused = (await request(gw.url).post(`/api/v1/quarantine/${entry.id}/correct`).set(op).send({ text: '' }).expect(400)).body;
    expect(refused.code).toBe('BAD_REQUEST');
    await request(gw.url).post('/api/v1/quarantine/00000000-0000-0000-0000-000000000000/correct').set(op).send({ text: '{}' }).expect(404);
  });
});
