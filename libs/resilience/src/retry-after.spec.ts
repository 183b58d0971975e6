import { parseRetryAfter } from './retry-after';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-12-04T08:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter(['2', '9'], now)).toBe(2000);
  });

  it('reads an HTTP date, relative to now; a past date is 0', () => {
    expect(parseRetryAfter('Fri, 04 Dec 2026 08:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Fri, 04 Dec 2026 07:59:00 GMT', now)).toBe(0);
  });

  it('gives undefined for what it cannot read', () => {
    for (const v of [undefined, null, '', 'soon', '1.5', '-3']) expect(parseRetryAfter(v as string, now)).toBeUndefined();
  });
});
