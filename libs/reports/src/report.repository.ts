import { CaseEntity, CaseEventEntity, Database, PlatformCallbackEntity } from '#gw/persistence';
import type { MonthSpan } from './month';

/** The stages that start or stop a case's clock. */
const CLOCK_STAGES = ['ACCEPTED', 'SUPPLEMENT_REQUESTED', 'SUPPLEMENT_RECEIVED', 'SPECIAL_STARTED', 'SPECIAL_ENDED'];

export interface OnlineCountRow {
  department: string;
  matterCode: string;
  /** First 9 digits of the location (a township under 430626), or what there is. */
  place: string | null;
  online: boolean;
  cases: number;
}

export interface EvaluationCountRow {
  department: string | null;
  matterCode: string | null;
  level: number;
  count: number;
}

export interface ClockRow {
  caseId: string;
  department: string;
  matterCode: string;
  stage: string;
  time: number;
}

export interface BadEvaluationRow {
  callbackId: string;
  projectNo: string | null;
  department: string | null;
  level: number;
  occurredAt: string | null;
  receivedAt: number;
  dataEnc: string | null;
  caseId: string | null;
  sourceCaseNo: string | null;
  matterCode: string | null;
  matterName: string | null;
  currentStage: string | null;
  closed: boolean | null;
  partiesEnc: string | null;
}

/** Raw datetimes: SQLite gives UTC text, MySQL (timezone 'Z') a Date. */
export function epochOf(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  const s = String(v);
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(' ', 'T')}Z`);
}

const truthy = (v: unknown) => v === true || v === 1 || v === '1';

/**
 * The figures' queries: aggregates in SQL over indexed columns (gw_case by opened_at, open cases
 * by closed; callbacks by type and time), never every case in memory.
 */
export class ReportRepository {
  constructor(private readonly db: Database) {}

  /** Cases opened in a month, counted per department, matter, place and online. */
  async onlineCounts(span: MonthSpan): Promise<OnlineCountRow[]> {
    const rows = await this.db.manager
      .createQueryBuilder(CaseEntity, 'c')
      .select('c.department', 'department')
      .addSelect('c.matter_code', 'matterCode')
      .addSelect('SUBSTR(c.location, 1, 9)', 'place')
      .addSelect('c.online', 'online')
      .addSelect('COUNT(*)', 'n')
      .where('c.opened_at >= :from AND c.opened_at < :to', { from: span.from, to: span.to })
      .groupBy('c.department')
      .addGroupBy('c.matter_code')
      .addGroupBy('SUBSTR(c.location, 1, 9)')
      .addGroupBy('c.online')
      .getRawMany<{ department: string; matterCode: string; place: string | null; online: unknown; n: unknown }>();
    return rows.map((r) => ({ department: r.department, matterCode: r.matterCode, place: r.place ?? null, online: truthy(r.online), cases: Number(r.n) }));
  }

  /** All cases and online cases per month, in one pass over the months' range. */
  async onlineTrend(months: MonthSpan[]): Promise<{ month: string; cases: number; online: number }[]> {
    const q = this.db.manager.createQueryBuilder(CaseEntity, 'c').select('COUNT(*)', 'n');
    const params: Record<string, Date> = {};
    months.forEach((m, i) => {
      params[`f${i}`] = m.from;
      params[`t${i}`] = m.to;
      q.addSelect(`SUM(CASE WHEN c.opened_at >= :f${i} AND c.opened_at < :t${i} THEN 1 ELSE 0 END)`, `a${i}`);
      q.addSelect(`SUM(CASE WHEN c.opened_at >= :f${i} AND c.opened_at < :t${i} AND c.online = 1 THEN 1 ELSE 0 END)`, `o${i}`);
    });
    q.where('c.opened_at >= :from AND c.opened_at < :to', { from: months[0].from, to: months[months.length - 1].to }).setParameters(params);
    const row = (await q.getRawOne<Record<string, unknown>>()) ?? {};
    return months.map((m, i) => ({ month: m.month, cases: Number(row[`a${i}`] ?? 0), online: Number(row[`o${i}`] ?? 0) }));
  }

  /**
   * 好差评 are dated by the platform's `occurred_at` (Beijing text, compared as text), or by when
   * the gateway received them when the platform gave no time.
   */
  private inMonth(alias: string, span: MonthSpan, suffix = '') {
    return {
      sql: `((${alias}.occurred_at >= :ft${suffix} AND ${alias}.occurred_at < :tt${suffix}) OR (${alias}.occurred_at IS NULL AND ${alias}.received_at >= :fd${suffix} AND ${alias}.received_at < :td${suffix}))`,
      params: { [`ft${suffix}`]: span.fromText, [`tt${suffix}`]: span.toText, [`fd${suffix}`]: span.from, [`td${suffix}`]: span.to },
    };
  }

  async evaluationCounts(span: MonthSpan): Promise<EvaluationCountRow[]> {
    const month = this.inMonth('p', span);
    const rows = await this.db.manager
      .createQueryBuilder(PlatformCallbackEntity, 'p')
      .leftJoin(CaseEntity, 'c', 'c.platform_project_no = p.project_no')
      .select('p.department', 'department')
      .addSelect('COALESCE(c.matter_code, p.task_code)', 'matterCode')
      .addSelect('p.evaluation_level', 'level')
      .addSelect('COUNT(*)', 'n')
      .where("p.type = 'EVALUATION' AND p.evaluation_level IS NOT NULL")
      .andWhere(month.sql, month.params)
      .groupBy('p.department')
      .addGroupBy('COALESCE(c.matter_code, p.task_code)')
      .addGroupBy('p.evaluation_level')
      .getRawMany<{ department: string | null; matterCode: string | null; level: unknown; n: unknown }>();
    return rows.map((r) => ({ department: r.department ?? null, matterCode: r.matterCode ?? null, level: Number(r.level), count: Number(r.n) }));
  }

  async evaluationTrend(months: MonthSpan[], goodFrom: number): Promise<{ month: string; count: number; good: number }[]> {
    const q = this.db.manager.createQueryBuilder(PlatformCallbackEntity, 'p').select('COUNT(*)', 'n');
    const all = this.inMonth('p', { ...months[0], to: months[months.length - 1].to, toText: months[months.length - 1].toText }, 'all');
    months.forEach((m, i) => {
      const one = this.inMonth('p', m, String(i));
      q.addSelect(`SUM(CASE WHEN ${one.sql} THEN 1 ELSE 0 END)`, `a${i}`);
      q.addSelect(`SUM(CASE WHEN ${one.sql} AND p.evaluation_level >= :good THEN 1 ELSE 0 END)`, `g${i}`);
      q.setParameters({ ...q.getParameters(), ...one.params });
    });
    q.where("p.type = 'EVALUATION' AND p.evaluation_level IS NOT NULL").andWhere(all.sql, all.params).setParameter('good', goodFrom);
    const row = (await q.getRawOne<Record<string, unknown>>()) ?? {};
    return months.map((m, i) => ({ month: m.month, count: Number(row[`a${i}`] ?? 0), good: Number(row[`g${i}`] ?? 0) }));
  }

  async badEvaluations(span: MonthSpan, badUpTo: number, limit: number): Promise<BadEvaluationRow[]> {
    const month = this.inMonth('p', span);
    const rows = await this.db.manager
      .createQueryBuilder(PlatformCallbackEntity, 'p')
      .leftJoin(CaseEntity, 'c', 'c.platform_project_no = p.project_no')
      .select(['p.callback_id AS callbackId', 'p.project_no AS projectNo', 'p.department AS department', 'p.evaluation_level AS level'])
      .addSelect(['p.occurred_at AS occurredAt', 'p.received_at AS receivedAt', 'p.data_enc AS dataEnc'])
      .addSelect(['c.id AS caseId', 'c.source_case_no AS sourceCaseNo', 'c.matter_code AS matterCode', 'c.matter_name AS matterName'])
      .addSelect(['c.current_stage AS currentStage', 'c.closed AS closed', 'c.parties_enc AS partiesEnc'])
      .where("p.type = 'EVALUATION' AND p.evaluation_level <= :bad", { bad: badUpTo })
      .andWhere(month.sql, month.params)
      .orderBy('p.received_at', 'ASC')
      .addOrderBy('p.id', 'ASC')
      .limit(limit)
      .getRawMany<Record<string, unknown>>();
    return rows.map((r) => ({
      callbackId: String(r.callbackId),
      projectNo: (r.projectNo as string) ?? null,
      department: (r.department as string) ?? null,
      level: Number(r.level),
      occurredAt: (r.occurredAt as string) ?? null,
      receivedAt: epochOf(r.receivedAt),
      dataEnc: (r.dataEnc as string) ?? null,
      caseId: (r.caseId as string) ?? null,
      sourceCaseNo: (r.sourceCaseNo as string) ?? null,
      matterCode: (r.matterCode as string) ?? null,
      matterName: (r.matterName as string) ?? null,
      currentStage: (r.currentStage as string) ?? null,
      closed: r.closed === null || r.closed === undefined ? null : truthy(r.closed),
      partiesEnc: (r.partiesEnc as string) ?? null,
    }));
  }

  /** Open cases per department. */
  async openCounts(): Promise<Map<string, number>> {
    const rows = await this.db.manager
      .createQueryBuilder(CaseEntity, 'c')
      .select('c.department', 'department')
      .addSelect('COUNT(*)', 'n')
      .where('c.closed = 0')
      .groupBy('c.department')
      .getRawMany<{ department: string; n: unknown }>();
    return new Map(rows.map((r) => [r.department, Number(r.n)]));
  }

  /**
   * The clock stages of open cases of the given matters, a page of cases at a time (by id), so
   * memory stays bounded however many cases are open.
   */
  async *openClockPages(matterCodes: string[], pageSize = 2000): AsyncGenerator<ClockRow[]> {
    if (!matterCodes.length) return;
    let after = '';
    for (;;) {
      const ids = await this.db.manager
        .createQueryBuilder(CaseEntity, 'c')
        .select('c.id', 'id')
        .where('c.closed = 0 AND c.id > :after AND c.matter_code IN (:...codes)', { after, codes: matterCodes })
        .orderBy('c.id', 'ASC')
        .limit(pageSize)
        .getRawMany<{ id: string }>();
      if (!ids.length) return;
      after = ids[ids.length - 1].id;
      const rows = await this.db.manager
        .createQueryBuilder(CaseEventEntity, 'e')
        .innerJoin(CaseEntity, 'c', 'c.id = e.case_id')
        .select(['e.case_id AS caseId', 'c.department AS department', 'c.matter_code AS matterCode', 'e.stage AS stage', 'e.stage_time AS stageTime'])
        .where('e.case_id IN (:...ids) AND e.stage IN (:...stages)', { ids: ids.map((i) => i.id), stages: CLOCK_STAGES })
        .getRawMany<{ caseId: string; department: string; matterCode: string; stage: string; stageTime: unknown }>();
      yield rows.map((r) => ({ caseId: r.caseId, department: r.department, matterCode: r.matterCode, stage: r.stage, time: epochOf(r.stageTime) }));
      if (ids.length < pageSize) return;
    }
  }

  /** Open cases the platform has urged (督办), by id. */
  async urgedOpenCaseIds(): Promise<string[]> {
    const rows = await this.db.manager
      .createQueryBuilder(PlatformCallbackEntity, 'p')
      .innerJoin(CaseEntity, 'c', 'c.platform_project_no = p.project_no')
      .select('DISTINCT c.id', 'id')
      .where("p.type = 'URGE' AND c.closed = 0")
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /** In slices, well under SQLite's bound-parameter limit. */
  private async inSlices<T>(keys: string[], read: (slice: string[]) => Promise<T[]>): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < keys.length; i += 1000) out.push(...(await read(keys.slice(i, i + 1000))));
    return out;
  }

  casesByIds(ids: string[]): Promise<CaseEntity[]> {
    return this.inSlices(ids, (slice) => this.db.manager.createQueryBuilder(CaseEntity, 'c').where('c.id IN (:...ids)', { ids: slice }).getMany());
  }

  urgingsOf(projectNos: string[]): Promise<PlatformCallbackEntity[]> {
    return this.inSlices([...new Set(projectNos)], (slice) =>
      this.db.manager
        .createQueryBuilder(PlatformCallbackEntity, 'p')
        .where("p.type = 'URGE' AND p.project_no IN (:...nos)", { nos: slice })
        .orderBy('p.received_at', 'ASC')
        .getMany(),
    );
  }
}
