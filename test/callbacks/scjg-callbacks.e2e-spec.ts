import request from 'supertest';
import { startDepartmentSimulators } from '#gw/dept-simulators';
import { PlatformCallbackEntity } from '#gw/persistence';
import { OPERATOR_TOKEN, TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';
import { platformAdmin } from '../support/platform-admin';
import { onlineApplication, postCallback } from '../support/callbacks';
import { scjgEvent } from '../support/scjg-events';
import { waitFor } from '../support/wait-for';

const SETUP = '11430626MB123456250000120001000';
const GAJ_MATTER = '11430626MB5678902L0000110001000';

describe('platform callbacks to SCJG (JSON webhook)', () => {
  let gw: TestGateway;
  let sims: Awaited<ReturnType<typeof startDepartmentSimulators>>;
  const op = { Authorization: `Bearer ${OPERATOR_TOKEN}` };
  const postEvent = (body: unknown) =>
    request(gw.url).post('/api/v1/departments/scjg/events').set('Authorization', `Bearer ${TOKENS.SCJG}`).set('Content-Type', 'application/json').send(JSON.stringify(body));

  beforeAll(async () => {
    sims = await startDepartmentSimulators({});
    gw = await startTestGateway({ env: { DEPT_SCJG_URL: sims.scjg.url, BREAKER_RESET_MS: '1000' } });
  });
  afterAll(async () => {
    await gw?.close();
    await sims?.close();
  });

  it('routes an online application to SCJG, then reports SCJG\'s stages under the same project_no with seq 1, 2, 3', async () => {
    const admin = platformAdmin(gw.platform);
    const { projectNo } = (await request(gw.platform.origin).post('/admin/online-applications').send(onlineApplication(SETUP)).expect(202)).body;
    const got = await waitFor('SCJG webhook to receive the application', async () => sims.scjg.received().find((r: any) => r.projectNo === projectNo && r.accepted));
    expect(got.parsed).toMatchObject({ type: 'ONLINE_APPLICATION', platformNo: projectNo, itemCode: SETUP, applicant: { type: 'ENTERPRISE', uscc: '91330102MA28NBU477' } });
    const bizNo = await waitFor('the department case number recorded', async () => {
      const list = (await request(gw.url).get('/api/v1/callbacks').set(op).query({ type: 'ONLINE_APPLICATION' }).expect(200)).body.items;
      return list.find((c: any) => c.projectNo === projectNo)?.departmentCaseNo;
    });
    expect(bizNo).toMatch(/^SCJG-\d{4}-\d{6}$/);

    // SCJG handles it and reports its stages carrying the platform's number.
    const t = (h: number) => `2026-11-02T${String(h).padStart(2, '0')}:00:00+08:00`;
    await postEvent(scjgEvent({ bizNo, platformNo: projectNo, status: 20, statusTime: t(9) })).expect(202);
    await postEvent(scjgEvent({ bizNo, platformNo: projectNo, status: 30, statusTime: t(10) })).expect(202);
    await postEvent(scjgEvent({ bizNo, platformNo: projectNo, status: 50, statusTime: t(11), result: { decision: 'APPROVED', licenseNo: '91430626MA4Q000001' } })).expect(202);
    await waitFor('the three stages on the platform', async () => (await admin.cases()).find((c) => c.projectNo === projectNo)?.events.length === 3);
    const simCase = (await admin.cases()).find((c) => c.projectNo === projectNo);
    expect(simCase.events.map((e: any) => e.seq)).toEqual([1, 2, 3]);
    expect(simCase.closed).toBe(true);
    expect(await admin.received({ source_case_id: bizNo, endpoint: 'accept' })).toEqual([]);
    const c = (await request(gw.url).get('/api/v1/cases').set(op).query({ projectNo }).expect(200)).body;
    expect(c).toMatchObject({ online: true, sourceCaseNo: bizNo, platformProjectNo: projectNo });

    // An urging for that case reaches the same department, with its own case number.
    const message = '请加快办理，代理人钱七（13900000000）已来电';
    const urge = postCallback(gw.url, { callback_id: `urge-${projectNo}`, type: 'URGE', occurred_at: '2026-11-03 09:00:00', data: { project_no: projectNo, message, deadline: '2026-11-05 17:00:00' } });
    expect((await urge.response.expect(200)).body).toEqual({ code: '0', msg: expect.any(String) });
    const urged = await waitFor('the urging at SCJG', async () => sims.scjg.received().find((r: any) => r.parsed?.type === 'URGE' && r.projectNo === projectNo));
    expect(urged.parsed).toMatchObject({ bizNo, itemCode: SETUP, message });
    // The operators' list shows the urging's message and deadline, personal data masked.
    const listed = (await request(gw.url).get('/api/v1/callbacks').set(op).query({ type: 'URGE' }).expect(200)).body.items.find((i: any) => i.callbackId === `urge-${projectNo}`);
    expect(listed).toMatchObject({ status: 'ROUTED', waitsForOperator: false, urging: { message: '请加快办理，代理人钱*（139****0000）已来电', deadline: '2026-11-05 17:00:00' } });
  });

  it('refuses a forged signature, a stale timestamp and a replayed nonce, delivering none', async () => {
    const body = (id: string) => ({ callback_id: id, type: 'ONLINE_APPLICATION', occurred_at: '2026-11-03 09:00:00', data: { ...onlineApplication(SETUP), project_no: `${SETUP}202611030999` } });
    const forged = await postCallback(gw.url, body('forged-1'), { secret: 'not-the-platform-secret' }).response.expect(200);
    expect(forged.body.code).toBe('1001');
    const stale = await postCallback(gw.url, body('stale-1'), { now: Date.now() - 301_000 }).response.expect(200);
    expect(stale.body.code).toBe('1002');
    const first = postCallback(gw.url, body('nonce-1'));
    expect((await first.response.expect(200)).body.code).toBe('0');
    const replay = await postCallback(gw.url, body('nonce-2'), { headers: first.headers }).response.expect(200);
    expect(replay.body.code).toMatch(/^100[13]$/);
    const sameNonce = postCallback(gw.url, body('nonce-3'), { nonce: first.headers['X-Nonce'] });
    expect((await sameNonce.response.expect(200)).body.code).toBe('1003');

    const stored = await gw.db.manager.find(PlatformCallbackEntity);
    const ids = stored.map((s) => s.callbackId);
    expect(ids).toContain('nonce-1');
    expect(ids).not.toEqual(expect.arrayContaining(['forged-1']));
    expect(ids).not.toContain('stale-1');
    expect(ids).not.toContain('nonce-3');
    await new Promise((r) => setTimeout(r, 300));
    expect(sims.scjg.received().filter((r: any) => r.parsed?.callbackId === 'forged-1' || r.parsed?.callbackId === 'stale-1' || r.parsed?.callbackId === 'nonce-3')).toEqual([]);
  });

  it('answers a repeated callback_id the same way and delivers it once', async () => {
    const body = { callback_id: 'dup-1', type: 'ONLINE_APPLICATION', occurred_at: '2026-11-03 10:00:00', data: { ...onlineApplication(SETUP), project_no: `${SETUP}202611030777` } };
    const answers = await Promise.all([1, 2, 3].map(() => postCallback(gw.url, body).response));
    expect(answers.map((a) => a.body.code)).toEqual(['0', '0', '0']);
    await waitFor('delivery', async () => sims.scjg.received().some((r: any) => r.parsed?.callbackId === 'dup-1'));
    await new Promise((r) => setTimeout(r, 500));
    expect(sims.scjg.received().filter((r: any) => r.parsed?.callbackId === 'dup-1')).toHaveLength(1);
  });

  it('answers 0 to what it stored but cannot route (unknown matter or project, classified matter): kept for operators, not retried by the platform; stores evaluations', async () => {
    const unknown = await postCallback(gw.url, { callback_id: 'unknown-1', type: 'ONLINE_APPLICATION', occurred_at: '2026-11-03 10:00:00', data: { ...onlineApplication('11430626MB123456259999999999999'), project_no: 'P-UNKNOWN-1' } }).response.expect(200);
    expect(unknown.body).toEqual({ code: '0', msg: expect.stringContaining('[UNKNOWN_MATTER]') });
    const classified = await postCallback(gw.url, { callback_id: 'gaj-1', type: 'ONLINE_APPLICATION', occurred_at: '2026-11-03 10:00:00', data: { ...onlineApplication(GAJ_MATTER), applyer_type: 1, applyer_page_code: '430626198503120040', project_no: 'P-GAJ-1' } }).response.expect(200);
    expect(classified.body).toEqual({ code: '0', msg: expect.stringContaining('[RESTRICTED_MATTER]') });
    const urgeUnknown = await postCallback(gw.url, { callback_id: 'urge-unknown-1', type: 'URGE', occurred_at: '2026-11-03 10:00:00', data: { project_no: 'P-NOWHERE-1', message: '请于期限内办结 430626198503120040', deadline: '2026-11-06 17:00:00' } }).response.expect(200);
    expect(urgeUnknown.body).toEqual({ code: '0', msg: expect.stringContaining('[UNKNOWN_PROJECT]') });
    const rows = await gw.db.manager.find(PlatformCallbackEntity, { where: [{ callbackId: 'unknown-1' }, { callbackId: 'gaj-1' }] });
    expect(rows.find((r) => r.callbackId === 'unknown-1')).toMatchObject({ status: 'UNROUTABLE', answerCode: '0' });
    expect(rows.find((r) => r.callbackId === 'gaj-1')).toMatchObject({ status: 'REFUSED', dataEnc: null });
    // Waiting for an operator, with the reason and (for an urging) its masked message and deadline.
    const waiting = (await request(gw.url).get('/api/v1/callbacks').set(op).query({ status: 'unroutable' }).expect(200)).body.items;
    expect(waiting.map((i: any) => [i.callbackId, i.status, i.reason, i.waitsForOperator])).toEqual(
      expect.arrayContaining([
        ['unknown-1', 'UNROUTABLE', 'UNKNOWN_MATTER', true],
        ['urge-unknown-1', 'UNROUTABLE', 'UNKNOWN_PROJECT', true],
      ]),
    );
    expect(waiting.every((i: any) => i.status === 'UNROUTABLE')).toBe(true);
    expect(waiting.find((i: any) => i.callbackId === 'urge-unknown-1').urging).toEqual({ message: '请于期限内办结 4306**********0040', deadline: '2026-11-06 17:00:00' });
    // From the platform itself: delivered at the first attempt, nothing left for it to retry.
    await request(gw.platform.origin).post('/admin/online-applications').send({ ...onlineApplication('11430626MB123456259999999999998'), callback_id: 'unknown-via-platform' }).expect(202);
    const delivery = await waitFor('the platform to finish the callback', async () =>
      ((await request(gw.platform.origin).get('/admin/callbacks').expect(200)).body as any[]).find((d) => d.callbackId === 'unknown-via-platform' && d.status !== 'PENDING'),
    );
    expect(delivery).toMatchObject({ status: 'DELIVERED', attempts: [expect.anything()] });

    const evaluation = await postCallback(gw.url, { callback_id: 'eval-1', type: 'EVALUATION', occurred_at: '2026-11-03 11:00:00', data: { project_no: 'P-ANY', level: 5, channel: 'APP', evaluated_at: '2026-11-03 11:00:00' } }).response.expect(200);
    expect(evaluation.body.code).toBe('0');
    const sat = (await request(gw.url).get('/api/v1/callbacks/satisfaction').set(op).expect(200)).body;
    expect(sat.items.reduce((n: number, i: any) => n + i.count, 0)).toBeGreaterThanOrEqual(1);
  });

  it('holds deliveries behind SCJG\'s breaker while its system is down and delivers them once it is back', async () => {
    await sims.scjg.setFaults({ down: true });
    const ids = ['down-1', 'down-2', 'down-3', 'down-4', 'down-5', 'down-6'];
    for (const [i, id] of ids.entries()) {
      const r = await postCallback(gw.url, { callback_id: id, type: 'ONLINE_APPLICATION', occurred_at: '2026-11-03 12:00:00', data: { ...onlineApplication(SETUP), project_no: `${SETUP}20261103${String(5000 + i)}` } }).response.expect(200);
      expect(r.body.code).toBe('0');
    }
    await new Promise((r) => setTimeout(r, 1500));
    await sims.scjg.setFaults({});
    await waitFor('all six delivered after recovery', async () => ids.every((id) => sims.scjg.received().some((r: any) => r.parsed?.callbackId === id && r.accepted)), 30000);
    for (const id of ids) expect(sims.scjg.received().filter((r: any) => r.parsed?.callbackId === id && r.accepted)).toHaveLength(1);
  });
});
