import { INestApplication, Type } from '@nestjs/common';
import { ModuleRef, NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import type { Request } from 'express';
import { secretsEqual } from '#gw/common';
import { GatewayContext, configureHttpApp } from '#gw/ingress';
import { OperatorAccountService, SESSION_COOKIE, readCookie } from '#gw/ops';

export interface NestAppOptions {
  /** Log through pino (default) or stay quiet (tests). */
  logs?: boolean;
  /** Title of the API docs. */
  title?: string;
}

/**
 * Creates a gateway process's Nest app (its module imports `LoggerModule`) with the shared HTTP
 * setup. A failure while the modules start (e.g. the database cannot be opened) rejects with the
 * error instead of ending the process without a word (Nest's default, with buffered logs).
 */
export async function createGatewayNestApp(module: Type, ctx: GatewayContext, options: NestAppOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create(module, {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
    logger: options.logs === false ? false : undefined,
  });
  app.useLogger(app.get(Logger));
  configureHttpApp(app, {
    maxEventBytes: ctx.config.maxEventBytes,
    title: options.title,
    docsAccess: operatorOnly(app, ctx),
  });
  return app;
}

/**
 * The API docs (every route and field of the gateway) are for operators, in every mode: a
 * signed-in dashboard session or the operator token. Vendors read docs/departments.md.
 */
function operatorOnly(app: INestApplication, ctx: GatewayContext): (req: Request) => Promise<boolean> {
  let accounts: OperatorAccountService | undefined;
  try {
    // Through ModuleRef: the app's own `get` logs a level-50 UnknownElementException before it throws.
    accounts = app.get(ModuleRef).get(OperatorAccountService, { strict: false });
  } catch {
    accounts = undefined; // an app without the dashboard (the dispatcher): the token only
  }
  return async (req) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer && secretsEqual(bearer, ctx.secrets.operatorToken)) return true;
    const session = readCookie(req.headers.cookie, SESSION_COOKIE);
    return !!(session && accounts && (await accounts.resolveSession(session).catch(() => null)));
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
