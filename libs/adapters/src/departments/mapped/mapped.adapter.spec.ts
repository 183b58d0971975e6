import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as iconv from 'iconv-lite';
import { validateCanonicalEvent } from '#gw/case';
import { Catalogue, type DepartmentEntry } from '#gw/catalogue';
import type { MappedEvent, ParseResult, RawInbound } from '../../department-adapter';
import { MappedAdapter, createAdapter, parseTime } from './mapped.adapter';
import { compileMapping } from './mapping-schema';

const NOW = new Date('2026-11-10T00:00:00+08:00');
const ROOT = join(__dirname, '..', '..', '..', '..', '..');
const FIXTURES = join(__dirname, 'fixtures');
const catalogue = Catalogue.fromFile(join(ROOT, 'config', 'catalogue.yaml'));
const MZJ = catalogue.department('MZJ')!;
const mzj = createAdapter(MZJ, catalogue) as MappedAdapter;

function raw(body: Buffer | string | object, charset?: string, department = 'MZJ'): RawInbound {
  const bytes = Buffer.isBuffer(body)
    ? body
    : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  return { department, mediaType: 'application/json', charset, headers: {}, body: bytes, receivedAt: NOW };
}

function mapped(result: ParseResult): MappedEvent {
  if (!result.ok) throw new Error(`expected a readable event, got ${result.code}: ${result.message}`);
  return result.event;
}

const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
const example = () => JSON.parse(readFileSync(join(ROOT, 'config', 'examples', 'mzj-event.json'), 'utf8'));

/** Options without the keys a test set to undefined (to drop them from a spread). */
const clean = (o: unknown): any =>
  o && typeof o === 'object' && !Array.isArray(o)
    ? Object.fromEntries(
        Object.entries(o)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, clean(v)]),
      )
    : o;

/** A department connected by a mapping written in the test. */
function department(options: Record<string, unknown>, code = 'XYZ'): MappedAdapter {
  const entry: DepartmentEntry = {
    code,
    name: '测试局',
    orgCode: '11430626MB6789012A',
    adapter: 'mapped',
    enabled: true,
    restricted: false,
    options: clean(options),
  };
  return createAdapter(entry, catalogue) as MappedAdapter;
}
const MINIMAL = {
  fields: {
    sourceEventId: 'id',
    sourceCaseNo: 'case',
    matterCode: 'matter',
    matterName: 'name',
    stage: 'stage',
    stageTime: 'time',
    'applicants[0].name': 'who',
    'applicants[0].certNo': 'idNo',
  },
  constants: { 'applicants[0].certType': '111' },
};
const MINIMAL_BODY = {
  id: 'm1',
  case: 'c1',
  matter: '11430626MB6789012A0000160011000',
  name: '临时救助',
  stage: 'ACCEPTED',
  time: '2026-10-23T09:30:00+08:00',
  who: '周八',
  idNo: '430626199001010022',
};

describe('mapped adapter: MZJ 平江县民政局, connected by configuration alone', () => {
  it('maps the example payload to the canonical event, which validates', () => {
    const m = mapped(mzj.parseEvent(raw(example())));
    expect(m.sourceEventId).toBe('MZJ20261023000045');
    expect(m.issues).toEqual([]);
    expect(m.event).toEqual({
      department: 'MZJ',
      sourceEventId: 'MZJ20261023000045',
      sourceCaseNo: 'PJMZ-2026-0045',
      matterCode: '11430626MB6789012A0000160010000',
      matterName: '最低生活保障金给付',
      stage: 'ACCEPTED',
      stageName: '受理',
      stageTime: '2026-10-23T09:30:00+08:00',
      handler: { name: '吴九', unit: '社会救助股' },
      opinion: '材料齐全，予以受理',
      applicants: [
        { kind: 'PERSON', name: '周八', certType: '111', certNo: '430626199001010022', phone: '13900000000' },
      ],
      location: '430626101',
      applyChannel: 'WINDOW',
    });
    const v = validateCanonicalEvent(m.event, NOW);
    expect(v.errors).toEqual([]);
    expect(v.warnings).toEqual([]);
  });

  it('maps a completed 结婚登记 with both parties and the certificate', () => {
    const m = mapped(mzj.parseEvent(raw(fixture('mzj-jiehun-completed.json'))));
    expect(m.issues).toEqual([]);
    expect(m.event).toMatchObject({
      stage: 'COMPLETED',
      stageName: '办结',
      applyChannel: 'ONLINE',
      location: '430626',
      applicants: [
        { kind: 'PERSON', name: '陈十二', certType: '111', certNo: '430626199208150030', phone: '13800000000' },
        { kind: 'PERSON', name: '林十三', certType: '516', certNo: 'H12345678', phone: '13900000000' },
      ],
      result: {
        type: 0,
        explain: '符合结婚条件，准予登记',
        certificateName: '结婚证',
        certificateNo: 'J430626-2026-000061',
      },
    });
    expect(validateCanonicalEvent(m.event, NOW).errors).toEqual([]);
  });

  it('maps a refusal (bjjg 2) to result 1 with the reason', () => {
    const m = mapped(mzj.parseEvent(raw(fixture('mzj-dibao-denied.json'))));
    expect(m.event.result).toEqual({ type: 1, explain: '家庭人均收入高于当地低保标准，不予给付' });
    expect(validateCanonicalEvent(m.event, NOW).errors).toEqual([]);
  });

  it('a special procedure from the stage table names its kind, which the platform receives as special_type', () => {
    const xyz = department({
      ...MINIMAL,
      fields: { ...MINIMAL.fields, 'special.reason': 'why' },
      stages: { A: 'ACCEPTED', T1: { stage: 'SPECIAL_STARTED', name: '听证' }, T2: { stage: 'SPECIAL_ENDED', name: '听证结束' }, X: { stage: 'SPECIAL_STARTED', name: '会商' } },
    });
    const started = mapped(xyz.parseEvent(raw({ ...MINIMAL_BODY, stage: 'T1', why: '利害关系人申请听证' }, undefined, 'XYZ')));
    expect(started.event).toMatchObject({ stage: 'SPECIAL_STARTED', stageName: '听证', special: { name: '听证', reason: '利害关系人申请听证' } });
    expect(validateCanonicalEvent(started.event, NOW).errors).toEqual([]);
    const ended = mapped(xyz.parseEvent(raw({ ...MINIMAL_BODY, stage: 'T2' }, undefined, 'XYZ')));
    expect(ended.event).toMatchObject({ stage: 'SPECIAL_ENDED', special: { name: '听证结束' } });
    expect(validateCanonicalEvent(ended.event, NOW).errors).toEqual([]);
    // A procedure of no known kind is refused with a clear code (quarantined), not reported as a guess.
    const unknown = mapped(xyz.parseEvent(raw({ ...MINIMAL_BODY, stage: 'X' }, undefined, 'XYZ')));
    expect(validateCanonicalEvent(unknown.event, NOW).errors.map((e) => e.code)).toEqual(['SPECIAL_KIND_UNKNOWN']);
  });

  it('takes a result implied by the stage table (终止 → COMPLETED, result 5)', () => {
    const m = mapped(mzj.parseEvent(raw(fixture('mzj-terminated.json'))));
    expect(m.event).toMatchObject({
      stage: 'COMPLETED',
      stageName: '终止',
      result: { type: 5, explain: '申请人主动撤回申请' },
    });
    expect(validateCanonicalEvent(m.event, NOW).errors).toEqual([]);
  });

  it('reports values outside the tables, impossible times and non-text values, by canonical path', () => {
    const m = mapped(mzj.parseEvent(raw(fixture('mzj-bad-values.json'))));
    expect(m.issues.map((i) => [i.field, i.code])).toEqual([
      ['stage', 'STATUS_UNKNOWN'],
      ['stageTime', 'DATE_INVALID'],
      ['applicants[0].name', 'VALUE_NOT_TEXT'],
      ['applicants[0].certType', 'VALUE_NOT_ALLOWED'],
      ['result.type', 'VALUE_NOT_ALLOWED'],
    ]);
    expect(m.issues[0].message).toContain('zt "07x"');
    expect(m.issues.map((i) => mzj.sourceField(i.field))).toEqual(['zt', 'ztsj', 'sqr.xm', 'sqr.zjlx', 'bjjg']);
  });

  it('does not invent the other party from constants when the payload has none', () => {
    const m = mapped(mzj.parseEvent(raw({ ...example(), po: { xm: null } })));
    expect(m.event.applicants).toHaveLength(1);
  });

  it('takes the matter name from the catalogue when the payload leaves it out', () => {
    const { sxmc: _omitted, ...body } = example();
    expect(mapped(mzj.parseEvent(raw(body))).event.matterName).toBe('最低生活保障金给付');
  });

  it('leaves the judgement of identifiers to the canonical validator', () => {
    const body = example();
    body.sqr.sfzh = '430626199001010023';
    const m = mapped(mzj.parseEvent(raw(body)));
    expect(m.issues).toEqual([]);
    expect(validateCanonicalEvent(m.event, NOW).errors).toEqual([
      expect.objectContaining({ field: 'applicants[0].certNo', code: 'ID_CHECK_DIGIT' }),
    ]);
  });

  it.each([
    ['sourceEventId', 'lsh'],
    ['stage', 'zt'],
    ['stageName', 'zt'],
    ['stageTime', 'ztsj'],
    ['applicants[0].certNo', 'sqr.sfzh'],
    ['applicants[1].name', 'po.xm'],
    ['applicants[0]', 'sqr'],
    ['applicants[1]', 'po'],
    ['applicants', 'sqr.xm'],
    ['handler', 'jbr'],
    ['result', 'bjjg'],
    ['result.certificateNo', 'zsbh'],
    ['applicants[0].kind', 'applicants[0].kind'],
    ['agent.name', 'agent.name'],
  ])('answers %s with its own path %s', (canonical, own) => {
    expect(mzj.sourceField(canonical)).toBe(own);
  });

  describe('replies from the templates', () => {
    it('answers success with the okBody, placeholders filled', () => {
      const reply = mzj.formatReply({
        httpStatus: 202,
        code: 'ACCEPTED',
        message: 'accepted',
        eventId: 'evt-9',
        caseId: 'case-3',
        status: 'ACCEPTED',
      });
      expect(reply.status).toBe(202);
      expect(reply.contentType).toBe('application/json; charset=utf-8');
      expect(JSON.parse(reply.body as string)).toEqual({
        code: '0000',
        msg: '成功',
        data: { gwid: 'evt-9', bjid: 'case-3', zt: 'ACCEPTED' },
      });
    });

    it('answers failure with the errorBody, the failing fields as a list, keeping the HTTP status', () => {
      const errors = [{ field: 'sqr.sfzh', code: 'ID_CHECK_DIGIT', message: 'ID number check digit is wrong' }];
      const reply = mzj.formatReply({ httpStatus: 422, code: 'VALIDATION_FAILED', message: '校验失败 "x"', errors });
      expect(reply.status).toBe(422);
      expect(JSON.parse(reply.body as string)).toEqual({ code: 'VALIDATION_FAILED', msg: '校验失败 "x"', errors });
    });

    it('answers with the gateway JSON when reply is json (the default)', () => {
      const plain = department(MINIMAL);
      const reply = plain.formatReply({
        httpStatus: 200,
        code: 'DUPLICATE',
        message: 'dup',
        eventId: 'e',
        caseId: 'c',
        status: 'ACCEPTED',
      });
      expect(JSON.parse(reply.body as string)).toEqual({ eventId: 'e', caseId: 'c', status: 'ACCEPTED' });
    });

    it('answers text when the template is a string', () => {
      const text = department({ ...MINIMAL, reply: { okBody: 'OK ${eventId}', errorBody: 'ERR ${code}: ${message}' } });
      expect(text.formatReply({ httpStatus: 202, code: 'ACCEPTED', message: '', eventId: 'e1' })).toEqual({
        status: 202,
        contentType: 'text/plain; charset=utf-8',
        body: 'OK e1',
      });
      expect(text.formatReply({ httpStatus: 400, code: 'PAYLOAD_NOT_JSON', message: 'bad' }).body).toBe(
        'ERR PAYLOAD_NOT_JSON: bad',
      );
    });
  });

  describe('unreadable payloads', () => {
    it.each([
      ['not JSON', raw('{"lsh": '), 'PAYLOAD_NOT_JSON'],
      ['a list', raw([example()]), 'PAYLOAD_NOT_OBJECT'],
      ['null', raw('null'), 'PAYLOAD_NOT_OBJECT'],
      ['not UTF-8', raw(Buffer.from([0x7b, 0xff, 0x7d])), 'PAYLOAD_ENCODING'],
    ])('refuses %s', (_what, request, code) => {
      expect(mzj.parseEvent(request)).toMatchObject({ ok: false, code });
    });
  });
});

describe('mapped adapter: what a mapping can say', () => {
  it('maps one applicant per element of a payload list with [*]', () => {
    const list = department({
      fields: {
        ...MINIMAL.fields,
        'applicants[0].name': undefined,
        'applicants[0].certNo': undefined,
        'applicants[*].name': 'owners[*].name',
        'applicants[*].certType': 'owners[*].type',
        'applicants[*].certNo': 'owners[*].no',
      },
      constants: {},
      certTypes: { ID: '111', ORG: { certType: 'USCC', kind: 'ENTERPRISE' } },
    } as never);
    const body = {
      ...MINIMAL_BODY,
      owners: [
        { name: '周八', type: 'ID', no: '430626199001010022' },
        { name: '某某公司', type: 'ORG', no: '91330102MA28NBU477' },
      ],
    };
    const m = mapped(list.parseEvent(raw(body, undefined, 'XYZ')));
    expect(m.event.applicants).toEqual([
      { kind: 'PERSON', name: '周八', certType: '111', certNo: '430626199001010022' },
      { kind: 'ENTERPRISE', name: '某某公司', certType: 'USCC', certNo: '91330102MA28NBU477' },
    ]);
    expect(list.sourceField('applicants[1].certNo')).toBe('owners[1].no');
    expect(list.sourceField('applicants[1]')).toBe('owners[1]');
    const notList = mapped(list.parseEvent(raw({ ...body, owners: { name: 'x' } }, undefined, 'XYZ')));
    expect(notList.issues).toEqual([expect.objectContaining({ field: 'applicants', code: 'VALUE_NOT_LIST' })]);
  });

  it('reads nested list indexes and numbers', () => {
    const m = mapped(
      department({
        ...MINIMAL,
        fields: { ...MINIMAL.fields, 'applicants[0].name': 'data.people[1].name', sourceSeq: 'seq' },
      }).parseEvent(
        raw({ ...MINIMAL_BODY, seq: 7, data: { people: [{ name: 'x' }, { name: '周八' }] } }, undefined, 'XYZ'),
      ),
    );
    expect(m.event.applicants![0].name).toBe('周八');
    expect(m.event.sourceSeq).toBe(7);
  });

  it('passes canonical stages, certificate types and result digits through when no table is given', () => {
    const plain = department({
      ...MINIMAL,
      fields: { ...MINIMAL.fields, 'result.type': 'r', 'result.explain': 'why' },
    });
    const m = mapped(
      plain.parseEvent(raw({ ...MINIMAL_BODY, stage: 'COMPLETED', r: '1', why: '不符合条件' }, undefined, 'XYZ')),
    );
    expect(m.event).toMatchObject({ stage: 'COMPLETED', result: { type: 1, explain: '不符合条件' } });
    expect(m.event.stageName).toBeUndefined();
    expect(validateCanonicalEvent(m.event, NOW).errors).toEqual([]);
    const bad = mapped(plain.parseEvent(raw({ ...MINIMAL_BODY, stage: 'DONE', r: 7 }, undefined, 'XYZ')));
    expect(bad.issues.map((i) => [i.field, i.code])).toEqual([
      ['stage', 'STATUS_UNKNOWN'],
      ['result.type', 'VALUE_NOT_ALLOWED'],
    ]);
  });

  it.each([
    ['iso', '2026-10-23T09:30:00+08:00', '2026-10-23T09:30:00+08:00'],
    ['iso', '2026-10-23T01:30:00Z', '2026-10-23T01:30:00Z'],
    ['yyyy-MM-dd HH:mm:ss', '2026-10-23 09:30:00', '2026-10-23T09:30:00+08:00'],
    ['yyyyMMddHHmmss', '20261023093000', '2026-10-23T09:30:00+08:00'],
    ['yyyyMMddHHmmss', 20261023093000, '2026-10-23T09:30:00+08:00'],
    ['yyyy/M/d H:mm', '2026/10/3 9:05', '2026-10-03T09:05:00+08:00'],
    ['epoch-ms', 1792719000000, '2026-10-23T09:30:00+08:00'],
    ['epoch-ms', '1792719000123', '2026-10-23T09:30:00.123+08:00'],
  ])('reads stage times as %s (%s)', (dateFormat, value, iso) => {
    const m = mapped(
      department({ ...MINIMAL, dateFormat }).parseEvent(raw({ ...MINIMAL_BODY, time: value }, undefined, 'XYZ')),
    );
    expect(m.issues).toEqual([]);
    expect(m.event.stageTime).toBe(iso);
  });

  it.each([
    ['iso', '2026-10-23 09:30:00'],
    ['yyyy-MM-dd HH:mm:ss', '2026-02-29 09:30:00'],
    ['yyyyMMddHHmmss', '20261023250000'],
    ['yyyy/M/d H:mm', '2026/10/32 9:05'],
    ['epoch-ms', '-5'],
    ['epoch-ms', '99999999999999999999'],
  ])('refuses impossible %s times (%s)', (dateFormat, value) => {
    expect(parseTime(dateFormat as never, value)).toBeUndefined();
  });

  it('reads a GBK body when configured so, and takes its own media types', () => {
    const gbk = department({ ...MINIMAL, charset: 'gbk', mediaTypes: ['application/json', 'text/plain'] });
    expect(gbk.eventMediaTypes).toEqual(['application/json', 'text/plain']);
    const m = mapped(gbk.parseEvent(raw(iconv.encode(JSON.stringify(MINIMAL_BODY), 'gbk'), undefined, 'XYZ')));
    expect(m.event.applicants![0].name).toBe('周八');
  });

  it('never reads inherited properties of the payload', () => {
    const m = mapped(
      department({ ...MINIMAL, fields: { ...MINIMAL.fields, matterName: 'toString' } }, 'MZJ').parseEvent(
        raw({ ...MINIMAL_BODY }),
      ),
    );
    expect(m.event.matterName).toBe('临时救助'); // from the catalogue, not Object.prototype.toString
  });
});

describe('mapped adapter: a bad mapping names its field', () => {
  it.each([
    ['not a mapping', 'nonsense', /^options: the mapped adapter needs its mapping/],
    ['no fields', { stages: { a: 'SUBMITTED' } }, /options\.fields: is required/],
    [
      'a [*] on one side only',
      { ...MINIMAL, fields: { ...MINIMAL.fields, 'applicants[0].phone': 'list[*].tel' } },
      /options\.fields\.applicants\[0\]\.phone: \[\*\] in the payload path needs \[\*\]/,
    ],
    [
      'a [*] without a payload list',
      { ...MINIMAL, fields: { ...MINIMAL.fields, 'applicants[*].phone': 'tel' } },
      /options\.fields\.applicants\[\*\]\.phone: .*exactly one \[\*\]/,
    ],
    [
      'fixed and listed applicants mixed',
      { ...MINIMAL, fields: { ...MINIMAL.fields, 'applicants[*].phone': 'l[*].tel' } },
      /options\.fields\.applicants\[0\]\.name: applicants\[\*\] and fixed applicants\[n\] cannot be mixed/,
    ],
    [
      'a prototype path',
      { ...MINIMAL, fields: { ...MINIMAL.fields, opinion: 'a.__proto__.b' } },
      /options\.fields\.opinion: "__proto__" may not be used/,
    ],
    [
      'too many applicants',
      { ...MINIMAL, fields: { ...MINIMAL.fields, 'applicants[50].name': 'x' } },
      /options\.fields\.applicants\[50\]\.name: applicants holds at most 50/,
    ],
    [
      'an unknown party field',
      { ...MINIMAL, fields: { ...MINIMAL.fields, 'agent.idNo': 'x' } },
      /options\.fields\.agent\.idNo: "idNo" is not a field of agent/,
    ],
    [
      'a constant stage that is not canonical',
      { ...MINIMAL, fields: { ...MINIMAL.fields, stage: undefined }, constants: { stage: 'OPEN' } },
      /options\.constants\.stage: "OPEN" is not a canonical stage/,
    ],
    [
      'a constant kind that is not canonical',
      { ...MINIMAL, constants: { 'applicants[0].kind': 'HUMAN' } },
      /options\.constants\.applicants\[0\]\.kind: "HUMAN" is not a kind of party/,
    ],
    [
      'a constant stage time',
      { ...MINIMAL, constants: { ...MINIMAL.constants, stageTime: 'x' } },
      /options\.constants\.stageTime: is also mapped/,
    ],
    [
      'no stage at all',
      { ...MINIMAL, fields: { ...MINIMAL.fields, stage: undefined } },
      /options\.fields\.stage: required \(or a constant/,
    ],
    [
      'no applicant name',
      { ...MINIMAL, fields: { ...MINIMAL.fields, 'applicants[0].name': undefined } },
      /options\.fields\.applicants\[0\]\.name: required/,
    ],
    ['an empty stage table', { ...MINIMAL, stages: {} }, /options\.stages: must be a non-empty mapping/],
    [
      'a stage entry with an unknown setting',
      { ...MINIMAL, stages: { '1': { stage: 'ACCEPTED', label: '受理' } } },
      /options\.stages\.1\.label: unknown setting/,
    ],
    [
      'a stage entry with a bad result type',
      { ...MINIMAL, stages: { '1': { stage: 'COMPLETED', resultType: 8 } } },
      /options\.stages\.1\.resultType: "8" is not a result type/,
    ],
    [
      'a certificate kind that is not canonical',
      { ...MINIMAL, certTypes: { '6': { certType: 'USCC', kind: 'COMPANY' } } },
      /options\.certTypes\.6\.kind: "COMPANY" is not a kind of party/,
    ],
    [
      'a media type with parameters',
      { ...MINIMAL, mediaTypes: ['application/json; charset=utf-8'] },
      /options\.mediaTypes\[0\]: /,
    ],
    ['an unknown charset', { ...MINIMAL, charset: 'big5' }, /options\.charset: "big5" is not one of/],
    [
      '${errors} inside a text',
      { ...MINIMAL, reply: { okBody: {}, errorBody: { msg: 'failed: ${errors}' } } },
      /options\.reply\.errorBody\.msg: \$\{errors\} must be the whole value/,
    ],
    ['a reply without errorBody', { ...MINIMAL, reply: { okBody: {} } }, /options\.reply\.errorBody: is required/],
  ])('%s', (_what, options, message) => {
    expect(() => compileMapping(clean(options))).toThrow(message);
  });

  it('reports every problem at once', () => {
    let message = '';
    try {
      compileMapping({ ...MINIMAL, dateFormat: 'dd.MM.yyyy', stages: { '9': 'FINISHED' } });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('options.dateFormat: "dd.MM.yyyy"');
    expect(message).toContain('options.stages.9: "FINISHED" is not a canonical stage');
  });
});
