import { randomUUID } from 'node:crypto';
import { LessThan, Not } from 'typeorm';
import { Database } from './database';
import { leasePendingRows } from './outbox.repository';
import { CallbackNonceEntity, CaseEntity, OutboxEntity, PlatformCallbackEntity } from './entities';
import type { CallbackStatus } from './entities';

export interface NewCallback {
  callbackId: string;
  type: string;
  occurredAt: string | null;
  projectNo: string | null;
  taskCode: string | null;
  department: string | null;
  status: CallbackStatus;
  answerCode: string;
  answerMsg: string | null;
  evaluationLevel: number | null;
  dataEnc: string | null;
}

/** Where a routed callback goes: `DEPT:<code>` (pushed) or `INBOX:<code>` (fetched). */
export interface DeliveryTarget {
  target: string;
  kind: string;
  groupKey: string | null;
}

/**
 * Department deliveries (targets `DEPT:<code>`) as a range of targets, not LIKE 'DEPT:%': the
 * (target, status, next_attempt_at) index then yields department rows only (SQLite's LIKE is
 * case-insensitive and uses no index here).
 */
const DEPARTMENT_TARGETS = "o.target >= 'DEPT:' AND o.target < 'DEPT;'";

/** Platform callbacks, their nonces, and their deliveries to department systems. */
export class CallbackRepository {
  private lastPurge = 0;

  constructor(private readonly db: Database) {}

  /** Remembers a nonce for `ttlMs`; false when it was seen already (a replay), on any instance. */
  async rememberNonce(appId: string, nonce: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    if (now - this.lastPurge > 60_000) {
      this.lastPurge = now;
      await this.db.transaction((em) => em.delete(CallbackNonceEntity, { expiresAt: LessThan(new Date(now)) }));
    }
    try {
      await this.db.transaction((em) => em.insert(CallbackNonceEntity, { key: `${appId}:${nonce}`.slice(0, 140), expiresAt: new Date(now + ttlMs) }));
      return true;
    } catch (e) {
      if (Database.isUniqueViolation(e)) {
        const row = await this.db.manager.findOne(CallbackNonceEntity, { where: { key: `${appId}:${nonce}`.slice(0, 140) } });
        return !!row && row.expiresAt.getTime() < now;
      }
      throw e;
    }
  }

  findByCallbackId(callbackId: string): Promise<PlatformCallbackEntity | null> {
    return this.db.manager.findOne(PlatformCallbackEntity, { where: { callbackId } });
  }

  get(id: string): Promise<PlatformCallbackEntity | null> {
    return this.db.manager.findOne(PlatformCallbackEntity, { where: { id } });
  }

  /**
   * Stores a callback and, when routed, its delivery in one transaction. A callback_id stored
   * before (a platform retry, or two at once) returns the first record and creates nothing.
   */
  async store(cb: NewCallback, delivery: DeliveryTarget | null): Promise<{ record: PlatformCallbackEntity; duplicate: boolean }> {
    const prior = await this.findByCallbackId(cb.callbackId);
    if (prior) return { record: prior, duplicate: true };
    try {
      const record = await this.db.transaction(async (em) => {
        const now = new Date();
        const row = em.create(PlatformCallbackEntity, { id: randomUUID(), receivedAt: now, departmentCaseNo: null, ...cb });
        await em.insert(PlatformCallbackEntity, row);
        if (delivery) {
          await em.insert(OutboxEntity, {
            target: delivery.target,
            kind: delivery.kind,
            caseId: null,
            eventId: null,
            refId: row.id,
            groupKey: delivery.groupKey,
            orderTime: now,
            orderSeq: null,
            orderKey: now.toISOString(),
            status: 'PENDING',
            attempts: 0,
            nextAttemptAt: now,
            createdAt: now,
            updatedAt: now,
          });
        }
        return row;
      });
      return { record, duplicate: false };
    } catch (e) {
      if (!Database.isUniqueViolation(e)) throw e;
      const first = await this.findByCallbackId(cb.callbackId);
      if (!first) throw e;
      return { record: first, duplicate: true };
    }
  }

  /** The department handling a platform case: from its stage events, else from its online application. */
  async routeOfProject(projectNo: string): Promise<{ department: string; departmentCaseNo: string | null; matterCode: string | null } | null> {
    const kase = await this.db.manager.findOne(CaseEntity, { where: { platformProjectNo: projectNo } });
    if (kase) return { department: kase.department, departmentCaseNo: kase.sourceCaseNo, matterCode: kase.matterCode };
    const app = await this.db.manager.findOne(PlatformCallbackEntity, {
      where: { projectNo, type: 'ONLINE_APPLICATION', status: 'ROUTED' },
      order: { receivedAt: 'ASC' },
    });
    return app?.department ? { department: app.department, departmentCaseNo: app.departmentCaseNo, matterCode: app.taskCode } : null;
  }

  /** The encrypted parties of the cases under these project numbers (to mask their names in free text). */
  async partiesOfProjects(projectNos: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(projectNos)].filter(Boolean);
    if (!unique.length) return new Map();
    const rows = await this.db.manager
      .createQueryBuilder(CaseEntity, 'c')
      .select(['c.platform_project_no AS projectNo', 'c.parties_enc AS partiesEnc'])
      .where('c.platform_project_no IN (:...unique)', { unique })
      .getRawMany<{ projectNo: string; partiesEnc: string }>();
    return new Map(rows.map((r) => [r.projectNo, r.partiesEnc]));
  }

  /** The online application that opened a platform case, if it came through this gateway. */
  onlineApplicationOf(projectNo: string): Promise<PlatformCallbackEntity | null> {
    return this.db.manager.findOne(PlatformCallbackEntity, { where: { projectNo, type: 'ONLINE_APPLICATION' }, order: { receivedAt: 'ASC' } });
  }

  async setDepartmentCaseNo(id: string, departmentCaseNo: string): Promise<void> {
    await this.db.transactionRetryingLocks((em) => em.update(PlatformCallbackEntity, { id }, { departmentCaseNo: departmentCaseNo.slice(0, 64) }));
  }

  /**
   * Claims due department deliveries (targets `DEPT:*`), skipping departments whose breaker is
   * open, and only the earliest open delivery of each project so a supplement never overtakes
   * its application.
   */
  async claimDeliveries(owner: string, limit: number, leaseMs: number, excludeTargets: string[]): Promise<OutboxEntity[]> {
    return this.db.transactionRetryingLocks(async (em) => {
      const now = new Date();
      const q = em
        .createQueryBuilder(OutboxEntity, 'o')
        // Status out of index selection: SQLite took the (status, next_attempt_at) index, so each
        // poll read every due platform row of a backlog (50,000 after one YBJ file) and sorted them.
        .where(`${DEPARTMENT_TARGETS} AND ${this.db.unindexed('o.status')} = :s AND o.next_attempt_at <= :now`, { s: 'PENDING', now })
        .orderBy('o.id', 'ASC')
        .limit(limit * 3);
      if (excludeTargets.length) q.andWhere('o.target NOT IN (:...ex)', { ex: excludeTargets });
      if (this.db.dialect === 'mysql') q.setLock('pessimistic_write').setOnLocked('skip_locked');
      const due = await q.getMany();
      if (!due.length) return [];
      const groups = [...new Set(due.map((d) => d.groupKey).filter((g): g is string => !!g))];
      const open = groups.length
        ? await em
            .createQueryBuilder(OutboxEntity, 'o')
            .where(DEPARTMENT_TARGETS)
            .andWhere('o.group_key IN (:...groups)', { groups })
            // Not by status: SQLite would take the (status, …) index over the platform's backlog.
            .andWhere(`${this.db.unindexed('o.status')} IN (:...open)`, { open: ['PENDING', 'IN_FLIGHT', 'PARKED'] })
            .orderBy('o.id', 'ASC')
            .getMany()
        : [];
      const headOf = new Map<string, string>();
      for (const r of open) if (!headOf.has(r.groupKey!)) headOf.set(r.groupKey!, r.id);
      const claimable = due.filter((d) => !d.groupKey || headOf.get(d.groupKey) === d.id).slice(0, limit);
      if (!claimable.length) return [];
      const leaseUntil = new Date(now.getTime() + leaseMs);
      await leasePendingRows(this.db, em, claimable.map((c) => c.id), owner, leaseUntil, now);
      return claimable.map((c) => Object.assign(c, { status: 'IN_FLIGHT' as const, leaseOwner: owner, leaseUntil }));
    });
  }

  /**
   * Hands out up to `limit` inbox items; an item not acknowledged within the lease comes back. An
   * expired lease is taken here, when it runs out, rather than waiting for the platform
   * dispatcher's periodic sweep of expired leases (up to 10 s later, and only where one runs).
   */
  async leaseInbox(target: string, limit: number, leaseMs: number): Promise<OutboxEntity[]> {
    return this.db.transactionRetryingLocks(async (em) => {
      const now = new Date();
      const q = em
        .createQueryBuilder(OutboxEntity, 'o')
        .where('o.target = :t', { t: target })
        .andWhere('((o.status = :s AND o.next_attempt_at <= :now) OR (o.status = :leased AND o.lease_until < :now))', { s: 'PENDING', leased: 'IN_FLIGHT', now })
        .orderBy('o.id', 'ASC')
        .limit(limit);
      if (this.db.dialect === 'mysql') q.setLock('pessimistic_write').setOnLocked('skip_locked');
      const rows = await q.getMany();
      if (!rows.length) return [];
      const leaseUntil = new Date(now.getTime() + leaseMs);
      await em
        .createQueryBuilder()
        .update(OutboxEntity)
        .set({ status: 'IN_FLIGHT', leaseOwner: 'inbox', leaseUntil, updatedAt: now, attempts: () => 'attempts + 1' })
        .where('id IN (:...ids)', { ids: rows.map((r) => r.id) })
        .execute();
      return rows.map((r) => Object.assign(r, { status: 'IN_FLIGHT' as const, leaseUntil }));
    });
  }

  /** The department took the item. Acknowledging twice, or after the lease ran out, is fine. */
  async ackInbox(target: string, id: string): Promise<'ACKED' | 'ALREADY' | 'UNKNOWN'> {
    return this.db.transactionRetryingLocks(async (em) => {
      const row = await em.findOne(OutboxEntity, { where: { id, target } });
      if (!row) return 'UNKNOWN';
      if (row.status === 'DONE') return 'ALREADY';
      const now = new Date();
      await em.update(OutboxEntity, { id, status: Not('DONE') }, { status: 'DONE', doneAt: now, updatedAt: now, leaseOwner: null, leaseUntil: null });
      return 'ACKED';
    });
  }

  /** 好差评: count and average level per department and matter. */
  async satisfaction(since?: Date) {
    const q = this.db.manager
      .createQueryBuilder(PlatformCallbackEntity, 'c')
      .select('c.department', 'department')
      .addSelect('c.task_code', 'taskCode')
      .addSelect('COUNT(*)', 'n')
      .addSelect('AVG(c.evaluation_level)', 'avg')
      .addSelect('SUM(CASE WHEN c.evaluation_level <= 2 THEN 1 ELSE 0 END)', 'bad')
      .where("c.type = 'EVALUATION' AND c.evaluation_level IS NOT NULL")
      .groupBy('c.department')
      .addGroupBy('c.task_code');
    if (since) q.andWhere('c.received_at >= :since', { since });
    const rows = await q.getRawMany<{ department: string | null; taskCode: string | null; n: string; avg: string; bad: string }>();
    return rows.map((r) => ({ department: r.department, taskCode: r.taskCode, count: Number(r.n), average: Math.round(Number(r.avg) * 100) / 100, bad: Number(r.bad) }));
  }

  async list(filter: { type?: string; department?: string; status?: string; limit?: number } = {}) {
    const where: Record<string, unknown> = {};
    if (filter.type) where.type = filter.type;
    if (filter.status) where.status = filter.status;
    if (filter.department) where.department = filter.department;
    return this.db.manager.find(PlatformCallbackEntity, { where, order: { receivedAt: 'DESC' }, take: Math.min(filter.limit ?? 100, 1000) });
  }
}
