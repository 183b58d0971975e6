import { join } from 'node:path';
import * as iconv from 'iconv-lite';
import { XMLParser } from 'fast-xml-parser';
import { Catalogue } from '#gw/catalogue';
import type { DepartmentDelivery, MappedEvent, ParseResult } from '../../department-adapter';
import { BdcAdapter, createAdapter } from './bdc.adapter';
import { bdcCertKind, buildBdcDeliveryXml, parseBdcDeliveryReply, toBdcTime } from './bdc-delivery';

const ROOT = join(__dirname, '..', '..', '..', '..', '..');
const catalogue = Catalogue.fromFile(join(ROOT, 'config', 'catalogue.yaml'));
const bdc = createAdapter(catalogue.department('BDC')!, catalogue) as BdcAdapter;

const MATTER = '12430626MB234567830000173001000';
const PROJECT_NO = `${MATTER}202611270001`;
const RARE = '刘䶮𠮷';

function application(overrides: Record<string, unknown> = {}): DepartmentDelivery {
  return {
    type: 'ONLINE_APPLICATION',
    callbackId: 'cb-bdc-1',
    projectNo: PROJECT_NO,
    occurredAt: '2026-11-27 09:30:00',
    data: {
      project_no: PROJECT_NO,
      task_code: MATTER,
      task_name: '国有建设用地使用权及房屋所有权首次登记',
      applyer_type: 1,
      applyer_name: RARE,
      applyer_page_type: '111',
      applyer_page_code: '430626198503120040',
      contact_name: '钱七',
      contact_mobile: '13900000000',
      address: '平江县汉昌街道天岳大道88号',
      apply_date: '2026-11-27 09:29:10',
      materials: [
        {
          material_name: '不动产权属来源证明',
          get_type: '1',
          get_num: 1,
          file_url: 'https://zwfw.example/f/1.pdf?a=1&b=2',
        },
      ],
      ...overrides,
    },
  };
}

const followUp = (type: DepartmentDelivery['type'], data: Record<string, unknown>): DepartmentDelivery => ({
  type,
  callbackId: `cb-${type}`,
  projectNo: PROJECT_NO,
  occurredAt: '2026-11-28 10:00:00',
  data: { project_no: PROJECT_NO, ...data },
  departmentCaseNo: '202611270007',
  matterCode: MATTER,
});

const xmlParser = new XMLParser({ parseTagValue: false, isArray: (n) => n === 'QLR' || n === 'CL' });
/** The delivery as BDC reads it: GB18030 bytes decoded, then the `<YWXX>` element. */
function received(d: DepartmentDelivery): { ywxx: any; head: any; bytes: Buffer; contentType: string } {
  const out = bdc.formatDelivery(d);
  const doc = xmlParser.parse(new TextDecoder('gb18030', { fatal: true }).decode(out.body));
  return { ywxx: doc.BDCSJ.YWXX, head: doc.BDCSJ.HEAD, bytes: out.body, contentType: out.contentType };
}

function mapped(result: ParseResult): MappedEvent {
  if (!result.ok) throw new Error(`expected a readable document, got ${result.code}: ${result.message}`);
  return result.event;
}

describe('BDC delivery: online applications and follow-ups as GBK <BDCSJ>', () => {
  it('pushes is its mode', () => {
    expect(bdc.deliveryMode).toBe('push');
  });

  it('sends an online application as <HJ>网上申报</HJ> with SBH, the matter, one QLR from applyer_* and the contact mobile as DH', () => {
    const { ywxx, head, contentType } = received(application());
    expect(contentType).toBe('text/xml; charset=GBK');
    expect(head).toMatchObject({ XXID: 'cb-bdc-1' });
    expect(head.FSSJ).toMatch(/^\d{14}$/);
    expect(ywxx).toMatchObject({
      SLBH: '',
      SBH: PROJECT_NO,
      SXBM: MATTER,
      SXMC: '国有建设用地使用权及房屋所有权首次登记',
      HJ: '网上申报',
      HJSJ: '20261127092910',
      ZL: '平江县汉昌街道天岳大道88号',
      QLR: [{ QLRMC: RARE, ZJZL: '1', ZJH: '430626198503120040', DH: '13900000000' }],
      CL: [{ CLMC: '不动产权属来源证明', CLSL: '1', CLDZ: 'https://zwfw.example/f/1.pdf?a=1&b=2' }],
    });
    expect(ywxx.DBQX).toBeUndefined();
  });

  it('round-trips a rare-character name (䶮𠮷) through GB18030 bytes labelled GBK', () => {
    const { bytes } = received(application());
    const text = buildBdcDeliveryXml(application());
    expect(text.startsWith('<?xml version="1.0" encoding="GBK"?>')).toBe(true);
    // 𠮷 (U+20BB7) is a four-byte GB18030 sequence; plain GBK would have replaced it with '?'.
    expect(bytes.includes(Buffer.from([0x95, 0x34, 0xb2, 0x35]))).toBe(true);
    expect(iconv.decode(iconv.encode(RARE, 'gbk'), 'gbk')).not.toBe(RARE);
    expect(iconv.decode(bytes, 'gb18030')).toBe(text);
    expect(new TextDecoder('gb18030', { fatal: true }).decode(bytes)).toContain(`<QLRMC>${RARE}</QLRMC>`);
    expect(bytes.includes(Buffer.from(RARE, 'utf8'))).toBe(false);
  });

  it("is the same document shape BDC sends: the gateway's own BDC reader reads it back", () => {
    const { body } = bdc.formatDelivery(application());
    const event = mapped(
      bdc.parseEvent({
        department: 'BDC',
        mediaType: 'text/xml',
        charset: 'gbk',
        headers: {},
        body,
        receivedAt: new Date(),
      }),
    );
    expect(event.event).toMatchObject({
      platformProjectNo: PROJECT_NO,
      matterCode: MATTER,
      stageName: '网上申报',
      stageTime: '2026-11-27T09:29:10+08:00',
      applicants: [{ kind: 'PERSON', name: RARE, certType: '111', certNo: '430626198503120040', phone: '13900000000' }],
    });
    // 网上申报 is not one of BDC's own stages: only that is reported.
    expect(event.issues.map((i) => i.field)).toEqual(['stage']);
  });

  it("escapes markup in the platform's data", () => {
    const { ywxx } = received(application({ applyer_name: '张<三>&"李"', address: "a'b<c" }));
    expect(ywxx.QLR[0].QLRMC).toBe('张<三>&"李"');
    expect(ywxx.ZL).toBe("a'b<c");
  });

  it.each([
    ['111', 1, '430626198503120040', '1'],
    ['112', 1, '430626198503120040', '1'],
    ['516', 1, 'H01234567', '2'],
    ['511', 1, '01234567', '2'],
    ['414', 1, 'E12345678', '3'],
    ['001', 2, '91330102MA28NBU477', '6'],
    ['USCC', 2, '91330102MA28NBU477', '6'],
    [undefined, 2, '91330102MA28NBU477', '6'],
    [undefined, 1, '430626198503120040', '1'],
    ['113', 1, '430626198503120040', '99'],
    ['990', 1, 'X-1', '99'],
  ])('maps applyer_page_type %s (applyer_type %s, %s) to ZJZL %s', (pageType, applyerType, certNo, zjzl) => {
    expect(bdcCertKind(pageType, applyerType, certNo)).toBe(zjzl);
  });

  it('sends an enterprise applicant with ZJZL 6 and its credit code', () => {
    const { ywxx } = received(
      application({
        applyer_type: 2,
        applyer_name: '平江县某某农业发展有限公司',
        applyer_page_type: '001',
        applyer_page_code: '91330102MA28NBU477',
      }),
    );
    expect(ywxx.QLR).toEqual([
      { QLRMC: '平江县某某农业发展有限公司', ZJZL: '6', ZJH: '91330102MA28NBU477', DH: '13900000000' },
    ]);
  });

  it("sends follow-ups with their own HJ, BDC's SLBH, the matter from the catalogue and no QLR", () => {
    const supplement = received(
      followUp('SUPPLEMENT_SUBMITTED', {
        materials: [{ material_name: '补正的身份证明', file_url: 'https://zwfw.example/f/2.pdf' }],
      }),
    ).ywxx;
    expect(supplement).toMatchObject({
      SLBH: '202611270007',
      SBH: PROJECT_NO,
      SXBM: MATTER,
      SXMC: '国有建设用地使用权及房屋所有权首次登记',
      HJ: '补正材料提交',
      HJSJ: '20261128100000',
      CL: [{ CLMC: '补正的身份证明', CLDZ: 'https://zwfw.example/f/2.pdf' }],
    });
    expect(supplement.QLR).toBeUndefined();

    const withdrawn = received(followUp('WITHDRAWN', { reason: '申请人主动撤回' })).ywxx;
    expect(withdrawn).toMatchObject({ HJ: '撤回申请', BLYJ: '申请人主动撤回', SLBH: '202611270007' });

    const urge = received(followUp('URGE', { message: '请加快办理', deadline: '2026-12-01 17:00:00' })).ywxx;
    expect(urge).toMatchObject({ HJ: '督办', BLYJ: '请加快办理', DBQX: '20261201170000' });
  });

  it('keeps XXID the callback id on every attempt, so BDC can recognise a retry', () => {
    const a = received(application()).head;
    const b = received(application()).head;
    expect(a.XXID).toBe(b.XXID);
  });

  it("converts only the platform's time format", () => {
    expect(toBdcTime('2026-11-27 09:30:00')).toBe('20261127093000');
    expect(toBdcTime('yesterday')).toBe('yesterday');
    expect(toBdcTime(undefined)).toBe('');
  });
});

describe('BDC delivery replies', () => {
  const gbk = (s: string) => iconv.encode(s, 'gb18030');
  const result = (code: string, msg: string, id = '') =>
    gbk(`<?xml version="1.0" encoding="GBK"?>\n<RESULT><CODE>${code}</CODE><MSG>${msg}</MSG><ID>${id}</ID></RESULT>\n`);

  it('CODE 0: taken, with the new 受理编号 from <ID>', () => {
    expect(parseBdcDeliveryReply(200, 'text/xml; charset=GBK', result('0', '成功', '202611270001'))).toEqual({
      ok: true,
      departmentCaseNo: '202611270001',
      message: '受理编号 202611270001',
    });
    expect(parseBdcDeliveryReply(200, 'text/xml; charset=GBK', result('0', '成功'))).toMatchObject({
      ok: true,
      departmentCaseNo: undefined,
    });
  });

  it("a non-zero CODE is a permanent refusal with BDC's reason, read as GBK", () => {
    expect(parseBdcDeliveryReply(200, 'text/xml; charset=GBK', result('1', 'QLR[1].ZJZL(证件种类)无效: "7"'))).toEqual({
      ok: false,
      permanent: true,
      message: 'CODE 1: QLR[1].ZJZL(证件种类)无效: "7"',
    });
    // Without a charset BDC's answer is still GBK.
    expect(parseBdcDeliveryReply(200, undefined, result('2001', '𠮷不予受理')).message).toBe('CODE 2001: 𠮷不予受理');
  });

  it('reads an answer labelled UTF-8 as UTF-8', () => {
    const body = Buffer.from('<RESULT><CODE>3</CODE><MSG>拒收</MSG><ID/></RESULT>', 'utf8');
    expect(parseBdcDeliveryReply(200, 'application/xml; charset=utf-8', body)).toMatchObject({
      ok: false,
      permanent: true,
      message: 'CODE 3: 拒收',
    });
  });

  it.each([
    ['a non-2xx status', 404, gbk('Not Found')],
    ['a 2xx that is not XML', 200, gbk('<html>proxy</html')],
    ['a 2xx that is not a <RESULT>', 200, gbk('<OTHER/>')],
    ['a <RESULT> without <CODE>', 200, gbk('<RESULT><MSG>?</MSG></RESULT>')],
  ])('%s says nothing about the content: tried again later', (_what, status, body) => {
    const reply = parseBdcDeliveryReply(status, 'text/xml; charset=GBK', body);
    expect(reply).toMatchObject({ ok: false, permanent: false });
    expect(reply.message).toContain(`HTTP ${status}`);
  });

  it('never throws on garbage', () => {
    for (const body of [
      Buffer.alloc(0),
      Buffer.from([0xff, 0xfe, 0x00]),
      Buffer.from('<!DOCTYPE x [<!ENTITY a "b">]><RESULT/>'),
    ]) {
      expect(() => parseBdcDeliveryReply(200, 'text/xml', body)).not.toThrow();
      expect(parseBdcDeliveryReply(200, 'text/xml', body).ok).toBe(false);
    }
  });
});
