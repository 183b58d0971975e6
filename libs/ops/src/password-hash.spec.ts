import { randomBytes, scryptSync } from 'node:crypto';
import { hashPassword, needsRehash, verifyPassword } from './password-hash';

/** A hash as the gateway made them before (scrypt N=2^14). */
function oldHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, 32, { N: 16384, r: 8, p: 1 });
  return ['scrypt', 16384, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
}

describe('password hashing (node scrypt, salted)', () => {
  it('verifies the right password only, and salts every hash', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('treats malformed stored values as a mismatch instead of throwing', async () => {
    for (const bad of ['', 'plain', 'scrypt$x$8$1$aa$bb', 'bcrypt$1$2$3$4$5', 'scrypt$16384$8$1$c2FsdA==$']) {
      expect(await verifyPassword('whatever', bad)).toBe(false);
    }
  });

  it('hashes at OWASP strength (N=2^17, r=8, p=1) and still verifies the old 2^14 hashes, which ask to be made again', async () => {
    const old = oldHash('old secret 2025');
    expect(await verifyPassword('old secret 2025', old)).toBe(true);
    expect(await verifyPassword('old secret 2026', old)).toBe(false);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash(await hashPassword('new secret'))).toBe(false);
  });

  it('refuses stored parameters that would take unbounded memory', async () => {
    expect(await verifyPassword('x', 'scrypt$16384$4096$1$c2FsdA==$c2FsdA==')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$16384$8$64$c2FsdA==$c2FsdA==')).toBe(false);
  });
});
