import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { maskFreeText } from '#gw/case';

/** Keys whose values are personal data or secrets wherever they appear in a log object. */
export const REDACTED_KEYS = [
  'authorization',
  'x-signature',
  'idNo',
  'certNo',
  'sqrsfzh',
  'ZJH',
  'phone',
  'mobile',
  'sqrsjh',
  'DH',
  'body',
  'password',
  'secret',
  'token',
];

const redactPaths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `req.headers.${k}`]);

/** pino options: JSON lines, a correlation id per request, personal data redacted or masked. */
export function pinoOptions(level: string) {
  return {
    level,
    redact: { paths: redactPaths, censor: '[REDACTED]' },
    hooks: {
      // Free-text messages may quote a payload: mask ID and phone numbers in every string argument.
      logMethod(this: unknown, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? maskFreeText(a) : a)));
      },
    },
    formatters: {
      log(obj: Record<string, unknown>) {
        if (typeof obj.err === 'object' && obj.err && typeof (obj.err as any).message === 'string') {
          (obj.err as any).message = maskFreeText((obj.err as any).message);
          if (typeof (obj.err as any).stack === 'string') (obj.err as any).stack = maskFreeText((obj.err as any).stack);
        }
        return obj;
      },
    },
  };
}

export const CORRELATION_HEADER = 'x-correlation-id';

/** The request's correlation id: the caller's `X-Correlation-Id` when it is a sane token, else a new UUID. */
export function correlationIdOf(req: IncomingMessage): string {
  const given = req.headers[CORRELATION_HEADER];
  return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
}

/** pino-http options sharing the same redaction, with the correlation id taken from or set on the request. */
export function pinoHttpOptions(level: string) {
  return {
    ...pinoOptions(level),
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const id = correlationIdOf(req);
      res.setHeader('X-Correlation-Id', id);
      return id;
    },
    customProps: (req: IncomingMessage) => ({ correlationId: (req as any).id }),
    serializers: {
      req: (req: any) => ({ method: req.method, url: maskFreeText(req.url ?? ''), id: req.id }),
      res: (res: any) => ({ statusCode: res.statusCode }),
    },
    autoLogging: { ignore: (req: IncomingMessage) => (req.url ?? '').startsWith('/health') },
  };
}
