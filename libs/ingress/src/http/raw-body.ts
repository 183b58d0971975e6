import type { INestApplication } from '@nestjs/common';
import express from 'express';

/**
 * The operators' and sign-in JSON: forms and filters of a few hundred bytes. A small cap keeps a
 * request nobody signed in for from costing the parser (and the validation after it) much.
 */
export const OPERATOR_JSON_LIMIT_BYTES = 64 * 1024;

/**
 * Deepest nesting accepted in operator JSON. Validation walks a body recursively: at depth
 * 100,000 that took half a second and ended in a stack overflow (500), without a login.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether JSON text nests arrays or objects deeper than `maxDepth`: one pass over the bytes,
 * brackets inside strings not counted. Run before the parser, so a deep body costs no more than
 * reading it.
 */
export function jsonNestsDeeperThan(buf: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next byte is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** The operators' routes among the department and platform ones: token and callback-secret rotation (JSON, admin). */
export const OPERATOR_ROUTES_UNDER_DEPARTMENTS = /^\/api\/v1\/(departments\/[^/?#]+\/tokens|platform\/callback-secret)(?:[/?#]|$)/i;

/**
 * Department routes need the exact bytes sent (GBK XML, forms, signatures), so they get a raw
 * buffer; the operators' JSON API gets the JSON parser, bounded in size and depth. Batch uploads
 * are read as streams by their controller and get no parser here. Compressed bodies (gzip,
 * deflate) are inflated by the parsers with the limit applied to the inflated bytes: a small
 * "gzip bomb" is refused with 413 once the limit is passed.
 */
export function installBodyParsers(app: INestApplication, maxEventBytes: number): void {
  const raw = express.raw({ type: () => true, limit: maxEventBytes });
  app.use('/api/v1/departments/:dept/events', raw);
  // The admin's callback-secret rotation under /api/v1/platform is the operators' JSON API.
  app.use('/api/v1/platform', (req: express.Request, res: express.Response, next: express.NextFunction) => (OPERATOR_ROUTES_UNDER_DEPARTMENTS.test(req.originalUrl) ? next() : raw(req, res, next)));
  const json = express.json({
    limit: OPERATOR_JSON_LIMIT_BYTES,
    verify: (_req, _res, buf) => {
      if (jsonNestsDeeperThan(buf, MAX_JSON_DEPTH)) {
        throw Object.assign(
          new Error(`JSON 嵌套超过 ${MAX_JSON_DEPTH} 层 JSON nests deeper than ${MAX_JSON_DEPTH} levels`),
          { status: 400, type: 'entity.too.deep' },
        );
      }
    },
  });
  app.use((req: express.Request, res: express.Response, next: express.NextFunction) => {
    if ((req.path.startsWith('/api/v1/departments/') || req.path.startsWith('/api/v1/platform')) && !OPERATOR_ROUTES_UNDER_DEPARTMENTS.test(req.path)) return next();
    return json(req, res, next);
  });
}
