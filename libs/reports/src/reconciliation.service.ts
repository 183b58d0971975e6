import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { beijingDateOf, formatBeijingDateTime, parseBeijingDate } from '#gw/case';
import type { Catalogue, DepartmentEntry } from '#gw/catalogue';
import { ErrorCodes, GatewayError } from '#gw/common';
import type { AuditRepository, OutboxRepository, ReconciliationRunEntity } from '#gw/persistence';
import type { CityPlatformPort, PlatformHeldCase } from '#gw/platform';
import type { GatewayCaseState, ReconciliationRepository } from './reconciliation.repository';

const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const DAY_MS = 86_400_000;
/** At most this many repaired and unexplained cases are kept per run (the counts are always whole). */
const DETAIL_CAP = 500;

/** `?date=yyyy-MM-dd` (a real Beijing calendar date). */
export function parseBusinessDate(text: unknown): string {
  if (typeof text !== 'string' || !DATE.test(text) || parseBeijingDate(text) === null || beijingDateOf(parseBeijingDate(text)!) !== text) {
    throw new GatewayError(ErrorCodes.BAD_REQUEST, 400, `date 应为 yyyy-MM-dd（如 2026-11-27） date must be yyyy-MM-dd, e.g. 2026-11-27: "${String(text ?? '').slice(0, 20)}"`);
  }
  return text;
}

/** The Beijing day before the one `now` falls in: what the daily job reconciles. */
export function previousBeijingDate(now = Date.now()): string {
  return beijingDateOf(parseBeijingDate(beijingDateOf(now))! - DAY_MS);
}

export interface RepairedCase {
  sourceCaseNo: string;
  /** The platform number it had (a case re-opened gets a new one). */
  projectNo: string | null;
  /** CASE: the platform lacked the case, re-sent whole; STAGES: it lacked the stages after `afterSeq`. */
  kind: 'CASE' | 'STAGES';
  afterSeq?: number;
  rows: number;
}

export interface UnexplainedCase {
  projectNo: string;
  sourceCaseId: string;
  reason: string;
}

export interface DepartmentReconciliation {
  department: string;
  departmentName: string;
  orgCode: string;
  runBy: string;
  startedAt: string;
  finishedAt: string;
  checked: number;
  matching: number;
  repaired: number;
  unexplained: number;
  inProgress: number;
  error: string | null;
  repairedCases: RepairedCase[];
  unexplainedCases: UnexplainedCase[];
}

export interface ReconciliationResult {
  date: string;
  totals: { checked: number; matching: number; repaired: number; unexplained: number; inProgress: number; failed: number };
  departments: DepartmentReconciliation[];
}

/**
 * 对账: per organisation (department) and date, what the platform holds (`GET /reconcile`) against
 * what the gateway delivered. Cases and stages the platform lacks go back through the normal outbox
 * in stage order; cases it holds that the gateway does not know are reported. Every run is stored
 * and audited.
 */
export class ReconciliationService {
  private readonly logger = new Logger('Reconciliation');

  constructor(
    private readonly repo: ReconciliationRepository,
    private readonly outbox: OutboxRepository,
    private readonly audit: AuditRepository,
    private readonly catalogue: Catalogue,
    /** Resolved when needed: the port of this process (an ingress app has one for reads too). */
    private readonly platform: () => CityPlatformPort | undefined,
  ) {}

  /** Departments whose cases reach the platform: enabled, not classified. */
  private departments(): DepartmentEntry[] {
    return this.catalogue.departments.filter((d) => d.enabled && !d.restricted && d.orgCode);
  }

  async run(date: string, runBy: string): Promise<ReconciliationResult> {
    for (const d of this.departments()) await this.runDepartment(d, date, runBy);
    return this.result(date);
  }

  async result(date: string): Promise<ReconciliationResult> {
    const runs = await this.repo.latestRuns(date);
    const departments = runs.map((r) => this.view(r));
    const sum = (k: 'checked' | 'matching' | 'repaired' | 'unexplained' | 'inProgress') => departments.reduce((n, d) => n + d[k], 0);
    return {
      date,
      totals: { checked: sum('checked'), matching: sum('matching'), repaired: sum('repaired'), unexplained: sum('unexplained'), inProgress: sum('inProgress'), failed: departments.filter((d) => d.error).length },
      departments,
    };
  }

  private view(r: ReconciliationRunEntity): DepartmentReconciliation {
    let details: { repaired?: RepairedCase[]; unexplained?: UnexplainedCase[] } = {};
    try {
      details = r.details ? JSON.parse(r.details) : {};
    } catch {
      details = {};
    }
    return {
      department: r.department,
      departmentName: this.catalogue.department(r.department)?.name ?? r.department,
      orgCode: r.orgCode,
      runBy: r.runBy,
      startedAt: formatBeijingDateTime(r.startedAt.getTime()),
      finishedAt: formatBeijingDateTime(r.finishedAt.getTime()),
      checked: r.checked,
      matching: r.matching,
      repaired: r.repaired,
      unexplained: r.unexplained,
      inProgress: r.inProgress,
      error: r.error,
      repairedCases: details.repaired ?? [],
      unexplainedCases: details.unexplained ?? [],
    };
  }

  private async runDepartment(dept: DepartmentEntry, date: string, runBy: string): Promise<void> {
    const startedAt = new Date();
    const counts = { checked: 0, matching: 0, repaired: 0, unexplained: 0, inProgress: 0 };
    const repaired: RepairedCase[] = [];
    const unexplained: UnexplainedCase[] = [];
    let error: string | null = null;

    const platform = this.platform();
    const answer = platform ? await platform.reconcile(dept.orgCode, date) : { ok: false as const, code: 'NO_PLATFORM', message: '本进程未连接市平台 no platform port in this process' };
    if (!answer.ok) {
      error = `平台对账失败 the platform's reconciliation failed: ${answer.code} ${answer.message}`.slice(0, 2000);
    } else {
      const from = new Date(parseBeijingDate(date)!);
      const to = new Date(from.getTime() + DAY_MS);
      const held = answer.cases;
      const byProject = new Map(held.map((p) => [p.projectNo, p]));
      const bySource = new Map(held.filter((p) => p.sourceCaseId).map((p) => [p.sourceCaseId, p]));

      // The gateway's cases filed under the date, and those the platform lists under it whatever
      // the gateway's own date for them (online cases, a case accepted across midnight).
      const ids = new Set(await this.repo.caseIdsFiledOn(dept.code, from, to));
      for (const id of await this.repo.caseIdsByProjectNo(dept.code, held.map((p) => p.projectNo))) ids.add(id);
      for (const id of await this.repo.caseIdsBySourceNo(dept.code, held.map((p) => p.sourceCaseId).filter(Boolean))) ids.add(id);
      const states = await this.repo.states([...ids]);

      const explained = new Set<PlatformHeldCase>();
      for (const g of states) {
        counts.checked++;
        const p = (g.platformProjectNo ? byProject.get(g.platformProjectNo) : undefined) ?? (g.online ? undefined : bySource.get(g.sourceCaseNo));
        if (p) explained.add(p);
        if (g.open > 0) {
          counts.inProgress++; // still on its way: the dispatcher, not reconciliation, finishes it
          continue;
        }
        const outcome = await this.compare(g, p);
        if (outcome === 'MATCH') counts.matching++;
        else if (typeof outcome === 'string') {
          counts.unexplained++;
          if (unexplained.length < DETAIL_CAP) unexplained.push({ projectNo: g.platformProjectNo ?? '', sourceCaseId: g.sourceCaseNo, reason: outcome });
        } else {
          counts.repaired++;
          if (repaired.length < DETAIL_CAP) repaired.push(outcome);
        }
      }
      for (const p of held) {
        if (explained.has(p)) continue;
        counts.checked++;
        counts.unexplained++;
        if (unexplained.length < DETAIL_CAP) unexplained.push({ projectNo: p.projectNo, sourceCaseId: p.sourceCaseId, reason: '平台有而网关无此办件 the platform holds a case the gateway does not know' });
      }
    }

    const run = await this.repo.saveRun({
      businessDate: date,
      department: dept.code,
      orgCode: dept.orgCode,
      runBy: runBy.slice(0, 64),
      ...counts,
      details: JSON.stringify({ repaired, unexplained }),
      error,
      startedAt,
      finishedAt: new Date(),
    });
    await this.audit.append({
      actor: runBy,
      action: error ? 'RECONCILIATION_FAILED' : 'RECONCILIATION',
      targetType: 'reconciliation',
      targetId: `${date}/${dept.code}`,
      detail: { runId: String(run.id), orgCode: dept.orgCode, ...counts, error, repairedCases: repaired.slice(0, 20).map((r) => `${r.sourceCaseNo}:${r.kind}`) },
    });
    if (error) this.logger.warn(`对账失败 reconciliation ${date} ${dept.code}: ${error}`);
    else if (counts.repaired || counts.unexplained) this.logger.log(`对账 reconciliation ${date} ${dept.code}: ${JSON.stringify(counts)}`);
  }

  /** MATCH, a repair made, or why it cannot be explained (nor repaired). */
  private async compare(g: GatewayCaseState, p: PlatformHeldCase | undefined): Promise<'MATCH' | RepairedCase | string> {
    if (!p) {
      if (g.delivered === 0) return 'MATCH'; // nothing was ever sent (every stage skipped): nothing to lack
      if (g.online) return '网上申报的办件平台已无记录，网关无法重建 the platform lost a case it opened online; the gateway cannot re-open it';
      const rows = await this.outbox.requeueCaseForRedelivery(g.id);
      return rows ? { sourceCaseNo: g.sourceCaseNo, projectNo: g.platformProjectNo, kind: 'CASE', rows } : 'MATCH';
    }
    if (p.lastSeq < g.deliveredSeq) {
      const rows = await this.outbox.requeueCaseForRedelivery(g.id, p.lastSeq);
      return rows ? { sourceCaseNo: g.sourceCaseNo, projectNo: p.projectNo, kind: 'STAGES', afterSeq: p.lastSeq, rows } : 'MATCH';
    }
    return 'MATCH';
  }
}

/** `RECONCILE_AT` (HH:mm, Beijing time; default 02:30; `off` disables the daily job). */
export function parseReconcileAt(text: string | undefined): { hour: number; minute: number } | null {
  const t = (text ?? '').trim();
  if (!t) return { hour: 2, minute: 30 };
  if (t.toLowerCase() === 'off') return null;
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(t);
  if (!m) throw new Error(`RECONCILE_AT="${t}": 应为北京时间 HH:mm（如 02:30）或 off must be a Beijing time HH:mm (e.g. 02:30) or off`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

/** Milliseconds from `now` to the next `hour:minute` Beijing time. */
export function msUntilNext(at: { hour: number; minute: number }, now = Date.now()): number {
  const today = parseBeijingDate(beijingDateOf(now))! + (at.hour * 60 + at.minute) * 60_000;
  return today > now ? today - now : today + DAY_MS - now;
}

/**
 * The daily job: at RECONCILE_AT (Beijing) the previous day, by whichever instance takes the day's
 * lease in the database first (the others skip it; an instance that died mid-run is taken over
 * once its lease runs out).
 */
export class ReconciliationSchedule {
  private timer?: NodeJS.Timeout;
  private readonly owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private running?: Promise<unknown>;
  private readonly logger = new Logger('Reconciliation');

  constructor(
    private readonly service: ReconciliationService,
    private readonly repo: ReconciliationRepository,
    private readonly at: { hour: number; minute: number } | null,
    private readonly leaseMs = 30 * 60_000,
  ) {}

  start(): void {
    if (!this.at || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
        this.start();
      });
    }, msUntilNext(this.at));
    this.timer.unref();
  }

  /** Reconciles the previous day if no other instance has it; false when another did or does. */
  async runOnce(now = Date.now()): Promise<boolean> {
    const date = previousBeijingDate(now);
    const job = `reconcile:${date}`;
    try {
      if (!(await this.repo.acquire(job, this.owner, this.leaseMs))) return false;
      await this.service.run(date, 'schedule');
      await this.repo.finishJob(job, this.owner);
      return true;
    } catch (e) {
      this.logger.error(`每日对账失败 the daily reconciliation failed: ${(e as Error).message}`);
      return false;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
