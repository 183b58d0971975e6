import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as iconv from 'iconv-lite';
import { validateCanonicalEvent } from '#gw/case';
import type { DepartmentEntry } from '#gw/catalogue';
import type { MappedEvent, ParseResult, RawInbound } from '../../department-adapter';
import { BdcAdapter, createAdapter } from './bdc.adapter';

const NOW = new Date('2026-11-01T00:00:00+08:00');
const EXAMPLES = join(__dirname, '..', '..', '..', '..', '..', 'config', 'examples');
const FIXTURES = join(__dirname, 'fixtures');

const BDC: DepartmentEntry = {
  code: 'BDC',
  name: '平江县不动产登记中心',
  orgCode: '12430626MB23456783',
  adapter: 'bdc',
  enabled: true,
  restricted: false,
};
const adapter = createAdapter(BDC, undefined as never) as BdcAdapter;

function raw(body: Buffer, mediaType = 'text/xml', charset: string | undefined = 'gbk'): RawInbound {
  return { department: 'BDC', mediaType, charset, headers: {}, body, receivedAt: NOW };
}

function mapped(result: ParseResult): MappedEvent {
  if (!result.ok) throw new Error(`expected a readable event, got ${result.code}: ${result.message}`);
  return result.event;
}

/** A BDC document from the departments.md shape, GBK-encoded, with some elements replaced. */
function bdcXml(ywxx: Partial<Record<string, string>> = {}, qlr?: string[]): Buffer {
  const v = {
    SLBH: '202610230001',
    SBH: '',
    SXBM: '12430626MB234567830000173001000',
    SXMC: '国有建设用地使用权及房屋所有权首次登记',
    HJ: '受理',
    HJSJ: '20261023093000',
    BLR: '张三',
    BLYJ: '材料齐全，予以受理',
    ZL: '平江县汉昌街道天岳大道88号',
    XZQH: '430626001',
    BJJG: '',
    ZSH: '',
    ...ywxx,
  };
  const owners = qlr ?? [
    '<QLR><QLRMC>李四</QLRMC><ZJZL>1</ZJZL><ZJH>430626198503120040</ZJH><DH>13800000000</DH></QLR>',
  ];
  const elements = Object.entries(v)
    .filter(([, value]) => value !== undefined)
    .map(([k, value]) => `<${k}>${value}</${k}>`)
    .join('');
  const xml = `<?xml version="1.0" encoding="GBK"?><BDCSJ><HEAD><XXID>BDC20261023000123</XXID><FSSJ>20261023093015</FSSJ></HEAD><YWXX>${elements}${owners.join('')}</YWXX></BDCSJ>`;
  return iconv.encode(xml, 'gb18030');
}

describe('BDC adapter (GBK XML)', () => {
  it('maps the departments.md example to the canonical event, which validates', () => {
    const body = readFileSync(join(EXAMPLES, 'bdc-event.xml'));
    const m = mapped(adapter.parseEvent(raw(body)));
    expect(m.sourceEventId).toBe('BDC20261023000123');
    expect(m.issues).toEqual([]);
    expect(m.event).toEqual({
      department: 'BDC',
      sourceEventId: 'BDC20261023000123',
      sourceCaseNo: '202610230001',
      matterCode: '12430626MB234567830000173001000',
      matterName: '国有建设用地使用权及房屋所有权首次登记',
      stage: 'ACCEPTED',
      stageName: '受理',
      stageTime: '2026-10-23T09:30:00+08:00',
      handler: { name: '张三' },
      opinion: '材料齐全，予以受理',
      applicants: [
        { kind: 'PERSON', name: '李四', certType: '111', certNo: '430626198503120040', phone: '13800000000' },
      ],
      address: '平江县汉昌街道天岳大道88号',
      location: '430626001',
      applyChannel: 'WINDOW',
    });
    const v = validateCanonicalEvent(m.event, NOW);
    expect(v.errors).toEqual([]);
    expect(v.warnings).toEqual([]);
  });

  it('accepts application/xml without a charset, reading the XML declaration (GBK)', () => {
    const body = readFileSync(join(EXAMPLES, 'bdc-event.xml'));
    expect(adapter.eventMediaTypes).toEqual(['text/xml', 'application/xml']);
    const m = mapped(adapter.parseEvent(raw(body, 'application/xml', undefined)));
    expect(m.event.matterName).toBe('国有建设用地使用权及房屋所有权首次登记');
  });

  it('maps repeated QLR co-owners, keeping rare characters outside GBK intact (GB18030)', () => {
    const m = mapped(adapter.parseEvent(raw(readFileSync(join(FIXTURES, 'bdc-coowners.xml')))));
    expect(m.event.stage).toBe('SUBMITTED');
    expect(m.event.applyChannel).toBe('ONLINE');
    expect(m.event.platformProjectNo).toBe('12430626MB234567830000173002000202610230007');
    expect(m.event.applicants).toEqual([
      { kind: 'PERSON', name: '李四', certType: '111', certNo: '430626198503120040', phone: '13800000000' },
      { kind: 'PERSON', name: '䶮𠮷', certType: '414', certNo: 'E12345678', phone: '13900000000' },
      {
        kind: 'ENTERPRISE',
        name: '平江县某某农业发展有限公司',
        certType: 'USCC',
        certNo: '91330102MA28NBU477',
        phone: '0730-6223456',
      },
    ]);
    expect(m.event.opinion).toBeUndefined();
    expect(validateCanonicalEvent(m.event, NOW).errors).toEqual([]);
  });

  it('round-trips the co-owner 䶮𠮷 through a GBK-labelled request and reply', () => {
    const name = '䶮𠮷';
    expect(iconv.encode(name, 'gbk').toString('hex')).not.toBe(iconv.encode(name, 'gb18030').toString('hex'));
    const body = bdcXml({}, [`<QLR><QLRMC>${name}</QLRMC><ZJZL>1</ZJZL><ZJH>430626198503120040</ZJH></QLR>`]);
    const m = mapped(adapter.parseEvent(raw(body)));
    expect(m.event.applicants![0].name).toBe(name);
    expect(Array.from(m.event.applicants![0].name)).toHaveLength(2);

    const reply = adapter.formatReply({
      httpStatus: 422,
      code: 'VALIDATION_FAILED',
      message: `权利人 ${name} 的证件号码有误`,
    });
    const text = iconv.decode(reply.body as Buffer, 'gb18030');
    expect(text).toContain(`权利人 ${name} 的证件号码有误`);
    expect(new TextDecoder('gb18030', { fatal: true }).decode(reply.body as Buffer)).toBe(text);
  });

  it.each([
    ['收件', 'SUBMITTED'],
    ['受理', 'ACCEPTED'],
    ['审核', 'REVIEWED'],
    ['登簿', 'APPROVED'],
    ['缴费', 'UNDERTAKEN'],
    ['缮证', 'UNDERTAKEN'],
    ['不予受理', 'NOT_ACCEPTED'],
    ['补正告知', 'SUPPLEMENT_REQUESTED'],
    ['补正受理', 'SUPPLEMENT_RECEIVED'],
    ['领证', 'DELIVERED'],
  ])('maps the stage %s to %s, keeping the department name as stageName', (hj, stage) => {
    const m = mapped(adapter.parseEvent(raw(bdcXml({ HJ: hj }))));
    expect(m.event.stage).toBe(stage);
    expect(m.event.stageName).toBe(hj);
    expect(m.event.result).toBeUndefined();
    expect(m.issues).toEqual([]);
    expect(validateCanonicalEvent(m.event, NOW).errors).toEqual([]);
  });

  it('maps 发证 to COMPLETED 准予 with the certificate number', () => {
    const m = mapped(adapter.parseEvent(raw(readFileSync(join(FIXTURES, 'bdc-fazheng.xml')))));
    expect(m.event.stage).toBe('COMPLETED');
    expect(m.event.stageName).toBe('发证');
    expect(m.event.stageTime).toBe('2026-10-30T10:15:00+08:00');
    expect(m.event.result).toEqual({
      type: 0,
      certificateName: '不动产权证书',
      certificateNo: '湘(2026)平江县不动产权第0001234号',
    });
    expect(validateCanonicalEvent(m.event, NOW).errors).toEqual([]);
  });

  it('maps 发证 with <LZ>1</LZ> (the certificate was collected) to DELIVERED', () => {
    const m = mapped(adapter.parseEvent(raw(readFileSync(join(FIXTURES, 'bdc-lingzheng.xml')))));
    expect(m.event.stage).toBe('DELIVERED');
    expect(m.event.result).toBeUndefined();
    expect(validateCanonicalEvent(m.event, NOW).errors).toEqual([]);
  });

  it('maps 退件 to COMPLETED with result 5 and the reason from BLYJ', () => {
    const m = mapped(adapter.parseEvent(raw(readFileSync(join(FIXTURES, 'bdc-tuijian.xml')))));
    expect(m.event.stage).toBe('COMPLETED');
    expect(m.event.result).toEqual({ type: 5, explain: '逾期未补正，予以退件' });
    expect(validateCanonicalEvent(m.event, NOW).errors).toEqual([]);
  });

  it('maps 登簿 with BJJG 不予 to a refusal (COMPLETED, result 1) and with 准予 to APPROVED', () => {
    const refused = mapped(adapter.parseEvent(raw(bdcXml({ HJ: '登簿', BJJG: '不予', BLYJ: '权属来源材料不实' }))));
    expect(refused.event.stage).toBe('COMPLETED');
    expect(refused.event.result).toEqual({ type: 1, explain: '权属来源材料不实' });
    expect(validateCanonicalEvent(refused.event, NOW).errors).toEqual([]);
    const granted = mapped(adapter.parseEvent(raw(bdcXml({ HJ: '登簿', BJJG: '准予' }))));
    expect(granted.event.stage).toBe('APPROVED');
  });

  it('reports unknown stages, certificate kinds, results and impossible times on canonical paths', () => {
    const m = mapped(
      adapter.parseEvent(
        raw(
          bdcXml({ HJ: '归档', HJSJ: '20260230093000', BJJG: '同意' }, [
            '<QLR><QLRMC>李四</QLRMC><ZJZL>7</ZJZL><ZJH>x</ZJH></QLR>',
          ]),
        ),
      ),
    );
    expect(m.issues.map((i) => [i.field, i.code])).toEqual([
      ['result.type', 'VALUE_NOT_ALLOWED'],
      ['stage', 'STATUS_UNKNOWN'],
      ['stageTime', 'DATE_INVALID'],
      ['applicants[0].certType', 'VALUE_NOT_ALLOWED'],
    ]);
    expect(m.event.stage).toBeUndefined();
    expect(m.event.stageTime).toBe('20260230093000');
    expect(validateCanonicalEvent(m.event, NOW).errors.map((e) => e.field)).toEqual(
      expect.arrayContaining(['stage', 'stageTime', 'applicants[0].certType']),
    );
  });

  it('reports a 发证 that says 不予 instead of inventing a result', () => {
    const m = mapped(adapter.parseEvent(raw(bdcXml({ HJ: '发证', BJJG: '不予' }))));
    expect(m.issues).toEqual([expect.objectContaining({ field: 'result.type', code: 'VALUE_NOT_ALLOWED' })]);
    expect(m.event.result).toBeUndefined();
  });

  it('reports an element sent twice, or holding elements, on its canonical field', () => {
    const m = mapped(adapter.parseEvent(raw(bdcXml({ SLBH: '1</SLBH><SLBH>2', BLR: '<X>张三</X>' }))));
    expect(m.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'sourceCaseNo', code: 'VALUE_NOT_TEXT' }),
        expect.objectContaining({ field: 'handler.name', code: 'VALUE_NOT_TEXT' }),
      ]),
    );
  });

  it('decodes the XML entities and CDATA in values', () => {
    const m = mapped(
      adapter.parseEvent(raw(bdcXml({ BLYJ: '甲&amp;乙 &lt;同意&gt;', ZL: '<![CDATA[天岳大道88号<A栋>]]>' }))),
    );
    expect(m.event.opinion).toBe('甲&乙 <同意>');
    expect(m.event.address).toBe('天岳大道88号<A栋>');
  });

  describe('unreadable payloads', () => {
    it('refuses truncated XML as PAYLOAD_NOT_XML', () => {
      const body = readFileSync(join(EXAMPLES, 'bdc-event.xml'));
      for (let cut = 2; cut < body.length; cut += 7) {
        expect(adapter.parseEvent(raw(body.subarray(0, body.length - cut)))).toMatchObject({
          ok: false,
          code: 'PAYLOAD_NOT_XML',
        });
      }
    });

    it('refuses a DOCTYPE (XXE, entity expansion) before parsing', () => {
      const xxe =
        '<?xml version="1.0"?><!DOCTYPE BDCSJ [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><BDCSJ><YWXX><BLYJ>&xxe;</BLYJ></YWXX></BDCSJ>';
      expect(adapter.parseEvent(raw(Buffer.from(xxe)))).toMatchObject({ ok: false, code: 'PAYLOAD_XML_DTD' });
      const lol =
        '<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><BDCSJ><YWXX><BLYJ>&b;</BLYJ></YWXX></BDCSJ>';
      expect(adapter.parseEvent(raw(Buffer.from(lol)))).toMatchObject({ ok: false, code: 'PAYLOAD_XML_DTD' });
    });

    it('refuses bytes that are not GBK as PAYLOAD_ENCODING', () => {
      const body = Buffer.concat([
        Buffer.from('<?xml version="1.0" encoding="GBK"?><BDCSJ><YWXX><ZL>'),
        Buffer.from([0x81, 0x20, 0xff]),
        Buffer.from('</ZL></YWXX></BDCSJ>'),
      ]);
      expect(adapter.parseEvent(raw(body))).toMatchObject({ ok: false, code: 'PAYLOAD_ENCODING' });
    });

    it('refuses a charset BDC cannot send', () => {
      expect(adapter.parseEvent(raw(readFileSync(join(EXAMPLES, 'bdc-event.xml')), 'text/xml', 'big5'))).toMatchObject({
        ok: false,
        code: 'PAYLOAD_ENCODING',
      });
    });

    it('refuses a well-formed document that is not <BDCSJ><YWXX>', () => {
      expect(adapter.parseEvent(raw(Buffer.from('<RESULT><CODE>0</CODE></RESULT>')))).toMatchObject({
        ok: false,
        code: 'PAYLOAD_NOT_BDCSJ',
      });
      expect(adapter.parseEvent(raw(Buffer.from('<BDCSJ>文本</BDCSJ>', 'utf8'), 'text/xml', 'utf-8'))).toMatchObject({
        ok: false,
        code: 'PAYLOAD_NOT_BDCSJ',
      });
    });

    it('refuses an empty body and plain text', () => {
      expect(adapter.parseEvent(raw(Buffer.alloc(0)))).toMatchObject({ ok: false });
      expect(adapter.parseEvent(raw(Buffer.from('hello')))).toMatchObject({ ok: false, code: 'PAYLOAD_NOT_XML' });
    });
  });

  describe('field names in answers', () => {
    it.each([
      ['sourceEventId', 'BDCSJ/HEAD/XXID'],
      ['sourceCaseNo', 'BDCSJ/YWXX/SLBH'],
      ['stage', 'BDCSJ/YWXX/HJ'],
      ['stageTime', 'BDCSJ/YWXX/HJSJ'],
      ['applicants', 'BDCSJ/YWXX/QLR'],
      ['applicants[0]', 'BDCSJ/YWXX/QLR[1]'],
      ['applicants[1].certNo', 'BDCSJ/YWXX/QLR[2]/ZJH'],
      ['applicants[2].name', 'BDCSJ/YWXX/QLR[3]/QLRMC'],
      ['result.certificateNo', 'BDCSJ/YWXX/ZSH'],
      ['location', 'BDCSJ/YWXX/XZQH'],
      ['constructor', 'constructor'],
    ])('%s is %s', (canonical, own) => {
      expect(adapter.sourceField(canonical)).toBe(own);
    });
  });

  describe('replies', () => {
    it('answers success as GBK <RESULT> with CODE 0 and the gateway event id', () => {
      const reply = adapter.formatReply({
        httpStatus: 202,
        code: 'ACCEPTED',
        message: 'accepted',
        eventId: 'evt-1',
        caseId: 'case-1',
      });
      expect(reply.status).toBe(202);
      expect(reply.contentType).toBe('text/xml; charset=GBK');
      expect(iconv.decode(reply.body as Buffer, 'gbk')).toBe(
        '<?xml version="1.0" encoding="GBK"?><RESULT><CODE>0</CODE><MSG>成功</MSG><ID>evt-1</ID></RESULT>',
      );
    });

    it('answers a duplicate (200) as success with the first event id', () => {
      const reply = adapter.formatReply({ httpStatus: 200, code: 'DUPLICATE', message: 'duplicate', eventId: 'evt-1' });
      expect(reply.status).toBe(200);
      expect(iconv.decode(reply.body as Buffer, 'gbk')).toContain('<CODE>0</CODE><MSG>成功</MSG><ID>evt-1</ID>');
    });

    it('answers a failure with a non-zero CODE, the reason and the failing BDC fields, keeping the HTTP status', () => {
      const reply = adapter.formatReply({
        httpStatus: 422,
        code: 'VALIDATION_FAILED',
        message: '校验失败',
        errors: [{ field: 'BDCSJ/YWXX/QLR[1]/ZJH', code: 'ID_CHECK_DIGIT', message: '证件号码校验位错误 <&>' }],
      });
      expect(reply.status).toBe(422);
      const text = iconv.decode(reply.body as Buffer, 'gbk');
      expect(text).toMatch(/<CODE>422<\/CODE>/);
      expect(text).toContain(
        '<MSG>VALIDATION_FAILED 校验失败；BDCSJ/YWXX/QLR[1]/ZJH: 证件号码校验位错误 &lt;&amp;&gt;</MSG>',
      );
      expect(text).toContain('<ID></ID>');
    });
  });
});
