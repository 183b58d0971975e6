import { INestApplication, Type } from '@nestjs/common';
import { ModuleRef, NestFactory } from '@nestjs/core';
import { GatewayLogger } from './logger';
import type { Request } from 'express';
import { readTlsFiles, secretsEqual } from '#gw/common';
import { DUTY_ROLES, GatewayContext, configureHttpApp } from '#gw/ingress';
import { OperatorAccountService, SESSION_COOKIE, readCookie } from '#gw/ops';

export interface NestAppOptions {
  /** Log through pino (default) or stay quiet (tests). */
  logs?: boolean;
  /** Title of the API docs. */
  title?: string;
}

/**
 * Creates a gateway process's Nest app (its module imports `GatewayLoggerModule`) with the shared HTTP
 * setup. A failure while the modules start (e.g. the database cannot be opened) rejects with the
 * error instead of ending the process without a word (Nest's default, with buffered logs).
 */
export async function createGatewayNestApp(module: Type, ctx: GatewayContext, options: NestAppOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create(module, {
    // TLS_CERT_FILE / TLS_KEY_FILE: the listener serves HTTPS only (no plain HTTP on its port).
    httpsOptions: ctx.config.tls ? readTlsFiles(ctx.config.tls) : undefined,
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
    logger: options.logs === false ? false : undefined,
  });
  const logger = app.get(GatewayLogger);
  app.useLogger(logger);
  // First: every request gets its correlation id (req.id) and its access line.
  app.use(logger.http);
  configureHttpApp(app, {
    maxEventBytes: ctx.config.maxEventBytes,
    title: options.title,
    docsAccess: operatorOnly(app, ctx),
    http: ctx.config.http,
  });
  return app;
}

/**
 * The API docs (every route and field of the gateway) are for operators, in every mode: a
 * signed-in dashboard session of a role that reads the gateway's status, or the operator token. Vendors read docs/departments.md.
 */
function operatorOnly(app: INestApplication, ctx: GatewayContext): (req: Request) => Promise<boolean | 'forbidden'> {
  let accounts: OperatorAccountService | undefined;
  try {
    // Through ModuleRef, not `app`: NestFactory's proxy around `app` logs every exception its
    // methods throw, and a dispatcher (no OperatorAccountService) logged one at start-up.
    accounts = app.get(ModuleRef).get(OperatorAccountService, { strict: false });
  } catch {
    accounts = undefined; // an app without the dashboard (the dispatcher): the token only
  }
  return async (req) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer && secretsEqual(bearer, ctx.secrets.operatorToken)) return true;
    const session = readCookie(req.headers.cookie, SESSION_COOKIE);
    const s = session && accounts ? await accounts.resolveSession(session).catch(() => null) : null;
    // Not an auditor (the audit log only), nor a session that must first set up its sign-in.
    if (!s) return false;
    return !s.setup && (DUTY_ROLES.status as readonly string[]).includes(s.role) ? true : 'forbidden';
  };
}

/**
 * Adds clean-up to `app.close()`: `before` runs first (e.g. closing the wake-up client, as nothing
 * more will be committed), `after` once the app closed (e.g. an embedded simulator, which must
 * outlive the deliveries the dispatcher finishes while it stops).
 */
export function onAppClose(app: INestApplication, hooks: { before?: () => Promise<void>; after?: () => Promise<void> }): void {
  const close = app.close.bind(app);
  app.close = async () => {
    await hooks.before?.();
    await close();
    await hooks.after?.();
  };
}
