import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';

/**
 * A throw-away database per test file: a temporary SQLite file by default, or — when
 * TEST_DATABASE_URL points at MySQL/MariaDB — a fresh database on that server, dropped afterwards.
 * Both run the real migrations (never synchronize), so the suites test the schema that ships.
 */
export interface TestDatabase {
  kind: 'sqlite' | 'mysql';
  /** Env entries that select this database for the gateway. */
  env: Record<string, string>;
  dataDir: string;
  /** For MySQL: host, port and database name (the outage test puts a proxy in between). */
  mysql?: { host: string; port: number; user: string; password: string; database: string };
  drop(): Promise<void>;
}

export const usingMysql = () => /^mysql|^mariadb/.test(process.env.TEST_DATABASE_URL ?? '');

export async function createTestDatabase(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-test-'));
  const url = process.env.TEST_DATABASE_URL;
  if (!url || !usingMysql()) {
    return {
      kind: 'sqlite',
      env: { DATA_DIR: dataDir },
      dataDir,
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
  const conn = { host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  const database = `gw_t_${randomBytes(5).toString('hex')}`;
  const admin = await createConnection(conn);
  await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const auth = conn.password ? `${encodeURIComponent(conn.user)}:${encodeURIComponent(conn.password)}` : encodeURIComponent(conn.user);
  return {
    kind: 'mysql',
    env: { DATA_DIR: dataDir, DATABASE_URL: `mysql://${auth}@${conn.host}:${conn.port}/${database}` },
    dataDir,
    mysql: { ...conn, database },
    drop: async () => {
      const a = await createConnection(conn);
      await a.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await a.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
