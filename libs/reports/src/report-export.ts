import ExcelJS from 'exceljs';
import type { OverdueReport, ReportsService } from './reports.service';

/** A table as exported: Chinese headers with English beside, rows of plain values. */
export interface Table {
  title: string;
  headers: string[];
  rows: (string | number | boolean | null)[][];
}

type OnlineShare = Awaited<ReturnType<ReportsService['onlineShare']>>;
type Satisfaction = Awaited<ReturnType<ReportsService['satisfaction']>>;

const pct = (v: number | null) => (v === null ? null : Math.round(v * 10_000) / 100);
const yesNo = (v: boolean) => (v ? '是' : '否');
const STATE_ZH = { OVERDUE: '逾期 overdue', NEAR_DUE: '临期 near due', URGED: '被督办 urged' } as const;

export function overdueTable(r: OverdueReport): Table {
  return {
    title: '逾期与临期 Overdue',
    headers: ['状态 state', '部门 department', '部门办件号 case no', '平台办件编号 project no', '事项 matter', '乡镇 township', '申请人 applicant', '当前环节 stage', '受理时间 accepted', '承诺办结时间 due', '已逾期工作日 days late', '剩余工作日 days left', '计时暂停 clock stopped', '督办 urgings'],
    rows: r.departments.flatMap((d) =>
      d.cases.map((c) => [
        STATE_ZH[c.state],
        d.name,
        c.sourceCaseNo,
        c.projectNo,
        c.matterName,
        c.township,
        c.applicant,
        c.currentStage,
        c.acceptedAt,
        c.dueAt,
        c.workingDaysLate,
        c.workingDaysLeft,
        yesNo(c.clockStopped),
        c.urgings.map((u) => `${u.receivedAt} ${u.message}${u.deadline ? `（限 ${u.deadline}）` : ''}`).join('\n'),
      ]),
    ),
  };
}

export function onlineShareTable(r: OnlineShare): Table {
  const row = (kind: string, code: string, name: string, t: { cases: number; online: number; share: number | null; meetsTarget: boolean }) => [
    kind,
    code,
    name,
    t.cases,
    t.online,
    pct(t.share),
    yesNo(t.meetsTarget),
  ];
  return {
    title: `网办率 Online share ${r.month}`,
    headers: ['维度 dimension', '代码 code', '名称 name', '办件量 cases', '网办量 online', `网办率% share (目标 target ${pct(r.target)}%)`, '达标 meets target'],
    rows: [
      row('全县 county', '430626', '平江县', r.total),
      ...r.departments.map((d) => row('部门 department', d.department, d.name, d)),
      ...r.matters.map((m) => row('事项 matter', m.matterCode, m.matterName, m)),
      ...r.townships.map((t) => row('乡镇 township', t.code, t.name, t)),
      ...r.onlineCapableWithoutOnline.map((m) => ['可网办未网办 online-capable, none online', m.matterCode, m.matterName, m.cases, 0, m.cases ? 0 : null, '否']),
      ...r.trend.map((t) => ['月度趋势 trend', t.month, t.month, t.cases, t.online, pct(t.share), yesNo(t.share !== null && t.share >= r.target)]),
    ],
  };
}

export function satisfactionTable(r: Satisfaction): Table {
  const row = (kind: string, code: string | null, name: string, t: Satisfaction['total']) => [
    kind,
    code,
    name,
    t.count,
    ...[1, 2, 3, 4, 5].map((l) => t.levels[l] ?? 0),
    t.good,
    pct(t.goodShare),
  ];
  return {
    title: `好差评 Satisfaction ${r.month}`,
    headers: ['维度 dimension', '代码 code', '名称 name', '评价数 count', '非常不满意 1', '不满意 2', '基本满意 3', '满意 4', '非常满意 5', '好评 good', '好评率% good share'],
    rows: [
      row('全县 county', '430626', '平江县', r.total),
      ...r.departments.map((d) => row('部门 department', d.department, d.name, d)),
      ...r.matters.map((m) => row('事项 matter', m.matterCode, m.matterName, m)),
    ],
  };
}

export function badEvaluationsTable(r: Satisfaction): Table {
  return {
    title: `差评 Bad evaluations ${r.month}`,
    headers: ['评价时间 evaluated', '等级 level', '渠道 channel', '评价内容 comment', '部门 department', '事项 matter', '部门办件号 case no', '平台办件编号 project no', '办件环节 case stage', '已办结 closed'],
    rows: r.bad.map((b) => [b.evaluatedAt, `${b.level} ${b.levelName}`, b.channel, b.comment, b.departmentName, b.matterName, b.sourceCaseNo, b.projectNo, b.caseStage, b.caseClosed === null ? null : yesNo(b.caseClosed)]),
  };
}

/** A cell an office suite would run as a formula is written as text (CSV injection). */
function cellText(v: string | number | boolean | null): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** UTF-8 with a BOM, so that Excel opens the Chinese correctly. */
export function toCsv(t: Table): Buffer {
  const lines = [t.headers, ...t.rows].map((r) => r.map(cellText).join(','));
  return Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8');
}

/** The monthly report: one sheet per list. */
export async function toXlsx(tables: Table[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = '平江县政务服务集成网关 Pingjiang gateway';
  for (const t of tables) {
    // Sheet names: at most 31 characters, none of : \ / ? * [ ].
    const ws = wb.addWorksheet(t.title.replace(/[:\\/?*[\]]/g, ' ').slice(0, 31));
    ws.addRow(t.headers).font = { bold: true };
    // exceljs writes a string as text, never as a formula.
    for (const r of t.rows) ws.addRow(r);
    ws.columns.forEach((c) => (c.width = 18));
    ws.views = [{ state: 'frozen', ySplit: 1 }];
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}
