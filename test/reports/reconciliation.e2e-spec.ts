import request from 'supertest';
import { AuditLogEntity } from '#gw/persistence';
import { ReconciliationRepository, ReconciliationSchedule, ReconciliationService } from '#gw/reports';
import { onlineApplication } from '../support/callbacks';
import { platformAdmin } from '../support/platform-admin';
import { postScjgEvent, scjgEvent } from '../support/scjg-events';
import { OPERATOR_TOKEN, TestGateway, startTestGateway } from '../support/test-gateway';
import { waitFor } from '../support/wait-for';

const DATE = '2026-11-20';
const SCJG_ORG = '11430626MB12345625';
const op = { Authorization: `Bearer ${OPERATOR_TOKEN}` };

/** SCJG's whole life of a case on DATE: 申报, 受理, 审查, 核准, 办结 with a licence. */
function lifecycle(bizNo: string) {
  const t = (h: number) => `${DATE}T${String(h).padStart(2, '0')}:00:00+08:00`;
  return [
    scjgEvent({ bizNo, status: 10, statusTime: t(8) }),
    scjgEvent({ bizNo, status: 20, statusTime: t(9) }),
    scjgEvent({ bizNo, status: 30, statusTime: t(10) }),
    scjgEvent({ bizNo, status: 40, statusTime: t(11) }),
    scjgEvent({ bizNo, status: 50, statusTime: t(12), result: { decision: 'APPROVED', licenseNo: `91430626MA4Q${bizNo.slice(-6)}` } }),
  ];
}

describe('reconciliation (对账) with the platform', () => {
  let gw: TestGateway;
  let admin: ReturnType<typeof platformAdmin>;
  const caseOf = async (bizNo: string) => (await request(gw.url).get('/api/v1/cases').set(op).query({ dept: 'scjg', deptCaseNo: bizNo }).expect(200)).body;
  const delivered = (bizNo: string) =>
    waitFor(`case ${bizNo} delivered`, async () => {
      const c = await caseOf(bizNo);
      return c.delivery.state === 'DELIVERED' && c.delivery.pending === 0 ? c : null;
    });

  beforeAll(async () => {
    gw = await startTestGateway();
    admin = platformAdmin(gw.platform);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('finds a case deleted from the platform and re-sends it, all stages in order; reports a case only the platform holds', async () => {
    for (const bizNo of ['SCJG-RECON-000001', 'SCJG-RECON-000002']) for (const e of lifecycle(bizNo)) await postScjgEvent(gw.url, e).expect(202);
    const lost = await delivered('SCJG-RECON-000001');
    await delivered('SCJG-RECON-000002');
    // The platform loses one case; and holds one the gateway never heard of (an application for a matter not in the catalogue).
    await admin.deleteCase(lost.platformProjectNo);
    const stranger = (await request(gw.platform.origin).post('/admin/online-applications').send({ ...onlineApplication('11430626MB123456259999999999999'), org_code: SCJG_ORG, apply_date: `${DATE} 15:00:00` }).expect(202)).body.projectNo;
    const callsBefore = (await admin.received({ source_case_id: 'SCJG-RECON-000001' })).length;

    const run = (await request(gw.url).post('/api/v1/reports/reconciliation/run').set(op).send({ date: DATE }).expect(200)).body;
    const scjg = run.departments.find((d: any) => d.department === 'SCJG');
    expect(scjg).toMatchObject({ orgCode: SCJG_ORG, checked: 3, matching: 1, repaired: 1, unexplained: 1, inProgress: 0, error: null });
    expect(scjg.repairedCases).toEqual([{ sourceCaseNo: 'SCJG-RECON-000001', projectNo: lost.platformProjectNo, kind: 'CASE', rows: 5 }]);
    expect(scjg.unexplainedCases).toEqual([{ projectNo: stranger, sourceCaseId: expect.stringMatching(/^online:/), reason: expect.stringContaining('网关无此办件') }]);
    expect(run.totals).toMatchObject({ repaired: 1, unexplained: 1 });
    // Departments with nothing that day were checked too.
    expect(run.departments.map((d: any) => d.department)).toEqual(expect.arrayContaining(['BDC', 'RSJ', 'SCJG', 'YBJ']));

    // Re-sent through the normal outbox: opened again, then every stage under seq 1, 2, 3, in order.
    const again = await delivered('SCJG-RECON-000001');
    expect(again.platformProjectNo).not.toBe(lost.platformProjectNo);
    const calls = (await admin.received({ source_case_id: 'SCJG-RECON-000001' })).slice(callsBefore).filter((c) => c.code === '0');
    expect(calls.map((c) => `${c.endpoint}${c.body?.seq ? ` ${c.body.seq}` : ''}${c.endpoint === 'accept' ? ` ${c.body.status}` : ''}`)).toEqual([
      'accept SUBMITTED',
      'accept ACCEPTED',
      'process 1',
      'process 2',
      'result 3',
      'licenses',
    ]);
    const onPlatform = (await admin.cases()).find((c) => c.projectNo === again.platformProjectNo);
    expect(onPlatform).toMatchObject({ sourceCaseId: 'SCJG-RECON-000001', businessDate: DATE, lastSeq: 3, closed: true });
    expect(onPlatform.accept).toMatchObject({ accept_date: `${DATE} 09:00:00`, promise_date: expect.any(String) });

    // The same result on GET; audited.
    const got = (await request(gw.url).get('/api/v1/reports/reconciliation').set(op).query({ date: DATE }).expect(200)).body;
    expect(got).toEqual(run);
    const audits = await gw.db.manager.find(AuditLogEntity, { where: { action: 'RECONCILIATION', targetId: `${DATE}/SCJG` } });
    expect(audits).toHaveLength(1);
    expect(JSON.parse(audits[0].detail!)).toMatchObject({ checked: 3, matching: 1, repaired: 1, unexplained: 1 });

    // Run again: now everything the gateway sent is there; the stranger is still unexplained.
    const second = (await request(gw.url).post('/api/v1/reports/reconciliation/run').set(op).send({ date: DATE }).expect(200)).body;
    expect(second.departments.find((d: any) => d.department === 'SCJG')).toMatchObject({ checked: 3, matching: 2, repaired: 0, unexplained: 1 });
  });

  it('re-sends only the stages the platform lacks when it has the case but not its last ones', async () => {
    const bizNo = 'SCJG-RECON-000003';
    for (const e of lifecycle(bizNo)) await postScjgEvent(gw.url, e).expect(202);
    const c = await delivered(bizNo);
    // The platform "lost" seq 2 and 3 (the last two stages): the simulator keeps its state in memory.
    const sim = await admin.cases();
    const held = sim.find((k) => k.projectNo === c.platformProjectNo);
    expect(held.lastSeq).toBe(3);
    const state = gw.platform.app.get((await import('#gw/simulator')).SimulatorState);
    const live = state.findCase(c.platformProjectNo)!;
    live.events = live.events.filter((e) => e.seq < 2);
    live.lastSeq = 1;
    live.closed = false;

    const run = (await request(gw.url).post('/api/v1/reports/reconciliation/run').set(op).send({ date: DATE }).expect(200)).body;
    const scjg = run.departments.find((d: any) => d.department === 'SCJG');
    expect(scjg.repairedCases).toEqual([{ sourceCaseNo: bizNo, projectNo: c.platformProjectNo, kind: 'STAGES', afterSeq: 1, rows: 2 }]);
    await waitFor('the two stages back on the platform', async () => state.findCase(c.platformProjectNo)?.lastSeq === 3);
    expect(state.findCase(c.platformProjectNo)).toMatchObject({ closed: true });
    expect(state.findCase(c.platformProjectNo)!.events.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('the daily job runs once per day across instances: the one that takes the lease does it, another skips', async () => {
    const service = gw.app.get(ReconciliationService);
    const repo = gw.app.get(ReconciliationRepository);
    const one = new ReconciliationSchedule(service, repo, { hour: 2, minute: 30 });
    const two = new ReconciliationSchedule(service, repo, { hour: 2, minute: 30 });
    const now = Date.parse('2026-11-21T02:30:00+08:00');
    const [a, b] = await Promise.all([one.runOnce(now), two.runOnce(now)]);
    expect([a, b].sort()).toEqual([false, true]);
    expect(await one.runOnce(now)).toBe(false);
    const scheduled = (await request(gw.url).get('/api/v1/reports/reconciliation').set(op).query({ date: DATE }).expect(200)).body;
    expect(scheduled.departments.find((d: any) => d.department === 'SCJG').runBy).toBe('schedule');
  });

  it('refuses a malformed date', async () => {
    const r = await request(gw.url).post('/api/v1/reports/reconciliation/run').set(op).send({ date: '2026-02-30' }).expect(400);
    expect(r.body.code).toBe('BAD_REQUEST');
  });
});
