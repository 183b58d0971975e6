import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as iconv from 'iconv-lite';
import { validateCanonicalEvent } from '#gw/case';
import type { DepartmentEntry } from '#gw/catalogue';
import { UnreadableError, type RawInbound } from '../../department-adapter';
import { YBJ_HEADER, createAdapter } from './ybj.adapter';

const NOW = new Date('2026-11-01T00:00:00+08:00');
const YBJ: DepartmentEntry = {
  code: 'YBJ',
  name: '平江县医疗保障局',
  orgCode: '11430626MB45678996',
  adapter: 'ybj',
  enabled: true,
  restricted: false,
};
const adapter = createAdapter(YBJ, undefined as never);
const FULL_EXAMPLE = readFileSync(join(__dirname, '..', '..', '..', '..', '..', 'config', 'examples', 'ybj-batch.csv'));
/** The header and the first three rows of the example (csv-parse reads byte by byte: small files keep 10,000 runs quick). */
const EXAMPLE = FULL_EXAMPLE.subarray(0, FULL_EXAMPLE.indexOf('\r\nYB20261023000104') + 2);

const hostile = fc.oneof(
  {
    weight: 100,
    arbitrary: fc.constantFrom(
      '<script>alert(1)</script>',
      "'; DROP TABLE events; --",
      "=cmd|' /C calc'!A0", // spreadsheet formula injection
      '"',
      '""',
      '"a,b"',
      'a"b',
      ',',
      '\r\n',
      '\n',
      '\uFEFF',
      '\uFFFD',
      '䶮𠮷',
      '__proto__',
      '430626198503120041',
      "'430626198503120040",
      '430626850312004',
      '2026/2/30 9:00',
      '2026/13/1 9:00',
      '2026/10/23 24:00',
      '2026-10-23 09:00',
      '办结',
      '不予受理',
      '准予',
      '不通过',
      '',
    ),
  },
  { weight: 50, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 50, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  // oversize: beyond the canonical limits (200 for a name, 2000 for an opinion); about one file in five,
  // as csv-parse reads byte by byte and big files would make 10,000 runs slow
  { weight: 1, arbitrary: fc.integer({ min: 201, max: 2100 }).map((n) => '长x'.repeat(n >> 1)) },
);

/** One CSV cell: properly quoted, or pasted raw (which may split or merge columns). */
const cell = fc.tuple(hostile, fc.boolean()).map(([v, quote]) => (quote ? `"${v.replace(/"/g, '""')}"` : v));
const row = fc.array(cell, { minLength: 0, maxLength: 16 }).map((cells) => cells.join(','));

const csv = fc
  .record({
    header: fc.oneof(
      { weight: 6, arbitrary: fc.constant(YBJ_HEADER.join(',')) },
      { weight: 1, arbitrary: fc.shuffledSubarray([...YBJ_HEADER]).map((h) => h.join(',')) },
      { weight: 1, arbitrary: row },
    ),
    rows: fc.array(
      fc.oneof(
        { weight: 3, arbitrary: fc.array(cell, { minLength: 14, maxLength: 14 }).map((c) => c.join(',')) },
        { weight: 1, arbitrary: row },
      ),
      {
        maxLength: 4,
      },
    ),
    eol: fc.constantFrom('\r\n', '\n', '\r'),
    bom: fc.boolean(),
    gbk: fc.boolean(),
  })
  .map(({ header, rows, eol, bom, gbk }) => {
    const text = [header, ...rows].join(eol);
    const body = gbk ? iconv.encode(text, 'gb18030') : Buffer.from((bom ? '\uFEFF' : '') + text, 'utf8');
    return { body, headers: gbk ? { 'x-charset': 'GBK' } : ({} as Record<string, string>) };
  });

const payload = fc.oneof(
  csv,
  fc.nat(EXAMPLE.length).map((n) => ({ body: EXAMPLE.subarray(0, n), headers: {} as Record<string, string> })),
  fc.tuple(fc.nat(EXAMPLE.length - 1), fc.uint8Array({ minLength: 1, maxLength: 6 })).map(([at, bytes]) => {
    const b = Buffer.from(EXAMPLE);
    b.set(bytes.subarray(0, b.length - at), at);
    return { body: b, headers: {} as Record<string, string> };
  }),
  fc
    .constantFrom('GBK', 'gb18030', 'latin1', 'utf-8', '')
    .map((cs) => ({ body: EXAMPLE, headers: { 'x-charset': cs } as Record<string, string> })),
  fc.uint8Array({ maxLength: 1024 }).map((b) => ({ body: Buffer.from(b), headers: {} as Record<string, string> })),
);

describe('YBJ batch reader under hostile files (property)', () => {
  it('yields a result for every row and throws nothing but UnreadableError; validation never throws', async () => {
    await fc.assert(
      fc.asyncProperty(payload, fc.constantFrom(97, 4096), async ({ body, headers }, chunk) => {
        const meta: Omit<RawInbound, 'body'> = { department: 'YBJ', mediaType: 'text/csv', headers, receivedAt: NOW };
        const stream = Readable.from(
          (function* () {
            for (let i = 0; i < body.length; i += chunk) yield body.subarray(i, i + chunk);
          })(),
        );
        let expected = 1;
        try {
          for await (const { row, result, raw } of adapter.batch!.readRows(stream, meta)) {
            assert.equal(row, expected++);
            assert.ok(Buffer.isBuffer(raw));
            if (!result.ok) {
              assert.equal(typeof result.code, 'string');
              continue;
            }
            assert.equal(result.event.row, row);
            // Anything thrown fails the property, with the file as counterexample.
            const { errors } = validateCanonicalEvent(result.event.event, NOW);
            for (const e of [...errors, ...result.event.issues])
              assert.equal(typeof adapter.sourceField(e.field), 'string');
          }
        } catch (e) {
          if (!(e instanceof UnreadableError)) throw e;
        }
      }),
      { numRuns: 10_000 },
    );
  }, 60_000);
});
