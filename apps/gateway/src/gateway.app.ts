import { INestApplication, Module } from '@nestjs/common';
import { CallbacksModule } from '#gw/callbacks';
import { DispatchModule, MicroserviceOutboxSignal, parseWakeUrl, wakeServerOptions } from '#gw/dispatch';
import { CoreModule, GatewayContext, IngressModule } from '#gw/ingress';
import { Database, PersistenceModule } from '#gw/persistence';
import { OpsModule } from '#gw/ops';
import { ReportsModule } from '#gw/reports';
import { GatewayLoggerModule, createGatewayNestApp, onAppClose } from '#gw/runtime';

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
      // LOG_FILE: JSON lines to that file instead of stdout; LOG_FORMAT=json|pretty (same redaction and masking).
      GatewayLoggerModule.forRoot({ level, env: ctx.config.env }),
      CoreModule.forRoot(ctx),
      PersistenceModule.forRoot({ config: ctx.config, cipher: ctx.cipher, auditKey: ctx.secrets.auditKey, database: options.database }),
      IngressModule.forRoot(ctx, { signal }),
      DispatchModule.forRoot(ctx, { platformUrl: options.platformUrl }),
      CallbacksModule.forRoot(ctx),
      OpsModule.forRoot(ctx),
      ReportsModule.forRoot(ctx),
    ],
  })
  class GatewayModule {}

  const app = await createGatewayNestApp(GatewayModule, ctx, { logs: options.logs });
  const server = wakeServerOptions(wake);
  if (server) app.connectMicroservice(server, { inheritAppConfig: true });
  onAppClose(app, { before: () => signal.close() });
  return app;
}
