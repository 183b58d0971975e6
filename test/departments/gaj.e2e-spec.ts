import { AuditLogEntity, CaseEntity, CaseEventEntity, InboundMessageEntity } from '#gw/persistence';
import { scjgEvent } from '../support/scjg-events';
import { TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';
import { YBJ_HEADER, bdcResult, bdcXml, example, gbk, postBatch, postEvent } from './department-support';

const HUKOU = '11430626MB5678902L0000110001000'; // 户口迁移: CLASSIFIED
const SECRET_ID = '430626198503120040';
const SECRET_NAME = '户口迁移申请人甲';

/**
 * GAJ 公安局: its matters are classified and never pass the gateway. Whatever arrives for them —
 * from GAJ itself, or a GAJ matter inside another department's payload — is refused with 403 and a
 * clear code, audited, and not stored: no inbound row, no case, nothing of the payload anywhere.
 */
describe('GAJ (classified) end to end', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  const counts = async () => ({
    inbound: await gw.db.manager.count(InboundMessageEntity),
    cases: await gw.db.manager.count(CaseEntity),
    events: await gw.db.manager.count(CaseEventEntity),
  });
  /** Nothing of the secret payload in any table the gateway writes. */
  const expectNothingStored = async () => {
    for (const entity of [InboundMessageEntity, CaseEntity, CaseEventEntity, AuditLogEntity]) {
      const dump = JSON.stringify(await gw.db.manager.find(entity as any), (_k, v) => (v && v.type === 'Buffer' ? Buffer.from(v.data).toString('latin1') : v));
      expect(dump).not.toContain(SECRET_ID);
      expect(dump).not.toContain(SECRET_NAME);
      expect(dump).not.toContain(gbk(SECRET_NAME).toString('latin1'));
    }
  };
  const audits = (action = 'INGRESS_REFUSED_RESTRICTED') => gw.db.manager.find(AuditLogEntity, { where: { action } });

  it('refuses GAJ posting events or batches, with or without a token: 403 DEPARTMENT_RESTRICTED, audited, nothing stored', async () => {
    const before = await counts();
    const auditBefore = (await audits()).length;
    const payload = JSON.stringify({ sxbm: HUKOU, sqr: { xm: SECRET_NAME, sfzh: SECRET_ID } });
    for (const token of [null, 'some-token-the-gaj-system-might-have', TOKENS.SCJG]) {
      const r = await postEvent(gw, 'gaj', payload, 'application/json', token);
      expect(r.status).toBe(403);
      expect(r.json).toMatchObject({ code: 'DEPARTMENT_RESTRICTED', message: expect.stringContaining('classified') });
    }
    const batch = await postBatch(gw, 'gaj', `\uFEFF${YBJ_HEADER}\r\nx,y,,${HUKOU},户口迁移,申报,2026/10/23 9:00,${SECRET_NAME},${SECRET_ID},,,,,430626\r\n`, { 'X-Batch-Id': 'GAJ-1' }, null);
    expect(batch.status).toBe(403);
    expect(batch.json.code).toBe('DEPARTMENT_RESTRICTED');

    expect(await counts()).toEqual(before);
    const audit = await audits();
    expect(audit.length - auditBefore).toBe(4);
    expect(audit.slice(-4).every((a) => a.actor === 'dept:GAJ' && a.targetType === 'department' && a.targetId === 'GAJ')).toBe(true);
    await expectNothingStored();
  });

  it('refuses a GAJ matter inside another department\'s payload, in each department\'s own reply format, storing nothing', async () => {
    const before = await counts();
    const auditBefore = (await audits()).length;

    const scjg = await postEvent(gw, 'scjg', JSON.stringify(scjgEvent({ itemCode: HUKOU, itemName: '户口迁移', agent: { name: SECRET_NAME, idNo: SECRET_ID } })), 'application/json');
    expect(scjg.status).toBe(403);
    expect(scjg.json).toMatchObject({ code: 'MATTER_RESTRICTED', message: expect.stringContaining(HUKOU) });

    const bdc = await postEvent(gw, 'bdc', gbk(bdcXml({ XXID: 'BDC-GAJ-1', SLBH: 'GAJ-IN-BDC', SXBM: HUKOU, SXMC: '户口迁移', QLR: [{ QLRMC: SECRET_NAME, ZJZL: '1', ZJH: SECRET_ID }] })), 'text/xml; charset=GBK');
    expect(bdc.status).toBe(403);
    expect(bdcResult(bdc)).toMatchObject({ CODE: '403', MSG: expect.stringContaining('MATTER_RESTRICTED') });

    const form = new URLSearchParams(example('rsj-event.txt').toString());
    form.set('xxbh', 'RSJ-GAJ-1');
    form.set('sxbm', HUKOU);
    form.set('sqrxm', SECRET_NAME);
    form.set('sqrsfzh', SECRET_ID);
    const rsj = await postEvent(gw, 'rsj', form.toString(), 'application/x-www-form-urlencoded');
    expect(rsj.status).toBe(403);
    expect(rsj.text).toMatch(/^ERR:MATTER_RESTRICTED /);

    const mzj = await postEvent(gw, 'mzj', JSON.stringify({ ...JSON.parse(example('mzj-event.json').toString()), lsh: 'MZJ-GAJ-1', sxbm: HUKOU, sqr: { xm: SECRET_NAME, zjlx: '1', sfzh: SECRET_ID } }), 'application/json');
    expect(mzj.status).toBe(403);
    expect(mzj.json).toMatchObject({ code: 'MATTER_RESTRICTED' });

    // In a YBJ batch: that row alone is refused (and not kept); its neighbour is accepted.
    const csv = `\uFEFF${YBJ_HEADER}\r\n` +
      `YB-GAJ-0001,YB-GAJ-CASE,,${HUKOU},户口迁移,申报,2026/10/23 9:00,${SECRET_NAME},${SECRET_ID},13800000000,,,,430626\r\n` +
      'YB-GAJ-0002,YB-GAJ-OK,,11430626MB456789960000150001000,异地就医备案,申报,2026/10/23 9:05,王五,430626199001010022,13900000000,,,,430626\r\n';
    const ybj = await postBatch(gw, 'ybj', csv, { 'X-Batch-Id': 'YBJ-GAJ-1' });
    expect(ybj.status).toBe(200);
    expect(ybj.json).toMatchObject({ rows: 2, accepted: 1, rejected: 1 });
    expect(ybj.json.results[0]).toMatchObject({ row: 1, outcome: 'REFUSED', httpStatus: 403, code: 'MATTER_RESTRICTED' });
    expect(ybj.json.results[1]).toMatchObject({ row: 2, outcome: 'ACCEPTED' });

    const after = await counts();
    // Only the accepted YBJ row (its inbound row, case and event) was written.
    expect(after).toEqual({ inbound: before.inbound + 1, cases: before.cases + 1, events: before.events + 1 });
    const audit = (await audits()).slice(auditBefore);
    expect(audit).toHaveLength(5);
    expect(audit.map((a) => a.actor).sort()).toEqual(['dept:BDC', 'dept:MZJ', 'dept:RSJ', 'dept:SCJG', 'dept:YBJ']);
    expect(audit.every((a) => a.targetType === 'matter' && a.targetId === HUKOU)).toBe(true);
    await expectNothingStored();
  });
});
