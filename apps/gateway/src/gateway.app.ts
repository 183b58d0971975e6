import { INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger, LoggerModule } from 'nestjs-pino';
import { pinoHttpOptions } from '#gw/common';
import { DispatchModule, MicroserviceOutboxSignal, parseWakeUrl, wakeServerOptions } from '#gw/dispatch';
import { CoreModule, GatewayContext, IngressModule, configureHttpApp } from '#gw/ingress';
import { Database, PersistenceModule } from '#gw/persistence';

export interface BuildOptions {
  /** An already-open database (tests pass theirs); otherwise opened from the configuration. */
  database?: Database;
  /** Log through pino (default) or stay quiet (tests). */
  logs?: boolean;
  /** The city platform's base URL; the configured one, or the embedded simulator's. */
  platformUrl: string;
}

/** The embedded all-in-one gateway: every module in one process, woken over TCP as a split deployment would be. */
export async function buildGatewayApp(ctx: GatewayContext, options: BuildOptions): Promise<INestApplication> {
  const level = options.logs === false ? 'silent' : ctx.config.logLevel;
  const wake = parseWakeUrl(ctx.config.wakeUrl, ctx.config.port + 1);
  const signal = new MicroserviceOutboxSignal(wake);

  @Module({
    imports: [
      LoggerModule.forRoot({ pinoHttp: pinoHttpOptions(level) as any }),
      CoreModule.forRoot(ctx),
      PersistenceModule.forRoot({ config: ctx.config, cipher: ctx.cipher, database: options.database }),
      IngressModule.forRoot(ctx, { signal }),
      DispatchModule.forRoot(ctx, { platformUrl: options.platformUrl }),
    ],
  })
  class GatewayModule {}

  const app = await NestFactory.create(GatewayModule, { bodyParser: false, bufferLogs: true, logger: options.logs === false ? false : undefined });
  app.useLogger(app.get(Logger));
  configureHttpApp(app, { maxEventBytes: ctx.config.maxEventBytes });
  const server = wakeServerOptions(wake);
  if (server) app.connectMicroservice(server, { inheritAppConfig: true });
  const close = app.close.bind(app);
  app.close = async () => {
    await signal.close();
    await close();
  };
  return app;
}
