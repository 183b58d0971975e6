/**
 * A licence is registered once even when the gateway dies while the licence call is out (issue
 * 22): the gateway (`node dist/apps/gateway/src/main.js`) is killed with SIGKILL while a proxy
 * in front of the platform simulator holds the licence call — after the platform registered it
 * (its answer held), or before it reached the platform (the request held). Restarted, the
 * gateway does not send the licence again: it parks it as unknown, and the operator confirms
 * (registered) or reruns (not registered) it. The platform ends with one licence either way.
 */
import { join } from 'node:path';
import { scjgLifecycle } from '../support/event-driver';
import { freePort } from '../support/free-port';
import { HoldingProxy } from '../support/holding-proxy';
import { AppProcess, APP_SCRIPTS, PROCESS_SECRETS, artifactsDir, departmentTokens, ensureBuilt, gatewayEnv, getJson, startSimulatorProcess } from '../support/processes';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { waitFor } from '../support/wait-for';

describe('a licence is registered once when the gateway dies during the licence call', () => {
  const logs = artifactsDir('licence-once');
  let testDb: TestDatabase;
  let sim: Awaited<ReturnType<typeof startSimulatorProcess>>;
  let proxy: HoldingProxy;
  let gateway: AppProcess;
  let base: string;
  const token = departmentTokens().SCJG;
  const op = { Authorization: `Bearer ${PROCESS_SECRETS.operatorToken}`, 'Content-Type': 'application/json' };

  beforeAll(async () => {
    await ensureBuilt();
    testDb = await createTestDatabase();
    sim = await startSimulatorProcess(logs);
    proxy = new HoldingProxy(sim.origin);
    await proxy.start();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    gateway = new AppProcess(
      'gateway',
      APP_SCRIPTS.gateway,
      {
        ...gatewayEnv(`${proxy.origin}/zwfw/api/v1`, departmentTokens()),
        ...testDb.env,
        GATEWAY_MODE: 'embedded',
        PORT: String(port),
        WAKE_URL: `tcp://127.0.0.1:${await freePort()}`,
        DISPATCH_LEASE_MS: '3000',
        DISPATCH_POLL_MS: '200',
      },
      join(logs, 'gateway.log'),
      `${base}/health/ready`,
    );
    await gateway.start();
  }, 180_000);

  afterAll(async () => {
    await gateway?.stop();
    await proxy?.close();
    await sim?.proc.stop();
    await testDb?.drop();
  }, 60_000);

  const postLife = async (caseNo: string, index: number) => {
    const life = scjgLifecycle(caseNo, index);
    for (const e of life) {
      const r = await fetch(`${base}/api/v1/departments/scjg/events`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(e.body) });
      expect(r.status).toBe(202);
    }
    return String((life[life.length - 1].body as any).result.licenseNo);
  };
  const registrations = async (certNo: string) => {
    const licences: any[] = await getJson(`${sim.origin}/admin/licenses`);
    return licences.filter((l) => l.content.certificate_number === certNo).reduce((n, l) => n + l.registrations, 0);
  };
  const parkedLicence = (caseNo: string) =>
    waitFor(`the licence of ${caseNo} parked as unknown`, async () => {
      const r = await fetch(`${base}/api/v1/parked?code=LICENCE_UNKNOWN`, { headers: op });
      return ((await r.json()) as any).items.find((i: any) => i.sourceCaseNo === caseNo);
    }, 60_000, 200);
  const licenceView = async (caseNo: string) => {
    const r = await fetch(`${base}/api/v1/cases?dept=scjg&deptCaseNo=${caseNo}`, { headers: op });
    const c: any = await r.json();
    return { projectNo: c.platformProjectNo, delivery: c.delivery, licence: c.stages.find((s: any) => s.stage === 'COMPLETED')?.licence };
  };
  const killWhileHeld = async (what: 'request' | 'answer', caseNo: string, index: number) => {
    proxy.holdOn(/\/licenses$/, what);
    const heldBefore = proxy.held.length;
    const certNo = await postLife(caseNo, index);
    await waitFor('the licence call held by the proxy', async () => proxy.held.length > heldBefore, 60_000, 50);
    await gateway.kill();
    proxy.holdOn(null);
    proxy.dropHeld();
    await gateway.start();
    return certNo;
  };

  it('answer lost after the platform registered it: not sent again, parked as unknown, confirmed by the operator', async () => {
    const caseNo = 'SCJG-LICENCE-000001';
    const certNo = await killWhileHeld('answer', caseNo, 1);
    expect(proxy.held.at(-1)!.body).toContain('"code":"0"');

    const parked = await parkedLicence(caseNo);
    expect(parked).toMatchObject({ code: 'LICENCE_UNKNOWN', kind: 'LICENCE', stage: 'COMPLETED', reason: expect.stringContaining('证照登记结果未知') });
    expect(await registrations(certNo)).toBe(1);
    // The result before it was not repeated for it: one result call for the case.
    const results = (await getJson(`${sim.origin}/admin/received?project_no=${(await licenceView(caseNo)).projectNo}`)) as any[];
    expect(results.filter((c) => c.endpoint === 'result')).toHaveLength(1);

    const confirmed = await fetch(`${base}/api/v1/parked/${parked.id}/confirm`, { method: 'POST', headers: op });
    expect(confirmed.status).toBe(200);
    const view = await licenceView(caseNo);
    expect(view.licence).toMatchObject({ status: 'DONE' });
    expect(view.licence.history.map((h: any) => h.outcome)).toEqual(['CONFIRMED']);
    expect(view.delivery).toMatchObject({ state: 'DELIVERED', parked: 0, pending: 0 });
    expect(await registrations(certNo)).toBe(1);
  }, 120_000);

  it('request lost before it reached the platform: parked as unknown, rerun by the operator, registered once', async () => {
    const caseNo = 'SCJG-LICENCE-000002';
    const certNo = await killWhileHeld('request', caseNo, 2);

    const parked = await parkedLicence(caseNo);
    expect(await registrations(certNo)).toBe(0);
    const rerun = await fetch(`${base}/api/v1/parked/${parked.id}/rerun`, { method: 'POST', headers: op });
    expect(rerun.status).toBe(200);
    await waitFor('the licence delivered', async () => (await licenceView(caseNo)).licence?.status === 'DONE', 60_000, 200);
    expect(await registrations(certNo)).toBe(1);
    expect((await licenceView(caseNo)).delivery).toMatchObject({ state: 'DELIVERED', parked: 0, pending: 0 });
  }, 120_000);
});
