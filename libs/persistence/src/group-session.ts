import { escape as mysqlEscape, format as mysqlFormat } from 'mysql2';
import type { EntityManager, ObjectLiteral, QueryRunner } from 'typeorm';
import { utcDatetimeText } from './persistent-value';

/** The characters the driver escapes in a text (`sql-escaper`'s escapeString, backslash mode). */
const NEEDS_ESCAPE = /[\0\b\t\n\r\x1a"'\\]/;

/**
 * A value as a MySQL literal, exactly as the driver would write it for a `?` (`mysql2`'s own
 * `escape`, with the connection's time zone) — only faster for dates in UTC, which the driver
 * builds from thirteen pieces. The big multi-row statements are written with their values in
 * place: the driver's `format` scans the whole text for placeholders and builds it piece by piece,
 * which allocated more than everything else a batch row costs (a test checks both agree).
 */
export function mysqlLiteral(value: unknown, timezone: string): string {
  if (value === null || value === undefined) return 'NULL';
  // Texts with nothing to escape and bytes (hex never needs escaping): the same characters, built
  // by concatenation (V8 joins the pieces later without copying them first) instead of the
  // driver's two to three copies; a 50,000-row file's statements are ~150 million characters.
  if (typeof value === 'string' && !NEEDS_ESCAPE.test(value)) return "'" + value + "'";
  if (Buffer.isBuffer(value)) return "X'" + value.toString('hex') + "'";
  if (typeof value === 'number' || typeof value === 'bigint') return `${value}`;
  if (value instanceof Date && timezone === 'Z') {
    const year = value.getUTCFullYear();
    // toISOString is YYYY-MM-DDTHH:mm:ss.sssZ for these years; the driver writes the same digits.
    if (year >= 1000 && year <= 9999) return `'${utcDatetimeText(value)}'`;
  }
  return mysqlEscape(value as Parameters<typeof mysqlEscape>[0], false, timezone);
}

/** One SQL statement with its `?` parameters (none when its values are written in place), and about how many bytes it sends. */
export interface Statement {
  sql: string;
  params: unknown[];
  bytes: number;
  /**
   * MySQL, values written in place: the rest of the statement after `sql` (one text per row of a
   * multi-row INSERT), joined only into the request's text. Building each statement's text first
   * copied every character of a batch file's ~150 million once more (`MysqlPipelinedSession.send`).
   */
  pieces?: string[];
}

/**
 * The statements of one group transaction (`IngestRepository`). Reads are answered in order;
 * writes may be held back and sent with the commit.
 */
export interface GroupSession {
  read(statements: Statement[]): Promise<ObjectLiteral[][]>;
  /**
   * Writes, in order. They may be produced lazily (a generator): MySQL builds each statement only
   * when the request it goes in is next, so a group's text is never all in memory at once.
   */
  write(statements: Iterable<Statement>): Promise<void>;
}

/** SQLite: each statement as it comes, inside the transaction `em` belongs to. */
export class StatementByStatement implements GroupSession {
  constructor(private readonly em: EntityManager) {}

  async read(statements: Statement[]): Promise<ObjectLiteral[][]> {
    const results: ObjectLiteral[][] = [];
    for (const s of statements) results.push(await this.em.query(s.sql, s.params));
    return results;
  }

  async write(statements: Iterable<Statement>): Promise<void> {
    for (const s of statements) await this.em.query(s.sql, s.params);
  }
}

const BEGIN = ['SET TRANSACTION ISOLATION LEVEL READ COMMITTED', 'START TRANSACTION'];
const COMMIT: Statement = { sql: 'COMMIT', params: [], bytes: 6 };

/**
 * MySQL: a group's statements in as few requests as possible, on a connection that accepts several
 * statements per request. The isolation level, START TRANSACTION and the reads go as one request;
 * the writes and COMMIT as one more (split where a request would pass `maxRequestBytes`). Each
 * request was a round trip and a socket write, which under load cost the gateway more CPU than
 * planning the rows they carry; a group of ten events made nine of them.
 *
 * READ COMMITTED: no gap locks (two groups creating neighbouring new cases do not deadlock), and
 * each statement sees what the previous holder of a case lock committed. The server runs the
 * statements of a request one after another and stops at the first error, which is then the
 * request's error: the transaction is rolled back as before.
 */
export class MysqlPipelinedSession implements GroupSession {
  private started = false;
  /** Writes not sent yet, as given (built only as they are sent). */
  private held: Iterable<Statement>[] = [];

  constructor(
    private readonly runner: QueryRunner,
    private readonly maxRequestBytes: number,
    /** The connection's time zone (as the driver formats dates). */
    private readonly timezone: string,
  ) {}

  async read(statements: Statement[]): Promise<ObjectLiteral[][]> {
    const results = await this.run([...this.takeHeld(), ...statements]);
    return results.slice(results.length - statements.length) as ObjectLiteral[][];
  }

  async write(statements: Iterable<Statement>): Promise<void> {
    this.held.push(statements);
  }

  /** Sends what is held back, then COMMIT with the last of it. */
  async commit(): Promise<void> {
    await this.run(this.takeHeld(COMMIT));
  }

  /** START (the first time), the held writes, then `last`: produced one by one as they are sent. */
  private *takeHeld(...last: Statement[]): Generator<Statement> {
    const held = this.held;
    this.held = [];
    yield* this.begin();
    for (const statements of held) yield* statements;
    yield* last;
  }

  /**
   * Sends statements in as few requests as `maxRequestBytes` allows, in order; one result per
   * statement. Each statement is taken from `statements` only when the request before it is sent.
   */
  private async run(statements: Iterable<Statement>): Promise<unknown[]> {
    const results: unknown[] = [];
    let request: Statement[] = [];
    let bytes = 0;
    for (const s of statements) {
      if (request.length && bytes + s.bytes > this.maxRequestBytes) {
        for (const r of await this.send(request)) results.push(r);
        request = [];
        bytes = 0;
      }
      request.push(s);
      bytes += s.bytes;
    }
    if (request.length) for (const r of await this.send(request)) results.push(r);
    return results;
  }

  /**
   * After a failure. A connection that cannot roll back is closed instead of going back to the
   * pool: the next START TRANSACTION on it would commit the half-written group.
   */
  async rollback(): Promise<void> {
    this.held = [];
    if (!this.started) return;
    try {
      await this.runner.query('ROLLBACK');
    } catch {
      (this.runner as unknown as { databaseConnection?: { destroy(): void } }).databaseConnection?.destroy();
    }
  }

  private begin(): Statement[] {
    if (this.started) return [];
    this.started = true;
    return BEGIN.map((sql) => ({ sql, params: [], bytes: sql.length }));
  }

  private async send(statements: Statement[]): Promise<unknown[]> {
    // Each statement formatted on its own (as the driver would), so a `?` inside one statement's
    // written-in values is never taken for a placeholder of the next; the request then goes as is.
    let size = statements.length - 1;
    for (const s of statements) size += 1 + (s.pieces?.length ?? 0);
    const parts: string[] = new Array(size);
    let at = 0;
    for (let i = 0; i < statements.length; i++) {
      const s = statements[i];
      if (i) parts[at++] = ';\n';
      if (s.pieces) {
        parts[at++] = s.sql;
        for (const piece of s.pieces) parts[at++] = piece;
      } else parts[at++] = s.params.length ? mysqlFormat(s.sql, s.params as Parameters<typeof mysqlFormat>[1], false, this.timezone) : s.sql;
    }
    const text = parts.join('');
    const raw = await this.runner.query(text);
    // One statement is answered with its result; several with one result each.
    return statements.length === 1 ? [raw] : (raw as unknown[]);
  }
}
