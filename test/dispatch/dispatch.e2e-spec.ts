import request from 'supertest';
import { ForegroundWork } from '#gw/common';
import { OPERATOR_TOKEN, TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';
import { platformAdmin } from '../support/platform-admin';
import { scjgEvent } from '../support/scjg-events';
import { waitFor } from '../support/wait-for';

/** A case's life as SCJG reports it: 申报, 受理, 审查, 核准, 办结. */
function lifecycle(bizNo: string, day = 23) {
  const t = (h: number) => `2026-10-${day}T${String(h).padStart(2, '0')}:00:00+08:00`;
  return [
    scjgEvent({ bizNo, status: 10, statusTime: t(8) }),
    scjgEvent({ bizNo, status: 20, statusTime: t(9) }),
    scjgEvent({ bizNo, status: 30, statusTime: t(10) }),
    scjgEvent({ bizNo, status: 40, statusTime: t(11) }),
    scjgEvent({ bizNo, status: 50, statusTime: t(12), result: { decision: 'APPROVED', licenseNo: `91430626MA4Q${bizNo.slice(-6)}` } }),
  ];
}

describe('delivery to the city platform', () => {
  let gw: TestGateway;
  let admin: ReturnType<typeof platformAdmin>;
  const post = (body: unknown) =>
    request(gw.url).post('/api/v1/departments/scjg/events').set('Authorization', `Bearer ${TOKENS.SCJG}`).set('Content-Type', 'application/json').send(JSON.stringify(body));
  const op = () => ({ Authorization: `Bearer ${OPERATOR_TOKEN}` });
  const caseOf = async (bizNo: string) => (await request(gw.url).get('/api/v1/cases').set(op()).query({ dept: 'scjg', deptCaseNo: bizNo }).expect(200)).body;
  const delivered = (bizNo: string) => waitFor(`case ${bizNo} delivered`, async () => {
    const c = await caseOf(bizNo);
    return c.delivery.state === 'DELIVERED' && c.delivery.pending === 0 ? c : null;
  }, 30000);

  beforeAll(async () => {
    gw = await startTestGateway({ env: { BREAKER_RESET_MS: '1500', PLATFORM_TIMEOUT_MS: '1000' } });
    admin = platformAdmin(gw.platform);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('delivers every stage once, accept first and then seq 1, 2, 3 … in stage order, cases in parallel', async () => {
    const cases = Array.from({ length: 12 }, (_, i) => `SCJG-ORDER-${String(i).padStart(6, '0')}`);
    // Each case's stages are posted in order, but all cases at once, and every event twice.
    await Promise.all(
      cases.map(async (bizNo) => {
        for (const e of lifecycle(bizNo)) {
          expect([202]).toContain((await post(e)).status);
          expect((await post(e)).status).toBe(200);
        }
      }),
    );
    for (const bizNo of cases) {
      const c = await delivered(bizNo);
      const accepts = (await admin.received({ source_case_id: bizNo, endpoint: 'accept' })).filter((x) => x.code === '0');
      // 申报 opens the case, 受理 repeats the accept (same project_no) with accept_date and promise_date.
      expect(accepts.length).toBeGreaterThanOrEqual(2);
      expect(accepts.map((a) => a.body.status)).toEqual(['SUBMITTED', 'ACCEPTED']);
      expect(new Set(accepts.map((a) => a.projectNo))).toEqual(new Set([c.platformProjectNo]));
      expect(new Set(accepts.map((a) => a.body.source_case_id))).toEqual(new Set([bizNo]));
      const seqCalls = (await admin.received({ project_no: c.platformProjectNo })).filter((x) => ['process', 'special', 'result'].includes(x.endpoint));
      const simCase = (await admin.cases()).find((k) => k.projectNo === c.platformProjectNo);
      // The platform holds seq 1..n exactly once each, in stage order, and the case is closed.
      expect(simCase.events.map((e: any) => e.seq)).toEqual([1, 2, 3]);
      expect(simCase.events.map((e: any) => e.content.event_name ?? 'RESULT')).toEqual(['REVIEWED', 'APPROVED', 'RESULT']);
      expect(simCase.accept).toMatchObject({ status: 'ACCEPTED', accept_date: '2026-10-23 09:00:00', promise_date: expect.any(String) });
      expect(simCase.closed).toBe(true);
      // Sent in order, each once: no stage N+1 before N was acknowledged.
      expect(seqCalls.map((x) => [x.body.seq, x.code])).toEqual([[1, '0'], [2, '0'], [3, '0']]);
      expect(c.stages.map((s: any) => s.delivery.status)).toEqual(['DONE', 'DONE', 'DONE', 'DONE', 'DONE']);
    }
  });

  it('claims nothing new while this process stores a batch file, and delivers as soon as the file is stored', async () => {
    const bizNo = 'SCJG-YIELD-000001';
    const status = async () => (await request(gw.url).get('/api/v1/delivery/status').set(op()).expect(200)).body.dispatcher;
    // What BatchIngestService does while a file's rows are stored.
    const endBatch = gw.app.get(ForegroundWork).begin();
    try {
      await post(lifecycle(bizNo)[0]).expect(202);
      expect((await status()).yielding).toBe(true);
      // Longer than a poll (1 s) after the wake-up the stored event sent: still nothing claimed.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await admin.received({ source_case_id: bizNo })).toEqual([]);
      expect((await caseOf(bizNo)).delivery.state).not.toBe('DELIVERED');
    } finally {
      endBatch();
    }
    await delivered(bizNo);
    expect((await status()).yielding).toBe(false);
  });

  it('recovers from a 3001 sequence gap', async () => {
    const bizNo = 'SCJG-GAP-000001';
    const [submitted, accepted, reviewed, approved] = lifecycle(bizNo);
    await post(submitted).expect(202);
    const opened = await delivered(bizNo);
    await admin.setFaults({ businessCodes: [{ code: '3001', projectNo: opened.platformProjectNo, endpoint: 'process', times: 2 }] });
    await post(accepted).expect(202);
    await post(reviewed).expect(202);
    await post(approved).expect(202);
    const c = await delivered(bizNo);
    expect(c.stages[2].delivery.history.map((h: any) => h.businessCode)).toContain('3001');
    const simCase = (await admin.cases()).find((k) => k.projectNo === c.platformProjectNo);
    expect(simCase.events.map((e: any) => e.seq)).toEqual([1, 2]);
    await admin.clearFaults();
  });

  it('parks a 2001 refusal with the platform\'s reason, holds the case behind it, and delivers after a rerun', async () => {
    const bizNo = 'SCJG-PARK-000001';
    const [submitted, accepted, reviewed] = lifecycle(bizNo);
    await admin.setFaults({ businessCodes: [{ code: '2001', sourceCaseId: bizNo, endpoint: 'accept' }] });
    await post(submitted).expect(202);
    await post(accepted).expect(202);
    await post(reviewed).expect(202);
    const parked = await waitFor('parked message', async () => {
      const r = await request(gw.url).get('/api/v1/parked').set(op()).query({ dept: 'scjg', code: '2001' }).expect(200);
      return r.body.items.find((i: any) => i.sourceCaseNo === bizNo);
    });
    expect(parked).toMatchObject({ code: '2001', department: 'SCJG', stage: 'SUBMITTED', reason: expect.stringContaining('字段校验失败') });
    // Nothing behind it leaves while it is parked.
    await new Promise((r) => setTimeout(r, 600));
    let c = await caseOf(bizNo);
    expect(c.delivery).toMatchObject({ state: 'PARKED', parked: 1, pending: 2 });
    expect(c.platformProjectNo).toBeNull();

    await request(gw.url).get('/api/v1/parked').expect(401);
    await admin.clearFaults();
    const rerun = await request(gw.url).post(`/api/v1/parked/${parked.id}/rerun`).set(op()).expect(200);
    expect(rerun.body).toEqual({ rerun: 1, ids: [parked.id] });
    c = await delivered(bizNo);
    expect(c.stages.map((s: any) => s.delivery.status)).toEqual(['DONE', 'DONE', 'DONE']);
    const audit = await gw.db.manager.query(`SELECT action, target_id FROM audit_log WHERE action = 'PARKED_RERUN'`);
    expect(audit.map((a: any) => String(a.target_id))).toContain(parked.id);
  });

  it('opens the breaker during a platform outage (no calls while open), keeps ingesting, and drains after recovery', async () => {
    await admin.setFaults({ outage: '503' });
    const cases = Array.from({ length: 5 }, (_, i) => `SCJG-OUTAGE-${String(i).padStart(6, '0')}`);
    for (const bizNo of cases) await post(lifecycle(bizNo)[0]).expect(202);
    await waitFor('breaker open', async () => {
      const s = (await request(gw.url).get('/api/v1/delivery/status').set(op()).expect(200)).body;
      return s.platform.some((e: any) => e.state === 'OPEN') && s.dispatcher.blocked;
    });
    const before = (await admin.stats()).total;
    // While open: ingest still answers 202, and the platform sees no calls.
    for (const bizNo of cases) await post(lifecycle(bizNo)[1]).expect(202);
    await new Promise((r) => setTimeout(r, 800));
    expect((await admin.stats()).total).toBe(before);

    await admin.clearFaults();
    for (const bizNo of cases) {
      const c = await delivered(bizNo);
      expect(c.stages.map((s: any) => s.stage)).toEqual(['SUBMITTED', 'ACCEPTED']);
    }
    const status = (await request(gw.url).get('/api/v1/delivery/status').set(op()).expect(200)).body;
    expect(status.platform.every((e: any) => e.state === 'CLOSED')).toBe(true);
    expect(status.outbox).toMatchObject({ pending: 0, inFlight: 0 });
  });

  it('says the result was handed over (is_delivery_results 1) when 领照 came before the result went out, 0 when it came after', async () => {
    const resultOf = async (bizNo: string) => {
      const calls = await admin.received({ endpoint: 'result', source_case_id: bizNo });
      return calls.length ? calls[calls.length - 1].body : null;
    };
    // Drained: nothing goes out while the department reports 办结 and then 领照 at the counter.
    await request(gw.url).post('/api/v1/ops/drain').set(op()).expect(200);
    const early = 'SCJG-HANDED-000001';
    for (const e of lifecycle(early)) await post(e).expect(202);
    await post(scjgEvent({ bizNo: early, status: 60, statusTime: '2026-10-23T12:30:00+08:00' })).expect(202);
    await request(gw.url).delete('/api/v1/ops/drain').set(op()).expect(200);
    const handed = await waitFor('result of the early case', () => resultOf(early), 30000);
    expect(handed).toMatchObject({ result_type: 0, is_delivery_results: 1 });

    // 领照 after the result reached the platform: the result said 0, and 领照 stays at the gateway.
    const late = 'SCJG-HANDED-000002';
    for (const e of lifecycle(late)) await post(e).expect(202);
    await delivered(late);
    expect(await resultOf(late)).toMatchObject({ is_delivery_results: 0 });
    await post(scjgEvent({ bizNo: late, status: 60, statusTime: '2026-10-23T13:00:00+08:00' })).expect(202);
    const c = await delivered(late);
    expect(c.stages.map((s: any) => s.stage)).toContain('DELIVERED');
  });
});
