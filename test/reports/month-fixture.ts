import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { PINGJIANG_TOWNSHIPS, parseBeijingDateTime } from '#gw/case';
import type { MatterEntry } from '#gw/catalogue';
import { IngestService } from '#gw/ingress';
import { CaseEntity } from '#gw/persistence';
import { onlineApplication, postCallback } from '../support/callbacks';
import type { TestGateway } from '../support/test-gateway';
import { waitFor } from '../support/wait-for';

/**
 * Seeds a month of cases across every department the gateway serves — online (opened on the
 * platform first, through the simulator) and at the window, in townships and at the county, some
 * still open past their limit, some waiting for a supplement, some evaluated (好差评) or urged
 * (督办) by the platform — and keeps its own record of each, so a test can count the figures the
 * report should show without asking the gateway.
 *
 * Events go through the real ingest pipeline (validation, stage machine, storage, outbox) as the
 * canonical events department adapters produce; callbacks are signed and posted to the gateway.
 * November 2026 has no public holiday and no weekend worked in lieu: working days are Monday to
 * Friday, which lets the records carry due dates counted without the gateway's calendar.
 */

export const FIXTURE_MONTH = '2026-11';
export const PREVIOUS_MONTH = '2026-10';
/** The moment overdue and near-due are judged at. */
export const AS_OF = '2026-11-30 12:00:00';

export interface FixtureStage {
  stage: string;
  time: number;
}

export interface FixtureEvaluation {
  callbackId: string;
  level: number;
  occurredAt: string;
  comment: string;
}

export interface FixtureCase {
  department: string;
  matter: MatterEntry;
  sourceCaseNo: string;
  online: boolean;
  projectNo: string | null;
  /** As sent: a 9-digit township, the county, a village (12 digits) or nothing. */
  location: string | null;
  month: string;
  applicantName: string;
  applicantId: string;
  stages: FixtureStage[];
  closed: boolean;
  evaluation?: FixtureEvaluation;
  urging?: { callbackId: string; message: string; deadline: string };
}

/** A small deterministic generator (mulberry32): the same fixture every run. */
function random(seed: number) {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A valid 18-digit citizen ID number (GB 11643) born in 1985. */
function idNumber(n: number): string {
  const body = `430626198503${String((n % 28) + 1).padStart(2, '0')}${String(n % 1000).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, d, i) => s + Number(d) * weights[i], 0);
  return body + '10X98765432'[sum % 11];
}

const SURNAMES = ['张', '李', '王', '刘', '陈', '杨', '黄', '赵', '周', '吴'];
const GIVEN = ['建国', '秀英', '志强', '海燕', '伟', '芳', '小明', '丽华'];
const TOWNSHIPS = Object.keys(PINGJIANG_TOWNSHIPS);
const at = (text: string) => parseBeijingDateTime(text)!;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const pad = (n: number) => String(n).padStart(2, '0');

/** Weekdays of a month, as `yyyy-MM-dd`, from day `from` to day `to`. */
function weekdays(month: string, from: number, to: number): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d++) {
    const date = `${month}-${pad(d)}`;
    const wd = new Date(`${date}T00:00:00Z`).getUTCDay();
    if (wd !== 0 && wd !== 6) out.push(date);
  }
  return out;
}

type Life = 'completed' | 'open' | 'supplement-open' | 'supplement-done' | 'special-done';

/** The fixture's cases, decided before anything is sent. */
export function planFixture(gw: TestGateway, seed = 20261130): FixtureCase[] {
  const rnd = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
  const cases: FixtureCase[] = [];
  let n = 0;
  const departments = gw.ctx.catalogue.departments.filter((d) => d.enabled && !d.restricted);
  for (const dept of departments) {
    const matters = gw.ctx.catalogue.mattersOf(dept.code).filter((m) => !m.restriction);
    matters.forEach((matter, mi) => {
      // One online-capable matter of MZJ has no online case at all this month.
      const neverOnline = dept.code === 'MZJ' && mi === matters.findIndex((m) => m.onlineCapable);
      const count = 4 + Math.floor(rnd() * 3);
      for (let i = 0; i < count; i++) {
        n++;
        const month = i === 0 ? PREVIOUS_MONTH : FIXTURE_MONTH;
        const online = !!matter.onlineCapable && !neverOnline && rnd() < 0.55;
        const locations = [...TOWNSHIPS, '430626', null, `${pick(TOWNSHIPS)}201`];
        const location = pick(locations);
        const day = month === PREVIOUS_MONTH ? pick(weekdays(month, 12, 23)) : pick(weekdays(month, 2, 20));
        const accepted = at(`${day} ${pad(9 + Math.floor(rnd() * 8))}:${pad(Math.floor(rnd() * 60))}:00`);
        const life: Life =
          month === PREVIOUS_MONTH || !matter.timeLimit ? pick(['completed', 'completed', 'open'] as const) : pick(['completed', 'open', 'open', 'supplement-open', 'supplement-done', 'special-done'] as const);
        const stages: FixtureStage[] = [{ stage: 'ACCEPTED', time: accepted }];
        if (life === 'completed') {
          stages.push({ stage: 'UNDERTAKEN', time: accepted + 2 * HOUR }, { stage: 'COMPLETED', time: accepted + DAY + 3 * HOUR });
        } else if (life === 'open') {
          stages.push({ stage: 'UNDERTAKEN', time: accepted + 2 * HOUR });
        } else if (life === 'supplement-open') {
          stages.push({ stage: 'SUPPLEMENT_REQUESTED', time: accepted + DAY });
        } else if (life === 'supplement-done') {
          stages.push({ stage: 'SUPPLEMENT_REQUESTED', time: accepted + DAY }, { stage: 'SUPPLEMENT_RECEIVED', time: accepted + 3 * DAY + HOUR });
        } else {
          stages.push({ stage: 'SPECIAL_STARTED', time: accepted + 4 * HOUR }, { stage: 'SPECIAL_ENDED', time: accepted + 2 * DAY });
        }
        cases.push({
          department: dept.code,
          matter,
          sourceCaseNo: `${dept.code}-FX-${String(n).padStart(4, '0')}`,
          online,
          projectNo: null,
          location,
          month,
          applicantName: `${pick(SURNAMES)}${pick(GIVEN)}`,
          applicantId: idNumber(n),
          stages,
          closed: life === 'completed',
        });
      }
    });
  }
  // Near the end of the month, open cases of a 3-working-day matter: due today (30 November) and
  // tomorrow (1 December) — near-due — and one due on 2 December, not yet.
  const scjg = gw.ctx.catalogue.matter('11430626MB123456250000120001000')!;
  for (const [i, accepted] of ['2026-11-25 10:00:00', '2026-11-26 15:00:00', '2026-11-27 09:30:00'].entries()) {
    cases.push({
      department: 'SCJG',
      matter: scjg,
      sourceCaseNo: `SCJG-FX-NEAR-${i}`,
      online: false,
      projectNo: null,
      location: '430626001',
      month: FIXTURE_MONTH,
      applicantName: '孙丽',
      applicantId: idNumber(900 + i),
      stages: [{ stage: 'ACCEPTED', time: at(accepted) }],
      closed: false,
    });
  }
  // Evaluations: about half the cases; some 差评 with personal data in their comment.
  cases.forEach((c, i) => {
    if (rnd() >= 0.5) return;
    const level = 1 + Math.floor(rnd() * 5);
    const day = c.month === PREVIOUS_MONTH ? '2026-10-28' : `2026-11-${pad(21 + (i % 8))}`;
    c.evaluation = { callbackId: `EV-FX-${i}`, level, occurredAt: `${day} 10:${pad(i % 60)}:00`, comment: level <= 2 ? `办理太慢，回电13912345678，${c.applicantName}` : '满意' };
  });
  return cases;
}

const ISO = (ms: number) => new Date(ms).toISOString();

/** Sends the fixture: online applications through the simulator, stages through ingest, then callbacks. */
export async function seedFixture(gw: TestGateway, cases: FixtureCase[]): Promise<void> {
  for (const c of cases.filter((x) => x.online)) {
    const res = await request(gw.platform.origin)
      .post('/admin/online-applications')
      .send(onlineApplication(c.matter.taskCode, { task_name: c.matter.name, applyer_type: 1, applyer_name: c.applicantName, applyer_page_type: '111', applyer_page_code: c.applicantId }))
      .expect(202);
    c.projectNo = res.body.projectNo;
  }

  const ingest = gw.app.get(IngestService);
  for (const c of cases) {
    const adapter = gw.ctx.adapters.get(c.department)!;
    for (const [i, s] of c.stages.entries()) {
      const event = {
        department: c.department,
        sourceEventId: `${c.sourceCaseNo}-${i}`,
        sourceCaseNo: c.sourceCaseNo,
        platformProjectNo: c.projectNo ?? undefined,
        matterCode: c.matter.taskCode,
        matterName: c.matter.name,
        stage: s.stage,
        stageTime: ISO(s.time),
        sourceSeq: i + 1,
        handler: { name: '窗口工作人员' },
        applicants: [{ kind: 'PERSON', name: c.applicantName, certType: '111', certNo: c.applicantId, phone: '13800138000' }],
        location: c.location ?? undefined,
        applyChannel: c.online ? 'ONLINE' : 'WINDOW',
        special: s.stage.startsWith('SPECIAL') ? { name: '专家评审', reason: '需专家论证' } : undefined,
        result: s.stage === 'COMPLETED' ? { type: 0, certificateNo: c.matter.issuesCertificate ? `ZS${c.sourceCaseNo}` : undefined, certificateName: c.matter.name } : undefined,
      };
      const body = Buffer.from(JSON.stringify(event));
      const outcome = await ingest.processParsed(
        adapter,
        { department: c.department, channel: 'event', receivedAt: new Date(), mediaType: 'application/json', body },
        { ok: true, event: { sourceEventId: event.sourceEventId, event: event as any, issues: [] } },
      );
      if (outcome.code !== 'ACCEPTED') throw new Error(`${c.sourceCaseNo} ${s.stage}: ${outcome.code} ${outcome.message}`);
    }
  }

  // Evaluations and urgings find their case by its platform number: wait until every case has one.
  await waitFor(
    'every case accepted by the platform',
    async () => {
      const missing = await gw.db.manager.createQueryBuilder(CaseEntity, 'c').where('c.platform_project_no IS NULL').getCount();
      return missing === 0;
    },
    60_000,
    200,
  );
  const rows = await gw.db.manager.find(CaseEntity);
  const projectOf = new Map(rows.map((r) => [`${r.department}|${r.sourceCaseNo}`, r.platformProjectNo]));
  for (const c of cases) c.projectNo = projectOf.get(`${c.department}|${c.sourceCaseNo}`) ?? null;

  for (const c of cases.filter((x) => x.evaluation)) {
    const e = c.evaluation!;
    const { response } = postCallback(gw.url, {
      callback_id: e.callbackId,
      type: 'EVALUATION',
      occurred_at: e.occurredAt,
      data: { project_no: c.projectNo, level: e.level, channel: 'app', comment: e.comment, evaluated_at: e.occurredAt },
    });
    const r = await response;
    if (r.body.code !== '0') throw new Error(`evaluation ${e.callbackId}: ${JSON.stringify(r.body)}`);
  }
}

/** Urges (督办) the given cases, as the platform does, with personal data in the message. */
export async function urge(gw: TestGateway, cases: FixtureCase[]): Promise<void> {
  for (const [i, c] of cases.entries()) {
    c.urging = { callbackId: `URGE-FX-${i}-${randomUUID().slice(0, 8)}`, message: `请加快办理，申请人${c.applicantName}来电13700001111催问`, deadline: '2026-12-02 17:00:00' };
    const { response } = postCallback(gw.url, {
      callback_id: c.urging.callbackId,
      type: 'URGE',
      occurred_at: '2026-11-29 09:00:00',
      data: { project_no: c.projectNo, message: c.urging.message, deadline: c.urging.deadline },
    });
    const r = await response;
    if (r.body.code !== '0') throw new Error(`urging ${c.urging.callbackId}: ${JSON.stringify(r.body)}`);
  }
}
