/** 接入进程 · An ingress process of a split deployment: department ingress, case reads, health, parked API; no dispatch loop. */
import { buildIngressApp, bootstrapApp, describeDatabase, describeWake, splitWakeTransport } from '#gw/runtime';

void bootstrapApp({
  name: 'ingress',
  requirePlatformUrl: 'production',
  build: (ctx) => buildIngressApp(ctx),
  banner: (ctx, base) => [
    '平江县政务服务集成网关 · 接入进程已启动  Pingjiang gateway ingress is running (no dispatch loop here)',
    `  接口文档 API docs        ${base}/api/docs`,
    `  健康检查 Health          ${base}/health/ready`,
    `  部门接入 Ingress         POST ${base}/api/v1/departments/<部门代码 code>/events`,
    `  数据库   Database        ${describeDatabase(ctx)}`,
    `  唤醒报送 Wakes           ${describeWake(splitWakeTransport(ctx))}`,
  ],
});
