import { Brackets, EntityManager, In } from 'typeorm';
import { Database } from './database';
import { isSystemicDatabaseError } from './ingest.repository';
import { utcDatetimeText } from './persistent-value';
import { CaseEntity, CaseEventEntity, OutboxEntity, OutboxStatus } from './entities';

/**
 * Leases these rows to `owner` until `leaseUntil`, those still PENDING; returns how many it took.
 * By primary key: on SQLite an equality on status chose the (status, next_attempt_at) index and
 * read every pending row of the backlog for each claim (3 ms a claim at 50,000 rows).
 */
export async function leasePendingRows(db: Database, em: EntityManager, ids: string[], owner: string, leaseUntil: Date, now: Date): Promise<number | undefined> {
  const updated = await em
    .createQueryBuilder()
    .update(OutboxEntity)
    .set({ status: 'IN_FLIGHT', leaseOwner: owner, leaseUntil, updatedAt: now })
    .where('id IN (:...ids)', { ids })
    .andWhere(`${db.unindexed('status')} = :pending`, { pending: 'PENDING' })
    .execute();
  return updated.affected;
}

/** The lease was taken over (it expired and another dispatcher claimed the row): stop quietly. */
export class LeaseLostError extends Error {
  constructor(id: string) {
    super(`lease on outbox row ${id} was lost`);
  }
}

export interface AttemptRecord {
  endpoint: string;
  httpStatus: number | null;
  businessCode: string | null;
  durationMs: number;
  outcome: string;
  message: string | null;
  at?: Date;
}

export interface FinishPatch {
  status: OutboxStatus;
  nextAttemptAt?: Date;
  lastErrorCode?: string | null;
  lastError?: string | null;
  parkedReason?: string | null;
}

/** What a delivered stage leaves behind besides its own row's status. */
export interface DeliveryEffects {
  /** The row as claimed (its case and place in the case's order). */
  row: OutboxEntity;
  /** The platform's number for the case, from its accept. */
  platformProjectNo?: string;
  /** A delivered stage's follow-up (a licence): its own outbox row, created with this finish. */
  followUp?: string;
}

interface FinishArgs {
  rowId: string;
  owner: string;
  patch: FinishPatch;
  attempts: AttemptRecord[];
  effects?: DeliveryEffects;
}

/** A claimed row with what delivering it needs; null when its case or event row is missing. */
export interface ClaimedDelivery {
  row: OutboxEntity;
  loaded: { kase: CaseEntity; event: CaseEventEntity } | null;
}

interface FinishRequest extends FinishArgs {
  resolve(kept: boolean): void;
  reject(error: unknown): void;
}

/** `?, ?, …` for the values of an IN list. */
const marks = (values: unknown[]) => values.map(() => '?').join(', ');

export interface ParkedFilter {
  department?: string;
  code?: string;
  since?: Date;
  until?: Date;
  ids?: string[];
  limit?: number;
}

/**
 * The outbox as the dispatcher sees it. Claims take a lease in a short transaction; the call is
 * made outside it; the finish is a guarded update that only the lease holder can make. On MySQL
 * the case rows are locked with SKIP LOCKED so several dispatchers never work on one case at once.
 */
export class OutboxRepository {
  private finishQueue: FinishRequest[] = [];
  private finishing = false;
  private finishTimer?: NodeJS.Immediate;

  constructor(readonly db: Database) {}

  /** Rows whose dispatcher died mid-call go back to PENDING (the platform call is idempotent). */
  async returnExpiredLeases(now = new Date()): Promise<number> {
    return this.db.transactionRetryingLocks(async (em) => {
      const r = await em
        .createQueryBuilder()
        .update(OutboxEntity)
        .set({ status: 'PENDING', leaseOwner: null, leaseUntil: null, updatedAt: now })
        .where('status = :s AND lease_until < :now', { s: 'IN_FLIGHT', now })
        .execute();
      return r.affected ?? 0;
    });
  }

  /**
   * Claims up to `limit` rows, at most one per case and only the head of each case (the earliest
   * row not yet delivered), so stage N+1 never leaves before stage N is acknowledged.
   */
  async claim(owner: string, limit: number, leaseMs: number, target = 'PLATFORM'): Promise<OutboxEntity[]> {
    return this.claimTransaction(async (em) => {
      const now = new Date();
      // Candidates: cases whose head is a due PENDING row, earliest first. Walks the claim index in
      // due order and stops at the limit, so its cost does not grow with the backlog (a GROUP BY
      // over every pending row did: ~1/backlog of the rate), and skips cases held behind a head in
      // flight or parked instead of returning them and claiming nothing. Heads are checked again
      // below, after the case locks, exactly as before.
      const due = await em
        .createQueryBuilder(OutboxEntity, 'o')
        .select('o.case_id', 'caseId')
        .where('o.target = :t AND o.status = :s AND o.next_attempt_at <= :now AND o.case_id IS NOT NULL', { s: 'PENDING', t: target, now })
        .andWhere(
          `NOT EXISTS (SELECT 1 FROM outbox b${this.db.dialect === 'mysql' ? ' FORCE INDEX (ix_outbox_case)' : ''} WHERE b.case_id = o.case_id AND ${this.db.unindexed('b.target')} = o.target AND b.status IN ('PENDING', 'IN_FLIGHT', 'PARKED')` +
            ` AND (b.order_key < o.order_key OR (b.order_key = o.order_key AND b.id < o.id)))`,
        )
        .orderBy('o.nextAttemptAt', 'ASC')
        .limit(limit * 2)
        .getRawMany<{ caseId: string }>();
      let caseIds = due.map((d) => d.caseId).filter(Boolean);
      if (!caseIds.length) return [];
      if (this.db.dialect === 'mysql') {
        const locked = await em
          .createQueryBuilder(CaseEntity, 'c')
          .select('c.id', 'id')
          .where('c.id IN (:...ids)', { ids: caseIds })
          .setLock('pessimistic_write')
          .setOnLocked('skip_locked')
          .getRawMany<{ id: string }>();
        caseIds = locked.map((l) => l.id);
        if (!caseIds.length) return [];
      }
      const open = await em
        .createQueryBuilder(OutboxEntity, 'o')
        .where('o.case_id IN (:...caseIds)', { caseIds })
        // Not by target: SQLite would take the (target, status, …) index and read the whole
        // backlog instead of these cases' rows. MySQL's statistics choose right; its subquery above
        // names the case index because a young table has none yet.
        .andWhere(`${this.db.unindexed('o.target')} = :target`, { target })
        .andWhere('o.status IN (:...open)', { open: ['PENDING', 'IN_FLIGHT', 'PARKED'] })
        .orderBy('o.orderKey', 'ASC')
        .addOrderBy('o.id', 'ASC')
        .getMany();
      const heads = new Map<string, OutboxEntity>();
      for (const row of open) if (!heads.has(row.caseId!)) heads.set(row.caseId!, row);
      const claimable = [...heads.values()]
        .filter((h) => h.status === 'PENDING' && h.nextAttemptAt.getTime() <= now.getTime())
        .slice(0, limit);
      if (!claimable.length) return [];
      const leaseUntil = new Date(now.getTime() + leaseMs);
      const ids = claimable.map((c) => c.id);
      const affected = await leasePendingRows(this.db, em, ids, owner, leaseUntil, now);
      let held = claimable;
      if (affected !== undefined && affected !== ids.length) {
        // Not expected under the case locks; but never deliver a row whose lease another holds.
        const mine = await em.find(OutboxEntity, { where: { id: In(ids), status: 'IN_FLIGHT', leaseOwner: owner }, select: { id: true, leaseUntil: true } });
        const ok = new Set(mine.filter((m) => m.leaseUntil?.getTime() === leaseUntil.getTime()).map((m) => m.id));
        held = claimable.filter((c) => ok.has(c.id));
      }
      return held.map((c) => Object.assign(c, { status: 'IN_FLIGHT' as const, leaseOwner: owner, leaseUntil }));
    });
  }

  /**
   * The claim's transaction. On MySQL it reads committed data (READ COMMITTED): under REPEATABLE
   * READ its snapshot would date from its first query, taken before it locked the cases, and could
   * show a row another dispatcher claimed or finished just then as still pending — that row would
   * be "claimed" again and sent twice (an accept repeated, or a seq sent by two dispatchers).
   */
  private claimTransaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transactionRetryingLocks(fn, 'READ COMMITTED');
  }

  async caseAndEvent(row: OutboxEntity): Promise<{ kase: CaseEntity; event: CaseEventEntity } | null> {
    return (await this.withCasesAndEvents([row]))[0].loaded;
  }

  /**
   * The case and event rows of claimed rows, two queries for the whole batch (not two per row: a
   * delivery's own reads were a fifth of the dispatcher's CPU).
   */
  async withCasesAndEvents(rows: OutboxEntity[]): Promise<ClaimedDelivery[]> {
    const caseIds = [...new Set(rows.map((r) => r.caseId).filter((id): id is string => !!id))];
    const eventIds = [...new Set(rows.map((r) => r.eventId).filter((id): id is string => !!id))];
    // Both at once: on MySQL two round trips in parallel on the pool (SQLite runs them in turn anyway).
    const [cases, events] = await Promise.all([
      caseIds.length ? this.db.manager.find(CaseEntity, { where: { id: In(caseIds) } }) : [],
      eventIds.length ? this.db.manager.find(CaseEventEntity, { where: { id: In(eventIds) } }) : [],
    ]);
    const caseById = new Map(cases.map((c) => [c.id, c]));
    const eventById = new Map(events.map((e) => [e.id, e]));
    return rows.map((row) => {
      const kase = row.caseId ? caseById.get(row.caseId) : undefined;
      const event = row.eventId ? eventById.get(row.eventId) : undefined;
      return { row, loaded: kase && event ? { kase, event } : null };
    });
  }

  /** Gives the row its platform seq once (the case's next), durably before the call is made. */
  async allocateSeq(rowId: string, owner: string): Promise<number> {
    return this.db.transactionRetryingLocks(async (em) => {
      const row = await em.findOne(OutboxEntity, { where: { id: rowId } });
      if (!row || row.status !== 'IN_FLIGHT' || row.leaseOwner !== owner) throw new LeaseLostError(rowId);
      if (row.platformSeq) return row.platformSeq;
      const q = em.createQueryBuilder(CaseEntity, 'c').where('c.id = :id', { id: row.caseId });
      if (this.db.dialect === 'mysql') q.setLock('pessimistic_write');
      const kase = await q.getOneOrFail();
      const seq = kase.platformLastSeq + 1;
      await em.update(CaseEntity, { id: kase.id }, { platformLastSeq: seq, updatedAt: new Date() });
      await em.update(OutboxEntity, { id: rowId }, { platformSeq: seq, updatedAt: new Date() });
      return seq;
    });
  }

  /**
   * Ends an attempt: guarded by the lease so a dispatcher that lost its lease changes nothing but
   * the delivery history. Returns false when the lease was lost.
   *
   * Finishes are group-committed: those requested while the previous group commits (or in the
   * same turn of the event loop) share one transaction, each still answered only after that
   * commit, and a group takes a handful of statements whatever its size (`finishGroupIn`). One
   * transaction per delivered message was a disk flush each on SQLite (holding the event loop)
   * and six round trips each on MySQL; both capped delivery below the platform's rate limit and
   * cost more CPU than the call. If a group fails for anything but an unusable database, its
   * finishes are retried one by one so only a faulty one fails.
   */
  async finish(rowId: string, owner: string, patch: FinishPatch, attempts: AttemptRecord[], effects?: DeliveryEffects): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.finishQueue.push({ rowId, owner, patch, attempts, effects, resolve, reject });
      this.scheduleFinishes();
    });
  }

  private scheduleFinishes(): void {
    if (this.finishing || this.finishTimer || !this.finishQueue.length) return;
    this.finishTimer = setImmediate(() => {
      this.finishTimer = undefined;
      void this.commitFinishes();
    });
  }

  private async commitFinishes(): Promise<void> {
    this.finishing = true;
    // In id order: concurrent groups (several dispatchers on MySQL) lock outbox rows in one order.
    const byId = (a: FinishRequest, b: FinishRequest) => String(a.rowId).length - String(b.rowId).length || (String(a.rowId) < String(b.rowId) ? -1 : 1);
    const group = this.finishQueue.splice(0, 128).sort(byId);
    try {
      try {
        const results = await this.db.transactionRetryingLocks((em) => this.finishGroupIn(em, group));
        group.forEach((f, i) => f.resolve(results[i]));
        return;
      } catch (e) {
        if (group.length === 1 || isSystemicDatabaseError(e)) {
          for (const f of group) f.reject(e);
          return;
        }
      }
      for (const f of group) {
        try {
          f.resolve((await this.db.transactionRetryingLocks((em) => this.finishGroupIn(em, [f])))[0]);
        } catch (e) {
          f.reject(e);
        }
      }
    } finally {
      this.finishing = false;
      this.scheduleFinishes();
    }
  }

  /**
   * The statements of a group of finishes: the attempts in one INSERT; the leases checked in one
   * SELECT (locking the rows on MySQL, so no lease changes hands before the UPDATE); one UPDATE
   * per distinct outcome (every DONE of the group shares one); the platform's project numbers in
   * one UPDATE; a follow-up row (a licence, rare) each. Returns, per finish, whether its lease was
   * still held — when it was not, only its attempts are recorded.
   */
  private async finishGroupIn(em: EntityManager, group: FinishArgs[]): Promise<boolean[]> {
    const now = new Date();
    await this.insertAttemptsOf(em, group.flatMap((f) => f.attempts.map((a) => ({ rowId: f.rowId, ...a }))), now);
    const ids = group.map((f) => f.rowId);
    const leases = await em.query(
      `SELECT id, lease_owner AS owner FROM outbox WHERE id IN (${marks(ids)}) AND ${this.db.unindexed('status')} = 'IN_FLIGHT'${this.db.dialect === 'mysql' ? ' FOR UPDATE' : ''}`,
      ids,
    );
    const ownerOf = new Map<string, string>(leases.map((l: { id: unknown; owner: string }) => [String(l.id), l.owner]));
    const kept = group.map((f) => ownerOf.get(String(f.rowId)) === f.owner);
    const finished = group.filter((_, i) => kept[i]);

    const byOutcome = new Map<string, { values: unknown[]; ids: string[] }>();
    for (const f of finished) {
      const values = this.finishValues(f.patch, now);
      const key = JSON.stringify(values);
      const same = byOutcome.get(key) ?? byOutcome.set(key, { values, ids: [] }).get(key)!;
      same.ids.push(f.rowId);
    }
    for (const { values, ids: rows } of byOutcome.values()) {
      await em.query(
        'UPDATE outbox SET status = ?, next_attempt_at = COALESCE(?, next_attempt_at), done_at = ?, last_error_code = ?, last_error = ?, parked_reason = ?,' +
          // The attempt's outcome is recorded now: nothing about the call is unknown any more.
          ' lease_owner = NULL, lease_until = NULL, call_started_at = NULL, updated_at = ?, attempts = attempts + 1' +
          ` WHERE id IN (${marks(rows)}) AND ${this.db.unindexed('status')} = 'IN_FLIGHT'`,
        [...values, ...rows],
      );
    }

    const projects = finished.filter((f) => f.effects?.platformProjectNo && f.effects.row.caseId);
    if (projects.length) {
      const cases = projects.map((f) => f.effects!.row.caseId!);
      await em.query(
        `UPDATE gw_case SET platform_project_no = CASE id ${projects.map(() => 'WHEN ? THEN ?').join(' ')} END, updated_at = ?` +
          // Unindexed: with several ids SQLite chose the project-number index for IS NULL and read
          // every case not yet accepted (the whole backlog) per group — 20 ms each at 46,000.
          ` WHERE id IN (${marks(cases)}) AND ${this.db.unindexed('platform_project_no')} IS NULL`,
        [...projects.flatMap((f) => [f.effects!.row.caseId, f.effects!.platformProjectNo]), this.dbDate(now), ...cases],
      );
    }
    // Right behind its stage in the case's order (the key extends the stage's), so nothing of the
    // case leaves before it; created with the stage's DONE, so a stage sent again never adds one.
    for (const f of finished) {
      const row = f.effects?.followUp ? f.effects.row : undefined;
      if (!row) continue;
      await em.insert(OutboxEntity, {
        target: row.target,
        kind: f.effects!.followUp,
        caseId: row.caseId,
        eventId: row.eventId,
        refId: null,
        groupKey: row.groupKey,
        orderTime: row.orderTime,
        orderSeq: row.orderSeq,
        orderKey: `${row.orderKey}|${f.effects!.followUp}`,
        status: 'PENDING',
        attempts: 0,
        nextAttemptAt: now,
        createdAt: now,
        updatedAt: now,
      });
    }
    return kept;
  }

  /** The values of the finishing UPDATE, in its order. */
  private finishValues(patch: FinishPatch, now: Date): unknown[] {
    const done = patch.status === 'DONE' || patch.status === 'SKIPPED';
    return [
      patch.status,
      patch.nextAttemptAt ? this.dbDate(patch.nextAttemptAt) : null,
      done ? this.dbDate(now) : null,
      patch.lastErrorCode ?? null,
      patch.lastError ?? null,
      patch.parkedReason ?? null,
      this.dbDate(now),
    ];
  }

  /** A date as a parameter of a plain query: SQLite's text layout (as TypeORM writes it), a Date for mysql2. */
  private dbDate(d: Date): string | Date {
    return this.db.dialect === 'sqlite' ? utcDatetimeText(d) : d;
  }

  /**
   * Records durably that a non-idempotent call (a licence) is about to leave: a later claim of
   * this row then knows the outcome is unknown (see OutboxEntity.callStartedAt).
   */
  async markCallStarted(rowId: string, owner: string): Promise<void> {
    const now = new Date();
    const r = await this.db.transactionRetryingLocks((em) =>
      em
        .createQueryBuilder()
        .update(OutboxEntity)
        .set({ callStartedAt: now, updatedAt: now })
        .where('id = :id AND status = :s AND lease_owner = :o', { id: rowId, s: 'IN_FLIGHT', o: owner })
        .execute(),
    );
    if (!r.affected) throw new LeaseLostError(rowId);
  }

  /**
   * An operator checked with the platform that a parked message did arrive (a licence whose
   * answer was lost): it is done without being sent again. Returns false when no such parked row.
   */
  async confirmParked(rowId: string, operator: string): Promise<boolean> {
    return this.db.transactionRetryingLocks(async (em) => {
      const now = new Date();
      const r = await em
        .createQueryBuilder()
        .update(OutboxEntity)
        .set({ status: 'DONE', doneAt: now, updatedAt: now, parkedReason: null, callStartedAt: null })
        .where('id = :id AND status = :s', { id: rowId, s: 'PARKED' })
        .execute();
      if (!r.affected) return false;
      await this.insertAttempts(em, rowId, [{ endpoint: 'operator', httpStatus: null, businessCode: null, durationMs: 0, outcome: 'CONFIRMED', message: `由运维确认已送达 confirmed delivered by ${operator}`.slice(0, 500) }], now);
      return true;
    });
  }

  /** Delivered rows of a case with seq in (after, before): what a 3001 gap asks to resend. */
  async deliveredBetween(caseId: string, afterSeq: number, beforeSeq: number): Promise<OutboxEntity[]> {
    const rows = await this.db.manager.find(OutboxEntity, { where: { caseId, status: 'DONE' }, order: { platformSeq: 'ASC' } });
    return rows.filter((r) => r.platformSeq !== null && r.platformSeq > afterSeq && r.platformSeq < beforeSeq);
  }

  async recordAttempts(rowId: string, attempts: AttemptRecord[]): Promise<void> {
    if (!attempts.length) return;
    await this.db.transactionRetryingLocks((em) => this.insertAttempts(em, rowId, attempts, new Date()));
  }

  private async insertAttempts(em: EntityManager, rowId: string, attempts: AttemptRecord[], now: Date): Promise<void> {
    await this.insertAttemptsOf(em, attempts.map((a) => ({ rowId, ...a })), now);
  }

  /** Attempts of any rows in one INSERT. */
  private async insertAttemptsOf(em: EntityManager, attempts: (AttemptRecord & { rowId: string })[], now: Date): Promise<void> {
    if (!attempts.length) return;
    await em.query(
      'INSERT INTO delivery_attempt (outbox_id, attempted_at, duration_ms, endpoint, http_status, business_code, outcome, message) VALUES ' +
        attempts.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', '),
      attempts.flatMap((a) => [
        a.rowId,
        this.dbDate(a.at ?? now),
        Math.max(0, Math.round(a.durationMs)),
        a.endpoint.slice(0, 100),
        a.httpStatus,
        a.businessCode?.slice(0, 16) ?? null,
        a.outcome.slice(0, 16),
        a.message,
      ]),
    );
  }

  private parkedQuery(filter: ParkedFilter) {
    const q = this.db.manager
      .createQueryBuilder(OutboxEntity, 'o')
      .leftJoin(CaseEntity, 'c', 'c.id = o.case_id')
      .where('o.status = :s', { s: 'PARKED' });
    if (filter.department) {
      const d = filter.department.toUpperCase();
      // Platform messages belong to a case's department; department deliveries name it in their target.
      q.andWhere('(c.department = :d OR o.target IN (:...targets))', { d, targets: [`DEPT:${d}`, `INBOX:${d}`] });
    }
    if (filter.code) q.andWhere('o.last_error_code = :code', { code: filter.code });
    if (filter.since) q.andWhere('o.updated_at >= :since', { since: filter.since });
    if (filter.until) q.andWhere('o.updated_at <= :until', { until: filter.until });
    if (filter.ids?.length) q.andWhere('o.id IN (:...ids)', { ids: filter.ids });
    return q;
  }

  /** Parked messages with their case, newest first. */
  async listParked(filter: ParkedFilter = {}) {
    const rows = await this.parkedQuery(filter)
      .leftJoin(CaseEventEntity, 'e', 'e.id = o.event_id')
      .select([
        'o.id AS id',
        'o.target AS target',
        'o.kind AS kind',
        'o.group_key AS projectNo',
        'o.case_id AS caseId',
        'o.last_error_code AS code',
        'o.parked_reason AS reason',
        'o.attempts AS attempts',
        'o.platform_seq AS platformSeq',
        'o.updated_at AS parkedAt',
        'c.department AS department',
        'c.source_case_no AS sourceCaseNo',
        'COALESCE(c.platform_project_no, o.group_key) AS platformProjectNo',
        'c.matter_name AS matterName',
        'e.stage AS stage',
        'e.stage_time AS stageTime',
      ])
      .orderBy('o.updated_at', 'DESC')
      .limit(Math.min(filter.limit ?? 200, 1000))
      .getRawMany();
    return rows.map((r) => ({
      ...r,
      id: String(r.id),
      attempts: Number(r.attempts),
      platformSeq: r.platformSeq === null ? null : Number(r.platformSeq),
      // Raw rows carry SQLite's zone-less UTC text: as Dates they answer ISO with `Z`, never a bare
      // time a browser reads as its own local time (8 hours off in Beijing).
      parkedAt: utcDate(r.parkedAt),
      stageTime: utcDate(r.stageTime),
    }));
  }

  /** Puts parked rows matching the filter back in line; returns the ids rerun. */
  async rerunParked(filter: ParkedFilter): Promise<string[]> {
    return this.db.transactionRetryingLocks(async (em) => {
      const ids = (await this.parkedQuery(filter).select('o.id', 'id').limit(Math.min(filter.limit ?? 10000, 10000)).getRawMany()).map((r) => String(r.id));
      if (!ids.length) return [];
      const now = new Date();
      await em
        .createQueryBuilder()
        .update(OutboxEntity)
        .set({ status: 'PENDING', nextAttemptAt: now, parkedReason: null, updatedAt: now, attempts: 0, callStartedAt: null })
        .where(new Brackets((w) => w.where('id IN (:...ids)', { ids }).andWhere('status = :s', { s: 'PARKED' })))
        .execute();
      return ids;
    });
  }

  /**
   * Re-delivery of a case the platform lacks (reconciliation): its delivered platform rows go back
   * in line, to leave again in stage order through the normal dispatcher. `afterSeq` undefined: the
   * platform lacks the whole case — it is opened again (new project_no, seq from 1; a case that came
   * in online keeps its project_no). `afterSeq` n: the platform has the case up to seq n — the rows
   * after it are re-sent under their own seq (the platform's idempotency makes a repeat harmless).
   * Does nothing while the case still has platform rows pending, in flight or parked. Returns the
   * number of rows put back.
   */
  async requeueCaseForRedelivery(caseId: string, afterSeq?: number, now = new Date()): Promise<number> {
    return this.db.transaction(async (em) => {
      const q = em.createQueryBuilder(CaseEntity, 'c').where('c.id = :id', { id: caseId });
      if (this.db.dialect === 'mysql') q.setLock('pessimistic_write');
      const kase = await q.getOne();
      if (!kase) return 0;
      // By case only (target filtered here): SQLite would take the (target, status, …) index and
      // read every platform row of the outbox for each case.
      const rows = (await em.find(OutboxEntity, { where: { caseId }, order: { orderKey: 'ASC', id: 'ASC' } })).filter((r) => r.target === 'PLATFORM');
      if (rows.some((r) => r.status === 'PENDING' || r.status === 'IN_FLIGHT' || r.status === 'PARKED')) return 0;
      const whole = afterSeq === undefined;
      // Stages only: a follow-up (a licence) is created afresh when its stage is delivered again,
      // so putting the old one back in line as well would register it twice.
      const again = rows.filter((r) => r.kind === 'STAGE' && (r.status === 'DONE' || r.status === 'SKIPPED') && (whole || (r.platformSeq !== null && r.platformSeq > afterSeq)));
      if (!again.length) return 0;
      const reset: Partial<OutboxEntity> = { status: 'PENDING', nextAttemptAt: now, attempts: 0, leaseOwner: null, leaseUntil: null, doneAt: null, lastError: null, lastErrorCode: null, parkedReason: null, updatedAt: now };
      if (whole) {
        await em.update(OutboxEntity, { id: In(again.map((r) => r.id)) }, { ...reset, platformSeq: null });
        await em.update(CaseEntity, { id: caseId }, { platformLastSeq: 0, updatedAt: now, ...(kase.online ? {} : { platformProjectNo: null }) });
      } else {
        await em.update(OutboxEntity, { id: In(again.map((r) => r.id)) }, reset);
      }
      return again.length;
    });
  }

  /**
   * Parked messages of every target: `PLATFORM`, and deliveries to department systems
   * (`DEPT:<code>`, `INBOX:<code>`), which the platform's stats alone did not count.
   */
  async parkedByTarget(): Promise<Record<string, number>> {
    const rows = await this.db.manager
      .createQueryBuilder(OutboxEntity, 'o')
      .select('o.target', 'target')
      .addSelect('COUNT(*)', 'n')
      .where('o.status = :s', { s: 'PARKED' })
      .groupBy('o.target')
      .getRawMany<{ target: string; n: string | number }>();
    return Object.fromEntries(rows.map((r) => [r.target, Number(r.n)]));
  }

  /** Backlog figures for health, metrics and the dashboard. */
  async stats(target = 'PLATFORM') {
    const rows = await this.db.manager
      .createQueryBuilder(OutboxEntity, 'o')
      .select('o.status', 'status')
      .addSelect('COUNT(*)', 'n')
      .addSelect('MIN(o.created_at)', 'oldest')
      .where('o.target = :t', { t: target })
      .andWhere('o.status IN (:...s)', { s: ['PENDING', 'IN_FLIGHT', 'PARKED'] })
      .groupBy('o.status')
      .getRawMany<{ status: OutboxStatus; n: string | number; oldest: string | Date | null }>();
    const by = Object.fromEntries(rows.map((r) => [r.status, r]));
    const oldest = [by.PENDING?.oldest, by.IN_FLIGHT?.oldest]
      .filter(Boolean)
      .map((d) => (d instanceof Date ? d : new Date(String(d).includes('T') || String(d).endsWith('Z') ? String(d) : String(d).replace(' ', 'T') + 'Z')))
      .sort((a, b) => a.getTime() - b.getTime())[0];
    return {
      pending: Number(by.PENDING?.n ?? 0),
      inFlight: Number(by.IN_FLIGHT?.n ?? 0),
      parked: Number(by.PARKED?.n ?? 0),
      oldestPendingAt: oldest ?? null,
    };
  }
}

/** A raw DATETIME value as a Date: MySQL's driver gives Dates, SQLite UTC text without a zone. */
function utcDate(v: unknown): Date | null {
  if (v === null || v === undefined || v === '') return null;
  if (v instanceof Date) return v;
  const s = String(v);
  return new Date(/T|Z$|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(' ', 'T')}Z`);
}
