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
});
