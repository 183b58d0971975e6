import request from 'supertest';
import { In, Not } from 'typeorm';
import { formatBeijingDateTime } from '#gw/case';
import { beijingDateTime, beijingIso, startDepartmentSimulators } from '#gw/dept-simulators';
import { CaseEntity, InboundMessageEntity, OutboxEntity } from '#gw/persistence';
import { OPERATOR_TOKEN, TOKENS, TestGateway, keptBody, startTestGateway } from '../support/test-gateway';
import { platformAdmin } from '../support/platform-admin';
import { onlineApplication } from '../support/callbacks';
import { scjgEvent, postScjgEvent } from '../support/scjg-events';
import { waitFor } from '../support/wait-for';
import { YBJ_HEADER, postBatch, postEvent } from '../departments/department-support';

jest.setTimeout(90_000);

const RSJ_MATTER = { code: '11430626MB345678350000140001000', name: '就业失业登记' };
const YBJ_MATTER = '11430626MB456789960000150001000';
const FORM = 'application/x-www-form-urlencoded';
const REFUSAL = 'CASE_NOT_OF_DEPARTMENT';

/**
 * A department may report stages and results under a platform project_no only for a case routed
 * to it: its own case, or an online application the callbacks delivered to it. Department A (SCJG,
 * and YBJ in a batch) reporting under department B's (RSJ's) online application is refused with
 * 422 CASE_NOT_OF_DEPARTMENT — the same answer as for a number nobody has — kept in the
 * quarantine, refused again on replay, and nothing of it reaches the platform; B still reports.
 */
describe("security: a department cannot report on another department's case", () => {
  let gw: TestGateway;
  let sims: Awaited<ReturnType<typeof startDepartmentSimulators>>;
  const op = { Authorization: `Bearer ${OPERATOR_TOKEN}` };
  const admin = () => platformAdmin(gw.platform);
  const base = Date.now() - 60 * 60_000;
  const at = (minutes: number) => base + minutes * 60_000;
  /** RSJ's online application: the platform's project number (B's case). */
  let rsjProject: string;
  /** What SCJG was answered for each refused post, to compare. */
  const refusals: any[] = [];

  const rsjForm = (fields: Record<string, string>) =>
    new URLSearchParams({
      sxbm: RSJ_MATTER.code,
      sxmc: RSJ_MATTER.name,
      sqrxm: '王五',
      sqrsfzh: '430626199001010022',
      sqrsjh: '13900000000',
      jbr: '张三',
      xzqh: '430626001',
      ...fields,
    }).toString();

  beforeAll(async () => {
    sims = await startDepartmentSimulators({});
    gw = await startTestGateway({ env: { DEPT_RSJ_URL: sims.rsj.url, DEPT_SCJG_URL: sims.scjg.url } });
    const application = onlineApplication(RSJ_MATTER.code, {
      task_name: RSJ_MATTER.name,
      project_name: `${RSJ_MATTER.name}（网上申请）`,
      apply_date: formatBeijingDateTime(base),
      applyer_type: 1,
      applyer_name: '王五',
      applyer_page_type: '111',
      applyer_page_code: '430626199001010022',
      legal: undefined,
    });
    rsjProject = (await request(gw.platform.origin).post('/admin/online-applications').send(application).expect(202)).body.projectNo;
    await waitFor('RSJ to take its online application', async () => sims.rsj.accepted().some((r: any) => r.projectNo === rsjProject));
  });
  afterAll(async () => {
    await gw?.close();
    await sims?.close();
  });

  it("refuses SCJG's stages and final result under RSJ's online application with 422 CASE_NOT_OF_DEPARTMENT, exactly as for a number nobody has", async () => {
    const stage = await postScjgEvent(gw.url, scjgEvent({ bizNo: 'SCJG-SEC-000001', platformNo: rsjProject, status: 20, statusTime: beijingIso(at(1)) }));
    const result = await postScjgEvent(
      gw.url,
      scjgEvent({ bizNo: 'SCJG-SEC-000001', platformNo: rsjProject, status: 50, statusTime: beijingIso(at(2)), result: { decision: 'APPROVED', licenseNo: '91430626MA4Q000001' } }),
    );
    const nobody = await postScjgEvent(gw.url, scjgEvent({ bizNo: 'SCJG-SEC-000003', platformNo: 'P2026NOBODY0000001', status: 20, statusTime: beijingIso(at(1)) }));
    for (const r of [stage, result, nobody]) {
      expect(r.status).toBe(422);
      expect(r.body).toEqual({
        code: REFUSAL,
        message: expect.any(String),
        errors: [{ field: 'platformNo', code: REFUSAL, message: expect.any(String) }],
      });
      // Nothing of the other department's case: not its department, case number or state.
      expect(JSON.stringify(r.body)).not.toMatch(/RSJ|就业|王|4306|受理|申报/);
      refusals.push(r.body);
    }
    // The answer for another department's case and for a number nobody has cannot be told apart.
    expect(stage.body).toEqual(nobody.body);
    expect(await gw.db.manager.count(CaseEntity, { where: { department: 'SCJG', sourceCaseNo: In(['SCJG-SEC-000001', 'SCJG-SEC-000003']) } })).toBe(0);
  });

  it("refuses a later stage of SCJG's own window case that would put it under RSJ's project number", async () => {
    const own = await postScjgEvent(gw.url, scjgEvent({ bizNo: 'SCJG-SEC-000002', platformNo: null, status: 20, statusTime: beijingIso(at(1)) }));
    expect(own.status).toBe(202);
    const hijack = await postScjgEvent(gw.url, scjgEvent({ bizNo: 'SCJG-SEC-000002', platformNo: rsjProject, status: 30, statusTime: beijingIso(at(2)) }));
    expect(hijack.status).toBe(422);
    expect(hijack.body.code).toBe(REFUSAL);
    refusals.push(hijack.body);
    const kase = await gw.db.manager.findOneByOrFail(CaseEntity, { department: 'SCJG', sourceCaseNo: 'SCJG-SEC-000002' });
    expect(kase.platformProjectNo).not.toBe(rsjProject);
    expect(kase.currentStage).toBe('ACCEPTED');
  });

  it("refuses a YBJ batch row under RSJ's project number; the file's other rows are taken", async () => {
    const csv = Buffer.from(
      `\uFEFF${YBJ_HEADER}\r\n` +
        `YBSEC0000000001,YB-SEC-0001,${rsjProject},${YBJ_MATTER},异地就医备案,受理,2026/10/23 9:10,赵六,430626200107081238,13800000000,周十,予以受理,,430626\r\n` +
        `YBSEC0000000002,YB-SEC-0002,,${YBJ_MATTER},异地就医备案,受理,2026/10/23 9:10,赵六,430626200107081238,13800000000,周十,予以受理,,430626\r\n`,
      'utf8',
    );
    const reply = await postBatch(gw, 'ybj', csv, { 'X-Batch-Id': 'YBJ-SEC-1' });
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ rows: 2, accepted: 1, rejected: 1 });
    expect(reply.json.results[0]).toMatchObject({ row: 1, outcome: 'REJECTED', httpStatus: 422, code: REFUSAL, errors: [{ field: '申办号', code: REFUSAL }] });
    expect(reply.json.results[1]).toMatchObject({ row: 2, outcome: 'ACCEPTED' });
  });

  it('keeps every refused payload in the quarantine, byte for byte; a replay is refused the same way', async () => {
    const listed = (await request(gw.url).get('/api/v1/quarantine').set(op).query({ code: REFUSAL }).expect(200)).body;
    expect(listed.items.map((i: any) => [i.department, i.outcome, i.httpStatus, i.errorCode]).sort()).toEqual([
      ['SCJG', 'REJECTED', 422, REFUSAL],
      ['SCJG', 'REJECTED', 422, REFUSAL],
      ['SCJG', 'REJECTED', 422, REFUSAL],
      ['SCJG', 'REJECTED', 422, REFUSAL],
      ['YBJ', 'REJECTED', 422, REFUSAL],
    ]);
    const kept = await gw.db.manager.find(InboundMessageEntity, { where: { id: In(listed.items.map((i: any) => i.id)) } });
    const scjgBodies = kept.filter((k) => k.department === 'SCJG').map((k) => JSON.parse(keptBody(k).toString('utf8')));
    expect(scjgBodies.filter((b) => b.platformNo === rsjProject)).toHaveLength(3);
    expect(keptBody(kept.find((k) => k.department === 'YBJ')!).toString('utf8')).toContain(rsjProject);

    for (const item of listed.items) {
      const replay = await request(gw.url).post(`/api/v1/quarantine/${item.id}/replay`).set(op).expect(200);
      expect(replay.body).toMatchObject({ httpStatus: 422, code: REFUSAL });
    }
  });

  it('RSJ itself reports under its own online application; the platform gets only its stages, nothing of the refused ones', async () => {
    const reply = await postEvent(gw, 'rsj', rsjForm({ xxbh: 'RSJSEC000000001', ywbh: 'RS-SEC-0001', sbh: rsjProject, zt: 'SL', ztsj: beijingDateTime(at(3)) }), FORM);
    expect([reply.status, reply.text]).toEqual([202, 'OK']);
    const done = await postEvent(
      gw,
      'rsj',
      rsjForm({ xxbh: 'RSJSEC000000002', ywbh: 'RS-SEC-0001', sbh: rsjProject, zt: 'BJ', ztsj: beijingDateTime(at(4)), bjjg: '1', blyj: '准予登记' }),
      FORM,
    );
    expect([done.status, done.text]).toEqual([202, 'OK']);

    // Every stage the gateway took is delivered: nothing else can still reach the platform.
    await waitFor('every platform delivery finished', async () => (await gw.db.manager.count(OutboxEntity, { where: { target: 'PLATFORM', status: Not('DONE') } })) === 0);
    const onPlatform = (await admin().cases()).find((c) => c.projectNo === rsjProject);
    expect(onPlatform.events).toHaveLength(2);
    expect(onPlatform.closed).toBe(true);
    const calls = await admin().received({ project_no: rsjProject });
    expect(calls.filter((c) => ['process', 'special', 'result'].includes(c.endpoint))).toHaveLength(2);
    for (const no of ['SCJG-SEC-000001', 'SCJG-SEC-000003', 'YB-SEC-0001']) expect(await admin().received({ source_case_id: no })).toEqual([]);
    expect(await gw.db.manager.find(CaseEntity, { where: { platformProjectNo: rsjProject } })).toEqual([
      expect.objectContaining({ department: 'RSJ', sourceCaseNo: 'RS-SEC-0001', online: true }),
    ]);
  });

  it("answers 403 TOKEN_WRONG_DEPARTMENT when a department posts to another's URL with its own token", async () => {
    const reply = await postEvent(gw, 'rsj', rsjForm({ xxbh: 'RSJSEC000000009', ywbh: 'RS-SEC-0009', sbh: rsjProject, zt: 'SL', ztsj: beijingDateTime(at(3)) }), FORM, TOKENS.SCJG);
    expect(reply.status).toBe(403);
    expect(reply.text).toMatch(/^ERR:TOKEN_WRONG_DEPARTMENT /);
    const json = await postScjgEvent(gw.url, scjgEvent()).set('Authorization', `Bearer ${TOKENS.RSJ}`);
    expect([json.status, json.body.code]).toEqual([403, 'TOKEN_WRONG_DEPARTMENT']);
  });
});
