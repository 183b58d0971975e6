import { CaseEventEntity, CaseEntity, InboundMessageEntity } from '#gw/persistence';
import { TOKENS, TestGateway, keptBody, startTestGateway } from '../support/test-gateway';
import { bdcResult, bdcXml, example, expectCanonicalShape, fromGbk, gbk, getCase, postEvent, scjgReferenceCase, waitDelivered } from './department-support';

const GBK_XML = 'text/xml; charset=GBK';

/**
 * BDC 不动产登记中心 (departments.md): one GBK XML document per stage, answered with a GBK
 * `<RESULT><CODE>0</CODE><MSG>成功</MSG><ID>gateway event id</ID></RESULT>`.
 */
describe('BDC department end to end (GBK XML)', () => {
  let gw: TestGateway;
  let reference: any;

  beforeAll(async () => {
    gw = await startTestGateway();
    reference = await scjgReferenceCase(gw);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('accepts the departments.md example posted in GBK, answers CODE 0 with the event id in GBK, and a repeat with the same id', async () => {
    const body = example('bdc-event.xml');
    // The example file is GBK indeed: not valid UTF-8.
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(body)).toThrow();

    const first = await postEvent(gw, 'bdc', body, GBK_XML);
    expect(first.status).toBe(202);
    expect(first.contentType).toMatch(/^text\/xml; charset=GBK$/i);
    // The reply is GBK: the declaration says so and 成功 is two GBK characters, not UTF-8.
    expect(first.body.includes(Buffer.from('成功', 'utf8'))).toBe(false);
    expect(first.body.includes(gbk('成功'))).toBe(true);
    expect(fromGbk(first.body)).toMatch(/^<\?xml version="1\.0" encoding="GBK"\?><RESULT><CODE>0<\/CODE><MSG>成功<\/MSG><ID>[0-9a-f-]{36}<\/ID><\/RESULT>$/);
    const { ID } = bdcResult(first);

    const again = await postEvent(gw, 'bdc', body, GBK_XML);
    expect(again.status).toBe(200);
    expect(bdcResult(again)).toEqual({ CODE: '0', MSG: '成功', ID });
    expect(await gw.db.manager.count(CaseEventEntity, { where: { department: 'BDC', sourceEventId: 'BDC20261023000123' } })).toBe(1);

    const event = await gw.db.manager.findOneByOrFail(CaseEventEntity, { id: ID });
    const c = await waitDelivered(gw, event.caseId);
    expect(c).toMatchObject({
      department: 'BDC',
      departmentName: '平江县不动产登记中心',
      sourceCaseNo: '202610230001',
      matterCode: '12430626MB234567830000173001000',
      matterName: '国有建设用地使用权及房屋所有权首次登记',
      currentStage: 'ACCEPTED',
      location: '430626001',
      locationName: '汉昌街道',
      online: false,
      applicants: [{ kind: 'PERSON', name: '李*', certType: '111', certNo: '4306**********0040', phone: '138****0000' }],
      delivery: { state: 'DELIVERED', delivered: 1, pending: 0, parked: 0 },
      platformProjectNo: expect.stringMatching(/^12430626MB234567830000173001000\d{12}$/),
    });
    expect(c.stages).toEqual([
      expect.objectContaining({ eventId: ID, sourceEventId: 'BDC20261023000123', stage: 'ACCEPTED', stageName: '受理', stageTime: '2026-10-23T01:30:00.000Z', handler: { name: '张*' }, opinion: '材料齐全，予以受理' }),
    ]);
    expect(c.stages[0].delivery).toMatchObject({ status: 'DONE', history: [expect.objectContaining({ endpoint: 'accept', businessCode: '0' })] });
    expect(JSON.stringify(c)).not.toMatch(/430626198503120040|13800000000|李四/);
    expectCanonicalShape(c, reference);

    // The platform simulator holds the case under the project_no the gateway recorded.
    const received = (await (await fetch(`${gw.platform.origin}/admin/received?source_case_id=202610230001`)).json()) as any[];
    expect(received.filter((r) => r.httpStatus === 200 && r.code === '0').map((r) => r.endpoint)).toEqual(['accept']);
    expect(received[0].projectNo).toBe(c.platformProjectNo);
  });

  it('answers a bad ID number of a co-owner with a non-zero CODE naming the field in BDC terms, and keeps the document', async () => {
    const xml = bdcXml({
      XXID: 'BDC-BAD-COOWNER-1',
      SLBH: '202610230091',
      QLR: [
        { QLRMC: '李四', ZJZL: '1', ZJH: '430626198503120040', DH: '13800000000' },
        { QLRMC: '王五', ZJZL: '1', ZJH: '430626199001010023', DH: '13900000000' }, // check digit should be 2
      ],
    });
    const reply = await postEvent(gw, 'bdc', gbk(xml), GBK_XML);
    expect(reply.status).toBe(422);
    expect(reply.contentType).toMatch(/charset=GBK/i);
    const result = bdcResult(reply);
    expect(result.CODE).toBe('422');
    expect(result.ID).toBe('');
    expect(result.MSG).toContain('VALIDATION_FAILED');
    expect(result.MSG).toContain('BDCSJ/YWXX/QLR[2]/ZJH');
    expect(result.MSG).not.toContain('QLR[1]');
    // The number itself is not echoed back.
    expect(result.MSG).not.toContain('430626199001010023');

    const row = await gw.db.manager.findOneByOrFail(InboundMessageEntity, { sourceEventId: 'BDC-BAD-COOWNER-1' });
    expect(row).toMatchObject({ department: 'BDC', outcome: 'REJECTED', httpStatus: 422, errorCode: 'VALIDATION_FAILED' });
    expect(keptBody(row).equals(gbk(xml))).toBe(true);
    expect(JSON.parse(row.errors!)).toEqual([{ field: 'BDCSJ/YWXX/QLR[2]/ZJH', code: 'ID_CHECK_DIGIT', message: expect.any(String) }]);
    expect(await gw.db.manager.count(CaseEntity, { where: { department: 'BDC', sourceCaseNo: '202610230091' } })).toBe(0);
  });

  it('keeps rare characters (䶮𠮷, outside GBK, sent as GB18030) intact through storage and delivery', async () => {
    const xml = bdcXml({
      XXID: 'BDC-RARE-1',
      SLBH: '202610230092',
      HJ: '收件',
      HJSJ: '20261023090500',
      SXBM: '12430626MB234567830000173002000',
      SXMC: '国有建设用地使用权及房屋所有权转移登记',
      QLR: [
        { QLRMC: '䶮𠮷', ZJZL: '3', ZJH: 'E12345678', DH: '13900000000' },
        { QLRMC: '李四', ZJZL: '1', ZJH: '430626198503120040', DH: '13800000000' },
        { QLRMC: '平江县某某农业发展有限公司', ZJZL: '6', ZJH: '91330102MA28NBU477', DH: '0730-6223456' },
      ],
    });
    const body = gbk(xml);
    // 䶮 and 𠮷 are four-byte GB18030 sequences; nothing was replaced by '?'.
    expect(fromGbk(body)).toContain('䶮𠮷');
    const reply = await postEvent(gw, 'bdc', body, GBK_XML);
    expect(reply.status).toBe(202);
    const { ID } = bdcResult(reply);
    const event = await gw.db.manager.findOneByOrFail(CaseEventEntity, { id: ID });

    // Stored encrypted; decrypted, the name is the very same code points.
    const stored = gw.ctx.cipher.decryptJson<{ applicants: { name: string }[] }>((await gw.db.manager.findOneByOrFail(CaseEntity, { id: event.caseId })).partiesEnc);
    expect(stored.applicants.map((a) => a.name)).toEqual(['䶮𠮷', '李四', '平江县某某农业发展有限公司']);
    expect([...stored.applicants[0].name].map((ch) => ch.codePointAt(0))).toEqual([0x4dae, 0x20bb7]);

    const c = await waitDelivered(gw, event.caseId);
    expect(c.applicants).toEqual([
      // Masked per character, not per UTF-16 unit: 䶮 then one star for 𠮷 (a surrogate pair).
      { kind: 'PERSON', name: '䶮*', certType: '414', certNo: 'E123*5678', phone: '139****0000' },
      { kind: 'PERSON', name: '李*', certType: '111', certNo: '4306**********0040', phone: '138****0000' },
      { kind: 'ENTERPRISE', name: '平江县某某农业发展有限公司', certType: 'USCC', certNo: '91330102MA28NBU477', phone: '0730-*****56' },
    ]);
    expect(c.applicants[0].certNo).not.toBe('E12345678');
    expect(c).toMatchObject({ currentStage: 'SUBMITTED', delivery: { state: 'DELIVERED' } });
    expectCanonicalShape(c, reference);

    // The platform got the first owner's name itself (the platform shows it), not mojibake or '?'.
    const received = (await (await fetch(`${gw.platform.origin}/admin/received?source_case_id=202610230092`)).json()) as any[];
    expect(received.map((r) => r.body.applyer_name)).toEqual(['䶮𠮷']);
  });

  it('answers unreadable XML with a non-zero CODE in GBK and keeps the bytes', async () => {
    const truncated = example('bdc-event.xml').subarray(0, 300);
    const reply = await postEvent(gw, 'bdc', truncated, GBK_XML);
    expect(reply.status).toBe(400);
    const result = bdcResult(reply);
    expect(result.CODE).toBe('400');
    expect(result.MSG).toMatch(/PAYLOAD_NOT_XML|PAYLOAD_ENCODING/);
    const rows = await gw.db.manager.find(InboundMessageEntity, { where: { department: 'BDC', outcome: 'UNREADABLE' } });
    expect(rows.some((r) => r.body && keptBody(r).equals(truncated))).toBe(true);
  });

  it('shows the same canonical case through GET /api/v1/cases?dept=bdc&deptCaseNo=…', async () => {
    // The department reads its own case with its own token; operators see the same.
    const found = await fetch(`${gw.url}/api/v1/cases?dept=bdc&deptCaseNo=202610230001`, { headers: { Authorization: `Bearer ${TOKENS.BDC}` } });
    expect(found.status).toBe(200);
    const c = (await found.json()) as any;
    expect(c).toEqual(await getCase(gw, c.caseId));
    expectCanonicalShape(c, reference);
  });
});
