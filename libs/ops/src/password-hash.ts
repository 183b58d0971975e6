import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * OWASP's scrypt setting (N=2^17, r=8, p=1): 128 MiB and ~0.3 s per hash. Hashes made with other
 * parameters (2^14 before) still verify — the parameters are in the stored string — and are
 * replaced on the next successful login (`needsRehash`). Node runs at most four hashes at once
 * (its thread pool), so logins cost at most ~0.5 GiB together.
 */
const N = 1 << 17;
const R = 8;
const P = 1;
const KEY_LEN = 32;
/** Largest parameters a stored hash may ask for (memory is 128·N·r bytes). */
const MAX_N = 1 << 20;
const MAX_R = 16;
const MAX_P = 4;

function scryptAsync(
  password: string,
  salt: Buffer,
  keyLen: number,
  opts: { N: number; r: number; p: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, keyLen, { ...opts, maxmem: 128 * opts.N * opts.r * 2 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$<salt>$<hash>` with a fresh 16-byte salt (node's built-in scrypt; no native addon). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEY_LEN, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Compares in constant time; false for anything malformed. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = String(stored ?? '').split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0) || n > MAX_N || r > MAX_R || p > MAX_P) return false;
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  if (!expected.length) return false;
  const key = await scryptAsync(String(password ?? ''), salt, expected.length, { N: n, r, p });
  return timingSafeEqual(key, expected);
}

/** Whether a stored hash was made with weaker parameters than today's (and should be made again). */
export function needsRehash(stored: string): boolean {
  const parts = String(stored ?? '').split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return true;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  return n < N || r < R || p < P;
}

/** A hash of a random password: unknown user names are checked against it so they take as long as known ones. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  return dummy;
}
