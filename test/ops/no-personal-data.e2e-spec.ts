import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { OPERATOR_TOKEN, TOKENS, TestGateway } from '../support/test-gateway';
import { signIn } from '../support/operators';
import { platformAdmin } from '../support/platform-admin';
import { onlineApplication, postCallback } from '../support/callbacks';
import { scjgEvent } from '../support/scjg-events';
import { waitFor } from '../support/wait-for';
import { ARTIFACTS, startLoggedGateway } from './logged-gateway';

jest.setTimeout(60_000);

/** The raw personal data the flow sends: none of it may appear unmasked anywhere an operator looks. */
const RAW = {
  idNumber: '430626200107081238',
  badIdNumber: '430626200107081239',
  mobile: '13900000000',
  name: '钱七',
};

describe('no unmasked ID or phone number in pages, API answers or logs after an end-to-end flow', () => {
  let gw: TestGateway;
  const logFile = join(ARTIFACTS, 'logs', `no-personal-data-${process.pid}-${Date.now()}.log`);
  const seen: { where: string; text: string }[] = [];
  const keep = (where: string, res: request.Response) => {
    seen.push({ where, text: `${JSON.stringify(res.headers)}\n${res.text ?? ''}` });
    return res;
  };
  const post = (body: string) =>
    request(gw.url)
      .post('/api/v1/departments/scjg/events')
      .set('Authorization', `Bearer ${TOKENS.SCJG}`)
      .set('Content-Type', 'application/json')
      .send(body);

  beforeAll(async () => {
    gw = await startLoggedGateway({
      logFile,
      env: { GATEWAY_ADMIN_USER: 'pii-admin', GATEWAY_ADMIN_PASSWORD: 'Secure-pass-2026!' },
    });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('runs the flow and finds none of the raw values', async () => {
    // Separate duties: the admin makes an operator (who does the work) and an auditor (who reads the log).
    const admin = await signIn(gw.url, 'pii-admin', 'Secure-pass-2026!');
    for (const [username, role] of [
      ['pii-op', 'operator'],
      ['pii-audit', 'auditor'],
    ])
      await request(gw.url).post('/api/v1/ops/operators').set('Cookie', admin).send({ username, role, password: 'Secure-duty-2026!' }).expect(201);
    const auditor = await signIn(gw.url, 'pii-audit', 'Secure-duty-2026!');
    const login = keep(
      'login',
      await request(gw.url)
        .post('/api/v1/auth/login')
        .send({ username: 'pii-op', password: 'Secure-duty-2026!' })
        .expect(200),
    );
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    const get = async (path: string, query: Record<string, string> = {}) =>
      keep(`GET ${path}`, await request(gw.url).get(path).query(query).set('Cookie', cookie));
    const sim = platformAdmin(gw.platform);

    // Accepted: the SCJG example, with the agent's ID number and mobile.
    const accepted = keep('accepted', await post(JSON.stringify(scjgEvent({ bizNo: 'SCJG-PII-000001' }))).expect(202));
    // 422: a wrong check digit in the ID number.
    keep(
      '422',
      await post(
        JSON.stringify(
          scjgEvent({ bizNo: 'SCJG-PII-000002', agent: { name: RAW.name, idNo: RAW.badIdNumber, mobile: RAW.mobile } }),
        ),
      ).expect(422),
    );
    // 400: not JSON, quoting the ID number and the phone in the broken text.
    keep('400', await post(`{"agent": {"idNo": "${RAW.idNumber}", "mobile": "${RAW.mobile}"`).expect(400));
    // Parked: the platform refuses the accept (2001), an operator reruns it after the fix.
    await sim.setFaults({ businessCodes: [{ code: '2001', sourceCaseId: 'SCJG-PII-PARK01', endpoint: 'accept' }] });
    keep('to park', await post(JSON.stringify(scjgEvent({ bizNo: 'SCJG-PII-PARK01' }))).expect(202));
    const parked = await waitFor('parked', async () =>
      (await get('/api/v1/parked')).body.items?.find((i: any) => i.sourceCaseNo === 'SCJG-PII-PARK01'),
    );
    await sim.clearFaults();
    keep('rerun', await request(gw.url).post(`/api/v1/parked/${parked.id}/rerun`).set('Cookie', cookie).expect(200));
    await waitFor(
      'delivered after rerun',
      async () =>
        (await get('/api/v1/ops/cases', { q: 'SCJG-PII-PARK01' })).body.items?.[0]?.delivery.state === 'DELIVERED',
    );
    await waitFor(
      'first case delivered',
      async () => (await get(`/api/v1/cases/${accepted.body.caseId}`)).body.delivery?.state === 'DELIVERED',
    );

    // A platform callback carrying an online application with the applicant's contact mobile.
    const application = {
      callback_id: 'pii-online-1',
      type: 'ONLINE_APPLICATION',
      occurred_at: '2026-11-03 09:00:00',
      data: {
        project_no: 'PII-ONLINE-000001',
        ...onlineApplication('11430626MB123456250000120001000'),
        contact_mobile: RAW.mobile,
        contact_name: RAW.name,
      },
    };
    keep('callback', await postCallback(gw.url, application).response.expect(200));

    // Quarantine list and replay (the 422 fails again: the data is still wrong).
    const q = await get('/api/v1/quarantine');
    if (q.status === 200 && q.body.items?.length) {
      keep(
        'replay',
        await request(gw.url).post(`/api/v1/quarantine/${q.body.items[0].id}/replay`).set('Cookie', cookie),
      );
    }

    // Everything an operator or a monitoring system reads.
    for (const path of [
      '/dashboard/',
      '/dashboard/app.js',
      '/dashboard/style.css',
      '/api/v1/ops/overview',
      '/api/v1/ops/series',
      '/api/v1/parked',
      '/api/v1/quarantine',
      '/api/v1/auth/me',
      '/health/ready',
      '/metrics',
    ]) {
      expect((await get(path)).status).toBeLessThan(500);
    }
    expect(keep('GET /api/v1/ops/audit', await request(gw.url).get('/api/v1/ops/audit').set('Cookie', auditor)).status).toBe(200);
    await get('/api/v1/ops/cases', { q: 'SCJG-PII-000001' });
    // An operator who types an ID number or a phone into the search box: not found, and not logged in clear.
    await get('/api/v1/ops/cases', { q: RAW.idNumber });
    await get('/api/v1/ops/cases', { q: RAW.mobile });
    await get('/api/v1/cases', { dept: 'scjg', deptCaseNo: 'SCJG-PII-000001' });
    keep(
      'status',
      await request(gw.url).get('/api/v1/delivery/status').set('Authorization', `Bearer ${OPERATOR_TOKEN}`),
    );
    const c = (await get('/api/v1/ops/cases', { q: 'SCJG-PII-000001' })).body.items[0];
    // Masked, not absent: the operator still sees whose case it is.
    expect(c.agent).toMatchObject({ name: '钱*', certNo: '4306**********1238', phone: '139****0000' });

    const problems: string[] = [];
    for (const s of seen)
      for (const [what, raw] of Object.entries(RAW)) if (s.text.includes(raw)) problems.push(`${what} in ${s.where}`);
    expect(problems).toEqual([]);
  });

  it('writes no raw value to the log file either', async () => {
    await gw.close();
    gw = undefined as unknown as TestGateway;
    const log = readFileSync(logFile, 'utf8');
    // The log is real: requests, the parking and the operator's rerun are in it.
    expect(log).toContain('/api/v1/departments/scjg/events');
    expect(log).toMatch(/parked/);
    expect(log.split('\n').filter(Boolean).length).toBeGreaterThan(10);
    const problems = Object.entries(RAW)
      .filter(([, raw]) => log.includes(raw))
      .map(
        ([what, raw]) =>
          `${what}: ${log
            .split('\n')
            .find((l) => l.includes(raw))
            ?.slice(0, 300)}`,
      );
    expect(problems).toEqual([]);
  });
});
