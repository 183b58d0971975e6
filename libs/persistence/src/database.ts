import { closeSync, fdatasync, open as openFile } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import * as mysql2 from 'mysql2';
import { format as mysqlFormat } from 'mysql2';
import { DataSource, DataSourceOptions, EntityManager } from 'typeorm';
import type { DatabaseConfig } from '#gw/common';
import { ConfigError, ensurePrivateDir, ensurePrivateFile, restrictFile } from '#gw/common';
import { ENTITIES } from './entities';
import { GroupSession, MysqlPipelinedSession, StatementByStatement } from './group-session';
import { MYSQL_MIGRATIONS } from './migrations/mysql';
import { SQLITE_MIGRATIONS } from './migrations/sqlite';
import { SqliteCheckpointer } from './sqlite-checkpointer';

export type Dialect = 'sqlite' | 'mysql';

/** MySQL: most connections of the pool group commits use besides the shared one (`groupTransaction`). */
export const GROUP_POOL_SIZE = 8;

/**
 * The SQL mode of every MySQL/MariaDB session the gateway opens (both pools).
 *
 * Why pinned rather than every value sent through placeholders: the group commits and batch
 * files write their values in place (`mysqlLiteral`, `MysqlPipelinedSession`) because the
 * driver's formatting of ~150 million characters per 50,000-row file cost more than the rows
 * themselves. Those literals are escaped with backslashes, which is only correct while the
 * session has neither `NO_BACKSLASH_ESCAPES` (then a backslash-escaped quote ends the string: a
 * header value ran SQL, a quote in any field failed whole groups with 503) nor `ANSI_QUOTES`. A
 * DBA may set either globally; pinning the session mode on each new connection, before any other
 * statement, keeps the literals correct whatever the server's default, for one statement per new
 * connection (the pools keep their connections: nothing per request, no cost in the ingest
 * benchmark). The value is what a mysql2 connection to a default MariaDB 10.6+ / MySQL 8 had
 * anyway (mysql2 adds IGNORE_SPACE; NO_AUTO_CREATE_USER is gone in MySQL 8 and only concerns
 * GRANT), so nothing else changes.
 */
export const PINNED_SQL_MODE = 'IGNORE_SPACE,STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

/** Session modes under which the in-place literals would be read otherwise than they are written. */
const UNSAFE_SQL_MODES = ['NO_BACKSLASH_ESCAPES', 'ANSI_QUOTES', 'ANSI'];

type Mysql2Module = typeof mysql2;
interface PoolConnectionLike {
  query(sql: string, cb: (err: Error | null) => void): unknown;
  destroy(): void;
}

/**
 * mysql2 as TypeORM's `driver`, with each new pool connection's SQL mode set first. mysql2 emits
 * a pool's `connection` event right after the handshake and before the connection is handed to
 * anyone (`Pool.getConnection`), and a connection runs its queries in order, so the SET runs
 * before any statement of the gateway — including on the first connection TypeORM opens while it
 * initialises, which a listener added afterwards (on `driver.pool`) would miss. A connection whose
 * SET fails is closed rather than used in the server's mode.
 */
export const pinnedMysqlDriver: Mysql2Module = {
  ...mysql2,
  createPool(config: Parameters<Mysql2Module['createPool']>[0]) {
    const pool = mysql2.createPool(config as never);
    pool.on('connection', (conn: unknown) => {
      const c = conn as PoolConnectionLike;
      c.query(`SET SESSION sql_mode = '${PINNED_SQL_MODE}'`, (err) => {
        if (err) c.destroy();
      });
    });
    return pool;
  },
} as Mysql2Module;

/** Throws a ConfigError when a session's SQL mode would make the in-place literals wrong. */
export async function checkSessionSqlMode(ds: DataSource): Promise<void> {
  const [{ mode }] = await ds.query('SELECT @@SESSION.sql_mode AS mode');
  const modes = String(mode ?? '').toUpperCase().split(',');
  const unsafe = UNSAFE_SQL_MODES.filter((m) => modes.includes(m));
  if (unsafe.length) {
    throw new ConfigError(
      `数据库会话的 sql_mode 含有 ${unsafe.join(', ')}，网关未启动 the database session's sql_mode has ${unsafe.join(', ')} ` +
        `(expected ${PINNED_SQL_MODE}): the gateway escapes values with backslashes, so it did not start`,
    );
  }
}

export function dataSourceOptions(db: DatabaseConfig): DataSourceOptions {
  if (db.kind === 'sqlite') {
    return {
      type: 'better-sqlite3',
      database: db.path,
      entities: ENTITIES,
      migrations: SQLITE_MIGRATIONS,
      synchronize: false,
      // WAL lets readers run beside the writer; FULL makes a commit survive power loss, which is
      // what "acknowledged only once stored durably" means on a county server without a UPS.
      prepareDatabase: (conn: any) => {
        conn.pragma('journal_mode = WAL');
        conn.pragma('synchronous = FULL');
        conn.pragma(`busy_timeout = ${db.busyTimeoutMs}`);
        conn.pragma('foreign_keys = ON');
        // 剩余信息保护: deleted rows (pruned raw bodies, expired sessions) are overwritten with zeros
        // wherever that costs no extra write; FAST rather than ON keeps ingest's I/O unchanged.
        conn.pragma('secure_delete = FAST');
      },
    } as DataSourceOptions;
  }
  return {
    type: 'mysql',
    // Every connection's sql_mode pinned before its first statement (see `PINNED_SQL_MODE`).
    driver: pinnedMysqlDriver,
    url: db.url.replace(/^mariadb:/, 'mysql:'),
    entities: ENTITIES,
    migrations: MYSQL_MIGRATIONS,
    synchronize: false,
    timezone: 'Z',
    charset: 'utf8mb4_bin',
    poolSize: db.poolSize,
    bigNumberStrings: true,
    supportBigNumbers: true,
    extra: { connectTimeout: 5000, enableKeepAlive: true, idleTimeout: 60000, maxIdle: 4 },
  } as DataSourceOptions;
}

/** The oldest servers with `SELECT … FOR UPDATE SKIP LOCKED`, which the outbox claim relies on. */
export function checkServerVersion(version: string): string | null {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return `cannot read the database server version "${version}"`;
  const [maj, min, patch] = [+m[1], +m[2], +m[3]];
  if (/mariadb/i.test(version)) {
    if (maj < 10 || (maj === 10 && min < 6)) {
      return `MariaDB ${maj}.${min} 太旧，需要 10.6 或以上 (MariaDB ${maj}.${min}.${patch} is too old: 10.6+ is needed for SELECT … FOR UPDATE SKIP LOCKED)`;
    }
    return null;
  }
  if (maj < 8 || (maj === 8 && min === 0 && patch < 1)) {
    return `MySQL ${maj}.${min}.${patch} 太旧，需要 8.0.1 或以上 (MySQL 8.0.1+ is needed for SELECT … FOR UPDATE SKIP LOCKED)`;
  }
  return null;
}

/** A tiny FIFO mutex: SQLite has one connection, so transactions must not interleave on it. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

const openAsync = promisify(openFile);
const fdatasyncAsync = promisify(fdatasync);

/**
 * Flushes a SQLite database's write-ahead log to disk on libuv's thread pool. Requests that arrive
 * while a flush runs share the next one, so a burst of commits costs one or two flushes.
 */
export class WalSync {
  private running?: Promise<void>;
  private next?: Promise<void>;
  /** Kept open: the log is never deleted while the gateway's connection is open. */
  private file?: { path: string; fd: number };

  constructor(private readonly dbPath: string) {}

  sync(): Promise<void> {
    if (!this.running) return (this.running = this.flush().finally(() => (this.running = undefined)));
    // A flush under way may have started before the caller's commit: wait for the one after it.
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.sync();
      });
    return this.next;
  }

  close(): void {
    if (this.file) closeSync(this.file.fd);
    this.file = undefined;
  }

  private async flush(): Promise<void> {
    const fd = await this.descriptor();
    if (fd !== undefined) await fdatasyncAsync(fd);
  }

  /**
   * The WAL holds every committed frame not yet checkpointed (a checkpoint syncs the main file
   * itself, synchronous=NORMAL still does). Before the first write there is no WAL yet, and a
   * database not in WAL mode commits to its main file: then that file is the one to flush.
   */
  private async descriptor(): Promise<number | undefined> {
    const wal = `${this.dbPath}-wal`;
    if (this.file?.path === wal) return this.file.fd;
    for (const path of [wal, this.dbPath]) {
      if (this.file?.path === path) return this.file.fd;
      try {
        const fd = await openAsync(path, 'r+');
        this.close();
        this.file = { path, fd };
        return fd;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    return undefined;
  }
}

/** The gateway's database: dialect-aware transactions and error classification. */
export class Database {
  private readonly writeLock = new Mutex();
  private readonly wal?: WalSync;
  private checkpointer?: SqliteCheckpointer;

  constructor(
    readonly dataSource: DataSource,
    readonly dialect: Dialect,
  ) {
    const path = (dataSource.options as { database?: string }).database;
    if (dialect === 'sqlite' && path && path !== ':memory:') this.wal = new WalSync(path);
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /**
   * A column term that must not choose the index of a query. SQLite keeps no statistics (no
   * ANALYZE), so it may pick an index on an equality over a column most rows share (`status =
   * 'PENDING'` over a backlog) instead of the primary key or a narrow index, and read the whole
   * backlog per call. A unary `+` is SQLite's documented way to take a term out of index
   * selection; MySQL chooses by statistics and gets the column as it is.
   */
  unindexed(column: string): string {
    return this.dialect === 'sqlite' ? `+${column}` : column;
  }

  /** MySQL: the connections' time zone, in which the driver writes dates (`Z` as configured here). */
  get mysqlTimezone(): string {
    return (this.dataSource.options as { timezone?: string }).timezone ?? 'local';
  }

  /**
   * Runs fn in one transaction; resolves once it is committed and on disk. On SQLite transactions
   * are serialised (one connection) and their commits are flushed off the event loop, as the
   * ingest path's are (`transactionFlushedLater`): a delivery's seq, claim and finish each held
   * the event loop for a whole disk flush, and the rows of a batch file waited behind them.
   */
  async transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.dialect !== 'sqlite') return this.dataSource.transaction(fn);
    if (!this.wal) {
      this.checkpointer?.noteWrite();
      return this.writeLock.run(() => this.dataSource.transaction(fn));
    }
    const { value, durable } = await this.transactionFlushedLater(fn);
    await durable;
    return value;
  }

  private get sqlite(): { pragma(s: string): unknown } {
    return (this.dataSource.driver as unknown as { databaseConnection: { pragma(s: string): unknown } }).databaseConnection;
  }

  /** SQLite file databases: checkpoints move to a worker thread (see `SqliteCheckpointer`). */
  startCheckpointer(busyTimeoutMs: number): void {
    const path = (this.dataSource.options as { database?: string }).database;
    if (this.dialect !== 'sqlite' || !path || path === ':memory:' || this.checkpointer) return;
    this.checkpointer = new SqliteCheckpointer({
      path,
      busyTimeoutMs,
      onFailure: () => {
        // Back to SQLite's own checkpoints, so the log cannot grow without bound.
        this.checkpointer = undefined;
        if (this.dataSource.isInitialized) this.sqlite.pragma('wal_autocheckpoint = 1000');
      },
    });
    this.sqlite.pragma('wal_autocheckpoint = 0');
  }

  /**
   * Runs fn in one transaction and returns as soon as it is committed, with `durable`: a promise
   * that settles once the commit is on disk. Answer callers only after `durable`.
   *
   * Why: with `synchronous = FULL` SQLite fsyncs inside COMMIT, and better-sqlite3 is synchronous,
   * so the event loop stood still for every flush (a third of the ingest path's time). Here the
   * transaction commits with `synchronous = NORMAL` (written to the WAL, not flushed) and the WAL
   * is then flushed off the event loop — the same guarantee for what is acknowledged, while the
   * next group is already being written. A process crash loses nothing either way (the OS has the
   * pages); only a power loss before `durable` could, and nothing was acknowledged by then.
   * MySQL commits durably itself (InnoDB, `innodb_flush_log_at_trx_commit = 1`).
   */
  async transactionFlushedLater<T>(fn: (em: EntityManager) => Promise<T>): Promise<{ value: T; durable: Promise<void> }> {
    if (this.dialect !== 'sqlite' || !this.wal) return { value: await this.transaction(fn), durable: Promise.resolve() };
    const conn = this.sqlite;
    this.checkpointer?.noteWrite();
    const value = await this.writeLock.run(async () => {
      conn.pragma('synchronous = NORMAL');
      try {
        return await this.dataSource.transaction(fn);
      } finally {
        conn.pragma('synchronous = FULL');
      }
    });
    const durable = this.wal.sync();
    durable.catch(() => undefined); // handled by whoever awaits it; never an unhandled rejection
    return { value, durable };
  }

  /**
   * One transaction of plain statements (`GroupSession`) and, as `transactionFlushedLater`,
   * `durable` to wait for before answering anyone. MySQL: the statements go several per request,
   * on connections of their own that allow it (`MysqlPipelinedSession`); everything else keeps
   * the driver's default of one statement per request. SQLite: one by one, flushed off the event loop.
   */
  async groupTransaction<T>(fn: (session: GroupSession) => Promise<T>, maxRequestBytes: number): Promise<{ value: T; durable: Promise<void> }> {
    if (this.dialect === 'sqlite') return this.transactionFlushedLater((em) => fn(new StatementByStatement(em)));
    const runner = (await this.multiStatementSource()).createQueryRunner();
    const session = new MysqlPipelinedSession(runner, maxRequestBytes, this.mysqlTimezone);
    try {
      const value = await fn(session);
      await session.commit();
      return { value, durable: Promise.resolve() };
    } catch (e) {
      await session.rollback();
      throw e;
    } finally {
      await runner.release();
    }
  }

  private multiStatements?: Promise<DataSource>;

  private multiStatementSource(): Promise<DataSource> {
    this.multiStatements ??= (async () => {
      const options = this.dataSource.options as DataSourceOptions & { extra?: Record<string, unknown>; poolSize?: number };
      const timezone = this.mysqlTimezone;
      const ds = new DataSource({
        ...options,
        migrations: [],
        migrationsRun: false,
        multipleStatements: true,
        // Group commits under way at once (2 by default) plus batch files: a few connections are plenty.
        poolSize: Math.min(options.poolSize ?? GROUP_POOL_SIZE, GROUP_POOL_SIZE),
        // The sessions send text already formatted (`MysqlPipelinedSession`): the driver's own
        // formatting would scan megabytes of it for a placeholder that is not there.
        extra: { ...options.extra, queryFormat: (sql: string, values?: unknown[]) => (values?.length ? mysqlFormat(sql, values as Parameters<typeof mysqlFormat>[1], false, timezone) : sql) },
      } as DataSourceOptions);
      try {
        await ds.initialize();
        try {
          // The same driver (options spread above) pins this pool too; checked all the same.
          await checkSessionSqlMode(ds);
        } catch (e) {
          await ds.destroy();
          throw e;
        }
        return ds;
      } catch (e) {
        // Not remembered: the next group tries again (the database may be back).
        this.multiStatements = undefined;
        throw e;
      }
    })();
    return this.multiStatements;
  }

  /**
   * Transient lock errors: the transaction was rolled back whole (InnoDB deadlock victim, lock wait
   * timeout) or never got the write lock (SQLITE_BUSY from another process), and running it again
   * is all it takes. Unlike `isRetryableConflict`, a unique violation is not one: outside ingest it
   * is a bug, not a race to replay.
   */
  static isTransientLockError(err: unknown): boolean {
    const e = err as { code?: string; driverError?: { code?: string } };
    const code = e?.driverError?.code ?? e?.code ?? '';
    return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || code.startsWith('SQLITE_BUSY');
  }

  /** Transactions run again by `transactionRetryingLocks` since this database was opened (metric, tests). */
  transientLockRetries = 0;

  /**
   * A write transaction that is run again, in place, when it fails with a transient lock error:
   * after a jittered pause of 5–10 ms, doubling up to 125–250 ms, 12 runs in all (about 2 s). The
   * dispatchers' writes use it: a deadlock thrown out of a finish used to leave the message in
   * flight until its lease ran out (60 s), and then it was sent again. On MySQL `isolation` names
   * the transaction's level.
   */
  async transactionRetryingLocks<T>(fn: (em: EntityManager) => Promise<T>, isolation?: 'READ COMMITTED'): Promise<T> {
    for (let tries = 1; ; tries++) {
      try {
        return isolation && this.dialect === 'mysql' ? await this.dataSource.transaction(isolation, fn) : await this.transaction(fn);
      } catch (e) {
        if (tries >= 12 || !Database.isTransientLockError(e)) throw e;
        this.transientLockRetries++;
        const ceiling = Math.min(250, 10 * 2 ** (tries - 1));
        await new Promise((r) => setTimeout(r, ceiling / 2 + (Math.random() * ceiling) / 2));
      }
    }
  }

  /** Whether an error is a unique-key violation (a concurrent duplicate). */
  static isUniqueViolation(err: unknown): boolean {
    const e = err as { code?: string; errno?: number; driverError?: { code?: string } };
    const code = e?.driverError?.code ?? e?.code;
    return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  }

  /** Whether a transaction lost a race and may simply run again (InnoDB deadlock victim). */
  static isRetryableConflict(err: unknown): boolean {
    const e = err as { code?: string; driverError?: { code?: string } };
    const code = e?.driverError?.code ?? e?.code;
    return code === 'ER_LOCK_DEADLOCK' || Database.isUniqueViolation(err);
  }

  /**
   * Runs `attempt` again (up to five more times, after a short random pause) while it fails with a
   * lost race (`isRetryableConflict`): the next run sees the winner's rows. Any other error, or the
   * sixth conflict, is thrown.
   */
  static async retryingConflicts<T>(attempt: () => Promise<T>): Promise<T> {
    for (let tries = 0; ; tries++) {
      try {
        return await attempt();
      } catch (e) {
        if (tries >= 5 || !Database.isRetryableConflict(e)) throw e;
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * (tries + 1)));
      }
    }
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  async close(): Promise<void> {
    const checkpointer = this.checkpointer;
    this.checkpointer = undefined;
    await checkpointer?.close();
    const multiStatements = this.multiStatements;
    this.multiStatements = undefined;
    const extra = await multiStatements?.catch(() => undefined);
    if (extra?.isInitialized) await extra.destroy();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    this.wal?.close();
  }
}

export interface OpenDatabaseOptions {
  /** Run pending migrations (default true). Several instances may start at once: MySQL takes a named lock. */
  migrate?: boolean;
}

export async function openDatabase(db: DatabaseConfig, options: OpenDatabaseOptions = {}): Promise<Database> {
  if (db.kind === 'sqlite' && db.path !== ':memory:') {
    // The database holds personal data: folder 0700, files 0600. SQLite gives its -wal and -shm
    // files the database file's mode, so the file is made before SQLite opens it.
    ensurePrivateDir(dirname(db.path));
    ensurePrivateFile(db.path);
  }
  const ds = new DataSource(dataSourceOptions(db));
  try {
    await ds.initialize();
  } catch (e) {
    const where = db.kind === 'sqlite' ? db.path : db.url.replace(/\/\/[^@]*@/, '//***@');
    throw new ConfigError(`数据库无法连接 cannot open the database ${where}: ${(e as Error).message}`);
  }
  // Files left 0644 by older versions (SQLite made them after the database file's mode).
  if (db.kind === 'sqlite' && db.path !== ':memory:') for (const suffix of ['', '-wal', '-shm']) restrictFile(db.path + suffix);
  const dialect: Dialect = db.kind === 'sqlite' ? 'sqlite' : 'mysql';
  if (dialect === 'mysql') {
    const [{ v }] = await ds.query('SELECT VERSION() AS v');
    const problem = checkServerVersion(String(v));
    if (problem) {
      await ds.destroy();
      throw new ConfigError(problem);
    }
    try {
      await checkSessionSqlMode(ds);
    } catch (e) {
      await ds.destroy();
      throw e;
    }
  }
  if (options.migrate !== false) {
    if (dialect === 'mysql') {
      const runner = ds.createQueryRunner();
      try {
        await runner.query(`SELECT GET_LOCK('gw_migrations', 120)`);
        await ds.runMigrations({ transaction: 'each' });
      } finally {
        await runner.query(`SELECT RELEASE_LOCK('gw_migrations')`).catch(() => undefined);
        await runner.release();
      }
    } else {
      await ds.runMigrations({ transaction: 'each' });
    }
  }
  const database = new Database(ds, dialect);
  if (db.kind === 'sqlite') database.startCheckpointer(db.busyTimeoutMs);
  return database;
}
