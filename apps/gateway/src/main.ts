import { ConfigError } from '#gw/common';
import { CatalogueError } from '#gw/catalogue';
import { createGatewayContext } from '#gw/ingress';
import { buildGatewayApp } from './gateway.app';

async function main(): Promise<void> {
  let ctx;
  try {
    ctx = createGatewayContext(process.env);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof CatalogueError) {
      process.stderr.write(`\n${e.message}\n\n`);
      process.exit(1);
    }
    throw e;
  }
  const { config } = ctx;
  let app;
  try {
    app = await buildGatewayApp(ctx);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`\n${e.message}\n\n`);
      process.exit(1);
    }
    throw e;
  }
  await app.listen(config.port, config.host);
  const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;
  const db = config.database.kind === 'sqlite' ? `SQLite ${config.database.path}` : 'MySQL/MariaDB (DATABASE_URL)';
  const lines = [
    '',
    '平江县政务服务集成网关已启动  Pingjiang gateway is running',
    `  接口文档 API docs        ${base}/api/docs`,
    `  健康检查 Health          ${base}/health/ready`,
    `  数据库   Database        ${db}`,
    ctx.secrets.generatedFile || config.mode === 'embedded'
      ? `  部门令牌 Dept tokens     ${config.dataDir}/secrets.json  (每个部门一个；可用 GATEWAY_DEPT_TOKEN_<部门代码> 覆盖 / override with GATEWAY_DEPT_TOKEN_<CODE>)`
      : '  部门令牌 Dept tokens     GATEWAY_DEPT_TOKEN_<CODE>',
    `  部门接入 Ingress         POST ${base}/api/v1/departments/<部门代码 code>/events`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

void main();
