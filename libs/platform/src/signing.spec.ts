import { createHmac } from 'node:crypto';
import {
  computeSignature,
  NonceCache,
  signedHeaders,
  verifySignedRequest,
  type SignAlg,
  type VerifyRequestInput,
} from './signing';

const APP = '430626-gateway';
const SECRET = 'secret1';
const NOW = Date.parse('2026-11-27T10:00:00+08:00');

function verify(
  headers: Record<string, string>,
  body: string | Buffer,
  overrides: Partial<VerifyRequestInput> = {},
  cache = new NonceCache(),
) {
  return verifySignedRequest({
    headers,
    rawBody: body,
    secretFor: (id) => (id === APP ? SECRET : undefined),
    alg: 'hmac-sm3',
    now: NOW,
    nonceSeen: (id, nonce) => cache.seen(id, nonce, NOW),
    ...overrides,
  });
}

describe('computeSignature', () => {
  it('is the HMAC-SM3 of appId, timestamp, nonce and body joined by newlines (known answer)', () => {
    const body = '{"source_case_id":"PJ-1","name":"张三"}';
    const expected = createHmac('sm3', SECRET)
      .update(`${APP}\n1764208800000\nabcdef0123456789abcdef0123456789\n${body}`)
      .digest('hex');
    expect(computeSignature(SECRET, 'hmac-sm3', APP, '1764208800000', 'abcdef0123456789abcdef0123456789', body)).toBe(
      expected,
    );
    expect(
      computeSignature(SECRET, 'hmac-sm3', APP, 1764208800000, 'abcdef0123456789abcdef0123456789', Buffer.from(body)),
    ).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it('uses SHA-256 when configured', () => {
    const expected = createHmac('sha256', SECRET).update(`${APP}\n1\nnonce-nonce-nonce\n`).digest('hex');
    expect(computeSignature(SECRET, 'hmac-sha256', APP, 1, 'nonce-nonce-nonce', '')).toBe(expected);
    expect(computeSignature(SECRET, 'hmac-sm3', APP, 1, 'nonce-nonce-nonce', '')).not.toBe(expected);
  });

  it('rejects an unknown algorithm', () => {
    expect(() => computeSignature(SECRET, 'md5' as SignAlg, APP, 1, 'n', '')).toThrow(/unknown signature algorithm/);
  });
});

describe('signedHeaders', () => {
  it('produces the four headers with a 32-hex-char nonce and the given time', () => {
    const headers = signedHeaders({ appId: APP, secret: SECRET, alg: 'hmac-sm3', body: '{}', now: NOW });
    expect(headers['X-App-Id']).toBe(APP);
    expect(headers['X-Timestamp']).toBe(String(NOW));
    expect(headers['X-Nonce']).toMatch(/^[0-9a-f]{32}$/);
    expect(headers['X-Signature']).toBe(computeSignature(SECRET, 'hmac-sm3', APP, NOW, headers['X-Nonce'], '{}'));
    expect(signedHeaders({ appId: APP, secret: SECRET, alg: 'hmac-sm3' })['X-Nonce']).not.toBe(headers['X-Nonce']);
  });
});

describe('verifySignedRequest', () => {
  const body = JSON.stringify({ seq: 1, event_name: 'UNDERTAKEN' });
  const signed = (over: Partial<Parameters<typeof signedHeaders>[0]> = {}) =>
    signedHeaders({ appId: APP, secret: SECRET, alg: 'hmac-sm3', body, now: NOW, ...over }) as unknown as Record<
      string,
      string
    >;

  it('accepts a correctly signed request', () => {
    expect(verify(signed(), body)).toEqual({ ok: true, appId: APP });
  });

  it('reads headers case-insensitively (Node lower-cases them)', () => {
    const lower = Object.fromEntries(Object.entries(signed()).map(([k, v]) => [k.toLowerCase(), v]));
    expect(verify(lower, Buffer.from(body))).toEqual({ ok: true, appId: APP });
  });

  it('answers 1001 for a wrong secret', () => {
    expect(verify(signed({ secret: 'other' }), body)).toMatchObject({ ok: false, code: '1001' });
  });

  it('answers 1001 when the body was tampered with', () => {
    expect(verify(signed(), body.replace('1', '2'))).toMatchObject({ ok: false, code: '1001' });
    expect(verify(signed(), body + ' ')).toMatchObject({ ok: false, code: '1001' });
  });

  it('answers 1001 for a missing or malformed signature or nonce', () => {
    const h = signed();
    expect(verify({ ...h, 'X-Signature': '' }, body)).toMatchObject({ code: '1001' });
    expect(verify({ ...h, 'X-Signature': 'zz' + h['X-Signature'].slice(2) }, body)).toMatchObject({ code: '1001' });
    expect(verify(signed({ nonce: 'short' }), body)).toMatchObject({ code: '1001' });
    expect(verify(signed({ nonce: 'x'.repeat(65) }), body)).toMatchObject({ code: '1001' });
    expect(verify(signed({ nonce: 'x'.repeat(16) }), body)).toMatchObject({ ok: true });
    expect(verify(signed({ nonce: 'y'.repeat(64) }), body)).toMatchObject({ ok: true });
  });

  it('answers 1002 for a timestamp outside the 300 s window, either side', () => {
    expect(verify(signed({ now: NOW - 301_000 }), body)).toMatchObject({ ok: false, code: '1002' });
    expect(verify(signed({ now: NOW + 301_000 }), body)).toMatchObject({ ok: false, code: '1002' });
    expect(verify(signed({ now: NOW - 299_000 }), body)).toMatchObject({ ok: true });
    expect(verify({ ...signed(), 'X-Timestamp': 'yesterday' }, body)).toMatchObject({ code: '1002' });
  });

  it('answers 1003 for a replayed nonce', () => {
    const cache = new NonceCache();
    const h = signed();
    expect(verify(h, body, {}, cache)).toMatchObject({ ok: true });
    expect(verify(h, body, {}, cache)).toMatchObject({ ok: false, code: '1003' });
  });

  it('does not remember the nonce of a forged request', () => {
    const cache = new NonceCache();
    const h = signed();
    expect(verify({ ...h, 'X-Signature': signed({ secret: 'forged' })['X-Signature'] }, body, {}, cache)).toMatchObject(
      { code: '1001' },
    );
    expect(verify(h, body, {}, cache)).toMatchObject({ ok: true });
  });

  it('answers 1004 for an unknown or missing app id', () => {
    expect(verify(signed({ appId: 'intruder' }), body)).toMatchObject({ ok: false, code: '1004' });
    const { 'X-App-Id': _omitted, ...rest } = signed();
    expect(verify(rest, body)).toMatchObject({ ok: false, code: '1004' });
  });

  it('verifies SHA-256 signatures in sha256 mode only', () => {
    const h = signed({ alg: 'hmac-sha256' });
    expect(verify(h, body, { alg: 'hmac-sha256' })).toMatchObject({ ok: true });
    expect(verify(signed({ alg: 'hmac-sha256' }), body)).toMatchObject({ code: '1001' });
  });
});

describe('NonceCache', () => {
  it('forgets nonces after 10 minutes and evicts expired entries', () => {
    const cache = new NonceCache();
    expect(cache.seen(APP, 'a'.repeat(16), 0)).toBe(false);
    expect(cache.seen(APP, 'a'.repeat(16), 599_999)).toBe(true);
    expect(cache.seen('other-app', 'a'.repeat(16), 1_000)).toBe(false);
    expect(cache.seen(APP, 'b'.repeat(16), 700_000)).toBe(false);
    expect(cache.size).toBe(1);
    expect(cache.seen(APP, 'a'.repeat(16), 700_001)).toBe(false);
  });

  it('stays within its bound under a flood', () => {
    const cache = new NonceCache(600_000, 100);
    for (let i = 0; i < 1_000; i++) cache.seen(APP, `nonce-${i}`.padEnd(16, '0'), 1);
    expect(cache.size).toBe(100);
  });
});
