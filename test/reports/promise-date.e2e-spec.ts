import { postScjgEvent, scjgEvent } from '../support/scjg-events';
import { platformAdmin } from '../support/platform-admin';
import { startTestGateway, TestGateway } from '../support/test-gateway';
import { waitFor } from '../support/wait-for';

describe('promise_date is the due date on the working-day calendar', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('企业设立登记 (3 working days) accepted on 2026-09-30 is promised for 2026-10-10, over National Day', async () => {
    await postScjgEvent(gw.url, scjgEvent({ bizNo: 'SCJG-2026-PD0001', status: 20, statusTime: '2026-09-30T10:00:00+08:00' })).expect(202);
    const accept = await waitFor('the accept on the platform', async () => {
      const calls = await platformAdmin(gw.platform).received();
      return calls.find((c) => c.body?.source_case_id === 'SCJG-2026-PD0001');
    });
    expect(accept.body.accept_date).toBe('2026-09-30 10:00:00');
    expect(accept.body.promise_date).toBe('2026-10-10 23:59:59');
  });

  it('a case opened by 申报 repeats the accept at 受理: the platform receives accept_date and promise_date under the same project_no', async () => {
    const bizNo = 'SCJG-2026-PD0002';
    await postScjgEvent(gw.url, scjgEvent({ bizNo, status: 10, statusTime: '2026-09-29T16:00:00+08:00' })).expect(202);
    await postScjgEvent(gw.url, scjgEvent({ bizNo, status: 20, statusTime: '2026-09-30T10:00:00+08:00' })).expect(202);
    await postScjgEvent(gw.url, scjgEvent({ bizNo, status: 30, statusTime: '2026-10-09T10:00:00+08:00' })).expect(202);
    const admin = platformAdmin(gw.platform);
    const calls = await waitFor('the accept, the acceptance and the review on the platform', async () => {
      const received = (await admin.received({ source_case_id: bizNo })).filter((c) => c.code === '0');
      return received.length >= 3 ? received : null;
    });
    expect(calls.map((c) => c.endpoint)).toEqual(['accept', 'accept', 'process']);
    const [submitted, accepted, reviewed] = calls;
    expect(submitted.body).toMatchObject({ status: 'SUBMITTED', apply_date: '2026-09-29 16:00:00' });
    expect(submitted.body.accept_date).toBeUndefined();
    expect(accepted.body).toMatchObject({ status: 'ACCEPTED', accept_date: '2026-09-30 10:00:00', promise_date: '2026-10-10 23:59:59' });
    expect(accepted.projectNo).toBe(submitted.projectNo);
    // The review is the case's first seq'd step; the platform holds the case as accepted on the 30th.
    expect(reviewed.body).toMatchObject({ seq: 1, event_name: 'REVIEWED' });
    const simCase = (await admin.cases()).find((c) => c.projectNo === submitted.projectNo);
    expect(simCase).toMatchObject({ businessDate: '2026-09-30', lastSeq: 1 });
    expect(simCase.accept).toMatchObject({ status: 'ACCEPTED', promise_date: '2026-10-10 23:59:59' });
  });
});
