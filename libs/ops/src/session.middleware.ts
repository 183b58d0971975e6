import { Injectable, Logger, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { OperatorAccountService } from './operator-account.service';
import { OPERATOR_ROUTES_UNDER_DEPARTMENTS } from '#gw/ingress';

export const SESSION_COOKIE = 'gw_session';

/** A cookie's value; a malformed one (bad percent-encoding) counts as absent: signed out, never a 500. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of String(header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

const isHttps = (req: Request) =>
  req.secure ||
  String(req.headers['x-forwarded-proto'] ?? '')
    .split(',')[0]
    .trim() === 'https';

/** `gw_session`: HttpOnly, SameSite=Strict, Secure over HTTPS; `maxAgeSeconds` 0 clears it. */
export function sessionCookie(req: Request, value: string, maxAgeSeconds: number): string {
  return [
    `${SESSION_COOKIE}=${maxAgeSeconds > 0 ? encodeURIComponent(value) : ''}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    ...(isHttps(req) ? ['Secure'] : []),
  ].join('; ');
}

/** A write from another site's page is not signed in (defence beside SameSite=Strict). */
function crossSiteWrite(req: Request): boolean {
  if (['GET', 'HEAD', 'OPTIONS'].includes(req.method)) return false;
  const origin = req.headers.origin;
  if (!origin || origin === 'null') return origin === 'null';
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

export interface OperatorRequest extends Request {
  operator?: string;
  operatorRole?: string;
  /** Set: the session may do nothing else until this is done (OperatorGuard answers 403). */
  operatorSetup?: 'password-change' | 'totp-enrolment';
  operatorSession?: { username: string; expiresAt: Date; totp: 'on' | 'pending' | 'off'; totpRequired: boolean };
}

/**
 * Signs the request in from the dashboard's session cookie: sets `req.operator`
 * (`operator:<username>`, the audit actor) and `req.operatorRole`, which OperatorGuard checks.
 * Department and platform routes are skipped: they never carry the cookie — except the admin's
 * token and callback-secret rotation under them (`OPERATOR_ROUTES_UNDER_DEPARTMENTS`).
 */
@Injectable()
export class SessionMiddleware implements NestMiddleware {
  private readonly logger = new Logger('Session');

  constructor(private readonly accounts: OperatorAccountService) {}

  async use(req: OperatorRequest, res: Response, next: NextFunction): Promise<void> {
    const path = req.originalUrl ?? req.url;
    if ((path.startsWith('/api/v1/departments/') || path.startsWith('/api/v1/platform')) && !OPERATOR_ROUTES_UNDER_DEPARTMENTS.test(path)) return next();
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!id || crossSiteWrite(req)) return next();
    try {
      const s = await this.accounts.resolveSession(id);
      if (s) {
        req.operator = `operator:${s.username}`;
        req.operatorRole = s.role;
        if (s.setup) req.operatorSetup = s.setup;
        req.operatorSession = { username: s.username, expiresAt: s.expiresAt, totp: s.totp, totpRequired: s.totpRequired };
        if (s.renewed) res.append('Set-Cookie', sessionCookie(req, id, (s.expiresAt.getTime() - Date.now()) / 1000));
      }
    } catch (e) {
      // The database is away: the request goes on signed out (operator routes answer 401).
      this.logger.warn(`session lookup failed: ${(e as Error).message}`);
    }
    next();
  }
}
