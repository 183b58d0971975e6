import fc from 'fast-check';
import { IsInt, IsOptional, IsString, Length, MaxLength, MinLength, ValidateNested, validateSync } from 'class-validator';
import { passesAllRules } from './rule-precheck';
import { toCanonicalEventDto } from './validate-event';

/**
 * `passesAllRules` lets the validation path skip class-validator's error tree for valid events.
 * It must never call valid what `validateSync` rejects, must strip the same properties, and (so
 * that the quick path is really taken) should agree exactly on these classes.
 */
describe('passesAllRules agrees with validateSync', () => {
  const full = {
    department: 'SCJG',
    sourceEventId: 'SCJG-EVT-0001',
    sourceCaseNo: 'PJSC2026102300001',
    platformProjectNo: '11430626MB123456250000120001000202610230001',
    matterCode: '11430626MB123456250000120001000',
    matterName: '农民专业合作社设立登记',
    stage: 'COMPLETED',
    stageName: '办结',
    stageTime: '2026-10-23T09:30:00+08:00',
    sourceSeq: 7,
    handler: { name: '王五', unit: '平江县市场监督管理局' },
    opinion: '同意',
    applyChannel: 'WINDOW',
    applicants: [{ kind: 'ENTERPRISE', name: '平江县某某农业发展有限公司', certType: 'USCC', certNo: '91330102MA28NBU477' }],
    agent: { kind: 'PERSON', name: '钱七', certType: '111', certNo: '430626200107081238', phone: '13900000000' },
    result: { type: 0, certificateName: '营业执照', certificateNo: 'PJ2026-0001', explain: '准予登记' },
    special: { name: '专家评审', reason: '需评审' },
    materials: [{ name: '设立登记申请书', getType: '纸质', count: 1 }],
    location: '430626101',
  };
  const FIELDS = Object.keys(full);
  const NESTED_FIELDS = ['kind', 'name', 'certType', 'certNo', 'phone', 'legalRep', 'unit', 'type', 'explain', 'certificateNo', 'reason', 'getType', 'count', 'odd'];
  const odd = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ minLength: 2001, maxLength: 2100 }),
    fc.integer({ min: -10, max: 10 }),
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.constant([]),
    fc.constant({}),
    fc.array(fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 3 })), { maxLength: 2 }),
  );
  type Mutation = { path: string[]; value: unknown } | { path: string[]; remove: true };
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ path: fc.tuple(fc.constantFrom(...FIELDS, 'extra')), value: odd }),
    fc.record({ path: fc.tuple(fc.constantFrom(...FIELDS)), remove: fc.constant(true as const) }),
    fc.record({
      path: fc.tuple(fc.constantFrom('handler', 'agent', 'result', 'special'), fc.constantFrom(...NESTED_FIELDS)),
      value: odd,
    }),
    fc.record({
      path: fc.tuple(fc.constantFrom('applicants', 'materials'), fc.constantFrom('0', '1'), fc.constantFrom(...NESTED_FIELDS)),
      value: odd,
    }),
  );

  const apply = (event: Record<string, unknown>, m: Mutation) => {
    let at: Record<string, unknown> = event;
    for (const key of m.path.slice(0, -1)) {
      const next = at[key];
      if (!next || typeof next !== 'object') return;
      at = next as Record<string, unknown>;
    }
    const last = m.path[m.path.length - 1];
    if ('remove' in m) delete at[last];
    else at[last] = structuredClone(m.value);
  };

  const dtoOf = (plain: object) => toCanonicalEventDto(structuredClone(plain) as Record<string, unknown>);

  it('on the complete valid event, and with up to three fields changed', () => {
    let quick = 0;
    fc.assert(
      fc.property(fc.array(mutation, { maxLength: 3 }), (mutations) => {
        const plain: Record<string, unknown> = structuredClone(full);
        for (const m of mutations) apply(plain, m);
        const checked = dtoOf(plain);
        const judged = dtoOf(plain);
        const passes = passesAllRules(checked);
        const errors = validateSync(judged, { whitelist: true, forbidNonWhitelisted: false });
        expect(passes).toBe(errors.length === 0);
        if (passes) quick++;
        // The same properties stripped (validateSync runs after a failed precheck, on its object).
        if (!passes) validateSync(checked, { whitelist: true, forbidNonWhitelisted: false });
        expect(JSON.parse(JSON.stringify(checked))).toEqual(JSON.parse(JSON.stringify(judged)));
      }),
      { numRuns: 3000 },
    );
    // The generator must reach both answers, or the agreement above says little.
    expect(quick).toBeGreaterThan(300);
    expect(quick).toBeLessThan(2700);
  });

  it('passes the complete event and strips what no rule names', () => {
    const dto = dtoOf({ ...full, extra: 'x', agent: { ...full.agent, odd: 1 } });
    expect(passesAllRules(dto)).toBe(true);
    expect('extra' in dto).toBe(false);
    expect('odd' in (dto.agent as object)).toBe(false);
  });

  it('mirrors nested validation alone (no IsObject beside it), for every kind of value', () => {
    class Inner {
      @IsString()
      a!: string;
    }
    class Outer {
      @ValidateNested({ each: true })
      inner?: unknown;

      @IsOptional()
      @IsInt({ each: true })
      n?: unknown;
    }
    const inner = (a: unknown) => Object.assign(new Inner(), { a });
    const values = [undefined, null, 5, 'x', inner('ok'), inner(1), { a: 'plain object, no rules' }, [inner('ok')], [inner('ok'), 7], [[inner('ok')]], [undefined], new Set([inner('ok')]), new Map([['k', inner(2)]])];
    const counts = [undefined, null, 1, [1, 2], [1, 'x'], new Set([1]), 'x'];
    for (const value of values) {
      for (const n of counts) {
        const make = () => Object.assign(new Outer(), { inner: value, n });
        const errors = validateSync(make(), { whitelist: true, forbidNonWhitelisted: false });
        expect([value, n, passesAllRules(make())]).toEqual([value, n, errors.length === 0]);
      }
    }
  });

  it('judges string lengths as validator.js counts them (surrogate pairs, presentation selectors)', () => {
    class Lengths {
      @Length(2, 5)
      between?: unknown;

      @MaxLength(4)
      atMost?: unknown;

      @MinLength(3)
      atLeast?: unknown;

      @IsOptional()
      @Length(0, 3, { each: true })
      each?: unknown;
    }
    // Characters counted one for one, and the ones validator.js counts otherwise (a pair, a lone
    // half, the emoji and text selectors after a character or at the start).
    const char = fc.constantFrom('a', '平', '𠀀', '\uD800', '\uDC00', '\uFE0F', '\uFE0E', '👍\uFE0F');
    const text = fc.array(char, { maxLength: 8 }).map((cs) => cs.join(''));
    const value = fc.oneof({ weight: 6, arbitrary: text }, { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, null, 3, ['ab'], {}) });
    fc.assert(
      fc.property(value, value, value, fc.option(fc.array(text, { maxLength: 2 }), { nil: undefined }), (between, atMost, atLeast, each) => {
        const make = () => Object.assign(new Lengths(), { between, atMost, atLeast, each });
        const errors = validateSync(make(), { whitelist: true, forbidNonWhitelisted: false });
        expect(passesAllRules(make())).toBe(errors.length === 0);
      }),
      { numRuns: 5000 },
    );
  });

  it('defers on an object with no rules (class-validator reports an unknown value)', () => {
    expect(passesAllRules({ a: 1 })).toBe(false);
  });
});
