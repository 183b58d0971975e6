import { createHmac, timingSafeEqual } from 'node:crypto';
import { maskFreeText } from '#gw/case';
import type { EntityManager } from 'typeorm';
import { Database } from './database';
import { AuditLogEntity } from './entities';

export type AuditOutcome = 'success' | 'failure';

export interface AuditEntry {
  actor: string;
  action: string;
  targetType?: string;
  targetId?: string;
  detail?: Record<string, unknown>;
  correlationId?: string;
  /** Whether what the entry records succeeded; every entry has one (`success` unless said). */
  outcome?: AuditOutcome;
  /** The caller's address (TCP peer) when the entry comes from a request. */
  address?: string | null;
}

/** The columns of one audit row as written (and as its MAC covers them). */
interface AuditRow {
  at: Date;
  actor: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  detail: string | null;
  correlationId: string | null;
  outcome: string | null;
  address: string | null;
  seq?: string;
  prevMac?: string;
  mac?: string;
}

interface ChainHead {
  seq: string;
  mac: string;
  headMac: string | null;
  anchorSeq: string;
  anchorMac: string;
  anchorTag: string | null;
  legacyUntilId: string;
}

/** Why the chain is broken at an entry. */
export type AuditBreak = 'ALTERED' | 'DELETED' | 'LINK_BROKEN' | 'TRUNCATED' | 'UNCHAINED' | 'HEAD_ALTERED' | 'ANCHOR_ALTERED';

export interface AuditVerification {
  ok: boolean;
  /** Entries checked (from the oldest kept to the newest). */
  checked: number;
  /** The chain's newest sequence number per its head, and the oldest kept (entries before were pruned). */
  headSeq: string;
  firstSeq: string;
  verifiedAt: string;
  /** The first broken entry, named: its sequence number, its id when the row still exists, and why. */
  broken?: { seq: string | null; id: string | null; problem: AuditBreak; message: string };
}

/** Entries per appending transaction at most (a burst of appends shares one chain-head lock). */
const APPEND_GROUP = 200;
const VERIFY_PAGE = 1000;

/**
 * The HMAC-SM3 key of the audit chain, derived with its own purpose label from `GATEWAY_AUDIT_KEY`
 * (which defaults to the data key's value: see README "审计链密钥"). The label keeps it distinct
 * from the data key's encryption, MAC and lookup keys even when both come from one value.
 */
export function auditChainKey(auditKeyHex: string): Buffer {
  const master = Buffer.from(auditKeyHex, 'hex');
  if (master.length !== 32) throw new Error('audit key must be 64 hex characters (32 bytes)');
  return createHmac('sm3', master).update('gw-audit-chain-v1').digest();
}

/**
 * Appends to the audit log, which is a hash chain: entry n stores its sequence number, entry
 * n-1's MAC and its own HMAC-SM3 over (seq, time, actor, action, object, outcome, address,
 * detail, correlation id, previous MAC). An edited, deleted, reordered or inserted row breaks the
 * chain where it is (`verify`). Appends are serialised on one chain-head row — `SELECT … FOR
 * UPDATE` on MySQL/MariaDB, the single writer on SQLite — and grouped: appends that arrive while a
 * group is being written go together in the next one, so the lock is taken once per group, not
 * per entry. Detail is masked: the log is shown to operators.
 */
export class AuditRepository {
  private readonly key: Buffer;
  private queue: { row: AuditRow; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private writing?: Promise<void>;

  constructor(
    private readonly db: Database,
    auditKeyHex: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.key = auditChainKey(auditKeyHex);
  }

  async append(entry: AuditEntry, em?: EntityManager): Promise<void> {
    const row: AuditRow = {
      at: this.now(),
      actor: entry.actor.slice(0, 64),
      action: entry.action.slice(0, 64),
      targetType: entry.targetType?.slice(0, 32) ?? null,
      targetId: entry.targetId?.slice(0, 64) ?? null,
      detail: entry.detail ? maskFreeText(JSON.stringify(entry.detail)) : null,
      correlationId: entry.correlationId?.slice(0, 64) ?? null,
      outcome: entry.outcome ?? 'success',
      address: entry.address ? String(entry.address).slice(0, 64) : null,
    };
    if (em) return this.appendRows(em, [row]);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      this.writing ??= this.writeQueued();
    });
  }

  private async writeQueued(): Promise<void> {
    try {
      while (this.queue.length) {
        const group = this.queue.splice(0, APPEND_GROUP);
        try {
          await Database.retryingConflicts(() => this.db.transaction((em) => this.appendRows(em, group.map((g) => ({ ...g.row })))));
          for (const g of group) g.resolve();
        } catch (e) {
          for (const g of group) g.reject(e);
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  /** Chains and inserts rows inside `em`'s transaction, holding the chain head until it commits. */
  private async appendRows(em: EntityManager, rows: AuditRow[]): Promise<void> {
    let head = await this.lockHead(em);
    if (head.legacyUntilId !== '0') head = await this.chainLegacy(em, head);
    let seq = BigInt(head.seq);
    let prev = head.mac;
    for (const row of rows) {
      seq += 1n;
      row.seq = seq.toString();
      row.prevMac = prev;
      row.mac = this.entryMac(row);
      prev = row.mac;
    }
    await em.insert(AuditLogEntity, rows as never);
    await this.writeHead(em, seq.toString(), prev);
  }

  /**
   * Rows written before the chain existed (ids up to `legacy_until_id`, fixed by the migration)
   * are chained once, in id order, under the head lock. Later rows without a MAC are never
   * chained: `verify` reports them as inserted behind the gateway's back.
   */
  private async chainLegacy(em: EntityManager, head: ChainHead): Promise<ChainHead> {
    let seq = BigInt(head.seq);
    let prev = head.mac;
    for (;;) {
      const rows: AuditLogEntity[] = await em
        .createQueryBuilder(AuditLogEntity, 'a')
        .where('a.id <= :until', { until: head.legacyUntilId })
        .andWhere('a.seq IS NULL')
        .orderBy('a.id', 'ASC')
        .take(500)
        .getMany();
      if (!rows.length) break;
      for (const r of rows) {
        seq += 1n;
        const row: AuditRow = { ...r, seq: seq.toString(), prevMac: prev, mac: undefined };
        row.mac = this.entryMac(row);
        prev = row.mac;
        await em.update(AuditLogEntity, { id: r.id }, { seq: row.seq, prevMac: row.prevMac, mac: row.mac });
      }
    }
    await em.query(`UPDATE ${this.q('audit_chain_head')} SET ${this.q('legacy_until_id')} = 0 WHERE ${this.q('id')} = 1`);
    await this.writeHead(em, seq.toString(), prev);
    return { ...head, seq: seq.toString(), mac: prev, legacyUntilId: '0' };
  }

  /**
   * Start-up: chains the rows from before the migration and signs the empty head, so that a head
   * reset to "nothing yet" is detected like any other change.
   */
  async ensureChained(): Promise<void> {
    await this.db.transaction(async (em) => {
      let head = await this.lockHead(em);
      if (head.legacyUntilId !== '0') head = await this.chainLegacy(em, head);
      if (!head.headMac) await this.writeHead(em, head.seq, head.mac);
    });
  }

  private async lockHead(em: EntityManager): Promise<ChainHead> {
    const t = this.q('audit_chain_head');
    // SQLite: a write first takes the database's write lock (waiting for another process, such as
    // the operator CLI) before the head is read; MySQL: the row lock, held to the commit.
    if (this.db.dialect === 'sqlite') await em.query(`UPDATE ${t} SET ${this.q('id')} = 1 WHERE ${this.q('id')} = 1`);
    const rows = await em.query(`${this.headSelect()}${this.db.dialect === 'mysql' ? ' FOR UPDATE' : ''}`);
    return this.headOf(rows);
  }

  private headSelect(): string {
    const q = (c: string) => this.q(c);
    return `SELECT ${q('seq')} AS seq, ${q('mac')} AS mac, ${q('head_mac')} AS headMac, ${q('anchor_seq')} AS anchorSeq, ${q('anchor_mac')} AS anchorMac, ${q('anchor_tag')} AS anchorTag, ${q('legacy_until_id')} AS legacyUntilId FROM ${q('audit_chain_head')} WHERE ${q('id')} = 1`;
  }

  private headOf(rows: Record<string, unknown>[]): ChainHead {
    const h = rows[0];
    if (!h) throw new Error('audit chain head missing (audit_chain_head row 1)');
    return {
      seq: String(h.seq),
      mac: String(h.mac ?? ''),
      headMac: (h.headMac as string | null) ?? null,
      anchorSeq: String(h.anchorSeq),
      anchorMac: String(h.anchorMac ?? ''),
      anchorTag: (h.anchorTag as string | null) ?? null,
      legacyUntilId: String(h.legacyUntilId ?? '0'),
    };
  }

  private async writeHead(em: EntityManager, seq: string, mac: string): Promise<void> {
    const q = (c: string) => this.q(c);
    await em.query(`UPDATE ${q('audit_chain_head')} SET ${q('seq')} = ?, ${q('mac')} = ?, ${q('head_mac')} = ? WHERE ${q('id')} = 1`, [seq, mac, this.tag('head', seq, mac)]);
  }

  private q(name: string): string {
    return this.db.dialect === 'mysql' ? `\`${name}\`` : `"${name}"`;
  }

  /** The MAC of one entry: HMAC-SM3 over its fields and the previous entry's MAC, in a fixed order. */
  entryMac(row: Pick<AuditRow, 'seq' | 'at' | 'actor' | 'action' | 'targetType' | 'targetId' | 'outcome' | 'address' | 'detail' | 'correlationId' | 'prevMac'>): string {
    const fields = [
      String(row.seq),
      new Date(row.at).toISOString(),
      row.actor,
      row.action,
      row.targetType ?? null,
      row.targetId ?? null,
      row.outcome ?? null,
      row.address ?? null,
      row.detail ?? null,
      row.correlationId ?? null,
      row.prevMac ?? '',
    ];
    return createHmac('sm3', this.key).update(JSON.stringify(fields)).digest('hex');
  }

  /** A MAC over the head's or the anchor's position, so neither can be moved without the key. */
  private tag(kind: 'head' | 'anchor', seq: string, mac: string): string {
    return createHmac('sm3', this.key).update(JSON.stringify([kind, String(seq), mac])).digest('hex');
  }

  private static same(a: string | null | undefined, b: string): boolean {
    if (typeof a !== 'string' || a.length !== b.length) return false;
    return timingSafeEqual(Buffer.from(a), Buffer.from(b));
  }

  /**
   * Walks the chain from the oldest kept entry to the head and names the first break: an entry
   * whose fields no longer match its MAC (edited), a gap in the sequence (deleted), an entry that
   * does not link to the one before (reordered, or inserted with a copied MAC), entries missing at
   * the end (the head is further on), or a row without a place in the chain (inserted directly).
   */
  async verify(): Promise<AuditVerification> {
    const pending = this.headOf(await this.db.manager.query(this.headSelect()));
    if (pending.legacyUntilId !== '0') await this.ensureChained();
    const head = pending.legacyUntilId !== '0' ? this.headOf(await this.db.manager.query(this.headSelect())) : pending;
    const result = (checked: number, broken?: AuditVerification['broken']): AuditVerification => ({
      ok: !broken,
      checked,
      headSeq: head.seq,
      firstSeq: (BigInt(head.anchorSeq) + 1n).toString(),
      verifiedAt: new Date().toISOString(),
      ...(broken ? { broken } : {}),
    });
    if (!head.headMac || !AuditRepository.same(head.headMac, this.tag('head', head.seq, head.mac))) {
      if (head.headMac || head.seq !== '0') {
        return result(0, { seq: head.seq, id: null, problem: 'HEAD_ALTERED', message: `审计链头被改动 the audit chain's head (seq ${head.seq}) was altered` });
      }
    }
    if (head.anchorSeq !== '0' && !AuditRepository.same(head.anchorTag, this.tag('anchor', head.anchorSeq, head.anchorMac))) {
      return result(0, { seq: head.anchorSeq, id: null, problem: 'ANCHOR_ALTERED', message: `审计链起点被改动 the audit chain's start (seq ${head.anchorSeq}) was altered` });
    }
    let expected = BigInt(head.anchorSeq) + 1n;
    let prev = head.anchorMac;
    let checked = 0;
    const name = (r: AuditLogEntity) => `第 ${r.seq} 条 (id ${r.id}, ${r.at.toISOString()}, ${r.action}) entry seq ${r.seq} (id ${r.id}, ${r.at.toISOString()}, ${r.action})`;
    const early: AuditLogEntity | null = await this.db.manager.createQueryBuilder(AuditLogEntity, 'a').where('a.seq <= :anchor', { anchor: head.anchorSeq }).orderBy('a.seq', 'ASC').getOne();
    if (early) {
      return result(0, { seq: String(early.seq), id: String(early.id), problem: 'LINK_BROKEN', message: `${name(early)} 位于审计链起点之前（被插入或调换） lies before the chain's start: inserted or reordered` });
    }
    for (;;) {
      const rows: AuditLogEntity[] = await this.db.manager
        .createQueryBuilder(AuditLogEntity, 'a')
        .where('a.seq >= :from', { from: expected.toString() })
        .orderBy('a.seq', 'ASC')
        .take(VERIFY_PAGE)
        .getMany();
      if (!rows.length) break;
      for (const r of rows) {
        const seq = BigInt(String(r.seq));
        if (seq > expected) {
          return result(checked, {
            seq: expected.toString(),
            id: null,
            problem: 'DELETED',
            message: `审计记录第 ${expected}${seq - 1n > expected ? `–${seq - 1n}` : ''} 条被删除（下一条为 ${name(r)}） audit entry seq ${expected}${seq - 1n > expected ? `–${seq - 1n}` : ''} was deleted (the next kept is seq ${seq})`,
          });
        }
        if (!AuditRepository.same(r.prevMac, prev)) {
          return result(checked, { seq: String(r.seq), id: String(r.id), problem: 'LINK_BROKEN', message: `${name(r)} 与前一条不衔接（被调换或插入） does not follow the entry before it: reordered or inserted` });
        }
        const row: AuditRow = { ...r, seq: String(r.seq), prevMac: r.prevMac ?? "", mac: undefined };
        if (!AuditRepository.same(r.mac, this.entryMac(row))) {
          return result(checked, { seq: String(r.seq), id: String(r.id), problem: 'ALTERED', message: `${name(r)} 被修改 was altered` });
        }
        prev = r.mac!;
        expected = seq + 1n;
        checked++;
      }
      if (rows.length < VERIFY_PAGE) break;
    }
    const last = expected - 1n;
    if (last.toString() !== head.seq || prev !== head.mac) {
      return result(checked, {
        seq: (last + 1n).toString(),
        id: null,
        problem: 'TRUNCATED',
        message: `审计记录第 ${last + 1n}–${head.seq} 条（最新的）被删除 the newest audit entries, seq ${last + 1n}–${head.seq}, were deleted`,
      });
    }
    const stray: AuditLogEntity | null = await this.db.manager.createQueryBuilder(AuditLogEntity, 'a').where('a.seq IS NULL').orderBy('a.id', 'ASC').getOne();
    if (stray) {
      return result(checked, { seq: null, id: String(stray.id), problem: 'UNCHAINED', message: `审计记录 id ${stray.id} (${stray.action}) 不在链中（被直接插入） audit row id ${stray.id} (${stray.action}) is not in the chain: inserted directly` });
    }
    return result(checked);
  }

  /**
   * Deletes the oldest entries older than `before`, at most `limit`, from the start of the chain
   * only, and moves the chain's signed start (anchor) past them so `verify` still holds. Returns
   * how many were deleted. The caller enforces the legal minimum age (180 days).
   */
  async pruneOlderThan(before: Date, limit = 500): Promise<number> {
    return this.db.transaction(async (em) => {
      const head = await this.lockHead(em);
      if (head.legacyUntilId !== '0') return 0;
      const rows: AuditLogEntity[] = await em
        .createQueryBuilder(AuditLogEntity, 'a')
        .where('a.seq > :anchor', { anchor: head.anchorSeq })
        .orderBy('a.seq', 'ASC')
        .take(limit)
        .getMany();
      const prefix: AuditLogEntity[] = [];
      for (const r of rows) {
        if (r.at.getTime() >= before.getTime()) break;
        prefix.push(r);
      }
      if (!prefix.length) return 0;
      const last = prefix[prefix.length - 1];
      await em.createQueryBuilder().delete().from(AuditLogEntity).whereInIds(prefix.map((r) => r.id)).execute();
      const q = (c: string) => this.q(c);
      const anchorSeq = String(last.seq);
      await em.query(`UPDATE ${q('audit_chain_head')} SET ${q('anchor_seq')} = ?, ${q('anchor_mac')} = ?, ${q('anchor_tag')} = ? WHERE ${q('id')} = 1`, [anchorSeq, last.mac, this.tag('anchor', anchorSeq, last.mac!)]);
      return prefix.length;
    });
  }

  /** Entries with `from <= at < to`, oldest first, in pages (for the CSV export). */
  async *range(from: Date, to: Date, pageSize = 1000): AsyncGenerator<AuditLogEntity[]> {
    let afterId = '0';
    for (;;) {
      const rows = await this.db.manager
        .createQueryBuilder(AuditLogEntity, 'a')
        .where('a.at >= :from AND a.at < :to', { from, to })
        .andWhere('a.id > :afterId', { afterId })
        .orderBy('a.id', 'ASC')
        .take(pageSize)
        .getMany();
      if (!rows.length) return;
      yield rows;
      afterId = String(rows[rows.length - 1].id);
      if (rows.length < pageSize) return;
    }
  }

  async list(filter: { limit?: number; action?: string; since?: Date } = {}): Promise<AuditLogEntity[]> {
    const q = this.db.manager.createQueryBuilder(AuditLogEntity, 'a').orderBy('a.id', 'DESC').take(Math.min(filter.limit ?? 100, 1000));
    if (filter.action) q.andWhere('a.action = :action', { action: filter.action });
    if (filter.since) q.andWhere('a.at >= :since', { since: filter.since });
    return q.getMany();
  }
}

const CSV_COLUMNS = ['seq', 'id', 'at', 'actor', 'action', 'target_type', 'target_id', 'outcome', 'address', 'detail', 'correlation_id', 'prev_mac', 'mac'] as const;

/** A CSV cell: quoted when needed; a leading = + - @ is defused so a spreadsheet never runs it. */
function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const AUDIT_CSV_HEADER = CSV_COLUMNS.join(',') + '\r\n';

/** One audit row as a CSV line (with its MACs, so an exported file can be checked against the chain). */
export function auditCsvLine(r: AuditLogEntity): string {
  return [r.seq, r.id, r.at.toISOString(), r.actor, r.action, r.targetType, r.targetId, r.outcome, r.address, r.detail, r.correlationId, r.prevMac, r.mac].map(csvCell).join(',') + '\r\n';
}
