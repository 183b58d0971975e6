import {
  PINGJIANG_COUNTY,
  PINGJIANG_TOWNSHIPS,
  WorkingCalendar,
  beijingDateOf,
  caseDueDate,
  clockStops,
  formatBeijingDateTime,
  maskFreeText,
  maskName,
} from '#gw/case';
import type { Catalogue } from '#gw/catalogue';
import type { PersonalDataCipher } from '#gw/common';
import type { CaseEntity, PlatformCallbackEntity } from '#gw/persistence';
import { monthSpan, monthsEndingWith } from './month';
import type { ReportConfig } from './report-config';
import { ClockRow, ReportRepository } from './report.repository';

/** 好差评 levels (city platform: 1 非常不满意 … 5 非常满意). 好评 are 基本满意 and better; 差评 不满意 and worse (国办发〔2019〕51号). */
export const EVALUATION_LEVELS: Readonly<Record<number, string>> = { 1: '非常不满意', 2: '不满意', 3: '基本满意', 4: '满意', 5: '非常满意' };
export const GOOD_FROM_LEVEL = 3;
export const BAD_UP_TO_LEVEL = 2;
const BAD_LISTED_AT_MOST = 1000;
const TREND_MONTHS = 12;

const share = (part: number, whole: number): number | null => (whole ? Math.round((part / whole) * 10_000) / 10_000 : null);

/** Where a case was handled, from its division code: a township of Pingjiang, the county itself, or unknown. */
export function placeOf(code: string | null): { code: string; name: string } {
  if (!code) return { code: '', name: '未填写 not given' };
  if (PINGJIANG_TOWNSHIPS[code]) return { code, name: PINGJIANG_TOWNSHIPS[code] };
  if (code === PINGJIANG_COUNTY) return { code, name: '县本级 county level' };
  return { code, name: `其他 other (${code})` };
}

export type OpenCaseState = 'OVERDUE' | 'NEAR_DUE' | 'URGED';

export interface ListedCase {
  state: OpenCaseState;
  caseId: string;
  department: string;
  sourceCaseNo: string;
  projectNo: string | null;
  matterCode: string;
  matterName: string;
  township: string;
  applicant: string;
  currentStage: string;
  acceptedAt: string | null;
  dueAt: string | null;
  /** Working days past due (overdue), or left (near-due / urged, null while the clock is stopped). */
  workingDaysLate: number | null;
  workingDaysLeft: number | null;
  clockStopped: boolean;
  urgings: { receivedAt: string; occurredAt: string | null; message: string; deadline: string | null }[];
}

export interface OverdueReport {
  asOf: string;
  nearDueWorkingDays: number;
  /** False when the current or next year's holidays are unknown (add them to config/holidays.yaml). */
  calendarKnown: { [year: string]: boolean };
  totals: { open: number; timed: number; overdue: number; nearDue: number; clockStopped: number; urged: number };
  departments: {
    department: string;
    name: string;
    open: number;
    overdue: number;
    nearDue: number;
    clockStopped: number;
    urged: number;
    cases: ListedCase[];
  }[];
}

/** The reform's figures (网办率, 按时办结, 好差评), computed from what the gateway holds. */
export class ReportsService {
  constructor(
    private readonly repo: ReportRepository,
    private readonly catalogue: Catalogue,
    private readonly calendar: WorkingCalendar,
    private readonly cipher: PersonalDataCipher,
    private readonly config: ReportConfig,
  ) {}

  private departmentName(code: string | null): string {
    return (code && this.catalogue.department(code)?.name) || '未确定 unknown';
  }

  /** Overdue and near-due open cases per department, with the platform's urgings beside them. */
  async overdue(asOf = Date.now()): Promise<OverdueReport> {
    const timed = this.catalogue.matters.filter((m) => m.timeLimit);
    const limits = new Map(timed.map((m) => [m.taskCode, m.timeLimit!]));
    const today = beijingDateOf(asOf);
    const nearUntil = this.calendar.addWorkingDays(today, this.config.nearDueWorkingDays);

    /** Each open case with a running or stopped clock; `state` null when neither overdue nor near-due. */
    const states = new Map<string, { state: 'OVERDUE' | 'NEAR_DUE' | null; acceptedAt: number; due: Date | null }>();
    const perDept = new Map<string, { overdue: number; nearDue: number; clockStopped: number; urged: number }>();
    const dept = (code: string) => perDept.get(code) ?? perDept.set(code, { overdue: 0, nearDue: 0, clockStopped: 0, urged: 0 }).get(code)!;
    let timedOpen = 0;

    for await (const page of this.repo.openClockPages([...limits.keys()])) {
      const byCase = new Map<string, ClockRow[]>();
      for (const r of page) (byCase.get(r.caseId) ?? byCase.set(r.caseId, []).get(r.caseId)!).push(r);
      for (const [caseId, rows] of byCase) {
        // Only what had happened by the moment asked about.
        const known = rows.filter((r) => r.time <= asOf);
        const accepted = known.filter((r) => r.stage === 'ACCEPTED').sort((a, b) => a.time - b.time)[0];
        if (!accepted) continue; // not accepted yet: no clock runs
        timedOpen++;
        const stops = clockStops(known.map((r) => ({ stage: r.stage, time: r.time })));
        const due = caseDueDate(accepted.time, limits.get(rows[0].matterCode)!, stops, this.calendar);
        if (due.stopped) {
          dept(rows[0].department).clockStopped++;
          states.set(caseId, { state: null, acceptedAt: accepted.time, due: null });
          continue;
        }
        const dueMs = due.due.getTime();
        const state = dueMs < asOf ? 'OVERDUE' : beijingDateOf(dueMs) <= nearUntil ? 'NEAR_DUE' : null;
        if (state === 'OVERDUE') dept(rows[0].department).overdue++;
        if (state === 'NEAR_DUE') dept(rows[0].department).nearDue++;
        states.set(caseId, { state, acceptedAt: accepted.time, due: due.due });
      }
    }

    const urged = new Set(await this.repo.urgedOpenCaseIds());
    const listedIds = [...states.entries()].filter(([id, s]) => s.state || urged.has(id)).map(([id]) => id);
    for (const id of urged) if (!states.has(id)) listedIds.push(id);
    const cases = await this.repo.casesByIds(listedIds);
    const urgings = await this.repo.urgingsOf(cases.map((c) => c.platformProjectNo).filter((p): p is string => !!p));
    const urgingsByProject = new Map<string, PlatformCallbackEntity[]>();
    for (const u of urgings) (urgingsByProject.get(u.projectNo!) ?? urgingsByProject.set(u.projectNo!, []).get(u.projectNo!)!).push(u);

    const listed: ListedCase[] = [];
    for (const c of cases) {
      const s = states.get(c.id);
      const mine = c.platformProjectNo ? (urgingsByProject.get(c.platformProjectNo) ?? []) : [];
      if (mine.length) dept(c.department).urged++;
      const state: OpenCaseState = s?.state ?? 'URGED';
      const stopped = !!s && !s.due;
      const dueDate = s?.due ? beijingDateOf(s.due.getTime()) : null;
      listed.push({
        state,
        caseId: c.id,
        department: c.department,
        sourceCaseNo: c.sourceCaseNo,
        projectNo: c.platformProjectNo,
        matterCode: c.matterCode,
        matterName: c.matterName,
        township: placeOf(c.location ? c.location.slice(0, 9) : null).name,
        applicant: this.applicantOf(c),
        currentStage: c.currentStage,
        acceptedAt: s?.acceptedAt ? formatBeijingDateTime(s.acceptedAt) : null,
        dueAt: s?.due ? formatBeijingDateTime(s.due.getTime()) : null,
        workingDaysLate: state === 'OVERDUE' && dueDate ? this.calendar.workingDaysBetween(dueDate, today) : null,
        workingDaysLeft: state !== 'OVERDUE' && dueDate ? this.calendar.workingDaysBetween(today, dueDate) : null,
        clockStopped: stopped,
        urgings: mine.map((u) => this.urging(u, this.namesOf(c.partiesEnc))),
      });
    }
    const order: Record<OpenCaseState, number> = { OVERDUE: 0, NEAR_DUE: 1, URGED: 2 };
    listed.sort((a, b) => order[a.state] - order[b.state] || (a.dueAt ?? '9').localeCompare(b.dueAt ?? '9') || a.caseId.localeCompare(b.caseId));

    const open = await this.repo.openCounts();
    const codes = [...new Set([...open.keys(), ...perDept.keys()])].sort();
    const departments = codes.map((code) => ({
      department: code,
      name: this.departmentName(code),
      open: open.get(code) ?? 0,
      ...(perDept.get(code) ?? { overdue: 0, nearDue: 0, clockStopped: 0, urged: 0 }),
      cases: listed.filter((l) => l.department === code),
    }));
    const year = Number(today.slice(0, 4));
    const sum = (k: 'overdue' | 'nearDue' | 'clockStopped' | 'urged') => departments.reduce((n, d) => n + d[k], 0);
    return {
      asOf: formatBeijingDateTime(asOf),
      nearDueWorkingDays: this.config.nearDueWorkingDays,
      calendarKnown: { [year]: this.calendar.covers(year), [year + 1]: this.calendar.covers(year + 1) },
      totals: { open: [...open.values()].reduce((a, b) => a + b, 0), timed: timedOpen, overdue: sum('overdue'), nearDue: sum('nearDue'), clockStopped: sum('clockStopped'), urged: sum('urged') },
      departments,
    };
  }

  /** The names of a case's parties (applicants, agent), to mask them wherever they appear. */
  private namesOf(partiesEnc: string | null): string[] {
    if (!partiesEnc) return [];
    try {
      const p = this.cipher.decryptJson<{ applicants?: { name?: string }[]; agent?: { name?: string } | null }>(partiesEnc);
      return [...(p.applicants ?? []), ...(p.agent ? [p.agent] : [])].map((x) => x.name ?? '').filter((x) => x.length > 1);
    } catch {
      return [];
    }
  }

  /** Free text from the platform: ID and mobile numbers masked, and the case's own parties' names. */
  private maskText(text: string, names: string[]): string {
    let out = maskFreeText(text);
    for (const name of names) out = out.split(name).join(maskName(name));
    return out;
  }

  private applicantOf(c: CaseEntity): string {
    return maskName(this.namesOf(c.partiesEnc)[0] ?? '');
  }

  /** 督办: the platform's message and deadline; personal data in the message masked. */
  private urging(u: PlatformCallbackEntity, names: string[]) {
    let data: Record<string, unknown> = {};
    try {
      data = u.dataEnc ? this.cipher.decryptJson<Record<string, unknown>>(u.dataEnc) : {};
    } catch {
      data = {};
    }
    return {
      receivedAt: formatBeijingDateTime(u.receivedAt.getTime()),
      occurredAt: u.occurredAt,
      message: this.maskText(typeof data.message === 'string' ? data.message.slice(0, 1000) : '', names),
      deadline: typeof data.deadline === 'string' ? data.deadline.slice(0, 32) : null,
    };
  }

  /** 网办率: cases applied online against all cases opened in the month, against the target. */
  async onlineShare(month: string) {
    const span = monthSpan(month);
    const rows = await this.repo.onlineCounts(span);
    const target = this.config.onlineTarget;
    const tally = <K extends string>(key: (r: (typeof rows)[number]) => K) => {
      const m = new Map<K, { cases: number; online: number }>();
      for (const r of rows) {
        const t = m.get(key(r)) ?? m.set(key(r), { cases: 0, online: 0 }).get(key(r))!;
        t.cases += r.cases;
        if (r.online) t.online += r.cases;
      }
      return m;
    };
    const figures = (t: { cases: number; online: number }) => {
      const s = share(t.online, t.cases);
      return { cases: t.cases, online: t.online, share: s, meetsTarget: s !== null && s >= target };
    };
    const all = rows.reduce((t, r) => ({ cases: t.cases + r.cases, online: t.online + (r.online ? r.cases : 0) }), { cases: 0, online: 0 });
    const byMatter = tally((r) => r.matterCode);
    const capable = this.catalogue.matters.filter((m) => m.onlineCapable && !m.restriction);
    return {
      month,
      target,
      total: figures(all),
      departments: [...tally((r) => r.department)].sort(([a], [b]) => a.localeCompare(b)).map(([code, t]) => ({ department: code, name: this.departmentName(code), ...figures(t) })),
      matters: [...byMatter].sort(([a], [b]) => a.localeCompare(b)).map(([code, t]) => {
        const m = this.catalogue.matter(code);
        return { matterCode: code, matterName: m?.name ?? code, department: m?.department ?? null, onlineCapable: !!m?.onlineCapable, ...figures(t) };
      }),
      townships: [...tally((r) => placeOf(r.place).code)].sort(([a], [b]) => a.localeCompare(b)).map(([code, t]) => ({ code, name: placeOf(code || null).name, ...figures(t) })),
      onlineCapableWithoutOnline: capable
        .filter((m) => !(byMatter.get(m.taskCode)?.online ?? 0))
        .map((m) => ({ matterCode: m.taskCode, matterName: m.name, department: m.department, cases: byMatter.get(m.taskCode)?.cases ?? 0 })),
      trend: (await this.repo.onlineTrend(monthsEndingWith(month, TREND_MONTHS))).map((t) => ({ month: t.month, cases: t.cases, online: t.online, share: share(t.online, t.cases) })),
    };
  }

  /** 好差评: counts per level, share of good, per department and matter; the bad ones with their case. */
  async satisfaction(month: string) {
    const span = monthSpan(month);
    const rows = await this.repo.evaluationCounts(span);
    const tally = (key: (r: (typeof rows)[number]) => string) => {
      const m = new Map<string, { levels: Record<number, number>; count: number }>();
      for (const r of rows) {
        const k = key(r);
        const t = m.get(k) ?? m.set(k, { levels: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 }, count: 0 }).get(k)!;
        t.levels[r.level] = (t.levels[r.level] ?? 0) + r.count;
        t.count += r.count;
      }
      return m;
    };
    const figures = (t: { levels: Record<number, number>; count: number }) => {
      const good = [3, 4, 5].reduce((n, l) => n + (t.levels[l] ?? 0), 0);
      return { count: t.count, levels: t.levels, good, bad: t.count - good, goodShare: share(good, t.count) };
    };
    const total = tally(() => 'all').get('all') ?? { levels: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 }, count: 0 };
    const bad = await this.repo.badEvaluations(span, BAD_UP_TO_LEVEL, BAD_LISTED_AT_MOST);
    return {
      month,
      levelNames: EVALUATION_LEVELS,
      goodLevels: [3, 4, 5],
      total: figures(total),
      departments: [...tally((r) => r.department ?? '')].sort(([a], [b]) => a.localeCompare(b)).map(([code, t]) => ({ department: code || null, name: this.departmentName(code || null), ...figures(t) })),
      matters: [...tally((r) => `${r.department ?? ''}|${r.matterCode ?? ''}`)].sort(([a], [b]) => a.localeCompare(b)).map(([key, t]) => {
        const [department, matterCode] = key.split('|');
        return { department: department || null, matterCode: matterCode || null, matterName: (matterCode && this.catalogue.matter(matterCode)?.name) || '未确定 unknown', ...figures(t) };
      }),
      bad: bad.map((b) => {
        let data: Record<string, unknown> = {};
        try {
          data = b.dataEnc ? this.cipher.decryptJson<Record<string, unknown>>(b.dataEnc) : {};
        } catch {
          data = {};
        }
        return {
          callbackId: b.callbackId,
          projectNo: b.projectNo,
          level: b.level,
          levelName: EVALUATION_LEVELS[b.level],
          channel: typeof data.channel === 'string' ? data.channel.slice(0, 32) : null,
          comment: this.maskText(typeof data.comment === 'string' ? data.comment.slice(0, 500) : '', this.namesOf(b.partiesEnc)),
          evaluatedAt: typeof data.evaluated_at === 'string' ? data.evaluated_at.slice(0, 32) : (b.occurredAt ?? formatBeijingDateTime(b.receivedAt)),
          department: b.department,
          departmentName: this.departmentName(b.department),
          caseId: b.caseId,
          sourceCaseNo: b.sourceCaseNo,
          matterCode: b.matterCode,
          matterName: b.matterName,
          caseStage: b.currentStage,
          caseClosed: b.closed,
        };
      }),
      badListedAtMost: BAD_LISTED_AT_MOST,
      trend: (await this.repo.evaluationTrend(monthsEndingWith(month, TREND_MONTHS), GOOD_FROM_LEVEL)).map((t) => ({ ...t, goodShare: share(t.good, t.count) })),
    };
  }
}
