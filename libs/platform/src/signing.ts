/**
 * Request signing of the city platform interface (city-platform-api.md, "Transport and signing").
 * Shared by the gateway's HTTP client and the platform simulator, so both sides sign and verify
 * with the same code. Pure node:crypto; no framework imports.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type SignAlg = 'hmac-sm3' | 'hmac-sha256';
export const SIGN_ALGS: readonly SignAlg[] = ['hmac-sm3', 'hmac-sha256'];
export const DEFAULT_SIGN_ALG: SignAlg = 'hmac-sm3';

/** A timestamp further than this from the receiver's clock is rejected (1002). */
export const SIGNATURE_WINDOW_MS = 300_000;
/** A nonce seen within this period is a replay (1003). */
export const NONCE_TTL_MS = 600_000;
export const NONCE_MIN_LENGTH = 16;
export const NONCE_MAX_LENGTH = 64;

export const HEADER_APP_ID = 'X-App-Id';
export const HEADER_TIMESTAMP = 'X-Timestamp';
export const HEADER_NONCE = 'X-Nonce';
export const HEADER_SIGNATURE = 'X-Signature';

export interface SignedHeaders {
  'X-App-Id': string;
  'X-Timestamp': string;
  'X-Nonce': string;
  'X-Signature': string;
}

export function isSignAlg(value: unknown): value is SignAlg {
  return typeof value === 'string' && (SIGN_ALGS as readonly string[]).includes(value);
}

function hashName(alg: SignAlg): 'sm3' | 'sha256' {
  if (alg === 'hmac-sm3') return 'sm3';
  if (alg === 'hmac-sha256') return 'sha256';
  throw new Error(`unknown signature algorithm: ${String(alg)}`);
}

/** Lowercase hex HMAC over `appId \n timestamp \n nonce \n rawBody` (rawBody: the exact bytes sent). */
export function computeSignature(
  secret: string,
  alg: SignAlg,
  appId: string,
  timestamp: string | number,
  nonce: string,
  rawBody: Buffer | string,
): string {
  const hmac = createHmac(hashName(alg), secret);
  hmac.update(`${appId}\n${timestamp}\n${nonce}\n`, 'utf8');
  hmac.update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody);
  return hmac.digest('hex');
}

/** 32 random hex characters. */
export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

export interface SignRequestInput {
  appId: string;
  secret: string;
  alg: SignAlg;
  /** The exact body that will be sent; omit or '' for GET. */
  body?: Buffer | string;
  /** Milliseconds since the epoch; defaults to now. */
  now?: number;
  nonce?: string;
}

export function signedHeaders(input: SignRequestInput): SignedHeaders {
  const timestamp = String(Math.trunc(input.now ?? Date.now()));
  const nonce = input.nonce ?? newNonce();
  return {
    'X-App-Id': input.appId,
    'X-Timestamp': timestamp,
    'X-Nonce': nonce,
    'X-Signature': computeSignature(input.secret, input.alg, input.appId, timestamp, nonce, input.body ?? ''),
  };
}

export type SignatureFailureCode = '1001' | '1002' | '1003' | '1004';

export type SignatureVerification =
  { ok: true; appId: string } | { ok: false; code: SignatureFailureCode; message: string; appId?: string };

/** Header bags as Node (lower-case keys) or a client library (any case) hands them over. */
export type HeaderBag = Record<string, string | string[] | number | undefined | null>;

export interface VerifyRequestInput {
  headers: HeaderBag;
  rawBody: Buffer | string | undefined;
  /** The caller's secret, or undefined when the app id is not authorised. */
  secretFor: (appId: string) => string | undefined;
  alg: SignAlg;
  /** Receiver clock, milliseconds since the epoch; defaults to now. */
  now?: number;
  /**
   * Called only once the signature is valid (so forged requests cannot fill the cache): records
   * the nonce and answers whether it had been seen already. `NonceCache.seen` fits.
   */
  nonceSeen: (appId: string, nonce: string) => boolean;
  windowMs?: number;
}

export function headerValue(headers: HeaderBag, name: string): string | undefined {
  let value = headers[name] ?? headers[name.toLowerCase()];
  if (value === undefined) {
    const lower = name.toLowerCase();
    const key = Object.keys(headers).find((k) => k.toLowerCase() === lower);
    value = key === undefined ? undefined : headers[key];
  }
  if (Array.isArray(value)) value = value[0];
  return value === undefined || value === null ? undefined : String(value);
}

// Visible ASCII only: a newline in the nonce would make the signed string ambiguous.
const NONCE_PATTERN = new RegExp(`^[\\x21-\\x7e]{${NONCE_MIN_LENGTH},${NONCE_MAX_LENGTH}}$`);
const TIMESTAMP_PATTERN = /^\d{1,16}$/;
const SIGNATURE_PATTERN = /^[0-9a-f]{64}$/i;

/**
 * Checks the four signing headers of a received request. Order: app (1004), timestamp window
 * (1002), nonce form and signature (1001), and only then replay (1003).
 */
export function verifySignedRequest(input: VerifyRequestInput): SignatureVerification {
  const appId = headerValue(input.headers, HEADER_APP_ID)?.trim();
  if (!appId) return { ok: false, code: '1004', message: `${HEADER_APP_ID} header missing` };
  const secret = input.secretFor(appId);
  if (secret === undefined) return { ok: false, code: '1004', appId, message: `app ${appId} is not authorised` };

  const timestamp = headerValue(input.headers, HEADER_TIMESTAMP)?.trim() ?? '';
  const now = input.now ?? Date.now();
  if (!TIMESTAMP_PATTERN.test(timestamp)) {
    return { ok: false, code: '1002', appId, message: `${HEADER_TIMESTAMP} must be milliseconds since the epoch` };
  }
  const windowMs = input.windowMs ?? SIGNATURE_WINDOW_MS;
  if (Math.abs(now - Number(timestamp)) > windowMs) {
    return {
      ok: false,
      code: '1002',
      appId,
      message: `${HEADER_TIMESTAMP} is more than ${windowMs / 1000} s from the receiver clock`,
    };
  }

  const nonce = headerValue(input.headers, HEADER_NONCE) ?? '';
  if (!NONCE_PATTERN.test(nonce)) {
    return {
      ok: false,
      code: '1001',
      appId,
      message: `${HEADER_NONCE} must be ${NONCE_MIN_LENGTH}-${NONCE_MAX_LENGTH} visible ASCII characters`,
    };
  }

  const given = headerValue(input.headers, HEADER_SIGNATURE)?.trim() ?? '';
  const expected = computeSignature(secret, input.alg, appId, timestamp, nonce, input.rawBody ?? '');
  if (
    !SIGNATURE_PATTERN.test(given) ||
    !timingSafeEqual(Buffer.from(given.toLowerCase(), 'hex'), Buffer.from(expected, 'hex'))
  ) {
    return { ok: false, code: '1001', appId, message: 'signature invalid' };
  }

  if (input.nonceSeen(appId, nonce)) {
    return { ok: false, code: '1003', appId, message: `${HEADER_NONCE} was already used` };
  }
  return { ok: true, appId };
}

/**
 * Nonces seen in the last 10 minutes, per app id. Entries are kept in insertion order, which is
 * also expiry order, so expired ones are dropped from the front on every check; `maxEntries`
 * bounds memory even under a flood (the oldest go first).
 */
export class NonceCache {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly ttlMs: number = NONCE_TTL_MS,
    private readonly maxEntries: number = 500_000,
  ) {}

  /** Records the nonce; true when it had already been seen within the TTL. */
  seen(appId: string, nonce: string, now: number = Date.now()): boolean {
    this.evictExpired(now);
    const key = `${appId}\n${nonce}`;
    const expiry = this.expiries.get(key);
    if (expiry !== undefined && expiry > now) return true;
    this.expiries.delete(key);
    this.expiries.set(key, now + this.ttlMs);
    while (this.expiries.size > this.maxEntries) {
      const oldest = this.expiries.keys().next().value as string;
      this.expiries.delete(oldest);
    }
    return false;
  }

  get size(): number {
    return this.expiries.size;
  }

  clear(): void {
    this.expiries.clear();
  }

  private evictExpired(now: number): void {
    for (const [key, expiry] of this.expiries) {
      if (expiry > now) break;
      this.expiries.delete(key);
    }
  }
}
