import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { buildGatewayApp } from '../../apps/gateway/src/gateway.app';
import { createGatewayContext } from '#gw/ingress';
import { openDatabase } from '#gw/persistence';
import { startPlatformSimulator } from '#gw/simulator';
import { createTestDatabase } from '../support/test-database';
import { freePort } from '../support/free-port';
import {
  OPERATOR_TOKEN,
  PLATFORM_APP_ID,
  PLATFORM_SECRET,
  REPO_ROOT,
  TOKENS,
  TestGateway,
} from '../support/test-gateway';

export const ARTIFACTS = resolve(REPO_ROOT, 'test-artifacts');

/**
 * Like `startTestGateway`, but with the gateway's real logging switched on and written to
 * `logFile` (LOG_FILE), so a test can read what an operator's log would hold.
 */
export async function startLoggedGateway(options: {
  logFile: string;
  env?: Record<string, string>;
}): Promise<TestGateway> {
  mkdirSync(join(options.logFile, '..'), { recursive: true });
  const testDb = await createTestDatabase();
  const env: Record<string, string> = {
    GATEWAY_MODE: 'embedded',
    CATALOGUE_FILE: resolve(REPO_ROOT, 'config/catalogue.yaml'),
    LOG_LEVEL: 'debug',
    LOG_FILE: options.logFile,
    GATEWAY_DATA_KEY: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    GATEWAY_OPERATOR_TOKEN: OPERATOR_TOKEN,
    CITY_PLATFORM_APP_ID: PLATFORM_APP_ID,
    CITY_PLATFORM_SECRET: PLATFORM_SECRET,
    WAKE_URL: `tcp://127.0.0.1:${await freePort()}`,
    DISPATCH_POLL_MS: '200',
    DISPATCH_RETRY_BASE_MS: '100',
    ...Object.fromEntries(Object.entries(TOKENS).map(([k, v]) => [`GATEWAY_DEPT_TOKEN_${k}`, v])),
    ...testDb.env,
    ...options.env,
  };
  const ctx = createGatewayContext(env);
  const platform = await startPlatformSimulator({
    port: 0,
    apps: { [PLATFORM_APP_ID]: PLATFORM_SECRET },
    rateLimitPerSecond: 1000,
  });
  const db = await openDatabase(ctx.config.database);
  const app = await buildGatewayApp(ctx, { database: db, logs: true, platformUrl: platform.url });
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    ctx,
    db,
    testDb,
    platform,
    async close() {
      await app.close();
      await platform.close();
      await db.close();
      await testDb.drop();
    },
  };
}
