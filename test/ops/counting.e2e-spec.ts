import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { example, postBatch } from '../departments/department-support';
import { onlineApplication } from '../support/callbacks';
import { OPERATOR_TOKEN, TestGateway, startTestGateway } from '../support/test-gateway';
import { waitFor } from '../support/wait-for';

const SETUP = '11430626MB123456250000120001000'; // an SCJG matter: online applications go to SCJG's system

/**
 * What the overview, /metrics and /health/ready count must match what the lists hold: parked
 * deliveries to department systems, batch rows accepted on the file's retry round; and every
 * time the API answers carries its zone.
 */
describe('counting what the lists hold', () => {
  let gw: TestGateway;
  let redirecting: Server;
  const op = { Authorization: `Bearer ${OPERATOR_TOKEN}` };

  beforeAll(async () => {
    // SCJG's system answers with a redirect, which the gateway never follows: the delivery parks.
    redirecting = createServer((_req, res) => res.writeHead(302, { Location: 'http://127.0.0.1:1/elsewhere' }).end());
    await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
    gw = await startTestGateway({ env: { DEPT_SCJG_URL: `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/webhook` } });
  });
  afterAll(async () => {
    await gw?.close();
    await new Promise((r) => redirecting?.close(r));
  });

  it('counts a parked delivery to a department system in /metrics, /health/ready and the overview, by target', async () => {
    const before = Date.now();
    await request(gw.platform.origin).post('/admin/online-applications').send(onlineApplication(SETUP)).expect(202);
    const item = await waitFor('the parked delivery to SCJG', async () => {
      const r = await request(gw.url).get('/api/v1/parked').set(op).expect(200);
      return r.body.items.find((i: any) => i.target === 'DEPT:SCJG');
    }, 30_000);

    // Its time carries its zone, and is the moment it parked (not 8 hours off).
    expect(item.parkedAt).toMatch(/(Z|[+-]\d\d:\d\d)$/);
    expect(Date.parse(item.parkedAt)).toBeGreaterThanOrEqual(before - 2000);
    expect(Date.parse(item.parkedAt)).toBeLessThanOrEqual(Date.now() + 2000);

    const metrics = await waitFor('the metric', async () => {
      const text = (await request(gw.url).get('/metrics').expect(200)).text;
      return /^gw_parked_messages\{target="DEPT:SCJG"\} 1$/m.test(text) ? text : null;
    });
    expect(metrics).toMatch(/^gw_parked_messages\{target="PLATFORM"\} 0$/m);

    const ready = await waitFor('readiness', async () => {
      const r = await request(gw.url).get('/health/ready');
      const outbox = r.body.info?.outbox ?? r.body.details?.outbox;
      return outbox?.parked === 1 ? outbox : null;
    });
    expect(ready.parkedByTarget).toEqual({ PLATFORM: 0, 'DEPT:SCJG': 1 });

    const overview = await waitFor('the overview', async () => {
      const r = await request(gw.url).get('/api/v1/ops/overview').set(op).expect(200);
      return r.body.backlog?.parked === 1 ? r.body : null;
    });
    const parked = overview.services.find((s: any) => s.key === 'parked');
    expect(parked).toMatchObject({ level: 'amber', summary: '1 条未能送达部门系统' });
  });

  it('does not count a batch row accepted on the retry round as rejected: the README example leaves the overview green', async () => {
    // The example's walk-in case: row 2 (办结 9:12) comes before row 3 (受理 9:10), so row 2 is
    // refused on its first try and accepted on the file's retry round.
    const csv = example('ybj-batch.csv').toString('utf8').split('\r\n').slice(0, 4).join('\r\n') + '\r\n';
    const reply = await postBatch(gw, 'ybj', csv, { 'X-Batch-Id': 'YBJ-COUNTING-1' });
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ rows: 3, accepted: 3, rejected: 0 });

    expect((await request(gw.url).get('/api/v1/quarantine').set(op).query({ dept: 'ybj' }).expect(200)).body.total).toBe(0);
    const overview = await waitFor('the overview with the file', async () => {
      const r = await request(gw.url).get('/api/v1/ops/overview').set(op).expect(200);
      const ybj = r.body.departments.find((d: any) => d.key === 'dept:YBJ');
      return ybj?.facts?.lastHourTotal >= 3 ? r.body : null;
    });
    const ybj = overview.departments.find((d: any) => d.key === 'dept:YBJ');
    expect(ybj).toMatchObject({ level: 'green', facts: { lastHourTotal: 3, lastHourErrors: 0, quarantined: 0 } });
    expect(overview.actions.filter((a: any) => a.keys.includes('dept:YBJ'))).toEqual([]);
  });
});
