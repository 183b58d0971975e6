import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as iconv from 'iconv-lite';
import { validateCanonicalEvent } from '#gw/case';
import { Catalogue, type DepartmentEntry } from '#gw/catalogue';
import type { ParseResult, RawInbound } from '../../department-adapter';
import { createAdapter } from './mapped.adapter';
import { compileMapping } from './mapping-schema';

const NOW = new Date('2026-11-10T00:00:00+08:00');
const ROOT = join(__dirname, '..', '..', '..', '..', '..');
const catalogue = Catalogue.fromFile(join(ROOT, 'config', 'catalogue.yaml'));
const EXAMPLE_TEXT = readFileSync(join(ROOT, 'config', 'examples', 'mzj-event.json'));
const EXAMPLE = JSON.parse(EXAMPLE_TEXT.toString('utf8'));

const mzj = createAdapter(catalogue.department('MZJ')!, catalogue);
/** A second mapping exercising lists ([*]), epoch times and a text reply. */
const listEntry: DepartmentEntry = {
  code: 'XYZ',
  name: '测试局',
  orgCode: '11430626MB6789012A',
  adapter: 'mapped',
  enabled: true,
  restricted: false,
  options: {
    dateFormat: 'epoch-ms',
    fields: {
      sourceEventId: 'lsh',
      sourceCaseNo: 'ywh',
      matterCode: 'sxbm',
      stage: 'zt',
      stageTime: 'ztsj',
      sourceSeq: 'xh',
      'applicants[*].name': 'sqr[*].xm',
      'applicants[*].certType': 'sqr[*].zjlx',
      'applicants[*].certNo': 'sqr[*].sfzh',
      'materials[*].name': 'cl[*][0]',
      'materials[*].count': 'cl[*][1]',
      'result.type': 'bjjg',
    },
    certTypes: { '1': '111', '6': { certType: 'USCC', kind: 'ENTERPRISE' } },
    reply: { okBody: 'OK ${eventId}', errorBody: 'ERR ${code} ${message}' },
  },
};
const lists = createAdapter(listEntry, catalogue);

const hostile = fc.oneof(
  fc.constantFrom(
    '<script>alert(1)</script>',
    "'; DROP TABLE events; --",
    '{"$gt": ""}',
    '__proto__',
    'constructor',
    '\u0000',
    '\uFFFD',
    '\uD800',
    '䶮𠮷',
    '430626199001010023',
    '430626199002300026',
    '430626850312004',
    '91350100M0001TGQXM',
    '2026-02-30 09:30:00',
    '2026-10-23T09:30:00',
    '1792719000000',
    '01',
    '09',
    '11',
    '99',
    'COMPLETED',
    '',
  ),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer({ min: 300, max: 5000 }).map((n) => 'x'.repeat(n)),
);

/** Any JSON value, hostile strings preferred. */
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: hostile },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

const person = fc.oneof(
  fc.record(
    { xm: value, zjlx: fc.oneof(fc.constantFrom('1', '2', '3', '4', '9', '6'), value), sfzh: value, sjh: value },
    { requiredKeys: [] },
  ),
  value,
);

/** Payloads of the MZJ (and list) shape, with hostile values anywhere. */
const shaped = fc
  .record(
    {
      lsh: value,
      ywh: value,
      sbh: value,
      sxbm: fc.oneof(fc.constantFrom('11430626MB6789012A0000160010000', '11430626MB6789012A0000160001000'), value),
      sxmc: value,
      zt: fc.oneof(fc.constantFrom('01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '99'), value),
      ztsj: fc.oneof(fc.constant('2026-10-23 09:30:00'), fc.integer({ min: -1e13, max: 1e13 }), value),
      xh: value,
      sqr: fc.oneof(person, fc.array(person, { maxLength: 55 })),
      po: person,
      jbr: fc.oneof(fc.record({ xm: value, ks: value }), value),
      blyj: value,
      bjjg: fc.oneof(fc.constantFrom('1', '2'), value),
      zsmc: value,
      zsbh: value,
      bldd: value,
      cl: fc.oneof(fc.array(fc.tuple(value, value), { maxLength: 5 }), value),
    },
    { requiredKeys: [] },
  )
  .map((o) => ({ body: Buffer.from(JSON.stringify(o) ?? 'null', 'utf8'), charset: undefined as string | undefined }));

const payload = fc.oneof(
  shaped,
  fc
    .jsonValue({ maxDepth: 4 })
    .map((v) => ({ body: Buffer.from(JSON.stringify(v) ?? 'null'), charset: undefined as string | undefined })),
  fc
    .nat(EXAMPLE_TEXT.length)
    .map((n) => ({ body: EXAMPLE_TEXT.subarray(0, n), charset: undefined as string | undefined })),
  fc.uint8Array({ maxLength: 1024 }).map((b) => ({ body: Buffer.from(b), charset: undefined as string | undefined })),
  fc.constantFrom('gbk', 'utf-8', 'latin1', 'big5', 'x-unknown').map((charset) => ({
    body: charset === 'gbk' ? iconv.encode(JSON.stringify(EXAMPLE), 'gbk') : EXAMPLE_TEXT,
    charset: charset as string | undefined,
  })),
  // deep nesting
  fc.integer({ min: 1, max: 5000 }).map((n) => ({
    body: Buffer.from('{"sqr":'.repeat(n) + '1' + '}'.repeat(n)),
    charset: undefined as string | undefined,
  })),
);

describe('mapped adapter under hostile payloads (property)', () => {
  it('never throws, and its output never makes validateCanonicalEvent throw', () => {
    fc.assert(
      fc.property(payload, fc.boolean(), ({ body, charset }, useLists) => {
        const adapter = useLists ? lists : mzj;
        const raw: RawInbound = {
          department: adapter.department.code,
          mediaType: 'application/json',
          charset,
          headers: {},
          body,
          receivedAt: NOW,
        };
        // Anything thrown fails the property, with the payload as counterexample.
        const result: ParseResult = adapter.parseEvent(raw);
        if (!result.ok) {
          assert.equal(typeof result.code, 'string');
          return;
        }
        const { errors } = validateCanonicalEvent(result.event.event, NOW);
        for (const e of [...errors, ...result.event.issues])
          assert.equal(typeof adapter.sourceField(e.field), 'string');
        const reply = adapter.formatReply!({
          httpStatus: 422,
          code: 'VALIDATION_FAILED',
          message: result.event.sourceEventId,
          errors,
        });
        assert.equal(typeof reply.body, 'string');
      }),
      { numRuns: 10_000 },
    );
  }, 60_000);

  it('checks any options without throwing anything but an Error naming options', () => {
    const path = fc.oneof(
      fc.constantFrom(
        'sourceEventId',
        'stage',
        'stageTime',
        'applicants[0].name',
        'applicants[*].certNo',
        'result.type',
        'agent.kind',
        'x',
      ),
      fc.string({ maxLength: 12 }),
    );
    const options = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record(
        {
          fields: fc.oneof(
            fc.dictionary(
              path,
              fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('a.b', 'a[*].b', 'a[0]', '__proto__')),
              { maxKeys: 8 },
            ),
            fc.jsonValue({ maxDepth: 2 }),
          ),
          constants: fc.dictionary(path, fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxKeys: 4 }),
          stages: fc.dictionary(
            fc.string({ maxLength: 4 }),
            fc.oneof(fc.constantFrom('SUBMITTED', 'DONE'), fc.jsonValue({ maxDepth: 2 })),
            { maxKeys: 4 },
          ),
          certTypes: fc.jsonValue({ maxDepth: 2 }),
          resultTypes: fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
          dateFormat: fc.oneof(fc.constantFrom('iso', 'epoch-ms', 'yyyy'), fc.jsonValue({ maxDepth: 1 })),
          reply: fc.oneof(
            fc.constant('json'),
            fc.record({ okBody: fc.jsonValue({ maxDepth: 3 }), errorBody: fc.jsonValue({ maxDepth: 3 }) }),
            fc.jsonValue({ maxDepth: 2 }),
          ),
          mediaTypes: fc.jsonValue({ maxDepth: 1 }),
          charset: fc.jsonValue({ maxDepth: 1 }),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(options, (o) => {
        try {
          compileMapping(o);
        } catch (e) {
          assert.ok(e instanceof Error);
          assert.match(e.message, /^options/);
        }
      }),
      { numRuns: 10_000 },
    );
  }, 60_000);
});
