import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ConfigError } from '#gw/common';

/** The files of a backup folder besides the manifest. */
export const BACKUP_DATABASE_FILE = 'gateway.sqlite';
export const BACKUP_SECRETS_FILE = 'secrets.json';
export const BACKUP_MANIFEST_FILE = 'manifest.json';

export interface BackupManifest {
  kind: 'gateway-backup';
  format: 1;
  createdAt: string;
  database: 'sqlite';
  /** File name → SHA-256, checked before a restore. */
  files: Record<string, string>;
  /** Rows per table at the moment of the backup (what a restore should show). */
  counts: Record<string, number>;
}

const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** `gateway-backup-20260301T023000Z`: sorts by time, no characters a shell or Windows dislikes. */
export function backupFolderName(at: Date): string {
  return `gateway-backup-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

/**
 * An online backup of the embedded gateway's SQLite database (SQLite's backup API, through
 * better-sqlite3: a consistent copy while the gateway keeps writing; WAL frames included) plus
 * its secrets.json — the data key without which the copy cannot be read. The folder is 0700, the
 * files 0600: the backup holds everything the gateway holds.
 */
export async function backupSqlite(options: { databasePath: string; dataDir: string; toDir: string; now?: Date }): Promise<{ folder: string; manifest: BackupManifest }> {
  if (!existsSync(options.databasePath)) throw new ConfigError(`没有数据库文件 no database file at ${options.databasePath}`);
  mkdirSync(options.toDir, { recursive: true, mode: 0o700 });
  const folder = resolve(options.toDir, backupFolderName(options.now ?? new Date()));
  if (existsSync(folder)) throw new ConfigError(`备份目录已存在 the backup folder ${folder} exists already`);
  mkdirSync(folder, { mode: 0o700 });
  chmodSync(folder, 0o700);
  const target = join(folder, BACKUP_DATABASE_FILE);
  const source = new BetterSqlite3(options.databasePath, { readonly: true, fileMustExist: true });
  try {
    source.pragma('busy_timeout = 10000');
    await source.backup(target);
  } finally {
    source.close();
  }
  chmodSync(target, 0o600);
  const files: Record<string, string> = { [BACKUP_DATABASE_FILE]: sha256File(target) };
  const secrets = join(options.dataDir, BACKUP_SECRETS_FILE);
  if (existsSync(secrets)) {
    copyFileSync(secrets, join(folder, BACKUP_SECRETS_FILE));
    chmodSync(join(folder, BACKUP_SECRETS_FILE), 0o600);
    files[BACKUP_SECRETS_FILE] = sha256File(join(folder, BACKUP_SECRETS_FILE));
  }
  const manifest: BackupManifest = { kind: 'gateway-backup', format: 1, createdAt: new Date().toISOString(), database: 'sqlite', files, counts: tableCounts(target) };
  writeFileSync(join(folder, BACKUP_MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
  return { folder, manifest };
}

function tableCounts(path: string): Record<string, number> {
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    const counts: Record<string, number> = {};
    for (const table of ['gw_case', 'case_event', 'outbox', 'inbound_message', 'platform_callback', 'audit_log', 'operator_account']) {
      const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table);
      if (exists) counts[table] = (db.prepare(`SELECT COUNT(*) AS n FROM "${table}"`).get() as { n: number }).n;
    }
    return counts;
  } finally {
    db.close();
  }
}

/**
 * Restores a backup folder into an empty data folder: checks every file against the manifest,
 * copies the database and secrets (0600, folder 0700), and checks the copy's integrity. Refuses a
 * data folder that already holds a database: a restore never overwrites a gateway's data.
 */
export function restoreSqlite(options: { fromDir: string; dataDir: string }): { databasePath: string; manifest: BackupManifest } {
  const from = resolve(options.fromDir);
  const manifestPath = join(from, BACKUP_MANIFEST_FILE);
  if (!existsSync(manifestPath)) throw new ConfigError(`${from} 不是网关备份（缺少 ${BACKUP_MANIFEST_FILE}） is not a gateway backup (no ${BACKUP_MANIFEST_FILE})`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as BackupManifest;
  if (manifest.kind !== 'gateway-backup' || manifest.database !== 'sqlite') throw new ConfigError(`${manifestPath}: 不是 SQLite 网关备份 not a SQLite gateway backup`);
  for (const [name, digest] of Object.entries(manifest.files)) {
    const path = join(from, name);
    if (!existsSync(path) || sha256File(path) !== digest) throw new ConfigError(`备份文件 ${name} 缺失或已损坏 backup file ${name} is missing or damaged (SHA-256 differs)`);
  }
  const dataDir = resolve(options.dataDir);
  if (existsSync(dataDir) && readdirSync(dataDir).some((f) => f.startsWith(BACKUP_DATABASE_FILE) || f === BACKUP_SECRETS_FILE)) {
    throw new ConfigError(`数据目录 ${dataDir} 已有数据，恢复只写入空目录 the data folder ${dataDir} already holds a database or secrets: restore only into an empty folder`);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if ((statSync(dataDir).mode & 0o077) !== 0) chmodSync(dataDir, 0o700);
  const databasePath = join(dataDir, BACKUP_DATABASE_FILE);
  for (const name of Object.keys(manifest.files)) {
    copyFileSync(join(from, name), join(dataDir, name));
    chmodSync(join(dataDir, name), 0o600);
  }
  const db = new BetterSqlite3(databasePath, { fileMustExist: true });
  try {
    const [{ integrity_check: check }] = db.pragma('integrity_check') as { integrity_check: string }[];
    if (check !== 'ok') throw new ConfigError(`恢复的数据库不完整 the restored database fails its integrity check: ${check}`);
  } finally {
    db.close();
  }
  return { databasePath, manifest };
}

/**
 * MariaDB/MySQL: the dump and restore commands for the database in `url` (printed, never run by
 * the gateway: the dump belongs to the database's own tools and the DBA's schedule). The password
 * is never printed; `-p` asks for it.
 */
export function mysqlBackupCommands(url: string, at = new Date()): { dump: string; restore: string; file: string } {
  const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  const file = `${database}-${backupFolderName(at).replace('gateway-backup-', '')}.sql`;
  const conn = `-h ${u.hostname} -P ${u.port || 3306} -u ${decodeURIComponent(u.username) || 'root'}${u.password ? ' -p' : ''}`;
  return {
    file,
    dump: `mariadb-dump ${conn} --single-transaction --quick --hex-blob --default-character-set=utf8mb4 --routines --triggers ${database} > ${file}`,
    restore: `mariadb ${conn} -e 'CREATE DATABASE 新库名 CHARACTER SET utf8mb4 COLLATE utf8mb4_bin' && mariadb ${conn} --default-character-set=utf8mb4 新库名 < ${file}`,
  };
}
