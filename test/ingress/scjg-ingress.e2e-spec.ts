import { createHash } from 'node:crypto';
import request from 'supertest';
import { InboundMessageEntity, AuditLogEntity, OutboxEntity, CaseEventEntity } from '#gw/persistence';
import { OPERATOR_TOKEN, TOKENS, TestGateway, keptBody, startTestGateway } from '../support/test-gateway';
import { scjgEvent } from '../support/scjg-events';
import { waitFor } from '../support/wait-for';

/** SCJG reads its own cases with its own token (the case API needs credentials). */
const OWN_READ = { Authorization: `Bearer ${TOKENS.SCJG}` };

const EXAMPLE_EVENT_ID = '2b0e6c4e-6a0f-4c55-9a43-6f1f2d2c8a10';

describe('SCJG ingress end to end (departments.md example)', () => {
  let gw: TestGateway;
  const post = (body: unknown, token = TOKENS.SCJG, dept = 'scjg') =>
    request(gw.url)
      .post(`/api/v1/departments/${dept}/events`)
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json')
      .send(typeof body === 'string' ? body : JSON.stringify(body));
  const inbound = () => gw.db.manager.find(InboundMessageEntity, { order: { receivedAt: 'ASC' } });

  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('accepts the example with 202, answers a repeat with 200 and the same ids, and shows the case masked', async () => {
    const event = scjgEvent({ eventId: EXAMPLE_EVENT_ID });
    const first = await post(event).expect(202);
    expect(first.body).toEqual({ eventId: expect.any(String), caseId: expect.any(String), status: 'ACCEPTED' });

    const again = await post(event).expect(200);
    expect(again.body).toEqual(first.body);

    // The dispatcher delivers it to the platform simulator; the case then carries the platform's project_no.
    const byId = await waitFor('delivery to the platform', async () => {
      const r = await request(gw.url).get(`/api/v1/cases/${first.body.caseId}`).set(OWN_READ).expect(200);
      return r.body.delivery.state === 'DELIVERED' ? r : null;
    });
    const lookup = await request(gw.url).get('/api/v1/cases').set(OWN_READ).query({ dept: 'scjg', deptCaseNo: 'SCJG-2026-000123' }).expect(200);
    expect(lookup.body).toEqual(byId.body);
    const c = byId.body;
    expect(c).toMatchObject({
      caseId: first.body.caseId,
      department: 'SCJG',
      sourceCaseNo: 'SCJG-2026-000123',
      matterCode: '11430626MB123456250000120001000',
      matterName: '企业设立登记',
      currentStage: 'ACCEPTED',
      location: '430626101',
      locationName: '安定镇',
      closed: false,
      applicants: [{ kind: 'ENTERPRISE', name: '平江县某某农业发展有限公司', certType: 'USCC', certNo: '91330102MA28NBU477', legalRep: '赵*' }],
      agent: { kind: 'PERSON', name: '钱*', certType: '111', certNo: '4306**********1238', phone: '139****0000' },
      platformProjectNo: expect.stringMatching(/^11430626MB123456250000120001000\d{12}$/),
      delivery: { state: 'DELIVERED', delivered: 1, pending: 0 },
    });
    expect(c.stages).toHaveLength(1);
    expect(c.stages[0]).toMatchObject({ stage: 'ACCEPTED', sourceEventId: EXAMPLE_EVENT_ID, stageTime: '2026-10-23T01:30:00.000Z', handler: { name: '王*' } });
    expect(c.stages[0].delivery).toMatchObject({ status: 'DONE', attempts: 1, history: [expect.objectContaining({ endpoint: 'accept', businessCode: '0' })] });
    const received = (await request(gw.platform.origin).get('/admin/received').query({ source_case_id: 'SCJG-2026-000123' })).body;
    expect(JSON.stringify(received)).toContain(c.platformProjectNo);

    const text = JSON.stringify(c);
    expect(text).not.toContain('430626200107081238');
    expect(text).not.toContain('13900000000');
    expect(text).not.toContain('钱七');

    // One event, one outbox row, although the department sent it twice.
    expect(await gw.db.manager.count(CaseEventEntity, { where: { sourceEventId: EXAMPLE_EVENT_ID } })).toBe(1);
    expect(await gw.db.manager.count(OutboxEntity, { where: { caseId: c.caseId } })).toBe(1);
    // Personal data is encrypted at rest.
    const stored = await gw.db.manager.findOneByOrFail(CaseEventEntity, { sourceEventId: EXAMPLE_EVENT_ID });
    expect(stored.payloadEnc).not.toContain('430626200107081238');
  });

  it('answers 422 naming the field for a bad ID-number check digit, and keeps the raw body', async () => {
    const event = scjgEvent({ agent: { name: '钱七', idNo: '430626200107081239', mobile: '13900000000' } });
    const res = await post(event).expect(422);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors).toEqual([{ field: 'agent.idNo', code: 'ID_CHECK_DIGIT', message: expect.any(String) }]);
    expect(JSON.stringify(res.body)).not.toContain('430626200107081239');
    const row = (await inbound()).find((r) => r.sourceEventId === event.eventId)!;
    expect(row).toMatchObject({ outcome: 'REJECTED', httpStatus: 422, errorCode: 'VALIDATION_FAILED' });
    expect(JSON.parse(keptBody(row).toString('utf8'))).toEqual(event);
  });

  it('lists every failing field at once, with stable codes and SCJG field names', async () => {
    const event = scjgEvent({
      status: 77,
      statusTime: 'yesterday',
      itemCode: 'not a code!',
      location: '430699001',
      applicant: { type: 'ENTERPRISE', name: '某公司', uscc: '91330102MA28NBU4O7' },
    });
    const res = await post(event).expect(422);
    const byField = Object.fromEntries(res.body.errors.map((e: any) => [e.field, e.code]));
    expect(byField).toMatchObject({
      status: 'STATUS_UNKNOWN',
      statusTime: 'DATE_INVALID',
      itemCode: 'MATTER_CODE_FORMAT',
      location: 'DIVISION_UNKNOWN',
      'applicant.uscc': 'USCC_FORMAT',
    });
  });

  it('answers 400 for a body that is not JSON, and keeps it', async () => {
    const res = await post('{"eventId": "x", broken').expect(400);
    expect(res.body.code).toBe('PAYLOAD_NOT_JSON');
    const row = (await inbound()).find((r) => r.body && keptBody(r).toString() === '{"eventId": "x", broken');
    expect(row).toMatchObject({ outcome: 'UNREADABLE', httpStatus: 400 });
  });

  it('answers 401 for a wrong or missing token and 403 for another department\'s token, keeping only a small record (no body)', async () => {
    const wrong = scjgEvent({ bizNo: 'SCJG-TOKEN-1' });
    const sha = createHash('sha256').update(JSON.stringify(wrong)).digest('hex');
    expect((await post(wrong, 'not-the-right-token-at-all').expect(401)).body.code).toBe('TOKEN_INVALID');
    const missing = await request(gw.url).post('/api/v1/departments/scjg/events').set('Content-Type', 'application/json').send(JSON.stringify(wrong)).expect(401);
    expect(missing.body.code).toBe('TOKEN_MISSING');
    const other = await post(wrong, TOKENS.BDC).expect(403);
    expect(other.body.code).toBe('TOKEN_WRONG_DEPARTMENT');
    // Unauthenticated: the body is not kept, only its hash and size (test/security/unauthenticated-storage).
    const rows = (await inbound()).filter((r) => r.bodySha256 === sha);
    expect(rows.map((r) => r.httpStatus).sort()).toEqual([401, 401, 403]);
    expect(rows.every((r) => r.body === null)).toBe(true);
    expect(rows.every((r) => r.outcome === 'REFUSED')).toBe(true);
    expect(rows.every((r) => !String(r.headers).toLowerCase().includes('authorization'))).toBe(true);
    expect(await gw.db.manager.count(CaseEventEntity, { where: { sourceEventId: wrong.eventId as string } })).toBe(0);
  });

  it('refuses the classified public-security department with 403, audits it, and keeps no payload', async () => {
    const before = (await inbound()).length;
    const res = await request(gw.url)
      .post('/api/v1/departments/gaj/events')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ hk: '户口迁移', sfzh: '430626198503120040' }))
      .expect(403);
    expect(res.body.code).toBe('DEPARTMENT_RESTRICTED');
    expect((await inbound()).length).toBe(before);
    const audit = await gw.db.manager.find(AuditLogEntity, { where: { action: 'INGRESS_REFUSED_RESTRICTED' } });
    expect(audit.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(audit)).not.toContain('430626198503120040');
  });

  it('answers 404 for an unknown department, 415 for a wrong content type, 413 for an oversize body', async () => {
    expect((await post(scjgEvent(), TOKENS.SCJG, 'nosuch').expect(404)).body.code).toBe('DEPARTMENT_UNKNOWN');
    const xml = await request(gw.url)
      .post('/api/v1/departments/scjg/events')
      .set('Authorization', `Bearer ${TOKENS.SCJG}`)
      .set('Content-Type', 'text/xml')
      .send('<a/>')
      .expect(415);
    expect(xml.body.code).toBe('MEDIA_TYPE_UNSUPPORTED');
    const huge = JSON.stringify(scjgEvent({ padding: 'x'.repeat(2 * 1024 * 1024) }));
    const big = await post(huge).expect(413);
    expect(big.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('keeps stage order and refuses impossible moves with a reason', async () => {
    const bizNo = 'SCJG-2026-ORDER-1';
    // A completion for a case never accepted.
    const orphan = await post(scjgEvent({ bizNo: 'SCJG-2026-ORPHAN', status: 50, result: { decision: 'APPROVED', licenseNo: 'L-1' } })).expect(422);
    expect(orphan.body.code).toBe('STAGE_TRANSITION_INVALID');
    expect(orphan.body.errors[0]).toMatchObject({ field: 'status', code: 'STAGE_REQUIRES_ACCEPTANCE' });

    await post(scjgEvent({ bizNo, status: 20, statusTime: '2026-10-23T09:30:00+08:00' })).expect(202);
    // A retry that overtook: the earlier 申报 arrives after the acceptance.
    await post(scjgEvent({ bizNo, status: 10, statusTime: '2026-10-23T09:00:00+08:00' })).expect(202);
    await post(scjgEvent({ bizNo, status: 50, statusTime: '2026-10-24T10:00:00+08:00', result: { decision: 'APPROVED', licenseNo: '91430626MA4Q000000' } })).expect(202);
    const after = await post(scjgEvent({ bizNo, status: 30, statusTime: '2026-10-25T10:00:00+08:00' })).expect(422);
    expect(after.body.errors[0].code).toBe('STAGE_AFTER_COMPLETION');

    const c = (await request(gw.url).get('/api/v1/cases').set(OWN_READ).query({ dept: 'scjg', deptCaseNo: bizNo }).expect(200)).body;
    expect(c.stages.map((s: any) => s.stage)).toEqual(['SUBMITTED', 'ACCEPTED', 'COMPLETED']);
    expect(c).toMatchObject({ currentStage: 'COMPLETED', closed: true });
  });

  it('accepts an early pilot USCC with a warning on the case', async () => {
    const res = await post(
      scjgEvent({ bizNo: 'SCJG-2026-FJ', applicant: { type: 'ENTERPRISE', name: '福建某公司', uscc: '91350100M0001TGQXM' } }),
    ).expect(202);
    const c = (await request(gw.url).get(`/api/v1/cases/${res.body.caseId}`).set(OWN_READ).expect(200)).body;
    expect(c.warnings).toEqual([expect.objectContaining({ field: 'applicants[0].certNo', code: 'USCC_CHECK_DIGIT' })]);
  });

  it('stores one event when the same event is posted concurrently', async () => {
    const event = scjgEvent({ bizNo: 'SCJG-2026-RACE' });
    const answers = await Promise.all(Array.from({ length: 12 }, () => post(event)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(11);
    expect(new Set(answers.map((a) => a.body.eventId)).size).toBe(1);
    expect(await gw.db.manager.count(CaseEventEntity, { where: { sourceEventId: event.eventId as string } })).toBe(1);
  });

  it('echoes a correlation id and answers 404 with a code for an unknown case', async () => {
    const res = await request(gw.url).get('/api/v1/cases/00000000-0000-0000-0000-000000000000').set(OWN_READ).set('X-Correlation-Id', 'corr-123').expect(404);
    expect(res.headers['x-correlation-id']).toBe('corr-123');
    expect(res.body).toMatchObject({ code: 'NOT_FOUND', correlationId: 'corr-123' });
    const bad = await request(gw.url).get('/api/v1/cases').set(OWN_READ).expect(400);
    expect(bad.body.code).toBe('BAD_REQUEST');
  });

  it('reports health and serves the API docs', async () => {
    const ready = await request(gw.url).get('/health/ready').expect(200);
    expect(ready.body.info.database.status).toBe('up');
    await request(gw.url).get('/health/live').expect(200);
    const docs = await request(gw.url).get('/api/docs-json').set('Authorization', `Bearer ${OPERATOR_TOKEN}`).expect(200);
    expect(Object.keys(docs.body.paths)).toEqual(expect.arrayContaining(['/api/v1/departments/{dept}/events', '/api/v1/cases/{caseId}']));
  });
});
