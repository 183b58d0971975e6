import type { INestApplication } from '@nestjs/common';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildGatewayApp } from '../../apps/gateway/src/gateway.app';
import { GatewayContext, createGatewayContext } from '#gw/ingress';
import { PersonalDataCipher } from '#gw/common';
import { Database, openDatabase } from '#gw/persistence';
import { RunningSimulator, startPlatformSimulator } from '#gw/simulator';
import { TestDatabase, createTestDatabase } from './test-database';
import { freePort } from './free-port';

/** Department tokens used by every suite (the gateway reads them from GATEWAY_DEPT_TOKEN_<CODE>). */
export const TOKENS: Record<string, string> = {
  SCJG: 'test-token-scjg-0123456789',
  BDC: 'test-token-bdc-0123456789',
  RSJ: 'test-token-rsj-0123456789',
  YBJ: 'test-token-ybj-0123456789',
  MZJ: 'test-token-mzj-0123456789',
};

export const OPERATOR_TOKEN = 'test-operator-token-0123456789';
export const DATA_KEY = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

/**
 * A kept message's bytes, opened with the test gateways' key. Fails if they were stored in clear:
 * raw messages carry ID numbers, which are stored encrypted (canonical-case.md, personal data).
 */
export function keptBody(row: { body: Buffer | null; bodyEncrypted: boolean }): Buffer {
  if (!row.body) throw new Error('no body was kept');
  if (!row.bodyEncrypted) throw new Error('the body was kept in clear');
  return new PersonalDataCipher(DATA_KEY).open(row.body);
}

export const REPO_ROOT = resolve(__dirname, '..', '..');

export interface TestGateway {
  app: INestApplication;
  url: string;
  ctx: GatewayContext;
  db: Database;
  testDb: TestDatabase;
  /** The city platform simulator this gateway delivers to (its admin API injects faults). */
  platform: RunningSimulator;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  env?: Record<string, string>;
  /** Reuse a database created by the caller (e.g. behind a proxy). */
  testDb?: TestDatabase;
  /** Deliver to this platform instead of a fresh simulator. */
  platformUrl?: string;
  /** Switch the gateway's real logging on (with LOG_LEVEL / LOG_FILE in `env`). */
  logs?: boolean;
  /**
   * Serve as in production mode (access to /metrics and /api/docs). Production mode's start-up
   * checks need MySQL/MariaDB and strong secrets (see test/security/production-config); over
   * SQLite the context is made in embedded mode and then switched.
   */
  mode?: 'production';
}

export const PLATFORM_APP_ID = '430626-gateway';
export const PLATFORM_SECRET = 'test-platform-secret-0123456789';
export const CALLBACK_APP_ID = 'city-platform';
export const CALLBACK_SECRET = 'test-callback-secret-0123456789';

/**
 * Starts the embedded gateway and its platform simulator over a throw-away database. Their ports are chosen before they are bound
 * (the simulator must know where to call back before the gateway listens), so another process
 * can take one in between: then everything started so far is closed and it starts again on new
 * ports. Whatever fails, nothing is left open (an open server would keep jest from exiting).
 */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (e) {
      if (attempt < 3 && (e as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw e;
    }
  }
}

async function startOnce(options: TestGatewayOptions): Promise<TestGateway> {
  const testDb = options.testDb ?? (await createTestDatabase());
  const opened: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const close of opened.reverse()) await close().catch(() => undefined);
    if (!options.testDb) await testDb.drop();
  };
  try {
    const env: Record<string, string> = {
      GATEWAY_MODE: 'embedded',
      CATALOGUE_FILE: resolve(REPO_ROOT, 'config/catalogue.yaml'),
      LOG_LEVEL: 'silent',
      GATEWAY_DATA_KEY: DATA_KEY,
      GATEWAY_OPERATOR_TOKEN: OPERATOR_TOKEN,
      CITY_PLATFORM_APP_ID: PLATFORM_APP_ID,
      CITY_PLATFORM_SECRET: PLATFORM_SECRET,
      PLATFORM_CALLBACK_APP_ID: CALLBACK_APP_ID,
      PLATFORM_CALLBACK_SECRET: CALLBACK_SECRET,
      WAKE_URL: `tcp://127.0.0.1:${await freePort()}`,
      DISPATCH_POLL_MS: '200',
      DISPATCH_RETRY_BASE_MS: '100',
      // The suites write events of past dates (October 2026): the retention job, which starts with
      // the gateway, would prune their raw bodies under the test. Suites that test it run it themselves.
      RETENTION_INTERVAL: 'off',
      // The catalogue is polled for versions saved on other instances; the suites that test it set it.
      CATALOGUE_POLL_MS: 'off',
      ...Object.fromEntries(Object.entries(TOKENS).map(([k, v]) => [`GATEWAY_DEPT_TOKEN_${k}`, v])),
      ...testDb.env,
      ...options.env,
    };
    const ctx = createGatewayContext(env);
    if (options.mode) ctx.config.mode = options.mode;
    // A known port, so the simulator can be told where to call back before the gateway listens.
    const gatewayPort = await freePort();
    const platform = await startPlatformSimulator({
      port: 0,
      apps: { [PLATFORM_APP_ID]: PLATFORM_SECRET },
      rateLimitPerSecond: Number(env.SIMULATOR_RATE_LIMIT ?? 1000),
      callbackUrl: `${ctx.config.tls ? 'https' : 'http'}://127.0.0.1:${gatewayPort}/api/v1/platform/callbacks`,
      callbackAppId: CALLBACK_APP_ID,
      callbackSecret: CALLBACK_SECRET,
      callbackBackoffMs: 100,
    });
    opened.push(() => platform.close());
    const db = await openDatabase(ctx.config.database);
    opened.push(() => db.close());
    const app = await buildGatewayApp(ctx, { database: db, logs: options.logs ?? false, platformUrl: options.platformUrl ?? platform.url });
    opened.push(() => app.close());
    await app.startAllMicroservices();
    await app.listen(gatewayPort, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    return {
      app,
      // TLS_CERT_FILE / TLS_KEY_FILE in `env`: the gateway serves HTTPS only.
      url: `${ctx.config.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
      ctx,
      db,
      testDb,
      platform,
      async close() {
        await app.close();
        await platform.close();
        await db.close();
        if (!options.testDb) await testDb.drop();
      },
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
