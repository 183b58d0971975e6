import type { INestApplication } from '@nestjs/common';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildGatewayApp } from '../../apps/gateway/src/gateway.app';
import { GatewayContext, createGatewayContext } from '#gw/ingress';
import { Database, openDatabase } from '#gw/persistence';
import { TestDatabase, createTestDatabase } from './test-database';

/** Department tokens used by every suite (the gateway reads them from GATEWAY_DEPT_TOKEN_<CODE>). */
export const TOKENS: Record<string, string> = {
  SCJG: 'test-token-scjg-0123456789',
  BDC: 'test-token-bdc-0123456789',
  RSJ: 'test-token-rsj-0123456789',
  YBJ: 'test-token-ybj-0123456789',
  MZJ: 'test-token-mzj-0123456789',
};

export const REPO_ROOT = resolve(__dirname, '..', '..');

export interface TestGateway {
  app: INestApplication;
  url: string;
  ctx: GatewayContext;
  db: Database;
  testDb: TestDatabase;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  env?: Record<string, string>;
  /** Reuse a database created by the caller (e.g. behind a proxy). */
  testDb?: TestDatabase;
}

/** Starts the embedded gateway on a random port over a throw-away database. */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const testDb = options.testDb ?? (await createTestDatabase());
  const env: Record<string, string> = {
    GATEWAY_MODE: 'embedded',
    CATALOGUE_FILE: resolve(REPO_ROOT, 'config/catalogue.yaml'),
    LOG_LEVEL: 'silent',
    GATEWAY_DATA_KEY: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    ...Object.fromEntries(Object.entries(TOKENS).map(([k, v]) => [`GATEWAY_DEPT_TOKEN_${k}`, v])),
    ...testDb.env,
    ...options.env,
  };
  const ctx = createGatewayContext(env);
  const db = await openDatabase(ctx.config.database);
  const app = await buildGatewayApp(ctx, { database: db, logs: false });
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    ctx,
    db,
    testDb,
    async close() {
      await app.close();
      await db.close();
      if (!options.testDb) await testDb.drop();
    },
  };
}
