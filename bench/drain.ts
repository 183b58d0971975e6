/**
 * Benchmark (c): drain a backlog of N events (default 100,000) to the platform simulator running
 * at a rate limit, with the gateway configured to the same limit (CITY_PLATFORM_RATE_LIMIT), and
 * report the achieved rate against the limit and the number of HTTP 429 answers.
 *
 *   node dist/bench/drain.js [--db sqlite|mysql] [--rate 500] [--events 100000] [--concurrency 16]
 *        [--dispatchers 2] [--bare-rounds 2] [--mixed 2 --ingest-clients 32 --duration 15]
 *
 * `--dispatchers N`: N gateway processes on the one database, each limited to rate / N (as a split
 * deployment is configured, README 生产部署); the backlog is written by the first.
 * `--bare-rounds R`: instead of one drain, R rounds of [the gateway drains events / R stages, the
 * bare delivery script (`bare-delivery.ts`) drains as many], each side's CPU per delivered stage.
 * `--mixed R`: R rounds of [ingest at `--ingest-clients` with the dispatcher paused, the same ingest
 * while it drains a backlog at the limit], the ingest throughput of each.
 *
 * The backlog is written by the gateway's own ingest pipeline (IngestService, no HTTP) with the
 * dispatcher paused; then the dispatcher is resumed and the clock starts. Each event opens its own
 * case (one `accept` call each), so there is no per-case waiting: the limit is the only brake.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Child, DbSpec, REPO_ROOT, SCJG_TOKEN, dropDatabase, fmt, freshDatabase, gatewayEnv, machine, runId, sleep } from './lib';

function arg(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
}

/** CPU seconds used so far by a process (utime + stime from /proc). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

async function simStats(origin: string): Promise<{
  total: number;
  rateLimited: number;
  byHttpStatus: Record<string, number>;
  byCode: Record<string, number>;
}> {
  const res = await fetch(`${origin}/admin/stats`);
  return (await res.json()) as never;
}


interface DrainPhase {
  stages: number;
  seconds: number;
  achievedPerSec: number;
  /** Platform calls answered 429 during the phase. */
  http429: number;
  platformCalls: number;
  /** CPU seconds of the gateway processes (all threads) during the phase. */
  gatewayCpuSeconds: number;
  gatewayCpuMsPerStage: number;
  /** The simulator's CPU per stage meanwhile (on a shared machine it may be what holds the rate back). */
  simulatorCpuMsPerStage: number;
  steadyPerSec: number;
  series: { t: number; pending: number; inFlight: number; calls: number; r429: number; load: string }[];
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/**
 * Resumes the dispatchers and waits until the outbox has nothing pending or in flight, then pauses
 * them again. Progress comes from the simulator; the gateway's outbox is asked only every 15 s and
 * when the simulator has seen every stage (its count is a query over the whole backlog).
 */
async function drainPhase(gws: Child[], sim: Child, origin: string, stages: number, log = true): Promise<DrainPhase> {
  const first = await simStats(origin);
  const delivered0 = first.byCode?.['0'] ?? 0;
  const series: DrainPhase['series'] = [];
  const cpu0 = gws.map((g) => cpuSeconds(g.proc.pid));
  const simCpu0 = cpuSeconds(sim.proc.pid);
  let last = (await gws[0].ask({ type: 'stats', outbox: true })).outbox as { pending: number; inFlight: number };
  const t0 = Date.now();
  // BENCH_PROFILE=<file>: V8 CPU profile of the (first) gateway during the drain only (not the filling).
  if (process.env.BENCH_PROFILE) await gws[0].ask({ type: 'profile', on: true });
  await Promise.all(gws.map((g) => g.ask({ type: 'dispatch', on: true })));
  let lastAsked = Date.now();
  while (last.pending + last.inFlight > 0) {
    await sleep(1000);
    const p = await simStats(origin);
    const delivered = (p.byCode?.['0'] ?? 0) - delivered0;
    if (delivered >= stages || Date.now() - lastAsked >= 15_000) {
      last = (await gws[0].ask({ type: 'stats', outbox: true })).outbox;
      lastAsked = Date.now();
    }
    series.push({ t: (Date.now() - t0) / 1000, pending: last.pending, inFlight: last.inFlight, calls: p.total - first.total, r429: p.rateLimited - first.rateLimited, load: loadavg() });
    const prev = series[series.length - 2];
    const cur = series[series.length - 1];
    if (log && (cur.t % 10 < 1 || !prev)) {
      console.log(
        `t=${fmt(cur.t)}s platform calls=${cur.calls} 429=${cur.r429} rate(last s)=${prev ? fmt((cur.calls - prev.calls) / (cur.t - prev.t)) : '–'} outbox(≤15 s old) pending=${cur.pending} inFlight=${cur.inFlight} load=${cur.load}`,
      );
    }
    if (cur.t > 3600) throw new Error('drain did not finish within an hour');
  }
  const seconds = (Date.now() - t0) / 1000;
  const gatewayCpuSeconds = gws.reduce((sum, g, i) => sum + cpuSeconds(g.proc.pid) - cpu0[i], 0);
  await Promise.all(gws.map((g) => g.ask({ type: 'dispatch', on: false })));
  if (process.env.BENCH_PROFILE) await gws[0].ask({ type: 'profile', on: false, file: process.env.BENCH_PROFILE });
  const end = await simStats(origin);
  // Steady state: the middle 80 % of the run (ramp-up and the tail excluded).
  const at = (frac: number) => series[Math.min(series.length - 1, Math.max(0, Math.round(frac * (series.length - 1))))];
  const a = at(0.1);
  const b = at(0.9);
  return {
    stages,
    seconds,
    achievedPerSec: stages / seconds,
    http429: end.rateLimited - first.rateLimited,
    platformCalls: end.total - first.total,
    gatewayCpuSeconds,
    gatewayCpuMsPerStage: (gatewayCpuSeconds * 1000) / stages,
    simulatorCpuMsPerStage: ((cpuSeconds(sim.proc.pid) - simCpu0) * 1000) / stages,
    steadyPerSec: b.t > a.t ? (b.calls - a.calls) / (b.t - a.t) : NaN,
    series,
  };
}

async function fill(gw: Child, n: number): Promise<void> {
  const filled = await gw.ask({ type: 'fill', n, runId: runId() });
  if (filled.error) throw new Error(filled.error);
  console.log(`backlog: ${n} events written in ${fmt(filled.ms / 1000, 1)} s (${fmt(n / (filled.ms / 1000))}/s), answers ${JSON.stringify(filled.statuses)}`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const kind = arg(argv, 'db', 'sqlite') as 'sqlite' | 'mysql';
  const rate = Number(arg(argv, 'rate', '500'));
  const events = Number(arg(argv, 'events', '100000'));
  const concurrency = arg(argv, 'concurrency', '');
  const dispatchers = Number(arg(argv, 'dispatchers', '1'));
  const bareRounds = Number(arg(argv, 'bare-rounds', '0'));
  const mixedRounds = Number(arg(argv, 'mixed', '0'));
  const ingestClients = Number(arg(argv, 'ingest-clients', '32'));
  const durationS = Number(arg(argv, 'duration', '15'));
  const info = machine();
  console.log(
    `# drain benchmark ${info.date}\n${JSON.stringify(info, null, 1)}\n${JSON.stringify({ kind, rate, events, concurrency, dispatchers, bareRounds, mixedRounds })}`,
  );

  const db: DbSpec = await freshDatabase(kind);
  const sim = new Child('simulator-server.js', { rateLimitPerSecond: rate });
  const gws: Child[] = [];
  try {
    const { url: platformUrl, origin } = await sim.wait('ready');
    const env = gatewayEnv(db, {
      LOG_LEVEL: 'info',
      // Each instance its share of the platform's limit, as a split deployment is configured.
      CITY_PLATFORM_RATE_LIMIT: String(rate / dispatchers),
      ...(concurrency ? { DISPATCH_CONCURRENCY: concurrency } : {}),
    });
    const execArgv = (process.env.BENCH_GATEWAY_NODE_ARGS ?? process.env.BENCH_GATEWAY_NODE_OPTIONS)?.split(' ').filter(Boolean);
    for (let i = 0; i < dispatchers; i++) {
      const gw = new Child('gateway-server.js', { env, platformUrl, dispatcherPaused: true, logs: true }, { quiet: true, execArgv });
      gws.push(gw);
      await gw.wait('ready');
    }
    const dir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const save = (name: string, data: unknown) => {
      const file = join(dir, `${name}-${info.date.replace(/[:.]/g, '-')}.json`);
      writeFileSync(file, JSON.stringify({ machine: info, argv, ...(data as object) }, null, 2));
      console.log(`raw figures: ${file}`);
    };

    // The bare script runs as many calls at once as the gateway's dispatcher (its default: gateway-config).
    const slots = Number(concurrency || Math.max(16, Math.ceil(rate / dispatchers / 10)));
    if (bareRounds) return await compareWithBare(gws, sim, db, { platformUrl, origin, rate, events, bareRounds, concurrency: slots, save, kind });
    if (mixedRounds) return await mixedLoad(gws, origin, { rate, rounds: mixedRounds, clients: ingestClients, durationS, save, kind });

    await fill(gws[0], events);
    const phase = await drainPhase(gws, sim, origin, events);
    const end = await gws[0].ask({ type: 'stats', outbox: true, attempts: true });
    const platform = await simStats(origin);
    const simMem = await sim.ask({ type: 'stats' });
    const dispatcherCounters = await Promise.all(gws.map(async (g) => (await g.ask({ type: 'stats' })).dispatcher));
    const result = {
      db: kind,
      rateLimit: rate,
      dispatchers,
      events,
      seconds: phase.seconds,
      achievedPerSec: phase.achievedPerSec,
      ratio: phase.achievedPerSec / rate,
      steadyPerSec: phase.steadyPerSec,
      steadyRatio: phase.steadyPerSec / rate,
      http429: phase.http429,
      platformCalls: phase.platformCalls,
      byHttpStatus: platform.byHttpStatus,
      parked: end.outbox.parked,
      dispatcher: dispatcherCounters,
      platformCallMs: end.attemptsMs,
      cpuCores: { gateway: phase.gatewayCpuSeconds / phase.seconds, simulator: (phase.simulatorCpuMsPerStage * events) / 1000 / phase.seconds },
      gatewayCpuMsPerStage: phase.gatewayCpuMsPerStage,
      gatewayPeakRssMiB: end.peakRssMiB,
      simulatorPeakRssMiB: simMem.peakRssMiB,
    };
    console.log(
      `\n| db | dispatchers | limit/s | events | drain s | achieved/s | achieved ÷ limit | steady/s | steady ÷ limit | 429s | platform calls | parked | gateway CPU ms/stage | gateway peak RSS MiB |`,
    );
    console.log(`|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
    console.log(
      `| ${kind} | ${dispatchers} | ${rate} | ${events} | ${fmt(phase.seconds, 1)} | ${fmt(phase.achievedPerSec, 1)} | ${fmt(result.ratio, 3)} | ${fmt(phase.steadyPerSec, 1)} | ${fmt(result.steadyRatio, 3)} | ${result.http429} | ${result.platformCalls} | ${result.parked} | ${fmt(phase.gatewayCpuMsPerStage, 3)} | ${result.gatewayPeakRssMiB} |`,
    );
    const ms = result.platformCallMs;
    if (ms)
      console.log(
        `platform call duration (as the gateway timed it, limiter wait included): mean ${fmt(ms.mean, 1)} ms, p50 ${fmt(ms.p50, 1)}, p99 ${fmt(ms.p99, 1)}, max ${fmt(ms.max, 1)}; dispatchers ${JSON.stringify(result.dispatcher)}; CPU cores: gateway ${fmt(result.cpuCores.gateway, 2)}, simulator ${fmt(result.cpuCores.simulator, 2)}`,
      );
    save('drain', { result, series: phase.series });
  } finally {
    for (const g of gws) await g.stop();
    await sim.stop();
    dropDatabase(db);
  }
}

/**
 * Rounds of [gateway drains k stages, bare script drains k stages] on one database and one
 * simulator; each side's CPU per delivered stage. The bare script's accept body is the gateway's
 * own (taken from the simulator's record of the first round), so both send the same bytes.
 */
async function compareWithBare(
  gws: Child[],
  sim: Child,
  db: DbSpec,
  o: { platformUrl: string; origin: string; rate: number; events: number; bareRounds: number; concurrency: number; save: (n: string, d: unknown) => void; kind: string },
): Promise<void> {
  const k = Math.round(o.events / o.bareRounds);
  const rounds: { gateway: DrainPhase; bare: Record<string, any>; ratio: number; load: string }[] = [];
  for (let r = 0; r < o.bareRounds; r++) {
    await fill(gws[0], k);
    const gateway = await drainPhase(gws, sim, o.origin, k, false);
    gateway.series = [];
    const received = (await (await fetch(`${o.origin}/admin/received?endpoint=accept`)).json()) as { body: Record<string, unknown> }[];
    const template = received[received.length - 1].body;
    await fill(gws[0], k);
    const bareChild = new Child('bare-delivery.js', { db, platformUrl: o.platformUrl, rate: o.rate, concurrency: o.concurrency, template });
    await bareChild.wait('ready');
    const before429 = (await simStats(o.origin)).rateLimited;
    const simCpu0 = cpuSeconds(sim.proc.pid);
    const bare = await bareChild.ask({ type: 'go' });
    bare.simulatorCpuMsPerStage = ((cpuSeconds(sim.proc.pid) - simCpu0) * 1000) / bare.delivered;
    await bareChild.stop();
    if (bare.error) throw new Error(bare.error);
    bare.http429 = (await simStats(o.origin)).rateLimited - before429;
    bare.cpuMsPerStage = bare.cpuMs / bare.delivered;
    bare.perSec = bare.delivered / (bare.ms / 1000);
    const ratio = gateway.gatewayCpuMsPerStage / bare.cpuMsPerStage;
    rounds.push({ gateway, bare, ratio, load: loadavg() });
    console.log(
      `round ${r + 1}: gateway ${fmt(gateway.gatewayCpuMsPerStage, 3)} ms CPU/stage at ${fmt(gateway.achievedPerSec)}/s (${gateway.http429} × 429, simulator ${fmt(gateway.simulatorCpuMsPerStage, 3)} ms/stage); bare ${fmt(bare.cpuMsPerStage, 3)} ms CPU/stage at ${fmt(bare.perSec)}/s (simulator ${fmt(bare.simulatorCpuMsPerStage, 3)} ms/stage) (${bare.http429} × 429, ${JSON.stringify(bare.statuses)}); ratio ${fmt(ratio, 2)}; load ${loadavg()}`,
    );
  }
  const sum = (f: (x: (typeof rounds)[number]) => number) => rounds.reduce((s, x) => s + f(x), 0);
  const gatewayMs = (sum((x) => x.gateway.gatewayCpuSeconds) * 1000) / sum((x) => x.gateway.stages);
  const bareMs = sum((x) => x.bare.cpuMs) / sum((x) => x.bare.delivered);
  console.log(`\n| db | limit/s | rounds × stages | gateway CPU ms/stage | bare CPU ms/stage | gateway ÷ bare | gateway achieved ÷ limit (per round) | bare achieved ÷ limit (per round) |`);
  console.log(`|---|---:|---:|---:|---:|---:|---|---|`);
  console.log(
    `| ${o.kind} | ${o.rate} | ${o.bareRounds} × ${k} | ${fmt(gatewayMs, 3)} | ${fmt(bareMs, 3)} | **${fmt(gatewayMs / bareMs, 2)}** | ${rounds.map((x) => fmt(x.gateway.achievedPerSec / o.rate, 3)).join(', ')} | ${rounds.map((x) => fmt(x.bare.perSec / o.rate, 3)).join(', ')} |`,
  );
  o.save('drain-vs-bare', { result: { db: o.kind, rate: o.rate, stagesPerRound: k, gatewayCpuMsPerStage: gatewayMs, bareCpuMsPerStage: bareMs, ratio: gatewayMs / bareMs }, rounds });
}

/**
 * Rounds of [ingest with the dispatcher paused, the same ingest while the dispatcher drains a
 * backlog at the limit]: the ingest throughput of each, and the delivery rate meanwhile.
 */
async function mixedLoad(
  gws: Child[],
  origin: string,
  o: { rate: number; rounds: number; clients: number; durationS: number; save: (n: string, d: unknown) => void; kind: string },
): Promise<void> {
  const warmupMs = 3000;
  // Enough backlog that the dispatcher is never out of work while the ingest runs.
  await fill(gws[0], Math.ceil(o.rate * (o.durationS + warmupMs / 1000 + 5) * o.rounds));
  const { url } = await gws[0].ask({ type: 'url' });
  const phases: Record<string, unknown>[] = [];
  for (let r = 0; r < o.rounds; r++) {
    for (const draining of [false, true]) {
      const load = new Child('load-client.js', { url, token: SCJG_TOKEN, concurrency: o.clients, warmupMs, durationMs: o.durationS * 1000, runId: runId() });
      await load.wait('ready');
      const sim0 = await simStats(origin);
      const cpu0 = cpuSeconds(gws[0].proc.pid);
      const profile = draining && r === 0 && process.env.BENCH_PROFILE;
      if (profile) await gws[0].ask({ type: 'profile', on: true });
      if (draining) await gws[0].ask({ type: 'dispatch', on: true });
      const t0 = Date.now();
      const res = await load.ask({ type: 'go' });
      const seconds = (Date.now() - t0) / 1000;
      if (draining) await gws[0].ask({ type: 'dispatch', on: false });
      if (profile) await gws[0].ask({ type: 'profile', on: false, file: profile });
      const sim1 = await simStats(origin);
      await load.stop();
      if (res.error) throw new Error(res.error);
      const phase = {
        round: r + 1,
        dispatcher: draining ? 'draining' : 'paused',
        ingestPerSec: res.acceptedPerSec,
        ingestP99Ms: res.latencyMs?.p99,
        statuses: res.statuses,
        deliveredPerSec: ((sim1.byCode?.['0'] ?? 0) - (sim0.byCode?.['0'] ?? 0)) / seconds,
        http429: sim1.rateLimited - sim0.rateLimited,
        gatewayCores: (cpuSeconds(gws[0].proc.pid) - cpu0) / seconds,
        load: loadavg(),
      };
      phases.push(phase);
      console.log(JSON.stringify(phase));
      // Let what the drain left in flight finish before the next phase.
      await sleep(2000);
    }
  }
  if (process.env.BENCH_SLOW_SQL_MS) console.log(JSON.stringify((await gws[0].ask({ type: 'slowSql' })).slow, null, 1));
  const mean = (d: string) => {
    const xs = phases.filter((p) => p.dispatcher === d).map((p) => p.ingestPerSec as number);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const paused = mean('paused');
  const draining = mean('draining');
  const delivered = phases.filter((p) => p.dispatcher === 'draining').map((p) => fmt((p.deliveredPerSec as number) / o.rate, 3));
  console.log(`\n| db | ingest clients | limit/s | ingest/s, dispatcher paused | ingest/s, draining | draining ÷ paused | delivered ÷ limit while draining (per round) |`);
  console.log(`|---|---:|---:|---:|---:|---:|---|`);
  console.log(`| ${o.kind} | ${o.clients} | ${o.rate} | ${fmt(paused)} | ${fmt(draining)} | **${fmt(draining / paused, 2)}** | ${delivered.join(', ')} |`);
  o.save('drain-mixed', { result: { db: o.kind, rate: o.rate, clients: o.clients, pausedPerSec: paused, drainingPerSec: draining, ratio: draining / paused }, phases });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
