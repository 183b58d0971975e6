import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { GatewayContext, configureHttpApp } from '#gw/ingress';

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
  configureHttpApp(app, { maxEventBytes: ctx.config.maxEventBytes, title: options.title, http: ctx.config.http });
  return app;
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
