import { gunzipSync } from 'node:zlib';
import { idNumberCheckChar } from '#gw/case';
import { InboundBatchEntity, InboundMessageEntity } from '#gw/persistence';
import { TestGateway, startTestGateway } from '../support/test-gateway';
import { scjgEvent } from '../support/scjg-events';
import { YBJ_HEADER, bdcXml, fromGbk, gbk, getJson, postBatch, postEvent, postRaw } from '../departments/department-support';

jest.setTimeout(90_000);

/** An 18-digit ID number with its right check digit, from 17 digits. */
const id18 = (first17: string) => first17 + idNumberCheckChar(first17);
/** The same number with a wrong check digit. */
const wrongCheck = (first17: string) => first17 + (idNumberCheckChar(first17) === '1' ? '2' : '1');

/**
 * Personal data sent where it does not belong. None of it may come back in an answer, be stored
 * in an issue or a batch's answer, or be listed in the quarantine (issue 18, item 6).
 */
const PII = {
  idInPhone: id18('43062619880215331'),
  idInStatus: id18('43062619750101442'),
  idInMatterCode: id18('43062620010304553'),
  badCheckDigit: wrongCheck('43062619921111664'),
  oldIdInStatus: '430626681212775',
  idInType: id18('43062619660606886'),
  idInPath: id18('43062619550505997'),
  idInJson: id18('43062619830303118'),
  phoneInName: '13987654321',
  phoneInDecision: '15812349876',
  phoneInResult: '18677778888',
  idInYbjStage: id18('43062619700707229'),
  idInYbjPhone: id18('43062619800808331'),
  idInYbjMatter: id18('43062619900909442'),
  ybjBadCheckDigit: wrongCheck('43062619911010553'),
  phoneInYbjName: '13611112222',
  idInBdcStage: id18('43062619851111664'),
  phoneInBdcResult: '17755556666',
  idInRsjStatus: id18('43062619861212775'),
  nameInDecision: '诸葛孔明',
  nameInYbjStage: '司马仲达',
  nameInBdcType: '欧阳修文',
};
const RAW = Object.values(PII);

/** Every raw value found in a text (empty when it is clean). */
const leaks = (text: string) => RAW.filter((v) => text.includes(v));

describe('personal data in the wrong field is never quoted in errors, stored issues, batch answers or the quarantine', () => {
  let gw: TestGateway;
  const answers: { where: string; text: string }[] = [];
  const keep = (where: string, text: string) => answers.push({ where, text });

  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('answers SCJG events with personal data in the wrong fields without quoting it', async () => {
    const post = (body: string, where: string, status: number) =>
      postEvent(gw, 'scjg', body, 'application/json').then((r) => {
        keep(where, r.text);
        expect({ where, status: r.status }).toEqual({ where, status });
        return r;
      });
    const wrongFields = await post(
      JSON.stringify(
        scjgEvent({
          bizNo: 'SCJG-PII-ERR-01',
          status: PII.idInStatus,
          agent: { name: PII.phoneInName, idNo: PII.badCheckDigit, mobile: PII.idInPhone },
          result: { decision: PII.nameInDecision },
        }),
      ),
      'scjg wrong fields',
      422,
    );
    // The fields are still named and coded: only the values are masked.
    const codes = wrongFields.json.errors.map((e: { code: string }) => e.code);
    expect(codes).toEqual(expect.arrayContaining(['STATUS_UNKNOWN', 'ID_CHECK_DIGIT', 'VALUE_NOT_ALLOWED']));
    expect(JSON.stringify(wrongFields.json.errors)).toContain('4306**********');

    await post(JSON.stringify(scjgEvent({ bizNo: 'SCJG-PII-ERR-02', itemCode: PII.idInMatterCode })), 'scjg id in matter code', 422);
    await post(JSON.stringify(scjgEvent({ bizNo: 'SCJG-PII-ERR-03', status: PII.oldIdInStatus })), 'scjg old id in status', 422);
    await post(
      JSON.stringify(scjgEvent({ bizNo: 'SCJG-PII-ERR-04', applicant: { type: PII.idInType, name: '某某', phone: PII.phoneInDecision } })),
      'scjg id in applicant type',
      422,
    );
    // V8 quotes the text it could not parse in its error message.
    await post(`x${PII.idInJson}`, 'scjg not json', 400);

    const unknown = await postRaw(`${gw.url}/api/v1/departments/${PII.idInPath}/events`, '{}', { 'Content-Type': 'application/json', Authorization: 'Bearer x' });
    keep('unknown department', unknown.text);
    expect(unknown.status).toBe(404);

    for (const a of answers) expect({ where: a.where, leaks: leaks(a.text) }).toEqual({ where: a.where, leaks: [] });
  });

  it('answers a YBJ batch (and the same batch again) without quoting personal data', async () => {
    const row = (cells: Partial<Record<string, string>>) => {
      const base: Record<string, string> = {
        流水号: 'YB-PII-0001',
        业务编号: 'YB-2026-PII1',
        申办号: '',
        事项编码: '11430626MB456789960000150001000',
        事项名称: '异地就医备案',
        环节: '申报',
        环节时间: '2026/10/23 9:05',
        申请人姓名: '李四',
        证件号码: '430626198503120040',
        联系电话: '13800000000',
        经办人: '',
        办理意见: '',
        办理结果: '',
        办理地点: '430626',
      };
      const all = { ...base, ...cells };
      return YBJ_HEADER.split(',').map((c) => all[c] ?? '').join(',');
    };
    const file = `\uFEFF${YBJ_HEADER}\r\n${[
      row({ 流水号: 'YB-PII-0001', 环节: PII.idInYbjStage }),
      row({ 流水号: 'YB-PII-0002', 业务编号: 'YB-2026-PII2', 证件号码: PII.ybjBadCheckDigit, 联系电话: PII.idInYbjPhone, 申请人姓名: PII.phoneInYbjName }),
      row({ 流水号: 'YB-PII-0003', 业务编号: 'YB-2026-PII3', 事项编码: PII.idInYbjMatter }),
      row({ 流水号: 'YB-PII-0004', 业务编号: 'YB-2026-PII4', 环节: PII.nameInYbjStage }),
      row({ 流水号: 'YB-PII-0005', 业务编号: 'YB-2026-PII5', 环节: '办结', 办理结果: PII.phoneInResult }),
    ].join('\r\n')}\r\n`;
    const first = await postBatch(gw, 'ybj', Buffer.from(file, 'utf8'), { 'X-Batch-Id': 'YBJ-PII-1' });
    expect(first.status).toBe(200);
    expect(first.json.rejected).toBe(5);
    expect(first.json.results.map((r: { errors?: { code: string }[] }) => r.errors?.[0]?.code)).toEqual(
      expect.arrayContaining(['STATUS_UNKNOWN', 'MATTER_UNKNOWN']),
    );
    expect(leaks(first.text)).toEqual([]);
    const again = await postBatch(gw, 'ybj', Buffer.from(file, 'utf8'), { 'X-Batch-Id': 'YBJ-PII-1' });
    expect(again.json.repeated).toBe(true);
    expect(leaks(again.text)).toEqual([]);
    // The answer as stored for repeats.
    const stored = await gw.db.manager.find(InboundBatchEntity);
    expect(stored.length).toBeGreaterThan(0);
    for (const b of stored) {
      const text = b.resultGzip ? gunzipSync(b.resultGzip).toString('utf8') : (b.resultJson ?? '');
      expect(leaks(text)).toEqual([]);
    }
  });

  it('answers BDC XML and RSJ forms with personal data in coded fields without quoting it', async () => {
    const bdc = await postEvent(
      gw,
      'bdc',
      gbk(bdcXml({ XXID: 'BDC-PII-0001', SLBH: 'BDC-PII-SL01', HJ: PII.idInBdcStage, BJJG: PII.phoneInBdcResult, QLR: [{ QLRMC: '李四', ZJZL: PII.nameInBdcType, ZJH: '430626198503120040' }] })),
      'text/xml; charset=GBK',
    );
    expect(bdc.status).toBe(422);
    const bdcText = fromGbk(bdc.body);
    expect(bdcText).toMatch(/ZJZL|HJ/);
    expect(leaks(bdcText)).toEqual([]);

    const form = new URLSearchParams({ xxbh: 'RSJ-PII-0001', ywbh: 'RS-PII-01', sxbm: '11430626MB345678350000140001000', sxmc: '就业失业登记', zt: PII.idInRsjStatus, ztsj: '2026-10-23 09:30:00', sqrxm: '李四', sqrsfzh: '430626850312004', sqrsjh: '13800000000', xzqh: '430626001' });
    const rsj = await postEvent(gw, 'rsj', form.toString(), 'application/x-www-form-urlencoded');
    expect(rsj.status).toBe(422);
    expect(leaks(rsj.text)).toEqual([]);
  });

  it('lists the quarantine without personal data', async () => {
    const q = await getJson(gw, '/api/v1/quarantine?limit=500', true);
    expect(q.status).toBe(200);
    expect(q.body.items.length).toBeGreaterThanOrEqual(10);
    expect(leaks(JSON.stringify(q.body))).toEqual([]);
  });

  it('stores no issue quoting personal data (inbound_message, read straight from the database)', async () => {
    const rows = await gw.db.manager.find(InboundMessageEntity);
    expect(rows.filter((r) => r.errors).length).toBeGreaterThanOrEqual(10);
    for (const r of rows) {
      const { body: _sealed, ...columns } = r;
      expect({ id: r.id, leaks: leaks(JSON.stringify(columns)) }).toEqual({ id: r.id, leaks: [] });
    }
  });
});
