import { ConfigError } from '#gw/common';
import { bootstrapApp, failStartup, onAppClose } from '#gw/runtime';
import { OperatorAccountService } from '#gw/ops';
import { buildGatewayApp } from './gateway.app';
import { PlatformEndpoint, platformFor } from './embedded-platform';

let platform: PlatformEndpoint;
/** No admin yet (and none coming from GATEWAY_ADMIN_USER): the banner says how to create one. */
let noAdmin = false;

void bootstrapApp({
  name: 'gateway',
  // Production mode never delivers to the stand-in simulator.
  requirePlatformUrl: 'production',
  async build(ctx) {
    const { config } = ctx;
    platform = await platformFor(ctx).catch((e: Error) =>
      failStartup(new ConfigError(`平台模拟器无法启动 the platform simulator cannot start on port ${config.simulatorPort}: ${e.message} (set SIMULATOR_PORT)`)),
    );
    const app = await buildGatewayApp(ctx, { platformUrl: platform.url });
    noAdmin = !ctx.config.env.GATEWAY_ADMIN_USER && !(await app.get(OperatorAccountService).hasAdmin().catch(() => true));
    if (platform.close) onAppClose(app, { after: platform.close });
    return app;
  },
  banner(ctx, base) {
    const { config } = ctx;
    const db = config.database.kind === 'sqlite' ? `SQLite ${config.database.path}` : 'MySQL/MariaDB (DATABASE_URL)';
    return [
      '平江县政务服务集成网关已启动  Pingjiang gateway is running',
      `  运维看板 Dashboard       ${base}/dashboard`,
      `  接口文档 API docs        ${base}/api/docs`,
      `  健康检查 Health          ${base}/health/ready`,
      `  数据库   Database        ${db}`,
      `  市平台   City platform   ${platform.url}${platform.simulated ? '  (模拟器 simulator: 未配置 CITY_PLATFORM_URL / no CITY_PLATFORM_URL set; 管理接口令牌 admin token: secrets.json simulatorAdminToken)' : ''}`,
      config.mode === 'embedded'
        ? `  部门令牌 Dept tokens     ${base}/dashboard/#/tokens  (管理员签发、轮换、吊销 admins issue, rotate, revoke; 初始令牌 first tokens: ${config.dataDir}/secrets.json, 轮换后以看板为准 after a rotation the dashboard's list is what counts)`
        : `  部门令牌 Dept tokens     GATEWAY_DEPT_TOKEN_<CODE> (始终有效 always valid) + ${base}/dashboard/#/tokens`,
      `  部门接入 Ingress         POST ${base}/api/v1/departments/<部门代码 code>/events`,
      `  监控指标 Metrics         ${base}/metrics`,
      ...(noAdmin
        ? [
            '',
            '  尚无看板管理员 No dashboard admin yet. 创建一个 create one:',
            '    npm run operator -- create-operator --user <用户名 name> --role admin   (按提示输入密码：至少12位，含大写、小写、数字、符号中的三类 type the password: 12+ characters of three kinds)',
            '  或设置环境变量后重启 or set GATEWAY_ADMIN_USER and GATEWAY_ADMIN_PASSWORD and restart',
          ]
        : []),
    ];
  },
});
