import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, openSync, readSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ID_NUMBER_CERT_TYPES } from '#gw/case';
import { ConfigError, PRIVATE_FILE_MODE, type PersonalDataCipher } from '#gw/common';
import type { ObjectLiteral } from 'typeorm';
import { AuditRepository } from './audit.repository';
import { Database } from './database';
import { AccessCredentialEntity, CaseEntity, CaseEventEntity, InboundBatchFileEntity, InboundMessageEntity, JobLeaseEntity, LicenceEntity, OperatorAccountEntity, PlatformCallbackEntity } from './entities';
import { parseDuration } from './retention';

/** Stable code of a stored value that neither configured key opens (reported, never its content). */
export const KEY_ROTATION_UNREADABLE = 'DATA_KEY_ROTATION_UNREADABLE';
/** Stable code of a case whose applicant lookup hash matches none of its events' applicants. */
export const KEY_ROTATION_HASH_UNMATCHED = 'DATA_KEY_ROTATION_HASH_UNMATCHED';

export interface KeyRotationConfig {
  /** 0: the job never runs (`KEY_ROTATION=off`). */
  enabled: boolean;
  /** Wait after start-up before the first pass; then between tries while the job is not done. */
  startDelayMs: number;
  retryMs: number;
  /** Rows per short transaction (text columns); blob tables take fewer (see `TARGETS`). */
  batchSize: number;
  pauseMs: number;
  leaseMs: number;
}

export function loadKeyRotationConfig(env: Readonly<Record<string, string | undefined>>): KeyRotationConfig {
  const batchSize = Number(env.KEY_ROTATION_BATCH_SIZE ?? 200);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5000) throw new ConfigError('KEY_ROTATION_BATCH_SIZE: 1–5000');
  return {
    enabled: !/^(off|0|false)$/i.test(env.KEY_ROTATION ?? ''),
    startDelayMs: env.KEY_ROTATION_START_DELAY === '0' ? 0 : parseDuration('KEY_ROTATION_START_DELAY', env.KEY_ROTATION_START_DELAY, 10_000),
    retryMs: parseDuration('KEY_ROTATION_RETRY', env.KEY_ROTATION_RETRY, 60_000),
    batchSize,
    pauseMs: env.KEY_ROTATION_PAUSE === '0' ? 0 : parseDuration('KEY_ROTATION_PAUSE', env.KEY_ROTATION_PAUSE, 50),
    leaseMs: 5 * 60_000,
  };
}

/** One column of encrypted values: a text token (`sm4.…`) or sealed bytes. */
interface Target {
  table: string;
  entity: new () => ObjectLiteral;
  /** Primary key columns (database names), walked in order as key ranges. */
  key: string[];
  column: string;
  /** The entity's property of `column`. */
  property: string;
  kind: 'token' | 'sealed';
  /** More conditions on the rows that hold an encrypted value (e.g. bodies kept sealed). */
  where?: string;
  /** Rows per batch: blobs are up to 1 MiB (messages) or 256 KiB (batch file parts) each. */
  batch?: number;
  /** The row's keyed lookup hash, recomputed with the value (database column and entity property). */
  hash?: { column: string; property: string };
}

/**
 * Every column that holds personal data encrypted with the data key (grep the entities for
 * `sm4.`, `seal`, `_enc`, `_sealed`, `_hash`). A row's lookup hash (the case's applicant, the licence's holder) is
 * rewritten with its encrypted value.
 * A new encrypted column must be added here: the rotation suite (test/trust/key-rotation)
 * decrypts every one of them with the new key alone after the job, and fails on any left behind.
 */
export const KEY_ROTATION_TARGETS: readonly Target[] = [
  { table: 'gw_case', entity: CaseEntity, key: ['id'], column: 'parties_enc', property: 'partiesEnc', kind: 'token', hash: { column: 'applicant_id_hash', property: 'applicantIdHash' } },
  { table: 'licence', entity: LicenceEntity, key: ['id'], column: 'holder_enc', property: 'holderEnc', kind: 'token', hash: { column: 'holder_hash', property: 'holderHash' } },
  { table: 'case_event', entity: CaseEventEntity, key: ['id'], column: 'payload_enc', property: 'payloadEnc', kind: 'token' },
  { table: 'platform_callback', entity: PlatformCallbackEntity, key: ['id'], column: 'data_enc', property: 'dataEnc', kind: 'token' },
  { table: 'access_credential', entity: AccessCredentialEntity, key: ['id'], column: 'secret_sealed', property: 'secretSealed', kind: 'token' },
  { table: 'operator_account', entity: OperatorAccountEntity, key: ['username'], column: 'totp_secret', property: 'totpSecret', kind: 'token' },
  { table: 'inbound_message', entity: InboundMessageEntity, key: ['id'], column: 'body', property: 'body', kind: 'sealed', where: 'body_encrypted = 1', batch: 20 },
  { table: 'inbound_batch_file', entity: InboundBatchFileEntity, key: ['batch_id', 'part_no'], column: 'body', property: 'body', kind: 'sealed', batch: 4 },
];

export interface KeyRotationTableProgress {
  table: string;
  /** Values not yet under the current key (unreadable ones included). */
  left: number;
  rewritten: number;
  /** Values neither key opens (`DATA_KEY_ROTATION_UNREADABLE`); left as they are. */
  unreadable: number;
}

export interface KeyRotationStatus {
  /**
   * `idle`: no previous key configured (nothing to rotate); `off`: KEY_ROTATION=off; `waiting`:
   * starts shortly; `running`; `elsewhere`: another instance holds the job; `done`; `failed`:
   * a pass stopped on a database error and is tried again.
   */
  state: 'idle' | 'off' | 'waiting' | 'running' | 'elsewhere' | 'done' | 'failed';
  keyId: string;
  previousKeyId: string | null;
  tables: KeyRotationTableProgress[];
  /** Rows left in all tables together. */
  left: number;
  unreadable: number;
  unreadableCode: string;
  /** Cases whose lookup hash could not be recomputed (their applicant is not in any event). */
  hashesUnmatched: number;
  startedAt: string | null;
  finishedAt: string | null;
  /** Whether the previous key may now be removed from the configuration. */
  previousKeyNeeded: boolean;
  message: string;
}

export interface KeyRotationLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const silent: KeyRotationLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * 数据密钥轮换 / data-key rotation: while `GATEWAY_DATA_KEY_PREVIOUS` is set, rewrites every
 * encrypted value (and every case's applicant lookup hash) still under the previous key — or in
 * the format from before key ids — with the current key. In the background, without downtime:
 * rows are walked by primary-key ranges, a small batch per short transaction with a pause between,
 * and each row is written back only if it still holds the value read (`WHERE … AND col = old`):
 * a row ingest or dispatch changed meanwhile was written with the current key already. Sealed
 * spooled batch files left on disk are resealed too.
 *
 * One instance of a multi-instance deployment runs it (a `job_lease` row named after both key ids,
 * renewed per batch; once done, not again). A value neither key opens is not fatal: it is counted
 * per table (`DATA_KEY_ROTATION_UNREADABLE`), named by table and key only, and left as it is.
 */
export class KeyRotationJob {
  private timer?: NodeJS.Timeout;
  private running?: Promise<KeyRotationStatus>;
  private stopped = false;
  private readonly owner = `${hostname().slice(0, 30)}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly progress = new Map<string, KeyRotationTableProgress>();
  private state: KeyRotationStatus['state'];
  private hashesUnmatched = 0;
  private startedAt: Date | null = null;
  private finishedAt: Date | null = null;

  constructor(
    private readonly db: Database,
    private readonly cipher: PersonalDataCipher,
    private readonly audit: AuditRepository,
    readonly config: KeyRotationConfig,
    /** Where sealed batch files are spooled (`<DATA_DIR>/spool`); none: no files to reseal. */
    private readonly spoolDir?: string,
    private readonly logger: KeyRotationLogger = silent,
  ) {
    this.state = !cipher.previousKeyId ? 'idle' : config.enabled ? 'waiting' : 'off';
  }

  private get leaseName(): string {
    return `data-key-rotation:${this.cipher.previousKeyId}:${this.cipher.keyId}`;
  }

  start(): void {
    this.stopped = false;
    if (this.state !== 'waiting') return;
    // What is left, for the status, before the first pass begins (counted by SQL, nothing decrypted).
    void this.countAll().catch(() => undefined); // (a pass starting meanwhile counts again itself)
    const schedule = (ms: number) => {
      this.timer = setTimeout(() => {
        this.runOnce()
          .catch(() => undefined)
          .then((s) => {
            if (!this.stopped && s?.state !== 'done') schedule(this.config.retryMs);
          });
      }, ms);
      this.timer.unref();
    };
    schedule(this.config.startDelayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass (joined if one is under way); resolves with the status after it. */
  runOnce(): Promise<KeyRotationStatus> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  status(): KeyRotationStatus {
    const tables = KEY_ROTATION_TARGETS.map((t) => this.progress.get(t.table) ?? { table: t.table, left: 0, rewritten: 0, unreadable: 0 });
    const spool = this.progress.get('spool');
    if (spool) tables.push(spool);
    const left = tables.reduce((n, t) => n + t.left, 0);
    const unreadable = tables.reduce((n, t) => n + t.unreadable, 0);
    const previousKeyNeeded = !!this.cipher.previousKeyId && this.state !== 'done';
    return {
      state: this.state,
      keyId: this.cipher.keyId,
      previousKeyId: this.cipher.previousKeyId ?? null,
      tables,
      left,
      unreadable,
      unreadableCode: KEY_ROTATION_UNREADABLE,
      hashesUnmatched: this.hashesUnmatched,
      startedAt: this.startedAt?.toISOString() ?? null,
      finishedAt: this.finishedAt?.toISOString() ?? null,
      previousKeyNeeded,
      message: this.message(unreadable),
    };
  }

  private message(unreadable: number): string {
    switch (this.state) {
      case 'idle':
        return '未在轮换数据密钥（未设置 GATEWAY_DATA_KEY_PREVIOUS） no data-key rotation under way (GATEWAY_DATA_KEY_PREVIOUS is not set)';
      case 'off':
        return '重新加密已关闭（KEY_ROTATION=off），旧密钥仍然需要 re-encryption is off (KEY_ROTATION=off): the previous key is still needed';
      case 'done':
        return unreadable
          ? `重新加密完成；${unreadable} 条数据任一密钥都无法解开（${KEY_ROTATION_UNREADABLE}），已原样保留；其余数据不再需要旧密钥 re-encryption finished; ${unreadable} value(s) neither key opens were left as they are; the rest no longer need the previous key`
          : '重新加密完成，旧密钥（GATEWAY_DATA_KEY_PREVIOUS）已不再需要，可从配置中删除 re-encryption finished: the previous key (GATEWAY_DATA_KEY_PREVIOUS) is no longer needed and may be removed from the configuration';
      case 'elsewhere':
        return '另一实例正在重新加密 another instance is re-encrypting';
      case 'failed':
        return '重新加密中断，稍后重试；旧密钥仍然需要 re-encryption was interrupted and will be tried again: the previous key is still needed';
      default:
        return '正在用新密钥重新加密，旧密钥仍然需要 re-encrypting with the new key: the previous key is still needed';
    }
  }

  private q(name: string): string {
    return this.db.dialect === 'mysql' ? `\`${name}\`` : `"${name}"`;
  }

  /** The condition of rows whose value is not (yet) under the current key. */
  private notCurrent(t: Target): { sql: string; params: unknown[] } {
    const col = this.q(t.column);
    const extra = t.where ? ` AND ${t.where.replace(/^(\w+)/, (c) => this.q(c))}` : '';
    if (t.kind === 'token') return { sql: `${col} IS NOT NULL AND ${col} NOT LIKE ?${extra}`, params: [`${this.cipher.tokenPrefix}%`] };
    return { sql: `${col} IS NOT NULL AND substr(${col}, 1, 8) <> ?${extra}`, params: [this.cipher.sealedPrefix] };
  }

  /** Rows of `t` not yet under the current key (counted by SQL, nothing decrypted). */
  async countLeft(t: Target): Promise<number> {
    const c = this.notCurrent(t);
    const rows: { n: number | string }[] = await this.db.manager.query(`SELECT COUNT(*) AS n FROM ${this.q(t.table)} WHERE ${c.sql}`, c.params);
    return Number(rows[0]?.n ?? 0);
  }

  /** Updates what is left per table (the objects a pass under way reports through stay the same). */
  private async countAll(): Promise<void> {
    for (const t of KEY_ROTATION_TARGETS) {
      const left = await this.countLeft(t);
      const p = this.progress.get(t.table);
      if (p) p.left = left;
      else this.progress.set(t.table, { table: t.table, left, rewritten: 0, unreadable: 0 });
    }
  }

  private async pass(): Promise<KeyRotationStatus> {
    if (!this.cipher.previousKeyId || !this.config.enabled) return this.status();
    for (const t of KEY_ROTATION_TARGETS) this.progress.set(t.table, { table: t.table, left: 0, rewritten: 0, unreadable: 0 });
    await this.countAll();
    const lease = await this.acquire();
    if (lease === 'done') {
      this.state = 'done';
      return this.status();
    }
    if (lease === 'held') {
      this.state = 'elsewhere';
      return this.status();
    }
    this.state = 'running';
    this.hashesUnmatched = 0;
    this.startedAt = new Date();
    this.finishedAt = null;
    const total = [...this.progress.values()].reduce((n, p) => n + p.left, 0);
    this.logger.log(`开始用新密钥 ${this.cipher.keyId} 重新加密（旧密钥 ${this.cipher.previousKeyId}），待处理 ${total} 条 re-encryption with key ${this.cipher.keyId} started (previous ${this.cipher.previousKeyId}): ${total} value(s) to rewrite`);
    await this.audit.append({ actor: 'system', action: 'DATA_KEY_ROTATION_STARTED', targetType: 'data-key', targetId: this.cipher.keyId, detail: { previousKeyId: this.cipher.previousKeyId, left: this.leftByTable() } });
    try {
      for (const t of KEY_ROTATION_TARGETS) {
        if (this.stopped) break;
        await this.rewriteTable(t);
      }
      if (!this.stopped && this.spoolDir) await this.resealSpoolFiles(this.spoolDir);
      if (this.stopped) {
        // Shutting down mid-way: the lease is let go, so the next start (or another instance) goes on at once.
        await this.release().catch(() => undefined);
        this.state = 'waiting';
        return this.status();
      }
      // What is left now must be what no key opens: rows written meanwhile are under the current key.
      for (const t of KEY_ROTATION_TARGETS) this.progress.get(t.table)!.left = await this.countLeft(t);
      const stray = KEY_ROTATION_TARGETS.filter((t) => this.progress.get(t.table)!.left > this.progress.get(t.table)!.unreadable);
      if (stray.length) throw new Error(`values still under the previous key in ${stray.map((t) => t.table).join(', ')}`);
    } catch (e) {
      this.state = 'failed';
      this.logger.error(`重新加密中断，稍后重试 re-encryption interrupted, to be tried again: ${(e as Error).message}`);
      return this.status();
    }
    this.state = 'done';
    this.finishedAt = new Date();
    await this.db.transaction((em) => em.update(JobLeaseEntity, { name: this.leaseName, owner: this.owner }, { doneAt: this.finishedAt! }));
    const s = this.status();
    await this.audit.append({
      actor: 'system',
      action: 'DATA_KEY_ROTATION_COMPLETED',
      targetType: 'data-key',
      targetId: this.cipher.keyId,
      outcome: s.unreadable ? 'failure' : 'success',
      detail: { previousKeyId: this.cipher.previousKeyId, rewritten: Object.fromEntries(s.tables.map((t) => [t.table, t.rewritten])), unreadable: s.unreadable, unreadableCode: s.unreadable ? KEY_ROTATION_UNREADABLE : undefined, hashesUnmatched: s.hashesUnmatched },
    });
    (s.unreadable ? this.logger.warn : this.logger.log).call(this.logger, s.message);
    return s;
  }

  private leftByTable(): Record<string, number> {
    return Object.fromEntries([...this.progress.values()].map((p) => [p.table, p.left]));
  }

  /** Walks `t` by key ranges: a batch of rows after the last key, rewritten in one short transaction. */
  private async rewriteTable(t: Target): Promise<void> {
    const p = this.progress.get(t.table)!;
    const q = (n: string) => this.q(n);
    const cond = this.notCurrent(t);
    const keys = t.key.map(q).join(', ');
    const size = Math.min(t.batch ?? this.config.batchSize, this.config.batchSize);
    let after: unknown[] | null = null;
    for (;;) {
      if (this.stopped) return;
      // Key ranges: `(k1, k2) > (a, b)` spelled out (both dialects).
      const range = after ? ` AND ${t.key.length === 1 ? `${q(t.key[0])} > ?` : `(${q(t.key[0])} > ? OR (${q(t.key[0])} = ? AND ${q(t.key[1])} > ?))`}` : '';
      const rangeParams = after ? (t.key.length === 1 ? [after[0]] : [after[0], after[0], after[1]]) : [];
      const extraCols = t.hash ? `, ${q(t.hash.column)} AS hash` : '';
      const rows: Record<string, unknown>[] = await this.db.manager.query(
        `SELECT ${t.key.map((k, i) => `${q(k)} AS k${i}`).join(', ')}, ${q(t.column)} AS v${extraCols} FROM ${q(t.table)} WHERE ${cond.sql}${range} ORDER BY ${keys} LIMIT ${size}`,
        [...cond.params, ...rangeParams],
      );
      if (!rows.length) return;
      after = t.key.map((_, i) => rows[rows.length - 1][`k${i}`]);
      const changes: { key: unknown[]; old: unknown; value: string | Buffer; hash?: string | null }[] = [];
      for (const r of rows) {
        const key = t.key.map((_, i) => r[`k${i}`]);
        try {
          if (t.kind === 'token') {
            const plain = this.cipher.decrypt(String(r.v));
            const change: (typeof changes)[number] = { key, old: r.v, value: this.cipher.encrypt(plain) };
            if (t.table === 'gw_case') change.hash = await this.rehash(String(key[0]), plain, (r.hash as string | null) ?? null);
            else if (t.hash) change.hash = this.rehashHolder(t.table, String(key[0]), plain, (r.hash as string | null) ?? null);
            changes.push(change);
          } else {
            const old = toBuffer(r.v);
            changes.push({ key, old, value: this.cipher.seal(this.cipher.open(old)) });
          }
        } catch {
          // Never its content: the table, the row's key and the stable code only.
          p.unreadable++;
          this.logger.warn(`${KEY_ROTATION_UNREADABLE}: ${t.table} ${key.join('/')}: 任一密钥都无法解开，保留原样 neither key opens it; left as it is`);
        }
      }
      if (changes.length) {
        const rewritten = await this.withRetries(() =>
          this.db.transaction(async (em) => {
            let n = 0;
            for (const c of changes) {
              const set: Record<string, unknown> = { [t.property]: c.value };
              if (c.hash !== undefined && t.hash) set[t.hash.property] = c.hash;
              const where = [...t.key.map((k, i) => `${q(k)} = :k${i}`), `${q(t.column)} = :old`].join(' AND ');
              const params: Record<string, unknown> = { old: c.old };
              t.key.forEach((_, i) => (params[`k${i}`] = c.key[i]));
              const r = await em.createQueryBuilder().update(t.entity).set(set).where(where, params).execute();
              n += r.affected ?? 0;
            }
            return n;
          }),
        );
        p.rewritten += rewritten;
        // A row changed meanwhile was rewritten by its writer, with the current key: not left either.
        p.left = Math.max(0, p.left - changes.length);
      }
      await this.renew();
      if (rows.length < size) return;
      if (this.config.pauseMs) await new Promise((r) => setTimeout(r, this.config.pauseMs));
    }
  }

  /**
   * The case's lookup hash under the current key. Its number is the first applicant's of the event
   * that last set it (ingest keeps the hash when a later event has no ID number): the current
   * parties, else each of the case's events, are tried until one hashes to the stored value.
   */
  private async rehash(caseId: string, partiesJson: string, stored: string | null): Promise<string | null> {
    if (stored === null) return null;
    const matches = (number: string | null) => number !== null && this.cipher.lookupHashes(number).includes(stored);
    const fromParties = applicantKeyOf(JSON.parse(partiesJson) as { applicants?: { certType?: string; certNo?: string }[] });
    if (matches(fromParties)) return this.cipher.lookupHash(fromParties!);
    const events: { p: string }[] = await this.db.manager.query(`SELECT ${this.q('payload_enc')} AS p FROM ${this.q('case_event')} WHERE ${this.q('case_id')} = ?`, [caseId]);
    for (const e of events) {
      try {
        const n = applicantKeyOf(this.cipher.decryptJson<{ applicants?: { certType?: string; certNo?: string }[] }>(e.p));
        if (matches(n)) return this.cipher.lookupHash(n!);
      } catch {
        // an unreadable event is counted when its own table is walked
      }
    }
    this.hashesUnmatched++;
    this.logger.warn(`${KEY_ROTATION_HASH_UNMATCHED}: gw_case ${caseId}: 查询哈希无法重算，保留原值 its lookup hash matches no applicant; kept as it is`);
    return stored;
  }

  /** A licence's holder hash under the current key: of the certificate number kept encrypted beside it. */
  private rehashHolder(table: string, id: string, holderJson: string, stored: string | null): string | null {
    if (stored === null) return null;
    const holder = JSON.parse(holderJson) as { certType?: string; certNo?: string };
    const n = applicantKeyOf({ applicants: [holder] });
    if (n !== null && this.cipher.lookupHashes(n).includes(stored)) return this.cipher.lookupHash(n);
    this.hashesUnmatched++;
    this.logger.warn(`${KEY_ROTATION_HASH_UNMATCHED}: ${table} ${id}: 查询哈希无法重算，保留原值 its lookup hash matches no holder; kept as it is`);
    return stored;
  }

  /** Spooled batch files (`*.batch`: frames of a 4-byte length and a sealed part) not under the current key, resealed in place. */
  private async resealSpoolFiles(dir: string): Promise<void> {
    const p: KeyRotationTableProgress = { table: 'spool', left: 0, rewritten: 0, unreadable: 0 };
    this.progress.set('spool', p);
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.batch'));
    } catch {
      return; // no spool directory
    }
    for (const name of names) {
      const path = join(dir, name);
      let counted = false;
      try {
        // A file being written now is written with the current key: its first part says so (or is not complete yet).
        const head = readHead(path, 12);
        if (head.length < 12 || this.cipher.isCurrentSealed(head.subarray(4))) continue;
        p.left++;
        counted = true;
        const tmp = `${path}.rekey`;
        await this.resealFile(path, tmp);
        renameSync(tmp, path);
        p.left--;
        p.rewritten++;
      } catch {
        // A file gone meanwhile (its run finished) is not counted; one neither key opens is.
        if (counted) {
          p.unreadable++;
          this.logger.warn(`${KEY_ROTATION_UNREADABLE}: spool ${name}: 任一密钥都无法解开，保留原样 neither key opens it; left as it is`);
        }
        rmSync(`${path}.rekey`, { force: true });
      }
    }
  }

  /** Frame by frame (a batch file may be hundreds of MiB), yielding to the event loop between parts. */
  private async resealFile(from: string, to: string): Promise<void> {
    const input = openSync(from, 'r');
    const output = openSync(to, 'w', PRIVATE_FILE_MODE);
    try {
      const size = fstatSync(input).size;
      const head = Buffer.alloc(4);
      let at = 0;
      while (at < size) {
        if (readSync(input, head, 0, 4, at) !== 4) throw new Error('spooled batch file is truncated');
        const part = Buffer.alloc(head.readUInt32BE(0));
        if (readSync(input, part, 0, part.length, at + 4) !== part.length) throw new Error('spooled batch file is truncated');
        at += 4 + part.length;
        const sealed = this.cipher.seal(this.cipher.open(part));
        const len = Buffer.alloc(4);
        len.writeUInt32BE(sealed.length);
        writeSync(output, len);
        writeSync(output, sealed);
        await new Promise((r) => setImmediate(r));
      }
      fsyncSync(output);
    } finally {
      closeSync(input);
      closeSync(output);
    }
  }

  /** Retries a batch's transaction that lost a deadlock or a lock wait to ingest (MySQL), a few times. */
  private async withRetries<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (attempt >= 3 || this.stopped) throw e;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  /** Takes the job (or takes over an expired lease); `done` when an instance finished it already. */
  private async acquire(): Promise<'mine' | 'held' | 'done'> {
    const now = new Date();
    const leaseUntil = new Date(now.getTime() + this.config.leaseMs);
    const name = this.leaseName;
    const existing = await this.db.manager.findOne(JobLeaseEntity, { where: { name } });
    if (existing?.doneAt) return 'done';
    if (!existing) {
      try {
        await this.db.transaction((em) => em.insert(JobLeaseEntity, { name, owner: this.owner, leaseUntil, doneAt: null }));
        return 'mine';
      } catch {
        // another instance inserted it first: below
      }
    }
    const r = await this.db.transaction((em) =>
      em
        .createQueryBuilder()
        .update(JobLeaseEntity)
        .set({ owner: this.owner, leaseUntil })
        .where('name = :name AND done_at IS NULL AND (lease_until < :now OR owner = :owner)', { name, now, owner: this.owner })
        .execute(),
    );
    if ((r.affected ?? 0) === 1) return 'mine';
    const again = await this.db.manager.findOne(JobLeaseEntity, { where: { name } });
    return again?.doneAt ? 'done' : 'held';
  }

  private async release(): Promise<void> {
    await this.db.transaction((em) =>
      em.createQueryBuilder().update(JobLeaseEntity).set({ leaseUntil: new Date(0) }).where('name = :name AND owner = :owner AND done_at IS NULL', { name: this.leaseName, owner: this.owner }).execute(),
    );
  }

  private async renew(): Promise<void> {
    const leaseUntil = new Date(Date.now() + this.config.leaseMs);
    await this.db.transaction((em) => em.update(JobLeaseEntity, { name: this.leaseName, owner: this.owner }, { leaseUntil }));
  }
}

/** The number a case is looked up by: its first applicant's ID number or credit code (as `IngestService.judge`). */
function applicantKeyOf(parties: { applicants?: { certType?: string; certNo?: string }[] }): string | null {
  const first = parties.applicants?.[0];
  if (!first?.certNo) return null;
  return ID_NUMBER_CERT_TYPES.has(first.certType as never) || first.certType === 'USCC' ? first.certNo : null;
}

function toBuffer(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  throw new Error('not bytes');
}

function readHead(path: string, bytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
