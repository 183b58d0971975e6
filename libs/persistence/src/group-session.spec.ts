import fc from 'fast-check';
import { escape, format } from 'mysql2';
import { mysqlLiteral } from './group-session';

/**
 * Values written into MySQL statements in place must read exactly as the driver's own `?`
 * formatting would have written them: same escaping of quotes, backslashes, NUL and control
 * characters, same dates in the connection's time zone, same buffers.
 */
describe('mysqlLiteral', () => {
  const tricky = fc.constantFrom("'", '"', '\\', '\0', '\n', '\r', '\x1a', '\b', '\t', '?', '??', '%', '_', '`', '--', ';', '受理', '𠀀', '\u2028');
  const text = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.array(fc.oneof(tricky, fc.string({ maxLength: 5 })), { maxLength: 12 }).map((parts) => parts.join('')),
  );
  const value = fc.oneof(
    text,
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.constantFrom(null, undefined, true, false, 0, -0, 1.5e300),
    fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }),
    fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
  );

  it.each(['Z', 'local', '+08:00'])('writes every value as the driver escapes it (time zone %s)', (timezone) => {
    fc.assert(
      fc.property(value, (v) => {
        expect(mysqlLiteral(v, timezone)).toBe(escape(v as never, false, timezone));
      }),
      { numRuns: 3000 },
    );
  });

  it('gives the same statement text as the driver formatting its placeholders', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 8 }), (values) => {
        const sql = `INSERT INTO t VALUES (${values.map(() => '?').join(', ')})`;
        expect(`INSERT INTO t VALUES (${values.map((v) => mysqlLiteral(v, 'Z')).join(', ')})`).toBe(format(sql, values as never[], false, 'Z'));
      }),
      { numRuns: 1000 },
    );
  });

  it('writes an invalid date as NULL, as the driver does', () => {
    expect(mysqlLiteral(new Date(Number.NaN), 'Z')).toBe('NULL');
    expect(escape(new Date(Number.NaN), false, 'Z')).toBe('NULL');
  });
});
