import ExcelJS from 'exceljs';
import request from 'supertest';
import { PINGJIANG_TOWNSHIPS } from '#gw/case';
import { OPERATOR_TOKEN, startTestGateway, TestGateway } from '../support/test-gateway';
import { AS_OF, FIXTURE_MONTH, FixtureCase, PREVIOUS_MONTH, planFixture, seedFixture, urge } from './month-fixture';

/**
 * Every figure of the month's report against counts made here from the fixture's own records —
 * never from the gateway's tables or its calendar code.
 */

const bjDate = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
const nextDay = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
const isWeekday = (d: string) => ![0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay());

/**
 * The due date as the rules read (acceptance day not counted; the days from a stop to its restart
 * not counted), counted here on Monday–Friday: November and December 2026 have no holidays and no
 * weekend worked in lieu. 'STOPPED' while a supplement is outstanding.
 */
function expectedDue(c: FixtureCase): string | 'STOPPED' | null {
  const limit = c.matter.timeLimit;
  if (!limit) return null;
  const accepted = c.stages.find((s) => s.stage === 'ACCEPTED')!.time;
  const stops: { from: string; to: string | null }[] = [];
  const req = c.stages.find((s) => s.stage === 'SUPPLEMENT_REQUESTED' || s.stage === 'SPECIAL_STARTED');
  if (req) {
    const end = c.stages.find((s) => s.stage === 'SUPPLEMENT_RECEIVED' || s.stage === 'SPECIAL_ENDED');
    stops.push({ from: bjDate(req.time), to: end ? bjDate(end.time) : null });
  }
  let day = bjDate(accepted);
  let left = limit.value;
  while (left > 0) {
    day = nextDay(day);
    const stop = stops.find((s) => s.from <= day && (s.to === null || day <= s.to));
    if (stop) {
      if (stop.to === null) return 'STOPPED';
      continue;
    }
    if (limit.unit !== 'WORKING_DAY' || isWeekday(day)) left--;
  }
  return day;
}

/** OVERDUE / NEAR_DUE (1 working day: due today, 30 November, or Tuesday 1 December) / STOPPED / null. */
function expectedState(c: FixtureCase): 'OVERDUE' | 'NEAR_DUE' | 'STOPPED' | null {
  if (c.closed) return null;
  const due = expectedDue(c);
  if (due === null) return null;
  if (due === 'STOPPED') return 'STOPPED';
  if (due < '2026-11-30') return 'OVERDUE';
  if (due <= '2026-12-01') return 'NEAR_DUE';
  return null;
}

const count = <T>(list: T[], key: (t: T) => string) => list.reduce((m, t) => m.set(key(t), (m.get(key(t)) ?? 0) + 1), new Map<string, number>());
const ratio = (a: number, b: number) => (b ? Math.round((a / b) * 10_000) / 10_000 : null);

describe('the monthly report, figure by figure, from a month of seeded cases', () => {
  let gw: TestGateway;
  let cases: FixtureCase[];
  const get = (path: string) => request(gw.url).get(path).set('Authorization', `Bearer ${OPERATOR_TOKEN}`);

  beforeAll(async () => {
    gw = await startTestGateway();
    cases = planFixture(gw);
    await seedFixture(gw, cases);
    // Urge three overdue cases and one open case that is on time.
    const overdue = cases.filter((c) => expectedState(c) === 'OVERDUE').slice(0, 3);
    const onTime = cases.filter((c) => !c.closed && expectedState(c) === null).slice(0, 1);
    await urge(gw, [...overdue, ...onTime]);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('the fixture has what the report must show: every department, online and not, overdue, near-due, stopped, evaluated, bad', () => {
    const depts = new Set(cases.map((c) => c.department));
    expect([...depts].sort()).toEqual(gw.ctx.catalogue.departments.filter((d) => d.enabled && !d.restricted).map((d) => d.code).sort());
    const states = cases.map(expectedState);
    for (const s of ['OVERDUE', 'NEAR_DUE', 'STOPPED'] as const) expect(states.filter((x) => x === s).length).toBeGreaterThan(0);
    expect(cases.some((c) => c.online) && cases.some((c) => !c.online)).toBe(true);
    expect(cases.filter((c) => c.evaluation && c.evaluation.level <= 2).length).toBeGreaterThan(0);
  });

  it('needs an operator', async () => {
    await request(gw.url).get('/api/v1/reports/overdue').expect(401);
    await request(gw.url).get(`/api/v1/reports/online-share?month=${FIXTURE_MONTH}`).expect(401);
    await get('/api/v1/reports/online-share?month=2026-13').expect(400);
  });

  it('online share per department, matter and township, against 60 %, and the 12-month trend', async () => {
    const body = (await get(`/api/v1/reports/online-share?month=${FIXTURE_MONTH}`).expect(200)).body;
    const month = cases.filter((c) => c.month === FIXTURE_MONTH);
    const online = month.filter((c) => c.online);
    expect(body.target).toBe(0.6);
    expect(body.total).toEqual({ cases: month.length, online: online.length, share: ratio(online.length, month.length), meetsTarget: online.length / month.length >= 0.6 });

    const byDept = count(month, (c) => c.department);
    const onlineByDept = count(online, (c) => c.department);
    expect(body.departments.map((d: any) => [d.department, d.cases, d.online, d.share])).toEqual(
      [...byDept.keys()].sort().map((k) => [k, byDept.get(k), onlineByDept.get(k) ?? 0, ratio(onlineByDept.get(k) ?? 0, byDept.get(k)!)]),
    );
    const byMatter = count(month, (c) => c.matter.taskCode);
    const onlineByMatter = count(online, (c) => c.matter.taskCode);
    expect(body.matters.map((m: any) => [m.matterCode, m.cases, m.online])).toEqual([...byMatter.keys()].sort().map((k) => [k, byMatter.get(k), onlineByMatter.get(k) ?? 0]));

    const place = (c: FixtureCase) => (c.location ? c.location.slice(0, 9) : '');
    const byPlace = count(month, place);
    const onlineByPlace = count(online, place);
    expect(body.townships.map((t: any) => [t.code, t.cases, t.online])).toEqual([...byPlace.keys()].sort().map((k) => [k, byPlace.get(k), onlineByPlace.get(k) ?? 0]));
    for (const t of body.townships) if (PINGJIANG_TOWNSHIPS[t.code]) expect(t.name).toBe(PINGJIANG_TOWNSHIPS[t.code]);

    const capable = gw.ctx.catalogue.matters.filter((m) => m.onlineCapable && !m.restriction);
    const without = capable.filter((m) => !onlineByMatter.get(m.taskCode)).map((m) => m.taskCode);
    expect(without.length).toBeGreaterThan(0);
    expect(body.onlineCapableWithoutOnline.map((m: any) => m.matterCode).sort()).toEqual(without.sort());

    expect(body.trend).toHaveLength(12);
    expect(body.trend[11].month).toBe(FIXTURE_MONTH);
    expect(body.trend[0].month).toBe('2025-12');
    const prev = cases.filter((c) => c.month === PREVIOUS_MONTH);
    expect(body.trend[10]).toEqual({ month: PREVIOUS_MONTH, cases: prev.length, online: prev.filter((c) => c.online).length, share: ratio(prev.filter((c) => c.online).length, prev.length) });
    expect(body.trend[11]).toMatchObject({ cases: month.length, online: online.length });
    expect(body.trend.slice(0, 10).every((t: any) => t.cases === 0 && t.share === null)).toBe(true);
  });

  it('satisfaction: counts per level and good share per department and matter; the bad ones with their case, masked', async () => {
    const body = (await get(`/api/v1/reports/satisfaction?month=${FIXTURE_MONTH}`).expect(200)).body;
    const evaluated = cases.filter((c) => c.evaluation && c.evaluation.occurredAt.startsWith(FIXTURE_MONTH));
    const levels = (list: FixtureCase[]) => Object.fromEntries([1, 2, 3, 4, 5].map((l) => [String(l), list.filter((c) => c.evaluation!.level === l).length]));
    const good = (list: FixtureCase[]) => list.filter((c) => c.evaluation!.level >= 3).length;
    expect(body.total).toEqual({ count: evaluated.length, levels: levels(evaluated), good: good(evaluated), bad: evaluated.length - good(evaluated), goodShare: ratio(good(evaluated), evaluated.length) });

    const depts = [...new Set(evaluated.map((c) => c.department))].sort();
    expect(body.departments.map((d: any) => [d.department, d.count, d.levels, d.good])).toEqual(
      depts.map((k) => {
        const list = evaluated.filter((c) => c.department === k);
        return [k, list.length, levels(list), good(list)];
      }),
    );
    const matters = [...new Set(evaluated.map((c) => `${c.department}|${c.matter.taskCode}`))].sort();
    expect(body.matters.map((m: any) => [`${m.department}|${m.matterCode}`, m.count, m.good])).toEqual(
      matters.map((k) => {
        const list = evaluated.filter((c) => `${c.department}|${c.matter.taskCode}` === k);
        return [k, list.length, good(list)];
      }),
    );

    const bad = evaluated.filter((c) => c.evaluation!.level <= 2);
    expect(body.bad.map((b: any) => b.callbackId).sort()).toEqual(bad.map((c) => c.evaluation!.callbackId).sort());
    for (const b of body.bad) {
      const c = bad.find((x) => x.evaluation!.callbackId === b.callbackId)!;
      expect(b).toMatchObject({ sourceCaseNo: c.sourceCaseNo, projectNo: c.projectNo, department: c.department, matterCode: c.matter.taskCode, level: c.evaluation!.level, caseClosed: c.closed });
      expect(b.comment).toContain('139****5678');
      expect(b.comment).not.toContain(c.applicantName);
    }

    const prev = cases.filter((c) => c.evaluation?.occurredAt.startsWith(PREVIOUS_MONTH));
    expect(body.trend[10]).toEqual({ month: PREVIOUS_MONTH, count: prev.length, good: good(prev), goodShare: ratio(good(prev), prev.length) });
    expect(body.trend[11]).toMatchObject({ count: evaluated.length, good: good(evaluated) });
  });

  it('overdue and near-due per department, with the platform’s urgings (message and deadline) masked', async () => {
    const body = (await get(`/api/v1/reports/overdue?asOf=${encodeURIComponent(AS_OF)}`).expect(200)).body;
    const open = cases.filter((c) => !c.closed);
    expect(body.nearDueWorkingDays).toBe(1);
    expect(body.totals).toMatchObject({
      open: open.length,
      overdue: cases.filter((c) => expectedState(c) === 'OVERDUE').length,
      nearDue: cases.filter((c) => expectedState(c) === 'NEAR_DUE').length,
      clockStopped: cases.filter((c) => expectedState(c) === 'STOPPED').length,
      urged: cases.filter((c) => c.urging).length,
    });
    for (const d of body.departments) {
      const mine = cases.filter((c) => c.department === d.department);
      expect([d.open, d.overdue, d.nearDue, d.clockStopped]).toEqual([
        mine.filter((c) => !c.closed).length,
        mine.filter((c) => expectedState(c) === 'OVERDUE').length,
        mine.filter((c) => expectedState(c) === 'NEAR_DUE').length,
        mine.filter((c) => expectedState(c) === 'STOPPED').length,
      ]);
      const listed = mine.filter((c) => expectedState(c) === 'OVERDUE' || expectedState(c) === 'NEAR_DUE' || c.urging);
      expect(d.cases.map((x: any) => x.sourceCaseNo).sort()).toEqual(listed.map((c) => c.sourceCaseNo).sort());
      for (const x of d.cases) {
        const c = mine.find((m) => m.sourceCaseNo === x.sourceCaseNo)!;
        const state = expectedState(c);
        expect(x.state).toBe(state === 'OVERDUE' || state === 'NEAR_DUE' ? state : 'URGED');
        const due = expectedDue(c);
        if (typeof due === 'string' && due !== 'STOPPED') expect(x.dueAt).toBe(`${due} 23:59:59`);
        expect(x.applicant).toBe(`${c.applicantName[0]}${'*'.repeat(c.applicantName.length - 1)}`);
        if (c.urging) {
          expect(x.urgings).toHaveLength(1);
          expect(x.urgings[0].deadline).toBe(c.urging.deadline);
          expect(x.urgings[0].message).toContain('137****1111');
          expect(x.urgings[0].message).not.toContain(c.applicantName);
        } else expect(x.urgings).toEqual([]);
      }
    }
    // Near-due: the fixture's SCJG cases due on 30 November (0 days left) and 1 December (1 left).
    const scjg = body.departments.find((d: any) => d.department === 'SCJG');
    expect(scjg.cases.find((x: any) => x.sourceCaseNo === 'SCJG-FX-NEAR-0')).toMatchObject({ state: 'NEAR_DUE', dueAt: '2026-11-30 23:59:59', workingDaysLeft: 0 });
    expect(scjg.cases.find((x: any) => x.sourceCaseNo === 'SCJG-FX-NEAR-1')).toMatchObject({ state: 'NEAR_DUE', dueAt: '2026-12-01 23:59:59', workingDaysLeft: 1 });
    expect(scjg.cases.find((x: any) => x.sourceCaseNo === 'SCJG-FX-NEAR-2')).toBeUndefined();
  });

  it('exports: the monthly XLSX and the CSV lists hold the same figures, personal data masked', async () => {
    const overdue = (await get(`/api/v1/reports/overdue?asOf=${encodeURIComponent(AS_OF)}`).expect(200)).body;
    const sat = (await get(`/api/v1/reports/satisfaction?month=${FIXTURE_MONTH}`).expect(200)).body;
    const share = (await get(`/api/v1/reports/online-share?month=${FIXTURE_MONTH}`).expect(200)).body;
    const listed = overdue.departments.reduce((n: number, d: any) => n + d.cases.length, 0);

    const xlsx = await get(`/api/v1/reports/monthly.xlsx?month=${FIXTURE_MONTH}&asOf=${encodeURIComponent(AS_OF)}`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200)
      .expect('Content-Type', /spreadsheetml/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.body as Buffer as any);
    const sheets = wb.worksheets;
    expect(sheets).toHaveLength(4);
    const county = sheets[0].getRow(2).values as unknown[];
    expect(county.slice(1, 6)).toEqual(['全县 county', '430626', '平江县', share.total.cases, share.total.online]);
    expect(sheets[1].rowCount).toBe(1 + listed);
    expect(sheets[2].getRow(2).getCell(4).value).toBe(sat.total.count);
    expect(sheets[3].rowCount).toBe(1 + sat.bad.length);

    const csv = await get(`/api/v1/reports/overdue.csv?asOf=${encodeURIComponent(AS_OF)}`).expect(200).expect('Content-Type', /text\/csv/);
    expect(csv.text.charCodeAt(0)).toBe(0xfeff);
    expect(csv.text.trim().split('\r\n')).toHaveLength(1 + listed);
    const badCsv = await get(`/api/v1/reports/bad-evaluations.csv?month=${FIXTURE_MONTH}`).expect(200);
    expect(badCsv.text.trim().split('\r\n')).toHaveLength(1 + sat.bad.length);
    const shareCsv = await get(`/api/v1/reports/online-share.csv?month=${FIXTURE_MONTH}`).expect(200);
    const satCsv = await get(`/api/v1/reports/satisfaction.csv?month=${FIXTURE_MONTH}`).expect(200);

    const allText = [
      csv.text,
      badCsv.text,
      shareCsv.text,
      satCsv.text,
      ...sheets.flatMap((s) => s.getSheetValues().flatMap((r) => (Array.isArray(r) ? r.map((v) => String(v ?? '')) : []))),
    ].join('\n');
    for (const c of cases) {
      expect(allText).not.toContain(c.applicantId);
      expect(allText).not.toContain(c.applicantName);
    }
    for (const phone of ['13912345678', '13700001111', '13800138000']) expect(allText).not.toContain(phone);
  });
});
