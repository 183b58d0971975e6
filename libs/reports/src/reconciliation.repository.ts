import { In } from 'typeorm';
import { CaseEntity, CaseEventEntity, Database, JobLeaseEntity, OutboxEntity, ReconciliationRunEntity } from '#gw/persistence';

/** A gateway case as reconciliation compares it with the platform. */
export interface GatewayCaseState {
  id: string;
  sourceCaseNo: string;
  platformProjectNo: string | null;
  online: boolean;
  /** The highest seq the platform acknowledged (DONE rows), 0 when none. */
  deliveredSeq: number;
  /** Rows delivered (DONE) for the platform, accept included. */
  delivered: number;
  /** Platform rows still pending, in flight or parked: the case is on its way. */
  open: number;
}

const CHUNK = 500;

/** The reads and writes of reconciliation (对账). */
export class ReconciliationRepository {
  constructor(private readonly db: Database) {}

  /**
   * Cases of a department the platform files under this Beijing day: accepted that day, or opened
   * that day and never accepted (as `/cases/accept` files them: accept_date, else apply_date).
   * Online cases are left out: the platform opened them itself, under its own application date;
   * they are compared when the platform lists them.
   */
  async caseIdsFiledOn(department: string, from: Date, to: Date): Promise<string[]> {
    const accepted = await this.db.manager
      .createQueryBuilder(CaseEventEntity, 'e')
      .innerJoin(CaseEntity, 'c', 'c.id = e.case_id')
      .select('e.case_id', 'id')
      .where('e.stage = :s AND e.stage_time >= :from AND e.stage_time < :to', { s: 'ACCEPTED', from, to })
      .andWhere('c.department = :department AND c.online = 0', { department })
      .getRawMany<{ id: string }>();
    const openedOnly = await this.db.manager
      .createQueryBuilder(CaseEntity, 'c')
      .select('c.id', 'id')
      .where('c.opened_at >= :from AND c.opened_at < :to AND c.department = :department AND c.online = 0', { from, to, department })
      .andWhere(`NOT EXISTS (SELECT 1 FROM case_event a WHERE a.case_id = c.id AND a.stage = 'ACCEPTED')`)
      .getRawMany<{ id: string }>();
    return [...new Set([...accepted, ...openedOnly].map((r) => r.id))];
  }

  /** Ids of the department's cases under these platform numbers (whatever their date). */
  async caseIdsByProjectNo(department: string, projectNos: string[]): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < projectNos.length; i += CHUNK) {
      // By project_no alone (department checked here): with both, SQLite took the (department, …)
      // index and read all of the department's cases for every chunk.
      const rows = await this.db.manager.find(CaseEntity, { select: { id: true, department: true }, where: { platformProjectNo: In(projectNos.slice(i, i + CHUNK)) } });
      out.push(...rows.filter((r) => r.department === department).map((r) => r.id));
    }
    return out;
  }

  /** Ids of the department's cases under these case numbers of its own. */
  async caseIdsBySourceNo(department: string, sourceCaseNos: string[]): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < sourceCaseNos.length; i += CHUNK) {
      const rows = await this.db.manager.find(CaseEntity, { select: { id: true }, where: { department, sourceCaseNo: In(sourceCaseNos.slice(i, i + CHUNK)) } });
      out.push(...rows.map((r) => r.id));
    }
    return out;
  }

  async states(caseIds: string[]): Promise<GatewayCaseState[]> {
    const out: GatewayCaseState[] = [];
    for (let i = 0; i < caseIds.length; i += CHUNK) {
      const ids = caseIds.slice(i, i + CHUNK);
      const cases = await this.db.manager.find(CaseEntity, {
        select: { id: true, sourceCaseNo: true, platformProjectNo: true, online: true },
        where: { id: In(ids) },
      });
      const rows = await this.db.manager
        .createQueryBuilder(OutboxEntity, 'o')
        .select('o.case_id', 'caseId')
        .addSelect(`MAX(CASE WHEN o.status = 'DONE' THEN o.platform_seq ELSE NULL END)`, 'seq')
        .addSelect(`SUM(CASE WHEN o.status = 'DONE' THEN 1 ELSE 0 END)`, 'done')
        .addSelect(`SUM(CASE WHEN o.status IN ('PENDING', 'IN_FLIGHT', 'PARKED') THEN 1 ELSE 0 END)`, 'open')
        .where('o.case_id IN (:...ids)', { ids })
        // Not by target's index: SQLite would take the (target, status, …) one and read every
        // platform row for each chunk instead of these cases' rows (146 s for 100,000 cases).
        .andWhere(`${this.db.unindexed('o.target')} = :t`, { t: 'PLATFORM' })
        .groupBy('o.case_id')
        .getRawMany<{ caseId: string; seq: unknown; done: unknown; open: unknown }>();
      const by = new Map(rows.map((r) => [r.caseId, r]));
      for (const c of cases) {
        const r = by.get(c.id);
        out.push({
          id: c.id,
          sourceCaseNo: c.sourceCaseNo,
          platformProjectNo: c.platformProjectNo,
          online: !!c.online,
          deliveredSeq: Number(r?.seq ?? 0) || 0,
          delivered: Number(r?.done ?? 0) || 0,
          open: Number(r?.open ?? 0) || 0,
        });
      }
    }
    return out;
  }

  async saveRun(run: Omit<ReconciliationRunEntity, 'id'>): Promise<ReconciliationRunEntity> {
    return this.db.transaction(async (em) => {
      const saved = await em.save(ReconciliationRunEntity, em.create(ReconciliationRunEntity, run));
      return saved;
    });
  }

  /** The latest run of each department for a date. */
  async latestRuns(businessDate: string): Promise<ReconciliationRunEntity[]> {
    const rows = await this.db.manager.find(ReconciliationRunEntity, { where: { businessDate }, order: { id: 'DESC' } });
    const latest = new Map<string, ReconciliationRunEntity>();
    for (const r of rows) if (!latest.has(r.department)) latest.set(r.department, r);
    return [...latest.values()].sort((a, b) => a.department.localeCompare(b.department));
  }

  /**
   * Takes the named job for `owner` when nobody holds it, or its holder's lease ran out before it
   * finished: one instance of a multi-instance deployment runs it. False when another holds or did it.
   */
  async acquire(name: string, owner: string, leaseMs: number, now = new Date()): Promise<boolean> {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    try {
      await this.db.transaction((em) => em.insert(JobLeaseEntity, { name, owner, leaseUntil, doneAt: null }));
      return true;
    } catch {
      // Taken already (primary key): only an expired, unfinished lease may be taken over.
      const r = await this.db.transaction((em) =>
        em
          .createQueryBuilder()
          .update(JobLeaseEntity)
          .set({ owner, leaseUntil })
          .where('name = :name AND done_at IS NULL AND lease_until < :now', { name, now })
          .execute(),
      );
      return (r.affected ?? 0) === 1;
    }
  }

  async finishJob(name: string, owner: string, now = new Date()): Promise<void> {
    await this.db.transaction((em) => em.update(JobLeaseEntity, { name, owner }, { doneAt: now }));
  }
}
