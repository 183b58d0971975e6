import fc from 'fast-check';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CanonicalEventDto, PartyDto } from './canonical-event';
import { jsonCopy, toCanonicalEventDto } from './validate-event';

/**
 * `toCanonicalEventDto` stands in for class-transformer's `plainToInstance` on the validation
 * path; it must build the same instances, and class-validator must judge them the same, for any
 * JSON-like input — well-formed, malformed or hostile.
 */
describe('toCanonicalEventDto agrees with plainToInstance', () => {
  const FIELDS = ['department', 'sourceEventId', 'sourceCaseNo', 'matterCode', 'stage', 'stageTime', 'sourceSeq', 'handler', 'applicants', 'agent', 'result', 'special', 'materials', 'location', 'extra'];
  const PARTY_FIELDS = ['kind', 'name', 'certType', 'certNo', 'phone', 'legalRep', 'unit', 'type', 'explain', 'certificateNo', 'odd'];
  const leaf = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), fc.double({ noNaN: true }));
  const party = fc.dictionary(fc.constantFrom(...PARTY_FIELDS), leaf, { maxKeys: 6 });
  const nested = fc.oneof(party, fc.array(fc.oneof(party, leaf, fc.array(party, { maxLength: 2 })), { maxLength: 3 }), leaf);
  const event = fc.dictionary(fc.constantFrom(...FIELDS), fc.oneof(leaf, nested), { maxKeys: FIELDS.length });

  // Values and classes, everywhere; fields a class declares but the input lacks are left out
  // (class-transformer's \`new\` may define them as undefined, depending on the compiler's settings).
  const shape = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(shape);
    if (!v || typeof v !== 'object') return v;
    const out: Record<string, unknown> = { __class: (v as object).constructor?.name ?? null };
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = shape(x);
    return out;
  };

  // What validation reads: the error tree, without the `target` back-references.
  const judged = (dto: object) =>
    JSON.parse(JSON.stringify(validateSync(dto, { whitelist: true, forbidNonWhitelisted: false }), (k, v) => (k === 'target' ? undefined : v)));

  it('builds equal instances (classes included) and gets the same validation errors', () => {
    fc.assert(
      fc.property(event, (plain) => {
        const reference = plainToInstance(CanonicalEventDto, structuredClone(plain));
        const fast = toCanonicalEventDto(structuredClone(plain));
        expect(shape(fast)).toEqual(shape(reference));
        expect(judged(fast)).toEqual(judged(reference));
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps the example event intact', () => {
    const plain = {
      department: 'SCJG',
      applicants: [{ kind: 'ENTERPRISE', name: 'x', certType: 'USCC', certNo: '91330102MA28NBU477' }],
      agent: { kind: 'PERSON', name: 'y' },
      handler: { name: 'z' },
    };
    const fast = toCanonicalEventDto(structuredClone(plain));
    expect(shape(fast)).toEqual(shape(plainToInstance(CanonicalEventDto, plain)));
    expect(fast.agent).toBeInstanceOf(PartyDto);
    expect(fast.applicants[0]).toBeInstanceOf(PartyDto);
  });
});

describe('jsonCopy agrees with a JSON round trip', () => {
  it('copies anything JSON can write — DTO instances, holes, -0, NaN, undefined, dates — to the same plain value', () => {
    const anything = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.string({ maxLength: 6 }),
        fc.double(),
        fc.constantFrom(NaN, -0, Infinity, -Infinity),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.constant(undefined),
        fc.date({ noInvalidDate: true }),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.sparseArray(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 4 }), tie('value'), { maxKeys: 4 }),
        fc.dictionary(fc.string({ maxLength: 4 }), tie('value'), { maxKeys: 4 }).map((o) => Object.assign(Object.create(PartyDto.prototype), o)),
      ),
    })).value;
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 4 }), anything, { maxKeys: 6 }), (input) => {
        const copy = jsonCopy(input);
        expect(copy).toStrictEqual(JSON.parse(JSON.stringify(input)));
        expect(JSON.stringify(copy)).toBe(JSON.stringify(input));
      }),
      { numRuns: 2000 },
    );
  });
});
