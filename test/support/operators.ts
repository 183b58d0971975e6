import { generate } from 'otplib';
import request from 'supertest';

/**
 * Operators in tests: signing in with a second factor (TOTP, RFC 6238) computed here from the
 * shared secret, as an authenticator app does. The gateway accepts each time step once, so the
 * codes handed out per secret move forward a step at a time (waiting for the clock when three
 * sign-ins fall within one 30-second step).
 */
const lastStep = new Map<string, number>();

/** A code the gateway has not seen yet for this secret. */
export async function nextTotpCode(secret: string): Promise<string> {
  for (;;) {
    const current = Math.floor(Date.now() / 30_000);
    const step = Math.max(current, (lastStep.get(secret) ?? -1) + 1);
    if (step <= current + 1) {
      lastStep.set(secret, step);
      return generate({ secret, epoch: step * 30 });
    }
    await new Promise((r) => setTimeout(r, step * 30_000 - 30_000 - Date.now() + 50));
  }
}

/** TOTP secrets of the accounts enrolled by these helpers, per gateway and user name. */
const secrets = new Map<string, string>();
export const totpSecretOf = (url: string, username: string): string | undefined => secrets.get(`${url}|${username}`);

const cookieOf = (res: request.Response) => String(res.headers['set-cookie']).split(';')[0];

/** Enrols the second factor of a signed-in session; returns the secret. */
export async function enrolTotp(url: string, cookie: string, username?: string): Promise<string> {
  const r = await request(url).post('/api/v1/auth/totp/enrol').set('Cookie', cookie).expect(200);
  const secret: string = r.body.secret;
  await request(url).post('/api/v1/auth/totp/confirm').set('Cookie', cookie).send({ code: await nextTotpCode(secret) }).expect(200);
  if (username) secrets.set(`${url}|${username}`, secret);
  return secret;
}

/**
 * Signs in (password, then the code when the account has a second factor) and returns the
 * session cookie. An account that must enrol (every admin) enrols here, so the session can do
 * its work.
 */
export async function signIn(url: string, username: string, password: string): Promise<string> {
  const first = await request(url).post('/api/v1/auth/login').send({ username, password }).expect(200);
  let cookie: string;
  if (first.body.needsTotp) {
    const secret = secrets.get(`${url}|${username}`);
    if (!secret) throw new Error(`${username} has a second factor these helpers do not know`);
    const second = await request(url)
      .post('/api/v1/auth/login/totp')
      .send({ pendingToken: first.body.pendingToken, code: await nextTotpCode(secret) })
      .expect(200);
    cookie = cookieOf(second);
  } else cookie = cookieOf(first);
  if (first.body.setup === 'totp-enrolment') await enrolTotp(url, cookie, username);
  return cookie;
}

/** Creates an account through an admin's session and signs it in. */
export async function createAndSignIn(url: string, adminCookie: string, username: string, role: string, password: string): Promise<string> {
  await request(url).post('/api/v1/ops/operators').set('Cookie', adminCookie).send({ username, role, password }).expect(201);
  return signIn(url, username, password);
}
