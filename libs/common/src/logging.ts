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

/**
 * How the log is written: `pretty` (one readable line per entry, for a person at a terminal) or
 * `json` (one JSON object per line, for log collectors). `LOG_FORMAT` decides when set; otherwise
 * pretty only on a terminal, and never into a LOG_FILE.
 */
export function logFormatFor(env: Readonly<Record<string, string | undefined>>, isTTY = !!process.stdout.isTTY): 'pretty' | 'json' {
  const given = env.LOG_FORMAT?.toLowerCase();
  if (given === 'json' || given === 'pretty') return given;
  return isTTY && !env.LOG_FILE ? 'pretty' : 'json';
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const PRETTY_SKIPPED = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'context', 'req', 'res', 'responseTime', 'correlationId', 'err']);

/** One JSON log line as a person reads it: Beijing time, level, context, message, the other fields. */
export function prettyLogLine(json: string): string {
  let o: Record<string, any>;
  try {
    o = JSON.parse(json);
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = new Date(typeof o.time === 'number' ? o.time : Date.now()).toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
  const parts = [time, LEVEL_NAMES[o.level] ?? String(o.level)];
  if (o.context) parts.push(`[${o.context}]`);
  if (o.req && o.res) parts.push(`${o.req.method} ${o.req.url} ${o.res.statusCode}${o.responseTime !== undefined ? ` ${o.responseTime}ms` : ''}`);
  if (o.msg !== undefined && !(o.req && o.res && o.msg === 'request completed')) parts.push(String(o.msg));
  const extra = Object.entries(o)
    .filter(([k]) => !PRETTY_SKIPPED.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  if (extra.length) parts.push(extra.join(' '));
  if (o.correlationId && o.level >= 40) parts.push(`(${o.correlationId})`);
  let line = parts.join(' ');
  if (o.err) line += `\n    ${String(o.err.stack ?? o.err.message ?? JSON.stringify(o.err)).replace(/\n/g, '\n    ')}`;
  return `${line}\n`;
}

/** A pino destination writing readable lines to stdout (built in: no worker thread, no extra package). */
export function prettyDestination(out: { write(s: string): unknown } = process.stdout): { write(s: string): void } {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) out.write(prettyLogLine(line));
    },
  };
}

/**
 * The level of a request's access line. For a person at a terminal a successful request is
 * detail (debug); refusals stay at info. JSON logs keep pino-http's levels (error from 500 or on
 * an error, else info), as log collectors expect.
 */
export function requestLogLevel(format: 'pretty' | 'json', statusCode: number, err?: unknown): 'debug' | 'info' | 'error' {
  if (err || statusCode >= 500) return 'error';
  return format === 'pretty' && statusCode < 400 ? 'debug' : 'info';
}

/**
 * Nest's own start-up chatter (one line per module, controller and route): detail, not news. At
 * the default level only the banner is printed once the gateway listens.
 */
export const QUIET_NEST_CONTEXTS = new Set(['RoutesResolver', 'RouterExplorer', 'InstanceLoader', 'NestFactory', 'NestApplication', 'NestMicroservice']);

let rootLogger: import('pino').Logger | undefined;
let rootFormat: 'pretty' | 'json' = 'json';
/** The process's root pino logger once its app is built (the ingress fast path writes its access lines there). */
export function getRootLogger(): import('pino').Logger | undefined {
  return rootLogger;
}
export function setRootLogger(logger: import('pino').Logger, format: 'pretty' | 'json'): void {
  rootLogger = logger;
  rootFormat = format;
}
/** Whether the root logger writes pretty lines or JSON. */
export function rootLogFormat(): 'pretty' | 'json' {
  return rootFormat;
}
