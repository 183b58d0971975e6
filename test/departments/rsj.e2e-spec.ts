import { CaseEventEntity, CaseEntity, InboundMessageEntity } from '#gw/persistence';
import { TOKENS, TestGateway, keptBody, startTestGateway } from '../support/test-gateway';
import { example, expectCanonicalShape, getCase, id15To18, postEvent, scjgReferenceCase, waitDelivered } from './department-support';

const FORM = 'application/x-www-form-urlencoded';

function rsjForm(overrides: Record<string, string>): string {
  const form = new URLSearchParams(example('rsj-event.txt').toString('utf8'));
  for (const [k, v] of Object.entries(overrides)) form.set(k, v);
  return form.toString();
}

/**
 * RSJ 人社局 (departments.md): an old servlet posting forms, often with old 15-digit ID numbers;
 * it reads the text answer `OK` or `ERR:<reason>`.
 */
describe('RSJ department end to end (form posts, 15-digit IDs)', () => {
  let gw: TestGateway;
  let reference: any;

  beforeAll(async () => {
    gw = await startTestGateway();
    reference = await scjgReferenceCase(gw);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('accepts the example with an old 15-digit ID: answers OK, the case shows the 18-digit number masked and an ID_15_CONVERTED warning', async () => {
    const body = example('rsj-event.txt');
    expect(new URLSearchParams(body.toString()).get('sqrsfzh')).toBe('430626850312004');
    const id18 = id15To18('430626850312004');
    expect(id18).toMatch(/^43062619850312004[\dX]$/);

    const first = await postEvent(gw, 'rsj', body, FORM);
    expect(first.status).toBe(202);
    expect(first.contentType).toMatch(/^text\/plain/);
    expect(first.text).toBe('OK');
    const again = await postEvent(gw, 'rsj', body, FORM);
    expect([again.status, again.text]).toEqual([200, 'OK']);

    const events = await gw.db.manager.find(CaseEventEntity, { where: { department: 'RSJ', sourceEventId: 'RSJ202610230000456' } });
    expect(events).toHaveLength(1);
    const c = await waitDelivered(gw, events[0].caseId);
    expect(c).toMatchObject({
      department: 'RSJ',
      departmentName: '平江县人力资源和社会保障局',
      sourceCaseNo: 'RS2026102300017',
      matterCode: '11430626MB345678350000140001000',
      matterName: '就业失业登记',
      currentStage: 'ACCEPTED',
      location: '430626001',
      applicants: [{ kind: 'PERSON', name: '李*', certType: '111', certNo: `4306**********${id18.slice(-4)}`, phone: '138****0000' }],
      warnings: [expect.objectContaining({ field: 'applicants[0].certNo', code: 'ID_15_CONVERTED' })],
      delivery: { state: 'DELIVERED', delivered: 1 },
    });
    expect(c.applicants[0].certNo).toHaveLength(18);
    expect(c.stages).toEqual([expect.objectContaining({ stage: 'ACCEPTED', stageName: '受理', stageTime: '2026-10-23T01:30:00.000Z', handler: { name: '张*' } })]);
    expect(c.stages[0].warnings).toEqual([expect.objectContaining({ code: 'ID_15_CONVERTED' })]);
    expect(JSON.stringify(c)).not.toMatch(/430626850312004|13800000000/);
    expectCanonicalShape(c, reference);

    // Stored (encrypted) and delivered as the converted 18-digit number.
    const kase = await gw.db.manager.findOneByOrFail(CaseEntity, { id: c.caseId });
    expect(gw.ctx.cipher.decryptJson<{ applicants: { certNo: string }[] }>(kase.partiesEnc).applicants[0].certNo).toBe(id18);
    const received = (await (await fetch(`${gw.platform.origin}/admin/received?source_case_id=RS2026102300017`)).json()) as any[];
    expect(received.map((r) => r.body.applyer_page_code)).toEqual([id18]);
  });

  it('answers ERR: naming the RSJ field for an impossible 15-digit ID and an unknown status, keeping the form', async () => {
    const form = rsjForm({ xxbh: 'RSJ-BAD-1', ywbh: 'RS-BAD-1', sqrsfzh: '430626851332004', zt: 'XX' });
    const reply = await postEvent(gw, 'rsj', form, FORM);
    expect(reply.status).toBe(422);
    expect(reply.text).toMatch(/^ERR:VALIDATION_FAILED /);
    expect(reply.text).toContain('sqrsfzh ID_BIRTH_DATE');
    expect(reply.text).toContain('zt STATUS_UNKNOWN');
    expect(reply.text).not.toMatch(/[\r\n]/);
    const row = await gw.db.manager.findOneByOrFail(InboundMessageEntity, { sourceEventId: 'RSJ-BAD-1' });
    expect(row).toMatchObject({ outcome: 'REJECTED', httpStatus: 422 });
    expect(keptBody(row).toString()).toBe(form);
    // Kept sealed: the ID number is not in the stored bytes.
    expect(row.body!.includes(Buffer.from('430626851332004'))).toBe(false);
  });

  it('answers a wrong content type with ERR: and 415, and another department\'s token with 403', async () => {
    const json = await postEvent(gw, 'rsj', '{"xxbh":"x"}', 'application/json');
    expect(json.status).toBe(415);
    expect(json.text).toMatch(/^ERR:MEDIA_TYPE_UNSUPPORTED /);
    const other = await postEvent(gw, 'rsj', example('rsj-event.txt'), FORM, 'test-token-bdc-0123456789');
    expect(other.status).toBe(403);
    expect(other.text).toMatch(/^ERR:TOKEN_WRONG_DEPARTMENT/);
  });

  it('shows the same canonical case through GET /api/v1/cases?dept=rsj&deptCaseNo=…', async () => {
    // The department reads its own case with its own token; operators see the same.
    const found = await fetch(`${gw.url}/api/v1/cases?dept=rsj&deptCaseNo=RS2026102300017`, { headers: { Authorization: `Bearer ${TOKENS.RSJ}` } });
    expect(found.status).toBe(200);
    const c = (await found.json()) as any;
    expect(c).toEqual(await getCase(gw, c.caseId));
  });
});
