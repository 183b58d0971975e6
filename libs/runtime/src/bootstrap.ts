import { INestApplication, Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Catalogue, CatalogueError, LicenceTypes } from '#gw/catalogue';
import { ConfigError, GatewayConfig, loadGatewayConfig, productionSecretProblems } from '#gw/common';
import { GatewayContext, createGatewayContext } from '#gw/ingress';
import { loadOpsConfig } from '#gw/ops';
import { recordStartupConfiguration } from './config-fingerprint';
import { checkDiskSpace } from './disk-space';

export interface AppSpec {
  /** Which process this is, for messages: gateway, ingress, dispatcher. */
  name: string;
  /**
   * When CITY_PLATFORM_URL must be set: `always` (a dispatcher has no simulator to fall back on),
   * `production` (production mode never delivers to a stand-in), or `never`.
   */
  requirePlatformUrl: 'always' | 'production' | 'never';
  /** Builds the app (not yet listening) from the checked start-up context. */
  build(ctx: GatewayContext): Promise<INestApplication>;
  /** What is printed once the app listens; `base` is its own http(s)://host:port. */
  banner(ctx: GatewayContext, base: string): string[];
}

/** A start-up problem an operator can fix: print what to change and exit 1; anything else is a bug and is thrown. */
export function failStartup(e: unknown): never {
  if (e instanceof ConfigError || e instanceof CatalogueError) {
    process.stderr.write(`\n${e.message}\n\n`);
    process.exit(1);
  }
  throw e;
}

const isProduction = (env: Record<string, string | undefined>) =>
  (env.GATEWAY_MODE || (env.NODE_ENV === 'production' ? 'production' : 'embedded')) === 'production';

/**
 * Reads and checks the whole start-up configuration (environment, catalogue, secrets); throws a
 * ConfigError naming each variable to fix. A missing CITY_PLATFORM_URL, where the process needs
 * one, is listed together with the configuration's other problems.
 */
export function loadStartupContext(spec: Pick<AppSpec, 'name' | 'requirePlatformUrl'>, env: Record<string, string | undefined> = process.env): GatewayContext {
  const needsUrl = spec.requirePlatformUrl === 'always' || (spec.requirePlatformUrl === 'production' && isProduction(env));
  const urlProblem = needsUrl && !env.CITY_PLATFORM_URL
    ? `CITY_PLATFORM_URL: ${spec.name} 需要市平台地址 needs the city platform's base URL, e.g. https://10.0.0.8:8443/zwfw/api/v1` +
      (spec.requirePlatformUrl === 'always' ? ' (或先启动平台模拟器 or start the simulator: node dist/apps/platform-simulator/src/main.js)' : '')
    : null;
  const refuse = (problems: string[]) =>
    new ConfigError(`配置有误，${spec.name} 未启动 configuration is invalid, the ${spec.name} did not start:\n  - ${problems.join('\n  - ')}`);
  // Embedded mode would generate secrets into DATA_DIR first: refuse before anything is written.
  if (urlProblem && !isProduction(env)) throw refuse([urlProblem]);
  if (isProduction(env)) {
    const problems = productionStartProblems(env);
    if (urlProblem) problems.push(urlProblem);
    if (problems.length) throw refuse(uniqueByVariable(problems));
  }
  return createGatewayContext(env);
}

/** The problem lines (`  - …`) of a start-up error's message; the whole message if it has none. */
function problemLines(e: Error): string[] {
  const lines = e.message
    .split('\n')
    .filter((l) => l.startsWith('  - '))
    .map((l) => l.slice(4));
  return lines.length ? lines : [e.message.trim()];
}

/** One line per variable (the configuration and the secrets checks may both name one). */
function uniqueByVariable(problems: string[]): string[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const name = /^[A-Z][A-Z0-9_]*/.exec(p)?.[0] ?? p;
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  });
}

/**
 * Every problem of a production start at once: the environment's values, the catalogue, every
 * missing or weak secret and the dashboard settings. Each check would otherwise stop at its own
 * group, and an operator learnt the missing variables over several attempts.
 */
function productionStartProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const collect = (check: () => void) => {
    try {
      check();
    } catch (e) {
      if (!(e instanceof ConfigError) && !(e instanceof CatalogueError)) throw e;
      problems.push(...problemLines(e));
    }
  };
  collect(() => loadGatewayConfig(env));
  let catalogue: Catalogue | undefined;
  collect(() => (catalogue = Catalogue.fromFile(resolve(env.CATALOGUE_FILE || 'config/catalogue.yaml'))));
  if (catalogue) {
    const beside = resolve(dirname(resolve(env.CATALOGUE_FILE || 'config/catalogue.yaml')), 'licence-types.yaml');
    collect(() => LicenceTypes.fromFile(env.LICENCE_TYPES_FILE ? resolve(env.LICENCE_TYPES_FILE) : beside, catalogue!, { required: !!env.LICENCE_TYPES_FILE }));
  }
  const open = catalogue?.departments.filter((d) => !d.restricted) ?? [];
  problems.push(
    ...productionSecretProblems(
      env,
      open.filter((d) => d.enabled).map((d) => d.code),
      open.filter((d) => !d.enabled).map((d) => d.code),
      { platformSecret: true },
    ),
  );
  collect(() => loadOpsConfig(env));
  return problems;
}

/**
 * The start of every gateway process: check the configuration, build the app, start its wake-up
 * listener, listen, print the banner. A problem an operator can fix ends the process with a
 * message naming the variable; nothing starts half-way.
 */
export async function bootstrapApp(spec: AppSpec, env: Record<string, string | undefined> = process.env): Promise<INestApplication> {
  let ctx: GatewayContext;
  try {
    ctx = loadStartupContext(spec, env);
  } catch (e) {
    failStartup(e);
  }
  const { config } = ctx;
  // The data folder's disk: refused before anything is written, a warning kept for after the banner.
  const disk = checkDiskSpace(nearestExisting(config.dataDir));
  if (disk.level === 'refuse') failStartup(new ConfigError(disk.message));
  if (config.mode === 'production' && !ctx.operatorTokenExpiresAt) {
    new Logger('Startup').warn(
      '运维令牌 GATEWAY_OPERATOR_TOKEN 永不过期，建议设置 GATEWAY_OPERATOR_TOKEN_EXPIRES=yyyy-MM-dd 并定期更换 the operator token never expires: set GATEWAY_OPERATOR_TOKEN_EXPIRES and rotate it',
    );
  }
  for (const warning of startupWarnings(config, ctx.catalogue)) new Logger('Startup').warn(warning);
  // Logged here, long before the banner: the banner stays the last thing on a first start's screen.
  for (const w of ctx.catalogue.licenceTypes?.warnings ?? []) new Logger('Startup').warn(w);
  const app = await spec.build(ctx).catch(failStartup);
  // 安全审计: what changed in the configuration since this process's last start is audited.
  await recordStartupConfiguration(app, ctx, spec.name);
  await startWakeListener(app, config.env.WAKE_URL ?? config.wakeUrl);
  await app.listen(config.port, config.host).catch((e: Error) =>
    failStartup(new ConfigError(`端口 ${config.port} 无法监听 cannot listen on port ${config.port}: ${e.message} (set PORT)`)),
  );
  const base = `${config.tls ? 'https' : 'http'}://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;
  process.stdout.write(['', ...spec.banner(ctx, base), ...(disk.level === 'warn' ? ['', `  ⚠ ${disk.message}`] : []), ''].join('\n') + '\n');
  if (disk.level === 'warn') new Logger('Startup').warn(disk.message);
  return app;
}

/**
 * What a production start goes on with but an operator must know: the platform reached over plain
 * HTTP (PLATFORM_ALLOW_HTTP=true, a test network), departments pushed to over plain HTTP. Names
 * and addresses only; never a secret.
 */
export function startupWarnings(config: GatewayConfig, catalogue?: Catalogue): string[] {
  if (config.mode !== 'production') return [];
  const warnings: string[] = [];
  if (config.platform.url && /^http:\/\//i.test(config.platform.url) && config.platformAllowHttp) {
    warnings.push(
      `市平台地址为明文 http（PLATFORM_ALLOW_HTTP=true），仅限测试网络 the city platform is reached over plain http (PLATFORM_ALLOW_HTTP=true): for a test network only, never in service`,
    );
  }
  const plain = departmentPushUrls(config, catalogue).filter((d) => /^http:\/\//i.test(d.url));
  if (plain.length) {
    warnings.push(
      `部门推送地址为明文 http，建议改用 https the departments ${plain.map((d) => `${d.code} (${d.source})`).join(', ')} are pushed to over plain http: use https:// where the department's system offers it`,
    );
  }
  return warnings;
}

/** Each department's push address: DEPT_<CODE>_URL, or the catalogue's deliveryUrl. */
function departmentPushUrls(config: GatewayConfig, catalogue?: Catalogue): { code: string; url: string; source: string }[] {
  const found = new Map<string, { code: string; url: string; source: string }>();
  for (const d of catalogue?.departments ?? []) {
    if (d.deliveryUrl && d.enabled && !d.restricted) found.set(d.code, { code: d.code, url: d.deliveryUrl, source: 'catalogue deliveryUrl' });
  }
  for (const [name, value] of Object.entries(config.env)) {
    const code = /^DEPT_([A-Z0-9_]+)_URL$/.exec(name)?.[1];
    if (code && value) found.set(code, { code, url: value, source: name });
  }
  return [...found.values()];
}

/** The folder itself, or its nearest parent that exists (a data folder not created yet). */
function nearestExisting(dir: string): string {
  let d = resolve(dir);
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

/** How long start-up waits for the wake-up listener (RabbitMQ) before going on without it. */
export const WAKE_LISTENER_GRACE_MS = 5000;

/**
 * Starts the wake-up listener, if the app has one. A listener that cannot start at all (a TCP port
 * taken) stops the process with a message. One that is still connecting after a few seconds
 * (RabbitMQ down or unreachable) does not hold the process back: the dispatcher polls meanwhile
 * (a missed wake-up costs one poll interval, never a message) and is woken again once it connects.
 */
async function startWakeListener(app: INestApplication, wakeUrl: string): Promise<void> {
  const shown = wakeUrl.replace(/\/\/[^@/]*@/, '//***@');
  const started = app.startAllMicroservices().then(() => 'up' as const);
  const first = await Promise.race([started, new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), WAKE_LISTENER_GRACE_MS).unref())]).catch((e: Error) =>
    failStartup(new ConfigError(`唤醒通道无法启动 the wake-up channel ${shown} cannot start: ${e.message} (set WAKE_URL, or WAKE_URL=none to poll only)`)),
  );
  if (first === 'up') return;
  const log = new Logger('WakeListener');
  log.warn(`唤醒通道暂不可用 the wake-up channel ${shown} is not reachable yet: starting without it; the dispatcher polls until it connects`);
  started.then(
    () => log.log(`唤醒通道已连接 the wake-up channel ${shown} is connected`),
    (e: Error) => log.error(`唤醒通道无法启动 the wake-up channel ${shown} failed: ${e.message}; the dispatcher only polls`),
  );
}

export function describeDatabase(ctx: GatewayContext): string {
  const db = ctx.config.database;
  return db.kind === 'sqlite' ? `SQLite ${db.path}` : `MySQL/MariaDB ${db.url.replace(/\/\/[^@/]*@/, '//***@')}`;
}
