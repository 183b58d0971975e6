import { INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger, LoggerModule } from 'nestjs-pino';
import { pinoHttpOptions } from '#gw/common';
import { GatewayContext, IngressModule, configureHttpApp } from '#gw/ingress';
import { Database, PersistenceModule } from '#gw/persistence';

export interface BuildOptions {
  /** An already-open database (tests pass theirs); otherwise opened from the configuration. */
  database?: Database;
  /** Log through pino (default) or stay quiet (tests). */
  logs?: boolean;
}

/** The embedded all-in-one gateway: every module in one process. */
export async function buildGatewayApp(ctx: GatewayContext, options: BuildOptions = {}): Promise<INestApplication> {
  const level = options.logs === false ? 'silent' : ctx.config.logLevel;

  @Module({
    imports: [
      LoggerModule.forRoot({ pinoHttp: pinoHttpOptions(level) as any }),
      PersistenceModule.forRoot({ config: ctx.config, cipher: ctx.cipher, database: options.database }),
      IngressModule.forRoot(ctx),
    ],
  })
  class GatewayModule {}

  const app = await NestFactory.create(GatewayModule, { bodyParser: false, bufferLogs: true, logger: options.logs === false ? false : undefined });
  app.useLogger(app.get(Logger));
  configureHttpApp(app, { maxEventBytes: ctx.config.maxEventBytes });
  return app;
}
