import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import pino, { Logger } from 'pino';
import { maskFreeText } from '#gw/case';
import { correlationIdOf, requestLogLevel, rootLogFormat } from '#gw/common';
import { IngestService } from '../ingest.service';
import { clientAddressOf } from '../ingress-throttle';
import { errorReply } from './error-reply';
import { headerRecord } from './ingress.controller';
import { setSecurityHeaders } from './security-headers';

/** `POST /api/v1/departments/{dept}/events` (Express matches case-insensitively, trailing slash allowed). */
const EVENT_PATH = /^\/api\/v1\/departments\/([^/?#]+)\/events\/?(?:\?.*)?$/i;

export interface EventFastPathOptions {
  maxEventBytes: number;
  /** The request log (pino's root logger); read per request, as it is set up after the app is created. */
  logger: () => Logger | undefined;
}

/**
 * Department event posts served straight from Node's HTTP server, ahead of Express and Nest.
 *
 * Why: this is the one route that carries the counties' whole volume, and the framework around it
 * (router, body parser, per-request child logger, middleware chain) cost more CPU than the work of
 * the request itself — on two cores it capped durable ingest at about a third of what the store
 * can commit. The work is the same `IngestService.receiveEvent` the controller calls, so the
 * answers are identical; the answer shapes for errors come from the same `errorReply` as the
 * exception filter, and the correlation id and request log line are those of pino-http.
 * Anything unusual (a compressed body) is left to the full pipeline.
 */
export class EventFastPath {
  private accessLog?: { root: Logger; logger: Logger };

  constructor(
    private readonly ingest: IngestService,
    private readonly options: EventFastPathOptions,
  ) {}

  /** Puts the fast path in front of the server's existing request handler (the Express app). */
  install(server: Server): void {
    const handlers = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const department = this.departmentOf(req);
      if (department !== undefined) return this.serve(req, res, department);
      for (const handler of handlers) handler.call(server, req, res);
    });
  }

  /** The department of an event post this path serves; undefined for anything else. */
  private departmentOf(req: IncomingMessage): string | undefined {
    if (req.method !== 'POST') return undefined;
    const encoding = req.headers['content-encoding'];
    if (encoding && encoding.toLowerCase() !== 'identity') return undefined;
    const m = EVENT_PATH.exec(req.url ?? '');
    return m ? decodePathSegment(m[1]) : undefined;
  }

  private serve(req: IncomingMessage, res: ServerResponse, department: string): void {
    const started = process.hrtime.bigint();
    const correlationId = correlationIdOf(req);
    res.setHeader('X-Correlation-Id', correlationId);
    setSecurityHeaders(req, res);
    const limit = this.options.maxEventBytes;
    const finish = (status: number, contentType: string, body: Buffer, headers?: Record<string, string>) => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': body.length });
      res.end(body);
      this.log(req, status, correlationId, started);
    };
    const fail = (exception: unknown) => {
      const { status, body, log } = errorReply(exception);
      if (log) this.options.logger()?.error({ err: log.err, correlationId }, log.message);
      finish(status, 'application/json; charset=utf-8', Buffer.from(JSON.stringify({ ...body, correlationId })));
    };
    const tooLarge = () => {
      // Answered at once; Node discards the rest of the body.
      fail({ type: 'entity.too.large' });
      req.resume();
    };

    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return tooLarge();
    // Over an address's limits: answered before the body is read (Node discards it).
    const clientAddress = clientAddressOf(req);
    const throttled = this.ingest.throttleBeforeRead(department, clientAddress, req.headers.authorization);
    if (throttled) {
      const bytes = typeof throttled.body === 'string' ? Buffer.from(throttled.body, 'utf8') : throttled.body;
      finish(throttled.status, typeof throttled.body === 'string' ? withUtf8Charset(throttled.contentType) : throttled.contentType, bytes, throttled.headers);
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        return tooLarge();
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      done = true; // the client went away: nothing was read, nothing to answer
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      this.ingest
        .receiveEvent({
          department,
          authorization: req.headers.authorization,
          headers: headerRecord(req),
          contentType: req.headers['content-type'],
          body,
          correlationId,
          clientAddress,
          addressChecked: true,
        })
        .then((reply) => {
          const bytes = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : reply.body;
          // As Express's `send` does for text: the bytes are UTF-8, so the header says so.
          const type = typeof reply.body === 'string' ? withUtf8Charset(reply.contentType) : reply.contentType;
          finish(reply.status, type, bytes, reply.headers);
        }, fail);
    });
  }

  /**
   * The access log: the root logger's level and destination, without its redaction. The line is
   * built here from the method, the masked URL, the status and the timing, and holds no personal
   * data; running pino's wildcard redaction over it cost more than the rest of the logging.
   */
  private accessLogger(): Logger | undefined {
    const root = this.options.logger();
    if (!root) return undefined;
    if (this.accessLog?.root !== root) {
      const stream = (root as unknown as Record<symbol, pino.DestinationStream>)[pino.symbols.streamSym];
      this.accessLog = { root, logger: stream ? pino({ level: root.level }, stream) : root };
    }
    if (this.accessLog.logger.level !== root.level) this.accessLog.logger.level = root.level;
    return this.accessLog.logger;
  }

  /** The line pino-http writes for every answered request. */
  private log(req: IncomingMessage, statusCode: number, correlationId: string, started: bigint): void {
    const logger = this.accessLogger();
    const level = requestLogLevel(rootLogFormat(), statusCode);
    if (!logger?.isLevelEnabled(level)) return;
    const responseTime = Number(process.hrtime.bigint() - started) / 1e6;
    logger[level](
      { req: { method: req.method, url: maskFreeText(req.url ?? ''), id: correlationId }, res: { statusCode }, responseTime: Math.round(responseTime), correlationId },
      'request completed',
    );
  }
}

function withUtf8Charset(contentType: string): string {
  const [type, ...params] = contentType.split(';').map((p) => p.trim());
  return [type, ...params.filter((p) => !/^charset=/i.test(p)), 'charset=utf-8'].join('; ');
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // not percent-encoded properly: an unknown department either way
  }
}
