import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CaseEventEntity, InboundMessageEntity } from '#gw/persistence';
import { REPO_ROOT, TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';
import { example, expectCanonicalShape, getCase, postEvent, scjgReferenceCase, waitDelivered } from './department-support';

const mzjEvent = (overrides: Record<string, unknown> = {}) => ({ ...JSON.parse(example('mzj-event.json').toString('utf8')), ...overrides });

/**
 * MZJ 民政局: connected by configuration alone (the `mapped` adapter and the mapping in
 * config/catalogue.yaml), including the reply shape its system expects.
 */
describe('MZJ department end to end (configuration-only mapping)', () => {
  let gw: TestGateway;
  let reference: any;

  beforeAll(async () => {
    gw = await startTestGateway();
    reference = await scjgReferenceCase(gw);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('has no code of its own: the catalogue names the generic mapped adapter', () => {
    const catalogue = parse(readFileSync(join(REPO_ROOT, 'config/catalogue.yaml'), 'utf8'));
    const mzj = catalogue.departments.find((d: any) => d.code === 'MZJ');
    expect(mzj.adapter).toBe('mapped');
    expect(mzj.options.reply.okBody).toEqual({ code: '0000', msg: '成功', data: { gwid: '${eventId}', bjid: '${caseId}', zt: '${status}' } });
  });

  it('accepts the example and answers in its configured reply shape; a repeat gets the same ids', async () => {
    const body = example('mzj-event.json');
    const first = await postEvent(gw, 'mzj', body, 'application/json');
    expect(first.status).toBe(202);
    expect(first.json).toEqual({ code: '0000', msg: '成功', data: { gwid: expect.stringMatching(/^[0-9a-f-]{36}$/), bjid: expect.stringMatching(/^[0-9a-f-]{36}$/), zt: 'ACCEPTED' } });
    const again = await postEvent(gw, 'mzj', body, 'application/json');
    expect(again.status).toBe(200);
    expect(again.json).toEqual(first.json);
    expect(await gw.db.manager.count(CaseEventEntity, { where: { department: 'MZJ', sourceEventId: 'MZJ20261023000045' } })).toBe(1);

    const c = await waitDelivered(gw, first.json.data.bjid);
    expect(c).toMatchObject({
      caseId: first.json.data.bjid,
      department: 'MZJ',
      departmentName: '平江县民政局',
      sourceCaseNo: 'PJMZ-2026-0045',
      matterCode: '11430626MB6789012A0000160010000',
      matterName: '最低生活保障金给付',
      currentStage: 'ACCEPTED',
      location: '430626101',
      locationName: '安定镇',
      applicants: [{ kind: 'PERSON', name: '周*', certType: '111', certNo: '4306**********0022', phone: '139****0000' }],
      delivery: { state: 'DELIVERED', delivered: 1 },
    });
    expect(c.stages).toEqual([
      expect.objectContaining({ eventId: first.json.data.gwid, sourceEventId: 'MZJ20261023000045', stage: 'ACCEPTED', stageName: '受理', handler: { name: '吴*', unit: '社会救助股' }, stageTime: '2026-10-23T01:30:00.000Z' }),
    ]);
    expectCanonicalShape(c, reference);
    expect(JSON.stringify(c)).not.toMatch(/430626199001010022|13900000000|周八/);
  });

  it('answers a failure in its configured error shape, with the MZJ payload paths', async () => {
    const bad = mzjEvent({ lsh: 'MZJ-BAD-1', zt: '42', ztsj: '2026-02-30 09:00:00', sqr: { xm: '周八', zjlx: '1', sfzh: '430626199001010021', sjh: '13900000000' } });
    const reply = await postEvent(gw, 'mzj', JSON.stringify(bad), 'application/json');
    expect(reply.status).toBe(422);
    expect(reply.json).toEqual({ code: 'VALIDATION_FAILED', msg: expect.any(String), errors: expect.any(Array) });
    expect(Object.fromEntries(reply.json.errors.map((e: any) => [e.field, e.code]))).toEqual({ zt: 'STATUS_UNKNOWN', ztsj: 'DATE_INVALID', 'sqr.sfzh': 'ID_CHECK_DIGIT' });
    expect(await gw.db.manager.findOneByOrFail(InboundMessageEntity, { sourceEventId: 'MZJ-BAD-1' })).toMatchObject({ outcome: 'REJECTED', httpStatus: 422 });
  });

  it('shows the same canonical case through GET /api/v1/cases?dept=mzj&deptCaseNo=…', async () => {
    // The department reads its own case with its own token; operators see the same.
    const found = await fetch(`${gw.url}/api/v1/cases?dept=mzj&deptCaseNo=PJMZ-2026-0045`, { headers: { Authorization: `Bearer ${TOKENS.MZJ}` } });
    expect(found.status).toBe(200);
    const c = (await found.json()) as any;
    expect(c).toEqual(await getCase(gw, c.caseId));
  });
});
