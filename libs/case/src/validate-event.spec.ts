import fc from 'fast-check';
import { CanonicalEvent } from './canonical-event';
import { validateCanonicalEvent } from './validate-event';

const NOW = new Date('2026-11-27T00:00:00Z');

/** A valid SCJG-like event; overrides replace top-level fields (undefined removes one). */
function scjgEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const event: Record<string, unknown> = {
    department: 'SCJG',
    sourceEventId: 'SCJG-EVT-0001',
    sourceCaseNo: 'PJSC2026102300001',
    matterCode: '11430626MB123456250000120001000',
    matterName: '农民专业合作社设立登记',
    stage: 'ACCEPTED',
    stageTime: '2026-10-23T09:30:00+08:00',
    applicants: [{ kind: 'ENTERPRISE', name: '平江县某某农业发展有限公司', certType: 'USCC', certNo: '91330102MA28NBU477' }],
    agent: { kind: 'PERSON', name: '钱七', certType: '111', certNo: '430626200107081238', phone: '13900000000' },
    location: '430626101',
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete event[key];
    else event[key] = value;
  }
  return event;
}

const agentWith = (fields: Record<string, unknown>) => ({ ...(scjgEvent().agent as object), ...fields });
const applicantWith = (fields: Record<string, unknown>) => ({ ...(scjgEvent().applicants as object[])[0], ...fields });

/** (field, code) pairs, the part of the answer that is stable. */
const pairs = (issues: { field: string; code: string }[]) => issues.map((i) => [i.field, i.code]);

describe('validateCanonicalEvent: a valid event', () => {
  it('passes with no errors and no warnings and returns the event unchanged', () => {
    const input = scjgEvent();
    const r = validateCanonicalEvent(input, NOW);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.event).toEqual(input);
  });

  it('accepts every optional field filled in', () => {
    const input = scjgEvent({
      platformProjectNo: '11430626MB123456250000120001000202610230001',
      stage: 'COMPLETED',
      stageName: '办结',
      sourceSeq: 7,
      handler: { name: '王五', unit: '平江县市场监督管理局' },
      opinion: '同意',
      address: '平江县安定镇某某村',
      applyChannel: 'WINDOW',
      result: { type: 0, certificateName: '营业执照', certificateNo: 'PJ2026-0001', explain: '准予登记' },
      materials: [{ name: '设立登记申请书', getType: '纸质', count: 1 }],
    });
    const r = validateCanonicalEvent(input, NOW);
    expect(r.errors).toEqual([]);
    expect(r.event).toEqual(input);
  });

  it('accepts the county and a village as location', () => {
    expect(validateCanonicalEvent(scjgEvent({ location: '430626' }), NOW).errors).toEqual([]);
    expect(validateCanonicalEvent(scjgEvent({ location: '430626101201' }), NOW).errors).toEqual([]);
    expect(validateCanonicalEvent(scjgEvent({ location: undefined }), NOW).errors).toEqual([]);
  });

  it('accepts a stage time in UTC (Z) and with fractional seconds', () => {
    expect(validateCanonicalEvent(scjgEvent({ stageTime: '2026-10-23T01:30:00Z' }), NOW).errors).toEqual([]);
    expect(validateCanonicalEvent(scjgEvent({ stageTime: '2026-10-23T09:30:00.123+08:00' }), NOW).errors).toEqual([]);
  });

  it('drops fields the canonical model does not know', () => {
    const r = validateCanonicalEvent({ ...scjgEvent(), vendorSecret: 'x', agent: agentWith({ idPhoto: 'base64…' }) }, NOW);
    expect(r.errors).toEqual([]);
    expect(r.event).not.toHaveProperty('vendorSecret');
    expect(r.event!.agent).not.toHaveProperty('idPhoto');
  });

  it('does not modify its input', () => {
    const input = scjgEvent({ agent: agentWith({ certNo: '430626710708123' }) });
    const copy = JSON.parse(JSON.stringify(input));
    validateCanonicalEvent(input, NOW);
    expect(input).toEqual(copy);
  });
});

describe('validateCanonicalEvent: failing fields', () => {
  it('agent.certNo with a wrong check digit → ID_CHECK_DIGIT', () => {
    const r = validateCanonicalEvent(scjgEvent({ agent: agentWith({ certNo: '430626200107081239' }) }), NOW);
    expect(r.event).toBeUndefined();
    expect(r.errors).toEqual([{ field: 'agent.certNo', code: 'ID_CHECK_DIGIT', message: expect.any(String) }]);
  });

  it('agent.certNo with Feb 30 → ID_BIRTH_DATE; wrong length → ID_FORMAT', () => {
    expect(pairs(validateCanonicalEvent(scjgEvent({ agent: agentWith({ certNo: '430626199002301234' }) }), NOW).errors)).toEqual([
      ['agent.certNo', 'ID_BIRTH_DATE'],
    ]);
    expect(pairs(validateCanonicalEvent(scjgEvent({ agent: agentWith({ certNo: '43062620010708123' }) }), NOW).errors)).toEqual([
      ['agent.certNo', 'ID_FORMAT'],
    ]);
  });

  it('a temporary ID card (112) is checked like an ID card; a passport (414) is not', () => {
    expect(pairs(validateCanonicalEvent(scjgEvent({ agent: agentWith({ certType: '112', certNo: '430626200107081239' }) }), NOW).errors)).toEqual([
      ['agent.certNo', 'ID_CHECK_DIGIT'],
    ]);
    expect(validateCanonicalEvent(scjgEvent({ agent: agentWith({ certType: '414', certNo: 'E12345678' }) }), NOW).errors).toEqual([]);
  });

  it('an error in the second applicant names its index', () => {
    const second = { kind: 'PERSON', name: '李四', certType: '111', certNo: '430626200107081239' };
    const r = validateCanonicalEvent(scjgEvent({ applicants: [applicantWith({}), second] }), NOW);
    expect(pairs(r.errors)).toEqual([['applicants[1].certNo', 'ID_CHECK_DIGIT']]);
  });

  it.each(['430627001', '430626003', '123', '430600', ''])('location %j → DIVISION_UNKNOWN', (location) => {
    const r = validateCanonicalEvent(scjgEvent({ location }), NOW);
    expect(pairs(r.errors)).toEqual([['location', 'DIVISION_UNKNOWN']]);
  });

  it('location as a number → TYPE_STRING only', () => {
    expect(pairs(validateCanonicalEvent(scjgEvent({ location: 430626 }), NOW).errors)).toEqual([['location', 'TYPE_STRING']]);
  });

  it('matterCode in lower case → MATTER_CODE_FORMAT', () => {
    const r = validateCanonicalEvent(scjgEvent({ matterCode: '11430626mb123456250000120001000' }), NOW);
    expect(pairs(r.errors)).toEqual([['matterCode', 'MATTER_CODE_FORMAT']]);
  });

  it('matterCode too short → MATTER_CODE_FORMAT only (one precise code per field)', () => {
    const r = validateCanonicalEvent(scjgEvent({ matterCode: 'SCJG001' }), NOW);
    expect(pairs(r.errors)).toEqual([['matterCode', 'MATTER_CODE_FORMAT']]);
  });

  it('matterCode that is not a string → TYPE_STRING', () => {
    expect(pairs(validateCanonicalEvent(scjgEvent({ matterCode: 11430626 }), NOW).errors)).toEqual([['matterCode', 'TYPE_STRING']]);
  });

  it('missing applicants → REQUIRED', () => {
    const r = validateCanonicalEvent(scjgEvent({ applicants: undefined }), NOW);
    expect(r.errors).toEqual([{ field: 'applicants', code: 'REQUIRED', message: 'applicants is required' }]);
  });

  it('empty applicants → REQUIRED', () => {
    expect(pairs(validateCanonicalEvent(scjgEvent({ applicants: [] }), NOW).errors)).toEqual([['applicants', 'REQUIRED']]);
  });

  it('applicants that are not an array → TYPE_ARRAY only', () => {
    expect(pairs(validateCanonicalEvent(scjgEvent({ applicants: 'x' }), NOW).errors)).toEqual([['applicants', 'TYPE_ARRAY']]);
    expect(pairs(validateCanonicalEvent(scjgEvent({ applicants: applicantWith({}) }), NOW).errors)).toEqual([['applicants', 'TYPE_ARRAY']]);
  });

  it('an applicant that is not an object → TYPE_OBJECT', () => {
    const r = validateCanonicalEvent(scjgEvent({ applicants: [[applicantWith({})]] }), NOW);
    expect(r.event).toBeUndefined();
    expect(pairs(r.errors)).toEqual([['applicants', 'TYPE_OBJECT']]);
    const withNull = validateCanonicalEvent(scjgEvent({ applicants: [applicantWith({}), null] }), NOW);
    expect(pairs(withNull.errors)).toEqual([
      ['applicants', 'TYPE_OBJECT'],
      ['applicants[1]', 'REQUIRED'],
    ]);
  });

  it('agent or result given as an array → TYPE_OBJECT', () => {
    expect(pairs(validateCanonicalEvent(scjgEvent({ agent: [scjgEvent().agent] }), NOW).errors)).toEqual([['agent', 'TYPE_OBJECT']]);
    expect(pairs(validateCanonicalEvent(scjgEvent({ stage: 'COMPLETED', result: [] }), NOW).errors)).toEqual([['result', 'TYPE_OBJECT']]);
    expect(pairs(validateCanonicalEvent(scjgEvent({ stage: 'COMPLETED', result: [{ type: 1 }] }), NOW).errors)).toEqual([
      ['result', 'TYPE_OBJECT'],
    ]);
    expect(pairs(validateCanonicalEvent(scjgEvent({ handler: 'clerk' }), NOW).errors)).toEqual([['handler', 'TYPE_OBJECT']]);
  });

  it('nested field errors carry their full path', () => {
    const r = validateCanonicalEvent(
      scjgEvent({ applicants: [applicantWith({ name: '' })], agent: agentWith({ kind: 'ROBOT', phone: 'call me' }) }),
      NOW,
    );
    expect(pairs(r.errors)).toEqual([
      ['applicants[0].name', 'LENGTH_OUT_OF_RANGE'],
      ['agent.kind', 'VALUE_NOT_ALLOWED'],
      ['agent.phone', 'PHONE_FORMAT'],
    ]);
  });

  it.each(['DONE', 'accepted', ''])('stage %j → VALUE_NOT_ALLOWED', (stage) => {
    expect(pairs(validateCanonicalEvent(scjgEvent({ stage }), NOW).errors)).toEqual([['stage', 'VALUE_NOT_ALLOWED']]);
  });

  it('COMPLETED without a result → RESULT_REQUIRED', () => {
    const r = validateCanonicalEvent(scjgEvent({ stage: 'COMPLETED' }), NOW);
    expect(pairs(r.errors)).toEqual([['result', 'RESULT_REQUIRED']]);
  });

  it('COMPLETED with result type 0 passes', () => {
    const r = validateCanonicalEvent(scjgEvent({ stage: 'COMPLETED', result: { type: 0, certificateNo: 'PJ2026-0001' } }), NOW);
    expect(r.errors).toEqual([]);
    expect(r.event!.result).toEqual({ type: 0, certificateNo: 'PJ2026-0001' });
  });

  it.each([1, 2, 3, 4, 5])('result type %d without explain → RESULT_REASON_REQUIRED', (type) => {
    const r = validateCanonicalEvent(scjgEvent({ stage: 'COMPLETED', result: { type } }), NOW);
    expect(pairs(r.errors)).toEqual([['result.explain', 'RESULT_REASON_REQUIRED']]);
  });

  it('result type 1 with a blank explain → RESULT_REASON_REQUIRED; with a reason it passes', () => {
    expect(pairs(validateCanonicalEvent(scjgEvent({ stage: 'COMPLETED', result: { type: 1, explain: '  ' } }), NOW).errors)).toEqual([
      ['result.explain', 'RESULT_REASON_REQUIRED'],
    ]);
    expect(validateCanonicalEvent(scjgEvent({ stage: 'COMPLETED', result: { type: 1, explain: '材料不符合法定形式' } }), NOW).errors).toEqual([]);
  });

  it('result type 6 (不予受理) needs no reason', () => {
    expect(validateCanonicalEvent(scjgEvent({ stage: 'COMPLETED', result: { type: 6 } }), NOW).errors).toEqual([]);
  });

  it('result type outside 0–6 or not an integer', () => {
    expect(pairs(validateCanonicalEvent(scjgEvent({ stage: 'COMPLETED', result: { type: 7 } }), NOW).errors)).toEqual([
      ['result.type', 'VALUE_TOO_LARGE'],
    ]);
    expect(pairs(validateCanonicalEvent(scjgEvent({ stage: 'COMPLETED', result: { type: -1 } }), NOW).errors)).toEqual([
      ['result.type', 'VALUE_TOO_SMALL'],
    ]);
    expect(pairs(validateCanonicalEvent(scjgEvent({ stage: 'COMPLETED', result: { type: 0.5 } }), NOW).errors)).toEqual([
      ['result.type', 'TYPE_INTEGER'],
    ]);
  });

  it('SPECIAL_STARTED without the special procedure → SPECIAL_REQUIRED', () => {
    expect(pairs(validateCanonicalEvent(scjgEvent({ stage: 'SPECIAL_STARTED' }), NOW).errors)).toEqual([['special', 'SPECIAL_REQUIRED']]);
    expect(validateCanonicalEvent(scjgEvent({ stage: 'SPECIAL_STARTED', special: { name: '听证', reason: '利害关系人申请' } }), NOW).errors).toEqual([]);
  });

  it.each([
    ['1990-10-23T09:30:00+08:00', 'in 1990'],
    ['1999-12-31T23:59:59+08:00', 'just before 2000 in Beijing'],
    ['2027-01-05T09:30:00+08:00', 'next year'],
    ['2026-11-28T00:00:01Z', 'more than a day ahead of now'],
  ])('stageTime %s (%s) → STAGE_TIME_OUT_OF_RANGE', (stageTime) => {
    expect(pairs(validateCanonicalEvent(scjgEvent({ stageTime }), NOW).errors)).toEqual([['stageTime', 'STAGE_TIME_OUT_OF_RANGE']]);
  });

  it('allows a day of clock skew', () => {
    expect(validateCanonicalEvent(scjgEvent({ stageTime: '2026-11-27T23:59:59Z' }), NOW).errors).toEqual([]);
    expect(validateCanonicalEvent(scjgEvent({ stageTime: '2000-01-01T00:00:00+08:00' }), NOW).errors).toEqual([]);
  });

  it.each([
    ['2026/10/23 09:30', 'slashes'],
    ['2026-10-23 09:30:00+08:00', 'a space instead of T'],
    ['23.10.2026', 'a European date'],
    ['2026-02-30T09:30:00+08:00', 'Feb 30'],
    ['2026-10-23T09:30:00', 'no offset'],
    ['2026-10-23', 'a date without time'],
    ['2026-W43-5', 'a week date'],
    ['2026-10-23T09:30:00+0800', 'an offset without colon'],
    ['now', 'a word'],
  ])('non-ISO stageTime %j (%s) → DATE_INVALID', (stageTime) => {
    expect(pairs(validateCanonicalEvent(scjgEvent({ stageTime }), NOW).errors)).toEqual([['stageTime', 'DATE_INVALID']]);
  });

  it('stageTime as a number → DATE_INVALID', () => {
    expect(pairs(validateCanonicalEvent(scjgEvent({ stageTime: 1792719000000 }), NOW).errors)).toEqual([['stageTime', 'DATE_INVALID']]);
  });

  it('lists several failures at once', () => {
    const r = validateCanonicalEvent(
      scjgEvent({
        department: undefined,
        stage: 'COMPLETED',
        stageTime: '1990-01-01T00:00:00+08:00',
        matterCode: 'not-a-code!!',
        applicants: [applicantWith({ certNo: '91330102MI28NBU477' })],
        agent: agentWith({ certNo: '430626200107081239' }),
        location: '430627001',
      }),
      NOW,
    );
    expect(r.event).toBeUndefined();
    expect(pairs(r.errors)).toEqual([
      ['department', 'REQUIRED'],
      ['applicants[0].certNo', 'USCC_FORMAT'],
      ['agent.certNo', 'ID_CHECK_DIGIT'],
      ['matterCode', 'MATTER_CODE_FORMAT'],
      ['location', 'DIVISION_UNKNOWN'],
      ['stageTime', 'STAGE_TIME_OUT_OF_RANGE'],
      ['result', 'RESULT_REQUIRED'],
    ]);
    for (const e of r.errors) expect(e.message).toEqual(expect.any(String));
  });

  it('reports every missing required field of an empty object', () => {
    expect(pairs(validateCanonicalEvent({}, NOW).errors)).toEqual([
      ['department', 'REQUIRED'],
      ['sourceEventId', 'REQUIRED'],
      ['sourceCaseNo', 'REQUIRED'],
      ['matterCode', 'REQUIRED'],
      ['matterName', 'REQUIRED'],
      ['stage', 'REQUIRED'],
      ['stageTime', 'REQUIRED'],
      ['applicants', 'REQUIRED'],
    ]);
  });

  it('never repeats the personal data it rejects in its messages', () => {
    const r = validateCanonicalEvent(scjgEvent({ agent: agentWith({ certNo: '430626200107081239', phone: '139000000x0' }) }), NOW);
    expect(pairs(r.errors)).toEqual([
      ['agent.certNo', 'ID_CHECK_DIGIT'],
      ['agent.phone', 'PHONE_FORMAT'],
    ]);
    const text = JSON.stringify(r);
    expect(text).not.toContain('430626200107081239');
    expect(text).not.toContain('139000000x0');
  });
});

describe('validateCanonicalEvent: normalisation and warnings', () => {
  it('converts a 15-digit agent ID with the warning ID_15_CONVERTED', () => {
    const r = validateCanonicalEvent(scjgEvent({ agent: agentWith({ certNo: '430626710708123' }) }), NOW);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([{ field: 'agent.certNo', code: 'ID_15_CONVERTED', message: expect.any(String) }]);
    expect(r.event!.agent!.certNo).toBe('430626197107081233');
  });

  it('normalises a lower-case x and a lower-case USCC without warnings', () => {
    const r = validateCanonicalEvent(
      scjgEvent({ applicants: [applicantWith({ certNo: '91330102ma28nbu477' })], agent: agentWith({ certNo: '11010519491231002x' }) }),
      NOW,
    );
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.event!.applicants[0].certNo).toBe('91330102MA28NBU477');
    expect(r.event!.agent!.certNo).toBe('11010519491231002X');
  });

  it('accepts the Fujian pilot USCC with the warning USCC_CHECK_DIGIT', () => {
    const r = validateCanonicalEvent(scjgEvent({ applicants: [applicantWith({ certNo: '91350100M0001TGQXM' })] }), NOW);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([{ field: 'applicants[0].certNo', code: 'USCC_CHECK_DIGIT', message: expect.any(String) }]);
    expect(r.event!.applicants[0].certNo).toBe('91350100M0001TGQXM');
  });

  it('refuses a USCC with a forbidden letter as USCC_FORMAT', () => {
    const r = validateCanonicalEvent(scjgEvent({ applicants: [applicantWith({ certNo: '91330102MO28NBU477' })] }), NOW);
    expect(pairs(r.errors)).toEqual([['applicants[0].certNo', 'USCC_FORMAT']]);
  });

  it('warnings are kept when there are also errors', () => {
    const r = validateCanonicalEvent(
      scjgEvent({ applicants: [applicantWith({ certNo: '91350100M0001TGQXM' })], location: '430627001' }),
      NOW,
    );
    expect(pairs(r.errors)).toEqual([['location', 'DIVISION_UNKNOWN']]);
    expect(pairs(r.warnings)).toEqual([['applicants[0].certNo', 'USCC_CHECK_DIGIT']]);
  });

  it('a birth date after "now" is refused even if it is before the real today', () => {
    const r = validateCanonicalEvent(scjgEvent({ agent: agentWith({ certNo: '430626200107081238' }) }), new Date('2001-07-07T00:00:00Z'));
    // stageTime 2026 is also out of range at that "now"; the ID is refused on its own merits.
    expect(pairs(r.errors)).toContainEqual(['agent.certNo', 'ID_BIRTH_DATE']);
  });
});

describe('validateCanonicalEvent: hostile inputs never throw', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['an array', [scjgEvent()]],
    ['a string', JSON.stringify(scjgEvent())],
    ['a number', 42],
    ['a boolean', true],
    ['a Date', new Date('2026-10-23T01:30:00Z')],
    ['a function', () => scjgEvent()],
  ])('%s → TYPE_OBJECT at the root', (_name, input) => {
    expect(validateCanonicalEvent(input, NOW)).toEqual({
      errors: [{ field: '', code: 'TYPE_OBJECT', message: 'event must be an object' }],
      warnings: [],
    });
  });

  it('deeply nested junk → EVENT_UNREADABLE', () => {
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 50_000; i++) {
      const next: Record<string, unknown> = {};
      deep.a = next;
      deep = next;
    }
    expect(pairs(validateCanonicalEvent({ ...scjgEvent(), junk: root }, NOW).errors)).toEqual([['', 'EVENT_UNREADABLE']]);
    expect(pairs(validateCanonicalEvent({ ...scjgEvent(), agent: root }, NOW).errors)).toEqual([['', 'EVENT_UNREADABLE']]);
    let arr: unknown[] = [];
    const rootArr = arr;
    for (let i = 0; i < 50_000; i++) {
      const next: unknown[] = [];
      arr.push(next);
      arr = next;
    }
    expect(pairs(validateCanonicalEvent({ ...scjgEvent(), applicants: rootArr }, NOW).errors)).toEqual([['', 'EVENT_UNREADABLE']]);
  });

  it('a cycle → EVENT_UNREADABLE', () => {
    const agent: Record<string, unknown> = { ...(scjgEvent().agent as object) };
    agent.self = agent;
    expect(pairs(validateCanonicalEvent(scjgEvent({ agent }), NOW).errors)).toEqual([['', 'EVENT_UNREADABLE']]);
  });

  it('a huge sparse array → EVENT_UNREADABLE, quickly', () => {
    expect(pairs(validateCanonicalEvent(scjgEvent({ materials: new Array(100_000_000) }), NOW).errors)).toEqual([['', 'EVENT_UNREADABLE']]);
  });

  it('moderately nested junk under an unknown key is simply dropped', () => {
    const r = validateCanonicalEvent({ ...scjgEvent(), junk: { a: { b: { c: [1, [2, [3]]] } } } }, NOW);
    expect(r.errors).toEqual([]);
    expect(r.event).not.toHaveProperty('junk');
  });

  it('functions, symbols and bigints are dropped like JSON would', () => {
    const r = validateCanonicalEvent({ ...scjgEvent(), fn: () => 1, sym: Symbol('x'), big: BigInt(1) }, NOW);
    expect(r.errors).toEqual([]);
    expect(Object.keys(r.event!)).not.toEqual(expect.arrayContaining(['fn']));
    const missing = validateCanonicalEvent(scjgEvent({ department: () => 'SCJG' }), NOW);
    expect(pairs(missing.errors)).toEqual([['department', 'REQUIRED']]);
  });

  it('a Date object as stageTime is read as its ISO string', () => {
    const r = validateCanonicalEvent(scjgEvent({ stageTime: new Date('2026-10-23T01:30:00Z') }), NOW);
    expect(r.errors).toEqual([]);
    expect(r.event!.stageTime).toBe('2026-10-23T01:30:00.000Z');
  });

  it('objects whose conversion to a string would throw are refused, not thrown', () => {
    const evil = { toString: 1, valueOf: 1 };
    const r = validateCanonicalEvent(scjgEvent({ location: evil, agent: agentWith({ phone: evil, certNo: evil }) }), NOW);
    expect(pairs(r.errors)).toEqual([
      ['agent.certNo', 'TYPE_STRING'],
      ['agent.phone', 'TYPE_STRING'],
      ['location', 'TYPE_STRING'],
    ]);
  });

  it('a getter that throws → EVENT_UNREADABLE', () => {
    const input = scjgEvent();
    Object.defineProperty(input, 'stage', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(validateCanonicalEvent(input, NOW)).toEqual({
      errors: [{ field: '', code: 'EVENT_UNREADABLE', message: 'event could not be read as plain data' }],
      warnings: [],
    });
  });

  it('__proto__ keys neither pollute prototypes nor pass through', () => {
    const json = JSON.stringify(scjgEvent()).replace('"agent":{', '"agent":{"__proto__":{"polluted":"yes"},');
    const input = JSON.parse(json);
    const r = validateCanonicalEvent(input, NOW);
    expect(r.errors).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((r.event!.agent as unknown as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('1 MB strings in every field are refused by length, not thrown on', () => {
    const big = '4'.repeat(1 << 20);
    const r = validateCanonicalEvent(
      {
        department: big,
        sourceEventId: big,
        sourceCaseNo: big,
        matterCode: big,
        matterName: big,
        stage: big,
        stageTime: big,
        applicants: [{ kind: big, name: big, certType: 'USCC', certNo: big, phone: big }],
        agent: { kind: 'PERSON', name: big, certType: '111', certNo: big },
        location: big,
        opinion: big,
      },
      NOW,
    );
    expect(r.event).toBeUndefined();
    expect(pairs(r.errors)).toEqual(
      expect.arrayContaining([
        ['department', 'LENGTH_OUT_OF_RANGE'],
        ['matterName', 'LENGTH_OUT_OF_RANGE'],
        ['matterCode', 'MATTER_CODE_FORMAT'],
        ['stage', 'VALUE_NOT_ALLOWED'],
        ['stageTime', 'DATE_INVALID'],
        ['applicants[0].certNo', 'USCC_FORMAT'],
        ['applicants[0].phone', 'TOO_LONG'],
        ['agent.certNo', 'ID_FORMAT'],
        ['location', 'DIVISION_UNKNOWN'],
        ['opinion', 'TOO_LONG'],
      ]),
    );
    // The offending value is never echoed back.
    expect(r.errors.every((e) => e.message.length < 500)).toBe(true);
  });

  it('too many applicants → TOO_MANY', () => {
    const r = validateCanonicalEvent(scjgEvent({ applicants: Array.from({ length: 51 }, () => applicantWith({})) }), NOW);
    expect(pairs(r.errors)).toEqual([['applicants', 'TOO_MANY']]);
  });

  describe('properties', () => {
    const check = (r: ReturnType<typeof validateCanonicalEvent>) => {
      expect(Array.isArray(r.errors)).toBe(true);
      expect(Array.isArray(r.warnings)).toBe(true);
      for (const e of [...r.errors, ...r.warnings]) {
        expect(typeof e.field).toBe('string');
        expect(e.code).toMatch(/^[A-Z][A-Z0-9_]+$/);
        expect(typeof e.message).toBe('string');
      }
      // An event comes back exactly when there is no error.
      expect(r.event === undefined).toBe(r.errors.length > 0);
    };

    it('never throws on arbitrary input', () => {
      fc.assert(
        fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true }), (value) => {
          check(validateCanonicalEvent(value, NOW));
        }),
        { numRuns: 300 },
      );
    });

    it('never throws when fields of a valid event are replaced by arbitrary values', () => {
      const keys = Object.keys(scjgEvent());
      fc.assert(
        fc.property(fc.dictionary(fc.constantFrom(...keys, 'result', 'special', 'materials', 'handler'), fc.anything()), (patch) => {
          check(validateCanonicalEvent({ ...scjgEvent(), ...patch }, NOW));
        }),
        { numRuns: 300 },
      );
    });

    it('never throws when party fields are replaced by arbitrary values', () => {
      const partyKeys = ['kind', 'name', 'certType', 'certNo', 'phone', 'legalRep'];
      fc.assert(
        fc.property(fc.dictionary(fc.constantFrom(...partyKeys), fc.anything()), fc.boolean(), (patch, onAgent) => {
          const event = onAgent ? scjgEvent({ agent: agentWith(patch) }) : scjgEvent({ applicants: [applicantWith(patch)] });
          check(validateCanonicalEvent(event, NOW));
        }),
        { numRuns: 300 },
      );
    });

    it('an event that passes has a valid shape for the platform (ID numbers normalised to 18 characters)', () => {
      const id15 = fc.constantFrom('430626710708123', '110105491231002', '440524800101001');
      fc.assert(
        fc.property(id15, (certNo) => {
          const r = validateCanonicalEvent(scjgEvent({ agent: agentWith({ certNo }) }), NOW);
          expect(r.errors).toEqual([]);
          const event = r.event as CanonicalEvent;
          expect(event.agent!.certNo).toMatch(/^\d{17}[\dX]$/);
          expect(event.agent!.certNo.slice(6, 8)).toBe('19');
        }),
      );
    });
  });
});
