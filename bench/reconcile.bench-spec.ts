/**
 * Reconciliation (对账) of one day with 100,000 cases of one department: the platform's list is
 * served in-process (no HTTP, no rate limit), 100 of the cases missing from it and 100 lacking
 * their last stage, so the run repairs 200. Rows are inserted directly into a fresh database.
 *   npx jest --config bench/jest.bench.config.js --runInBand                      (SQLite)
 *   TEST_DATABASE_URL=mysql://… npx jest --config bench/jest.bench.config.js --runInBand   (MariaDB)
 */
import { randomUUID } from 'node:crypto';
import { Catalogue } from '#gw/catalogue';
import { AuditRepository, CaseEntity, CaseEventEntity, OutboxEntity, OutboxRepository, orderKey } from '#gw/persistence';
import { CityPlatformPort, type PlatformHeldCase, type ReconcileAnswer } from '#gw/platform';
import { ReconciliationRepository, ReconciliationService } from '#gw/reports';
import request from 'supertest';
import { OPERATOR_TOKEN, startTestGateway, type TestGateway } from '../test/support/test-gateway';

const CASES = Number(process.env.BENCH_CASES ?? 100_000);
const DATE = '2026-11-20';
const ORG = '11430626MB12345625';

class ListedPlatform extends CityPlatformPort {
  constructor(private readonly held: PlatformHeldCase[]) {
    super();
  }
  override async reconcile(): Promise<ReconcileAnswer> {
    return { ok: true, cases: this.held };
  }
  async deliverStage(): Promise<never> {
    throw new Error('not in this bench');
  }
  async deliverFollowUp(): Promise<never> {
    throw new Error('not in this bench');
  }
  async lastSeq(): Promise<null> {
    return null;
  }
  endpoints() {
    return [];
  }
  isBlocked() {
    return true;
  }
  close() {}
}

describe(`reconciliation of one day with ${CASES} cases`, () => {
  let gw: TestGateway;
  afterAll(async () => gw?.close());

  it('runs and reports time and peak memory', async () => {
    // Drained: the dispatcher must not deliver the requeued rows while we measure.
    gw = await startTestGateway({ env: { DISPATCH_POLL_MS: '60000' } });
    await request(gw.url).post('/api/v1/ops/drain').set('Authorization', `Bearer ${OPERATOR_TOKEN}`).expect((r) => (r.status < 300 ? undefined : Promise.reject(new Error(String(r.status)))));
    const db = gw.db;
    const parties = gw.app.get((await import('#gw/common')).PersonalDataCipher).encryptJson({ applicants: [{ kind: 'ENTERPRISE', name: '某公司', certType: 'USCC', certNo: '91350100M000100Y43' }], agent: null });
    const held: PlatformHeldCase[] = [];
    const seedStart = Date.now();
    const CHUNK = 500;
    for (let i = 0; i < CASES; i += CHUNK) {
      const cases: Partial<CaseEntity>[] = [];
      const events: Partial<CaseEventEntity>[] = [];
      const outbox: Partial<OutboxEntity>[] = [];
      for (let j = i; j < Math.min(CASES, i + CHUNK); j++) {
        const id = randomUUID();
        const no = `SCJG-BENCH-${String(j).padStart(7, '0')}`;
        const projectNo = `P${String(j).padStart(12, '0')}`;
        const at = new Date(Date.parse(`${DATE}T08:00:00+08:00`) + (j % 36_000) * 1000);
        cases.push({ id, department: 'SCJG', sourceCaseNo: no, platformProjectNo: projectNo, online: false, matterCode: '11430626MB123456250000120001000', matterName: '企业设立登记', location: '430626101', currentStage: 'APPROVED', closed: false, openedAt: at, lastStageTime: at, closedAt: null, partiesEnc: parties, applicantIdHash: null, warnings: null, platformLastSeq: 2, createdAt: at, updatedAt: at });
        const stages: [string, number | null][] = [['ACCEPTED', null], ['REVIEWED', 1], ['APPROVED', 2]];
        stages.forEach(([stage, seq], k) => {
          const eventId = randomUUID();
          const t = new Date(at.getTime() + k * 60_000);
          events.push({ id: eventId, caseId: id, department: 'SCJG', sourceEventId: `${no}-${k}`, stage, stageName: stage, stageTime: t, sourceSeq: null, payloadEnc: 'x', warnings: null, inboundId: eventId, createdAt: t });
          outbox.push({ target: 'PLATFORM', kind: 'STAGE', caseId: id, eventId, refId: null, groupKey: null, orderTime: t, orderSeq: null, orderKey: orderKey(t, null), status: 'DONE', attempts: 1, nextAttemptAt: t, platformSeq: seq, createdAt: t, updatedAt: t, doneAt: t });
        });
        // 100 the platform lost, 100 whose last stage it lacks, the rest as delivered.
        if (j % 1000 !== 0) held.push({ projectNo, sourceCaseId: no, lastSeq: j % 1000 === 1 ? 1 : 2, closed: false });
      }
      // SQLite refuses a statement of more than 1,000 terms: 100 rows at a time.
      await db.transaction(async (em) => {
        for (let k = 0; k < cases.length; k += 100) await em.insert(CaseEntity, cases.slice(k, k + 100));
        for (let k = 0; k < events.length; k += 100) await em.insert(CaseEventEntity, events.slice(k, k + 100));
        for (let k = 0; k < outbox.length; k += 100) await em.insert(OutboxEntity, outbox.slice(k, k + 100));
      });
    }
    const seeded = Date.now() - seedStart;

    const service = new ReconciliationService(new ReconciliationRepository(db), new OutboxRepository(db), gw.app.get(AuditRepository), gw.app.get(Catalogue), () => new ListedPlatform(held));
    if (process.env.BENCH_PHASES) {
      const repo = new ReconciliationRepository(db);
      const from = new Date(Date.parse(`${DATE}T00:00:00+08:00`));
      const to = new Date(from.getTime() + 86_400_000);
      let t = Date.now();
      const filed = await repo.caseIdsFiledOn('SCJG', from, to);
      const phases: Record<string, number> = { filedOn: Date.now() - t };
      t = Date.now();
      await repo.caseIdsByProjectNo('SCJG', held.map((p) => p.projectNo));
      phases.byProjectNo = Date.now() - t;
      t = Date.now();
      await repo.caseIdsBySourceNo('SCJG', held.map((p) => p.sourceCaseId));
      phases.bySourceNo = Date.now() - t;
      t = Date.now();
      await repo.states(filed);
      phases.states = Date.now() - t;
      console.log(JSON.stringify({ phases }));
    }
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const t0 = Date.now();
    const result = await service.run(DATE, 'bench');
    const ms = Date.now() - t0;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const scjg = result.departments.find((d) => d.department === 'SCJG')!;
    console.log(
      JSON.stringify({ database: db.dialect, cases: CASES, seededMs: seeded, reconcileMs: ms, rssBeforeMiB: Math.round(rssBefore / 2 ** 20), rssPeakMiB: Math.round(peak / 2 ** 20), checked: scjg.checked, matching: scjg.matching, repaired: scjg.repaired, unexplained: scjg.unexplained }),
    );
    expect(scjg).toMatchObject({ checked: CASES, repaired: CASES / 500, unexplained: 0 });
    expect(ORG).toBe(scjg.orgCode);
  });
});
