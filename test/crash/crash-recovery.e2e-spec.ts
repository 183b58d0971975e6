/**
 * Crash recovery: the embedded gateway (`node dist/apps/gateway/src/main.js`) is killed with
 * SIGKILL several times while departments post thousands of events and the dispatcher delivers
 * them. Afterwards the city platform (the simulator, its own process, which outlives every
 * gateway) must hold every acknowledged stage exactly once per (case, seq), in stage order, and
 * nothing answered 202 may be lost; every licence a completed case issued is registered exactly
 * once (a licence call cut off by a kill is parked as unknown and resolved as an operator would:
 * confirmed when the platform holds it, rerun when it does not). Runs on SQLite, or on MariaDB when TEST_DATABASE_URL says so.
 *
 * Bigger runs by hand: CRASH_CASES=2000 CRASH_KILLS=8 CRASH_CONCURRENCY=32 CRASH_SEED=42 npx jest --config jest.config.js test/crash --selectProjects e2e
 */
import { join } from 'node:path';
import { Database, openDatabase } from '#gw/persistence';
import { DrivenEvent, SCJG_STAGES, driveCases, scjgLifecycle } from '../support/event-driver';
import { freePort } from '../support/free-port';
import { AppProcess, APP_SCRIPTS, PROCESS_SECRETS, artifactsDir, deliveryStatus, departmentTokens, ensureBuilt, gatewayEnv, getJson, startSimulatorProcess } from '../support/processes';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { waitFor } from '../support/wait-for';

const int = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const CASES = int('CRASH_CASES', 400);
const KILLS = int('CRASH_KILLS', 4);
const CONCURRENCY = int('CRASH_CONCURRENCY', 24);
const SEED = int('CRASH_SEED', Date.now() % 1_000_000);

/** A small seeded generator (mulberry32), so a failing run can be replayed with CRASH_SEED. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** What the platform records for each SCJG stage after the accept: the process event name, or the result. */
const PLATFORM_NAME: Record<string, string> = { REVIEWED: 'REVIEWED', APPROVED: 'APPROVED', COMPLETED: 'RESULT' };
/** `2026-10-05T09:07:00+08:00` → `2026-10-05 09:07:00` (the platform's Beijing-time format). */
const platformTime = (iso: string) => iso.slice(0, 19).replace('T', ' ');

describe(`crash recovery: SIGKILL the gateway ${KILLS} times during ${CASES * SCJG_STAGES.length} events (seed ${SEED})`, () => {
  const logs = artifactsDir('crash');
  let testDb: TestDatabase;
  let sim: Awaited<ReturnType<typeof startSimulatorProcess>>;
  let gateway: AppProcess;
  let base: string;
  const token = departmentTokens().SCJG;

  beforeAll(async () => {
    await ensureBuilt();
    testDb = await createTestDatabase();
    sim = await startSimulatorProcess(logs);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    gateway = new AppProcess(
      'gateway',
      APP_SCRIPTS.gateway,
      {
        ...gatewayEnv(sim.url, departmentTokens()),
        ...testDb.env,
        GATEWAY_MODE: 'embedded',
        PORT: String(port),
        WAKE_URL: `tcp://127.0.0.1:${await freePort()}`,
        // Leases of a killed process come back quickly; retries are quick too.
        DISPATCH_LEASE_MS: '3000',
        DISPATCH_POLL_MS: '200',
        DISPATCH_RETRY_BASE_MS: '100',
        DISPATCH_CONCURRENCY: '16',
      },
      join(logs, 'gateway.log'),
      `${base}/health/ready`,
    );
    await gateway.start();
  }, 180_000);

  afterAll(async () => {
    await gateway?.stop();
    await sim?.proc.stop();
    await testDb?.drop();
  }, 60_000);

  it('delivers every acknowledged stage exactly once per (case, seq), in order; loses nothing answered 202', async () => {
    const rnd = random(SEED);
    const cases: DrivenEvent[][] = Array.from({ length: CASES }, (_, i) => scjgLifecycle(`SCJG-CRASH-${String(i).padStart(6, '0')}`, i));
    const events = cases.flat();
    const total = events.length;
    const started = Date.now();

    const { report, done } = driveCases(cases, { targets: [base], token, concurrency: CONCURRENCY, giveUpAfterMs: 90_000 });
    let ingestDone = false;
    void done.then(() => (ingestDone = true));

    // Kill points: all but the last at random moments of the ingest; the last one soon after the
    // ingest ended (or at its very end), while the backlog is being delivered.
    const points = Array.from({ length: Math.max(0, KILLS - 1) }, () => 0.08 + rnd() * 0.84).sort((a, b) => a - b);
    const kills: { at: number; acked: number; restartMs?: number }[] = [];
    const killAndRestart = async () => {
      await sleep(rnd() * 300);
      const kill: (typeof kills)[number] = { at: Date.now() - started, acked: report.progress() };
      kills.push(kill);
      await gateway.kill();
      await sleep(rnd() * 500);
      const t = Date.now();
      await gateway.start();
      kill.restartMs = Date.now() - t;
    };
    for (const p of points) {
      await waitFor(`${Math.round(p * 100)}% acknowledged`, async () => ingestDone || report.progress() >= p * total, 240_000, 20);
      await killAndRestart();
    }
    if (KILLS > 0) {
      await done;
      const backlog = (await deliveryStatus(base)).outbox;
      if (backlog.pending + backlog.inFlight > 0) await sleep(rnd() * 500);
      await killAndRestart();
    }
    await done;
    const ingestSeconds = (Date.now() - started) / 1000;

    // Everything stored is delivered: leases of killed processes expire and their rows go again.
    await waitFor(
      'the outbox to drain',
      async () => {
        const s = (await deliveryStatus(base)).outbox;
        return s.pending === 0 && s.inFlight === 0;
      },
      120_000,
      250,
    );
    // The operator resolves licences whose call a kill cut off: confirm those the platform holds, rerun the others.
    const op = { Authorization: `Bearer ${PROCESS_SECRETS.operatorToken}` };
    const unknown: any[] = ((await (await fetch(`${base}/api/v1/parked?code=LICENCE_UNKNOWN`, { headers: op })).json()) as any).items;
    const licenceNoOf = new Map(cases.map((life) => [life[0].caseNo, String((life[life.length - 1].body as any).result.licenseNo)]));
    const registeredBefore = new Set(((await getJson(`${sim.origin}/admin/licenses`)) as any[]).map((l) => l.content.certificate_number));
    for (const p of unknown) {
      const action = registeredBefore.has(licenceNoOf.get(p.sourceCaseNo)) ? 'confirm' : 'rerun';
      expect((await fetch(`${base}/api/v1/parked/${p.id}/${action}`, { method: 'POST', headers: op })).status).toBe(200);
    }
    await waitFor('the reruns delivered', async () => {
      const s = (await deliveryStatus(base)).outbox;
      return s.pending === 0 && s.inFlight === 0;
    }, 60_000, 250);
    const status = await deliveryStatus(base);
    const licences: any[] = await getJson(`${sim.origin}/admin/licenses`);
    const simCases: any[] = await getJson(`${sim.origin}/admin/cases`);
    const received: any[] = await getJson(`${sim.origin}/admin/received`);
    const summary = {
      seed: SEED,
      cases: CASES,
      events: total,
      kills: kills.map((k) => `${(k.at / 1000).toFixed(1)}s@${k.acked} (up again in ${k.restartMs} ms)`),
      ingestSeconds,
      totalSeconds: (Date.now() - started) / 1000,
      driver: { posted: report.posted, acknowledged: report.acknowledged, connectionErrors: report.connectionErrors, unavailable: report.unavailable },
      duplicates: events.filter((e) => e.ackStatus === 200).length,
      platformCalls: received.length,
      licencesUnknownAfterKills: unknown.length,
      platformCodes: received.reduce((m: Record<string, number>, c) => ((m[`${c.endpoint}:${c.code ?? c.httpStatus}`] = (m[`${c.endpoint}:${c.code ?? c.httpStatus}`] ?? 0) + 1), m), {}),
    };
    process.stdout.write(`crash-recovery ${testDb.kind}: ${JSON.stringify(summary)}\n`);

    // The driver: every event acknowledged, nothing answered with anything a department would not retry.
    expect(report.unexpected).toEqual([]);
    expect(events.filter((e) => e.ackStatus === undefined).map((e) => `${e.caseNo}/${e.stage}`)).toEqual([]);
    expect(kills).toHaveLength(KILLS);
    expect(gateway.starts).toBe(KILLS + 1);
    expect(status.outbox.parked).toBe(0);

    // The platform: each case accepted, and exactly the acknowledged stages under seq 1..n, in stage order.
    const bySource = new Map<string, any>(simCases.map((c) => [c.sourceCaseId, c]));
    expect(simCases).toHaveLength(CASES);
    const problems: string[] = [];
    for (const life of cases) {
      const caseNo = life[0].caseNo;
      const simCase = bySource.get(caseNo);
      if (!simCase) {
        problems.push(`${caseNo}: never accepted by the platform`);
        continue;
      }
      // 申报 and 受理 are accepts (受理 repeats it with accept_date and promise_date), not seq'd steps.
      const expected = life.filter((e) => e.ackStatus !== undefined && e.stage !== 'SUBMITTED' && e.stage !== 'ACCEPTED');
      const got = simCase.events.map((e: any) => ({ seq: e.seq, name: e.kind === 'result' ? 'RESULT' : e.content.event_name, time: e.content.event_start_time ?? e.content.result_date }));
      const want = expected.map((e, i) => ({ seq: i + 1, name: PLATFORM_NAME[e.stage], time: platformTime(e.statusTime) }));
      if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${caseNo}: platform holds ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
      if (simCase.lastSeq !== expected.length) problems.push(`${caseNo}: last_seq ${simCase.lastSeq}, expected ${expected.length}`);
      if (simCase.closed !== expected.some((e) => e.stage === 'COMPLETED')) problems.push(`${caseNo}: closed=${simCase.closed}`);
    }
    expect(problems.slice(0, 20)).toEqual([]);

    // Every licence exactly once: one per case whose 办结 was acknowledged, none registered twice.
    const issued = cases.filter((life) => life[life.length - 1].ackStatus !== undefined).map((life) => licenceNoOf.get(life[0].caseNo)).sort();
    expect(licences.map((l) => l.content.certificate_number).sort()).toEqual(issued);
    expect(licences.filter((l) => l.registrations !== 1).map((l) => `${l.content.certificate_number}: registered ${l.registrations} times`)).toEqual([]);

    // Re-sent calls after a crash are identical (idempotent): never a conflict, a gap or a closed case.
    const refused = received.filter((c) => ['2001', '2002', '2003', '3001'].includes(c.code));
    expect(refused.map((c) => `${c.endpoint} ${c.projectNo} seq ${c.body?.seq}: ${c.code} ${c.msg}`).slice(0, 20)).toEqual([]);

    // The gateway's own records: every acknowledged event stored once, its outbox row delivered
    // under the seq the platform holds.
    await gateway.stop();
    const db: Database = await openDatabase(
      testDb.kind === 'sqlite' ? { kind: 'sqlite', path: join(testDb.dataDir, 'gateway.sqlite'), busyTimeoutMs: 5000 } : { kind: 'mysql', url: testDb.env.DATABASE_URL, poolSize: 2 },
      { migrate: false },
    );
    try {
      const rows: { source_event_id: string; stage: string; status: string; platform_seq: number | string | null; source_case_no: string }[] = await db.manager.query(
        `SELECT e.source_event_id, e.stage, o.status, o.platform_seq, c.source_case_no
           FROM case_event e JOIN outbox o ON o.event_id = e.id JOIN gw_case c ON c.id = e.case_id
          WHERE o.target = 'PLATFORM' AND o.kind = 'STAGE'`,
      );
      expect(rows).toHaveLength(events.filter((e) => e.ackStatus !== undefined).length);
      const stored = new Map(rows.map((r) => [r.source_event_id, r]));
      const lost = events.filter((e) => e.ackStatus !== undefined && !stored.has(String(e.body.eventId)));
      expect(lost.map((e) => `${e.caseNo}/${e.stage} (${e.ackStatus})`)).toEqual([]);
      expect(rows.filter((r) => r.status !== 'DONE').map((r) => `${r.source_case_no}/${r.stage}: ${r.status}`)).toEqual([]);
      const seqOf = (e: DrivenEvent) => stored.get(String(e.body.eventId))?.platform_seq;
      const seqProblems = cases.flatMap((life) =>
        life
          // 申报 and 受理 are accepts (受理 repeats it with the dates), not seq'd steps.
          .filter((e) => e.stage !== 'SUBMITTED' && e.stage !== 'ACCEPTED' && e.ackStatus !== undefined)
          .map((e, i) => (Number(seqOf(e)) === i + 1 ? null : `${e.caseNo}/${e.stage}: platform_seq ${seqOf(e)}, expected ${i + 1}`))
          .filter(Boolean),
      );
      expect(seqProblems.slice(0, 20)).toEqual([]);
    } finally {
      await db.close();
    }
  }, 300_000);
});
