import { DynamicModule, Global, LoggerService, Module } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { Logger as PinoInstance } from 'pino';
import pinoHttp, { HttpLogger } from 'pino-http';
import { QUIET_NEST_CONTEXTS, logFormatFor, pinoHttpOptions, prettyDestination, requestLogLevel, setRootLogger } from '#gw/common';

export interface GatewayLoggingOptions {
  level: string;
  /** Environment: LOG_FORMAT, LOG_FILE. */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * The gateway's log: pino, with its access log from pino-http, behind Nest's LoggerService.
 * (Small on purpose: nestjs-pino 5 wants Node ≥ 22.12, the README promises 20.19.)
 */
export class GatewayLogger implements LoggerService {
  readonly http: HttpLogger<IncomingMessage, ServerResponse>;
  readonly root: PinoInstance;

  constructor(options: GatewayLoggingOptions) {
    const format = logFormatFor(options.env);
    const logFile = options.env.LOG_FILE;
    // LOG_FILE: JSON lines to that file instead of stdout (same redaction and masking).
    const stream = logFile ? pino.destination({ dest: logFile, mkdir: true, sync: true }) : format === 'pretty' ? prettyDestination() : undefined;
    const opts = {
      ...pinoHttpOptions(options.level),
      customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) => requestLogLevel(format, res.statusCode, err),
    };
    this.http = (stream ? pinoHttp(opts as any, stream) : pinoHttp(opts as any)) as HttpLogger<IncomingMessage, ServerResponse>;
    this.root = this.http.logger as PinoInstance;
    setRootLogger(this.root, format);
  }

  log(message: unknown, ...params: unknown[]) {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]) {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]) {
    this.write('fatal', message, params);
  }

  /** Nest passes the context last (`new Logger('X').error(msg, stack)` → `(msg, stack, 'X')`). */
  private write(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', message: unknown, params: unknown[]) {
    const rest = [...params];
    const context = rest.length && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    if (level === 'info' && context && QUIET_NEST_CONTEXTS.has(context)) level = 'debug';
    if (!this.root.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = context ? { context } : {};
    if (message instanceof Error) {
      this.root[level]({ ...fields, err: message }, message.message);
      return;
    }
    const stack = level === 'error' || level === 'fatal' ? rest.find((p) => typeof p === 'string') : undefined;
    if (typeof stack === 'string') fields.err = { message: String(message), stack };
    const err = rest.find((p) => p instanceof Error);
    if (err) fields.err = err;
    if (message && typeof message === 'object') this.root[level]({ ...fields, ...(message as object) });
    else this.root[level](fields, String(message));
  }
}

/** Provides the process's `GatewayLogger`; `createGatewayNestApp` makes it Nest's logger and installs its access log. */
@Global()
@Module({})
export class GatewayLoggerModule {
  static forRoot(options: GatewayLoggingOptions): DynamicModule {
    return { module: GatewayLoggerModule, providers: [{ provide: GatewayLogger, useFactory: () => new GatewayLogger(options) }], exports: [GatewayLogger] };
  }
}
