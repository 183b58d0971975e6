/** 报送进程 · A dispatcher process of a split deployment: delivers the outbox to the city platform; HTTP only for health and status. */
import { buildDispatcherApp, bootstrapApp, describeDatabase, describeWake, splitWakeTransport } from '#gw/runtime';

void bootstrapApp({
  name: 'dispatcher',
  requirePlatformUrl: 'always',
  build: (ctx) => buildDispatcherApp(ctx, { platformUrl: ctx.config.platform.url! }),
  banner: (ctx, base) => [
    '平江县政务服务集成网关 · 报送进程已启动  Pingjiang gateway dispatcher is running',
    `  健康检查 Health          ${base}/health/ready`,
    `  报送状态 Status          ${base}/api/v1/delivery/status  (Authorization: Bearer <GATEWAY_OPERATOR_TOKEN>)`,
    `  数据库   Database        ${describeDatabase(ctx)}`,
    `  市平台   City platform   ${ctx.config.platform.url}`,
    `  唤醒     Wake-ups        ${describeWake(splitWakeTransport(ctx))}`,
  ],
});
