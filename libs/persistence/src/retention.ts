import { CUT_OFF_BATCH_MINUTES, ConfigError, removeCutOffSpools } from '#gw/common';
import { AuditRepository } from './audit.repository';
import { Database } from './database';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** 网络安全法 §21: network logs are kept at least six months. Audit entries younger are never pruned. */
export const AUDIT_MIN_RETENTION_MS = 180 * DAY;

export interface RetentionConfig {
  /** Raw bodies (and headers) of accepted and duplicate messages; the row and its SHA-256 stay. */
  rawBodyMs: number;
  /** Delivery attempts (platform and departments). */
  attemptsMs: number;
  /** Records of requests refused before their token was accepted (`REFUSED`). */
  refusedMs: number;
  /** The payload of platform callbacks with no delivery still open; the row stays (callback ids stay idempotent). */
  callbacksMs: number;
  /** Audit entries: at least 180 days. */
  auditMs: number;
  /**
   * Spooled batch files (sealed) still on disk this long after they were last written: left by a
   * run that was cut off, or that could not remove its own. At least CUT_OFF_BATCH_MINUTES.
   */
  spoolMs: number;
  /** The spool folder (`DATA_DIR/spool`); absent: no files are pruned (a process without one). */
  spoolDir?: string;
  /** How often the job runs (0: never, `RETENTION_INTERVAL=off`); rows per statement; pause between statements. */
  intervalMs: number;
  batchSize: number;
  pauseMs: number;
}

/** `30d`, `12h`, `10m`, `45s`, or a plain number of days. */
export function parseDuration(name: string, value: string | undefined, fallbackMs: number): number {
  if (value === undefined || value.trim() === '') return fallbackMs;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(d|h|m|s|ms)?\s*$/i.exec(value);
  if (!m) throw new ConfigError(`${name}="${value.slice(0, 20)}": 须为天数或时长，如 180、30d、12h、10m a number of days or a duration such as 180, 30d, 12h, 10m`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 'd').toLowerCase();
  const ms = n * { d: DAY, h: 60 * MINUTE, m: MINUTE, s: 1000, ms: 1 }[unit as 'd' | 'h' | 'm' | 's' | 'ms'];
  if (!(ms > 0)) throw new ConfigError(`${name}: 须大于 0 must be more than 0`);
  return ms;
}

/** Retention from the environment; an audit retention under 180 days stops start-up. */
export function loadRetentionConfig(env: Readonly<Record<string, string | undefined>>): RetentionConfig {
  const auditMs = parseDuration('RETAIN_AUDIT_DAYS', env.RETAIN_AUDIT_DAYS, 365 * DAY);
  if (auditMs < AUDIT_MIN_RETENTION_MS) {
    throw new ConfigError('RETAIN_AUDIT_DAYS: 审计记录至少保存180天（网络安全法第二十一条） audit entries are kept at least 180 days (Cybersecurity Law art. 21)');
  }
  const spoolMs = parseDuration('RETAIN_SPOOL_DAYS', env.RETAIN_SPOOL_DAYS, DAY);
  if (spoolMs < CUT_OFF_BATCH_MINUTES * MINUTE) {
    throw new ConfigError(
      `RETAIN_SPOOL_DAYS: 暂存的批量文件至少保留 ${CUT_OFF_BATCH_MINUTES} 分钟（处理中的批次仍在读取） spooled batch files are kept at least ${CUT_OFF_BATCH_MINUTES} minutes (a batch under way still reads its file)`,
    );
  }
  const batchSize = Number(env.RETENTION_BATCH_SIZE ?? 500);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5000) throw new ConfigError('RETENTION_BATCH_SIZE: 1–5000');
  return {
    rawBodyMs: parseDuration('RETAIN_RAW_BODY_DAYS', env.RETAIN_RAW_BODY_DAYS, 30 * DAY),
    attemptsMs: parseDuration('RETAIN_ATTEMPTS_DAYS', env.RETAIN_ATTEMPTS_DAYS, 90 * DAY),
    refusedMs: parseDuration('RETAIN_REFUSED_DAYS', env.RETAIN_REFUSED_DAYS, 30 * DAY),
    callbacksMs: parseDuration('RETAIN_CALLBACKS_DAYS', env.RETAIN_CALLBACKS_DAYS, 180 * DAY),
    auditMs,
    spoolMs,
    intervalMs: /^(off|0)$/i.test(env.RETENTION_INTERVAL ?? '') ? 0 : parseDuration('RETENTION_INTERVAL', env.RETENTION_INTERVAL, 60 * MINUTE),
    batchSize,
    pauseMs: parseDuration('RETENTION_PAUSE', env.RETENTION_PAUSE, 200),
  };
}

export interface RetentionRun {
  /** Rows touched per kind, and how many statements (batches) it took. */
  counts: Record<'rawBodies' | 'attempts' | 'refused' | 'callbacks' | 'audit' | 'sessions' | 'nonces' | 'throttles' | 'spoolFiles', number>;
  batches: number;
}

/**
 * 剩余信息保护 / retention: deletes (or empties) what has outlived its age, in small batches — a
 * few hundred rows per short transaction, pausing between — so ingest and delivery never wait
 * long behind it. Quarantined messages not yet resolved are never touched: they are what a replay
 * needs; resolved ones lose their raw body with the accepted ones. Audit entries go only from
 * the start of the chain and never younger than 180 days, whatever is configured.
 */
export class RetentionPruner {
  private timer?: NodeJS.Timeout;
  private running?: Promise<RetentionRun>;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditRepository,
    readonly config: RetentionConfig,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.stopped = false;
    if (!this.config.intervalMs) return;
    const tick = () => {
      this.timer = setTimeout(() => {
        this.runOnce()
          .catch(() => undefined)
          .finally(() => {
            if (!this.stopped) tick();
          });
      }, this.config.intervalMs);
      this.timer.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass over every kind; a pass already under way is joined, not doubled. */
  runOnce(): Promise<RetentionRun> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private q(name: string): string {
    return this.db.dialect === 'mysql' ? `\`${name}\`` : `"${name}"`;
  }

  private async pass(): Promise<RetentionRun> {
    const run: RetentionRun = { counts: { rawBodies: 0, attempts: 0, refused: 0, callbacks: 0, audit: 0, sessions: 0, nonces: 0, throttles: 0, spoolFiles: 0 }, batches: 0 };
    const now = this.now();
    const at = (ms: number) => new Date(now - ms);
    const c = this.config;
    const q = (n: string) => this.q(n);
    const inbound = q('inbound_message');

    run.counts.rawBodies = await this.batches(run, `SELECT ${q('id')} AS id FROM ${inbound} WHERE ${q('outcome')} IN ('ACCEPTED', 'DUPLICATE') AND ${q('received_at')} < ? AND (${q('body')} IS NOT NULL OR ${q('headers')} IS NOT NULL)`, [at(c.rawBodyMs)],
      (ph) => `UPDATE ${inbound} SET ${q('body')} = NULL, ${q('headers')} = NULL WHERE ${q('id')} IN (${ph})`);
    run.counts.rawBodies += await this.batches(run, `SELECT ${q('id')} AS id FROM ${inbound} WHERE ${q('outcome')} IN ('REJECTED', 'UNREADABLE') AND ${q('resolved_at')} IS NOT NULL AND ${q('resolved_at')} < ? AND ${q('body')} IS NOT NULL`, [at(c.rawBodyMs)],
      (ph) => `UPDATE ${inbound} SET ${q('body')} = NULL, ${q('headers')} = NULL WHERE ${q('id')} IN (${ph})`);
    run.counts.refused = await this.batches(run, `SELECT ${q('id')} AS id FROM ${inbound} WHERE ${q('outcome')} = 'REFUSED' AND ${q('received_at')} < ?`, [at(c.refusedMs)],
      (ph) => `DELETE FROM ${inbound} WHERE ${q('id')} IN (${ph})`);
    // Attempts are appended in time order: the oldest ids are the oldest attempts (no scan of the rest).
    run.counts.attempts = await this.batches(run, `SELECT ${q('id')} AS id FROM ${q('delivery_attempt')} WHERE ${q('attempted_at')} < ? ORDER BY ${q('id')}`, [at(c.attemptsMs)],
      (ph) => `DELETE FROM ${q('delivery_attempt')} WHERE ${q('id')} IN (${ph})`);
    run.counts.callbacks = await this.batches(run,
      `SELECT c.${q('id')} AS id FROM ${q('platform_callback')} c WHERE c.${q('received_at')} < ? AND c.${q('data_enc')} IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM ${q('outbox')} o WHERE o.${q('ref_id')} = c.${q('id')} AND o.${q('status')} <> 'DONE')`, [at(c.callbacksMs)],
      (ph) => `UPDATE ${q('platform_callback')} SET ${q('data_enc')} = NULL WHERE ${q('id')} IN (${ph})`);
    run.counts.sessions = await this.batches(run, `SELECT ${q('id_hash')} AS id FROM ${q('operator_session')} WHERE ${q('expires_at')} < ?`, [new Date(now)],
      (ph) => `DELETE FROM ${q('operator_session')} WHERE ${q('id_hash')} IN (${ph})`);
    run.counts.nonces = await this.batches(run, `SELECT ${q('key')} AS id FROM ${q('callback_nonce')} WHERE ${q('expires_at')} < ?`, [new Date(now)],
      (ph) => `DELETE FROM ${q('callback_nonce')} WHERE ${q('key')} IN (${ph})`);
    run.counts.throttles = await this.batches(run, `SELECT ${q('key_hash')} AS id FROM ${q('login_throttle')} WHERE ${q('first_at')} < ? AND (${q('locked_until')} IS NULL OR ${q('locked_until')} < ?)`, [at(DAY), new Date(now)],
      (ph) => `DELETE FROM ${q('login_throttle')} WHERE ${q('key_hash')} IN (${ph})`);
    // Sealed batch files left on disk (a finished run removes its own; a run cut off by a stop is
    // removed at the next start): a process that runs on, or another sharing the folder, prunes them here.
    if (c.spoolDir) run.counts.spoolFiles = removeCutOffSpools(c.spoolDir, Math.max(c.spoolMs, CUT_OFF_BATCH_MINUTES * MINUTE), now);
    // Never younger than 180 days, whatever the configuration says.
    const auditBefore = at(Math.max(c.auditMs, AUDIT_MIN_RETENTION_MS));
    for (;;) {
      if (this.stopped) break;
      const n = await this.audit.pruneOlderThan(auditBefore, c.batchSize);
      if (!n) break;
      run.counts.audit += n;
      run.batches++;
      await this.pause();
    }
    const touched = Object.entries(run.counts).filter(([, n]) => n > 0);
    if (touched.some(([k]) => !['sessions', 'nonces', 'throttles'].includes(k))) {
      await this.audit.append({ actor: 'system', action: 'RETENTION_PRUNED', targetType: 'retention', detail: Object.fromEntries(touched) });
    }
    return run;
  }

  /** Selects up to a batch of ids, applies `change` to them in one short transaction, pauses; until none is left. */
  private async batches(run: RetentionRun, select: string, params: unknown[], change: (placeholders: string) => string): Promise<number> {
    let total = 0;
    for (;;) {
      if (this.stopped) return total;
      const rows: { id: string | number }[] = await this.db.manager.query(`${select} LIMIT ${this.config.batchSize}`, params.map((p) => this.param(p)));
      if (!rows.length) return total;
      const ids = rows.map((r) => r.id);
      await this.db.transaction((em) => em.query(change(ids.map(() => '?').join(', ')), ids));
      total += ids.length;
      run.batches++;
      if (rows.length < this.config.batchSize) return total;
      await this.pause();
    }
  }

  /** Dates as the driver writes them: SQLite compares the text TypeORM stores (`YYYY-MM-DD HH:MM:SS.SSS`, UTC). */
  private param(p: unknown): unknown {
    if (!(p instanceof Date)) return p;
    return this.db.dialect === 'sqlite' ? p.toISOString().replace('T', ' ').replace('Z', '') : p;
  }

  private pause(): Promise<void> {
    return new Promise((r) => setTimeout(r, this.config.pauseMs));
  }
}
