import { ConfigError } from '#gw/common';
import { CatalogueError } from '#gw/catalogue';
import { createGatewayContext, GatewayContext } from '#gw/ingress';
import { startPlatformSimulator } from '#gw/simulator';
import { buildGatewayApp } from './gateway.app';

function fail(e: unknown): never {
  if (e instanceof ConfigError || e instanceof CatalogueError) {
    process.stderr.write(`\n${e.message}\n\n`);
    process.exit(1);
  }
  throw e;
}

/** Without CITY_PLATFORM_URL the city platform simulator stands in, in this process. */
async function platformFor(ctx: GatewayContext): Promise<{ url: string; simulated: boolean; close?: () => Promise<void> }> {
  if (ctx.config.platform.url) return { url: ctx.config.platform.url, simulated: false };
  const sim = await startPlatformSimulator({
    port: ctx.config.simulatorPort,
    host: '127.0.0.1',
    apps: { [ctx.config.platform.appId]: ctx.secrets.platformSecret },
    signAlg: ctx.config.platform.signAlg,
    rateLimitPerSecond: ctx.config.platform.rateLimitPerSecond,
  });
  return { url: sim.url, simulated: true, close: () => sim.close() };
}

async function main(): Promise<void> {
  let ctx: GatewayContext;
  try {
    ctx = createGatewayContext(process.env);
  } catch (e) {
    fail(e);
  }
  const { config } = ctx;
  const platform = await platformFor(ctx).catch((e: Error) =>
    fail(new ConfigError(`平台模拟器无法启动 the platform simulator cannot start on port ${config.simulatorPort}: ${e.message} (set SIMULATOR_PORT)`)),
  );
  const app = await buildGatewayApp(ctx, { platformUrl: platform.url }).catch(fail);
  await app.startAllMicroservices().catch((e: Error) =>
    fail(new ConfigError(`唤醒通道无法启动 the wake-up channel ${config.wakeUrl} cannot start: ${e.message} (set WAKE_URL, or WAKE_URL=none to poll only)`)),
  );
  await app.listen(config.port, config.host).catch((e: Error) =>
    fail(new ConfigError(`端口 ${config.port} 无法监听 cannot listen on port ${config.port}: ${e.message} (set PORT)`)),
  );
  if (platform.close) app.getHttpServer().on('close', () => void platform.close!());

  const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;
  const db = config.database.kind === 'sqlite' ? `SQLite ${config.database.path}` : 'MySQL/MariaDB (DATABASE_URL)';
  const lines = [
    '',
    '平江县政务服务集成网关已启动  Pingjiang gateway is running',
    `  接口文档 API docs        ${base}/api/docs`,
    `  健康检查 Health          ${base}/health/ready`,
    `  数据库   Database        ${db}`,
    `  市平台   City platform   ${platform.url}${platform.simulated ? '  (模拟器 simulator: 未配置 CITY_PLATFORM_URL / no CITY_PLATFORM_URL set)' : ''}`,
    config.mode === 'embedded'
      ? `  部门令牌 Dept tokens     ${config.dataDir}/secrets.json  (每个部门一个；可用 GATEWAY_DEPT_TOKEN_<部门代码> 覆盖 / override with GATEWAY_DEPT_TOKEN_<CODE>)`
      : '  部门令牌 Dept tokens     GATEWAY_DEPT_TOKEN_<CODE>',
    `  部门接入 Ingress         POST ${base}/api/v1/departments/<部门代码 code>/events`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

void main();
