import { CallbacksModule } from '#gw/callbacks';
import { OpsModule } from '#gw/ops';
import { ReportsModule } from '#gw/reports';
import { INestApplication, Module } from '@nestjs/common';
import { DispatchModule, MicroserviceOutboxSignal, WakeTransport, parseWakeUrl, wakeServerOptions } from '#gw/dispatch';
import { CoreModule, GatewayContext, HealthModule, IngressModule } from '#gw/ingress';
import { Database, PersistenceModule } from '#gw/persistence';
import { createGatewayNestApp, onAppClose } from './nest-app';
import { GatewayLoggerModule } from './logger';

export interface SplitAppOptions {
  /** An already-open database (tests pass theirs); otherwise opened from the configuration. */
  database?: Database;
  /** Log through pino (default) or stay quiet (tests). */
  logs?: boolean;
}

/**
 * The wake-up channel of a split deployment: `WAKE_URL` as given, or none (the dispatchers poll).
 * The embedded default (tcp on PORT+1 of the same process) means nothing between two processes.
 */
export function splitWakeTransport(ctx: GatewayContext): WakeTransport {
  const url = ctx.config.env.WAKE_URL;
  return url ? parseWakeUrl(url, 0) : { kind: 'none' };
}

export function describeWake(t: WakeTransport): string {
  if (t.kind === 'none') return '无，仅轮询 none: the dispatchers poll (set WAKE_URL=amqp://… to wake them at once)';
  if (t.kind === 'tcp') return `tcp://${t.host}:${t.port}`;
  return `${t.url.replace(/\/\/[^@/]*@/, '//***@')} queue ${t.queue}`;
}

/**
 * An ingress process of a split deployment: department ingress, case reads, health and the parked
 * API. It runs no dispatch loop; after each commit it wakes the dispatchers over WAKE_URL.
 */
export async function buildIngressApp(ctx: GatewayContext, options: SplitAppOptions = {}): Promise<INestApplication> {
  const level = options.logs === false ? 'silent' : ctx.config.logLevel;
  const signal = new MicroserviceOutboxSignal(splitWakeTransport(ctx));

  @Module({
    imports: [
      GatewayLoggerModule.forRoot({ level, env: ctx.config.env }),
      CoreModule.forRoot(ctx),
      PersistenceModule.forRoot({ config: ctx.config, cipher: ctx.cipher, auditKey: ctx.secrets.auditKey, database: options.database }),
      IngressModule.forRoot(ctx, { signal }),
      // Only the parked API; its platform port is never called here (the dispatchers deliver).
      DispatchModule.forRoot(ctx, { platformUrl: ctx.config.platform.url ?? 'http://127.0.0.1/unused', run: false, apis: ['parked'], signal }),
      // Platform callbacks are received and stored here; the dispatchers push them to departments.
      CallbacksModule.forRoot(ctx, { runDelivery: false }),
      OpsModule.forRoot(ctx),
      ReportsModule.forRoot(ctx),
    ],
  })
  class IngressAppModule {}

  const app = await createGatewayNestApp(IngressAppModule, ctx, {
    logs: options.logs,
    title: '平江县政务服务集成网关 · 接入 Pingjiang gateway — ingress',
  });
  onAppClose(app, { before: () => signal.close() });
  return app;
}

/**
 * A dispatcher process of a split deployment: the dispatch loop, woken over WAKE_URL (several
 * dispatchers share one queue), with HTTP only for health and the delivery status.
 */
export async function buildDispatcherApp(ctx: GatewayContext, options: SplitAppOptions & { platformUrl: string }): Promise<INestApplication> {
  const level = options.logs === false ? 'silent' : ctx.config.logLevel;
  const wake = splitWakeTransport(ctx);

  @Module({
    imports: [
      GatewayLoggerModule.forRoot({ level, env: ctx.config.env }),
      CoreModule.forRoot(ctx),
      PersistenceModule.forRoot({ config: ctx.config, cipher: ctx.cipher, auditKey: ctx.secrets.auditKey, database: options.database }),
      HealthModule,
      DispatchModule.forRoot(ctx, { platformUrl: options.platformUrl, apis: ['status', 'wake'] }),
      CallbacksModule.forRoot(ctx, { runDelivery: true, http: false }),
    ],
  })
  class DispatcherAppModule {}

  const app = await createGatewayNestApp(DispatcherAppModule, ctx, {
    logs: options.logs,
    title: '平江县政务服务集成网关 · 报送 Pingjiang gateway — dispatcher',
  });
  const server = wakeServerOptions(wake);
  if (server) app.connectMicroservice(server, { inheritAppConfig: true });
  return app;
}
