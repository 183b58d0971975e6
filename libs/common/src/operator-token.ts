import { ConfigError } from './errors';
import { secretsEqual } from './secrets';

/**
 * `GATEWAY_OPERATOR_TOKEN` never expired: a copy left in a script or a shell history worked for
 * ever. `GATEWAY_OPERATOR_TOKEN_EXPIRES=yyyy-MM-dd` ends it at the end of that day (Beijing
 * time); production start-up warns when no date is set. Its uses are audited as `operator:token`.
 */
export const OPERATOR_TOKEN_EXPIRES_ENV = 'GATEWAY_OPERATOR_TOKEN_EXPIRES';

/** The instant the operator token stops working, or null when it does not expire. Throws on a malformed date. */
export function operatorTokenExpiry(env: Readonly<Record<string, string | undefined>>): Date | null {
  const raw = env[OPERATOR_TOKEN_EXPIRES_ENV]?.trim();
  if (!raw) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
  const day = m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : null;
  if (!m || !day || day.getUTCFullYear() !== +m[1] || day.getUTCMonth() !== +m[2] - 1 || day.getUTCDate() !== +m[3]) {
    throw new ConfigError(`${OPERATOR_TOKEN_EXPIRES_ENV}="${raw}": 须为日期 yyyy-MM-dd must be a date, e.g. 2026-12-31`);
  }
  // The end of that day in Beijing (UTC+8): the next day's 00:00 +08:00.
  return new Date(day.getTime() + 24 * 3600_000 - 8 * 3600_000);
}

/** Whether `given` is the operator token and it has not expired at `now`. */
export function operatorTokenAccepted(given: string, token: string, expiresAt: Date | null, now = Date.now()): boolean {
  if (!secretsEqual(given, token)) return false;
  return expiresAt === null || now < expiresAt.getTime();
}
