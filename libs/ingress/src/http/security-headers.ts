import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/**
 * The security headers of every answer (helmet, with the dashboard's needs): everything is
 * served by the gateway itself (county intranets have no internet), nothing may frame it, no
 * plugin content, no inline scripts. Inline styles stay allowed: ECharts positions its tooltips
 * with them. HSTS is sent always; browsers honour it only over HTTPS (the TLS terminator's).
 */
const helmetMiddleware = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      'default-src': ["'self'"],
      'base-uri': ["'self'"],
      'object-src': ["'none'"],
      'frame-ancestors': ["'none'"],
      'form-action': ["'self'"],
      'script-src': ["'self'"],
      'script-src-attr': ["'none'"],
      'style-src': ["'self'", "'unsafe-inline'"],
      'img-src': ["'self'", 'data:'],
      'font-src': ["'self'", 'data:'],
      'connect-src': ["'self'"],
    },
  },
  crossOriginOpenerPolicy: { policy: 'same-origin' },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
});

/** The headers helmet sets, worked out once: the events fast path sets them without running it per request. */
function staticHeaders(): [string, string][] {
  const headers: [string, string][] = [];
  const res = {
    setHeader: (name: string, value: string | number | readonly string[]) => headers.push([name, String(value)]),
    removeHeader: () => undefined,
    getHeader: () => undefined,
  };
  helmetMiddleware({ headers: {} } as IncomingMessage, res as unknown as ServerResponse, () => undefined);
  return headers;
}

export const SECURITY_HEADERS: readonly (readonly [string, string])[] = Object.freeze(staticHeaders());

/** Answers of the API are never to be cached: they hold case data and change. */
export const API_CACHE_CONTROL = 'no-store';

/** Sets the security headers (and `Cache-Control: no-store` on `/api/…`) on an answer before it is written. */
export function setSecurityHeaders(req: Pick<IncomingMessage, 'url'>, res: Pick<ServerResponse, 'setHeader' | 'removeHeader'>): void {
  for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
  res.removeHeader('X-Powered-By');
  if (req.url?.startsWith('/api/')) res.setHeader('Cache-Control', API_CACHE_CONTROL);
}

/** The same, as Express middleware (first in the chain). */
export function securityHeadersMiddleware(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  setSecurityHeaders(req, res);
  next();
}
