import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as iconv from 'iconv-lite';
import { validateCanonicalEvent } from '#gw/case';
import type { DepartmentEntry } from '#gw/catalogue';
import type { ParseResult, RawInbound } from '../../department-adapter';
import { RSJ_FIELDS, createAdapter } from './rsj.adapter';

const NOW = new Date('2026-11-01T00:00:00+08:00');
const RSJ: DepartmentEntry = {
  code: 'RSJ',
  name: '平江县人力资源和社会保障局',
  orgCode: '11430626MB34567835',
  adapter: 'rsj',
  enabled: true,
  restricted: false,
};
const adapter = createAdapter(RSJ, undefined as never);
const EXAMPLE = readFileSync(join(__dirname, '..', '..', '..', '..', '..', 'config', 'examples', 'rsj-event.txt'));

const hostile = fc.oneof(
  fc.constantFrom(
    '<script>alert(1)</script>',
    "'; DROP TABLE events; --",
    '1 UNION SELECT password FROM users',
    '%00',
    '%FF%FE',
    '%',
    '%%41',
    '+',
    '&',
    '=',
    '\uFFFD',
    '䶮𠮷',
    '\uD800',
    '__proto__',
    'hasOwnProperty',
    '430626198503120041',
    '43062685031200X',
    '430626851332004',
    '2026-13-01 00:00:00',
    '2026-02-29 24:00:00',
    '0000-00-00 00:00:00',
    '9999-12-31 23:59:59',
    'BJ',
    'bj',
    '',
  ),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer({ min: 300, max: 6000 }).map((n) => 'x'.repeat(n)),
);

const ZT = ['SB', 'SL', 'BYSL', 'BL', 'BZGZ', 'BZSL', 'BJ', 'CH'];

/** A form of RSJ fields with hostile values, percent-encoded properly or pasted raw. */
const formBody = fc
  .record({
    pairs: fc.array(
      fc.tuple(fc.oneof(fc.constantFrom(...RSJ_FIELDS), hostile), fc.oneof(fc.constantFrom(...ZT, '1', '2'), hostile)),
      { maxLength: 25 },
    ),
    encode: fc.boolean(),
  })
  .map(({ pairs, encode }) =>
    Buffer.from(
      pairs.map(([k, v]) => (encode ? new URLSearchParams([[k, v]]).toString() : `${k}=${v}`)).join('&'),
      'utf8',
    ),
  );

const payload = fc.oneof(
  formBody.map((body) => ({ body, charset: undefined as string | undefined })),
  fc.nat(EXAMPLE.length).map((n) => ({ body: EXAMPLE.subarray(0, n), charset: undefined as string | undefined })),
  fc.uint8Array({ maxLength: 1024 }).map((b) => ({ body: Buffer.from(b), charset: undefined as string | undefined })),
  fc
    .constantFrom('gbk', 'utf-8', 'latin1', 'big5', 'nonsense')
    .map((charset) => ({ body: EXAMPLE, charset: charset as string | undefined })),
  fc
    .string({ unit: 'binary', maxLength: 200 })
    .map((s) => ({ body: iconv.encode(s, 'gb18030'), charset: 'gbk' as string | undefined })),
);

describe('RSJ adapter under hostile payloads (property)', () => {
  it('never throws, and its output never makes validateCanonicalEvent throw', () => {
    fc.assert(
      fc.property(payload, ({ body, charset }) => {
        const raw: RawInbound = {
          department: 'RSJ',
          mediaType: 'application/x-www-form-urlencoded',
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
        assert.doesNotMatch(String(reply.body), /[\r\n]/);
      }),
      { numRuns: 10_000 },
    );
  }, 60_000);
});
