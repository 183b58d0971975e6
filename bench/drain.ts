/**
 * Benchmark (c): drain a backlog of N events (default 100,000) to the platform simulator running
 * at a rate limit, with the gateway configured to the same limit (CITY_PLATFORM_RATE_LIMIT), and
 * report the achieved rate against the limit and the number of HTTP 429 answers.
 *
 *   node dist/bench/drain.js [--db sqlite|mysql] [--rate 500] [--events 100000] [--concurrency 16]
 *
 * The backlog is written by the gateway's own ingest pipeline (IngestService, no HTTP) with the
 * dispatcher paused; then the dispatcher is resumed and the clock starts. Each event opens its own
 * case (one `accept` call each), so there is no per-case waiting: the limit is the only brake.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Child, DbSpec, REPO_ROOT, dropDatabase, fmt, freshDatabase, gatewayEnv, machine, runId, sleep } from './lib';

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

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const kind = arg(argv, 'db', 'sqlite') as 'sqlite' | 'mysql';
  const rate = Number(arg(argv, 'rate', '500'));
  const events = Number(arg(argv, 'events', '100000'));
  const concurrency = arg(argv, 'concurrency', '');
  const info = machine();
  console.log(
    `# drain benchmark ${info.date}\n${JSON.stringify(info, null, 1)}\n${JSON.stringify({ kind, rate, events, concurrency })}`,
  );

  const db: DbSpec = await freshDatabase(kind);
  const sim = new Child('simulator-server.js', { rateLimitPerSecond: rate });
  let gw: Child | undefined;
  try {
    const { url: platformUrl, origin } = await sim.wait('ready');
    const env = gatewayEnv(db, {
      LOG_LEVEL: 'info',
      CITY_PLATFORM_RATE_LIMIT: String(rate),
      ...(concurrency ? { DISPATCH_CONCURRENCY: concurrency } : {}),
    });
    gw = new Child(
      'gateway-server.js',
      { env, platformUrl, dispatcherPaused: true, logs: true },
      { quiet: true, execArgv: process.env.BENCH_GATEWAY_NODE_OPTIONS?.split(' ').filter(Boolean) },
    );
    await gw.wait('ready');

    const fill = await gw.ask({ type: 'fill', n: events, runId: runId() });
    if (fill.error) throw new Error(fill.error);
    const filled = await gw.ask({ type: 'stats', outbox: true });
    console.log(
      `backlog: ${filled.outbox.pending} pending, written in ${fmt(fill.ms / 1000, 1)} s (${fmt(events / (fill.ms / 1000))}/s), answers ${JSON.stringify(fill.statuses)}`,
    );

    const series: { t: number; pending: number; inFlight: number; calls: number; r429: number; load: string }[] = [];
    const cpu0 = { gw: cpuSeconds(gw.proc.pid), sim: cpuSeconds(sim.proc.pid) };
    const t0 = Date.now();
    await gw.ask({ type: 'dispatch', on: true });
    // Progress comes from the simulator; the gateway's outbox is asked only every 15 s and at the
    // end (its count is a query over the whole backlog, run on the gateway's event loop).
    let last = { pending: filled.outbox.pending, inFlight: 0 };
    let lastAsked = Date.now();
    while (last.pending + last.inFlight > 0) {
      await sleep(1000);
      const p = await simStats(origin);
      const delivered = p.byCode?.['0'] ?? 0;
      if (delivered >= events || Date.now() - lastAsked >= 15_000) {
        last = (await gw.ask({ type: 'stats', outbox: true })).outbox;
        lastAsked = Date.now();
      }
      series.push({
        t: (Date.now() - t0) / 1000,
        pending: last.pending,
        inFlight: last.inFlight,
        calls: p.total,
        r429: p.rateLimited,
        load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
      });
      const prev = series[series.length - 2];
      const cur = series[series.length - 1];
      if (cur.t % 10 < 1 || !prev) {
        console.log(
          `t=${fmt(cur.t)}s platform calls=${cur.calls} 429=${cur.r429} rate(last s)=${prev ? fmt((cur.calls - prev.calls) / (cur.t - prev.t)) : '–'} outbox(≤15 s old) pending=${cur.pending} inFlight=${cur.inFlight} load=${cur.load}`,
        );
      }
      if (cur.t > 3600) throw new Error('drain did not finish within an hour');
    }
    const seconds = (Date.now() - t0) / 1000;
    const cpu = {
      gateway: (cpuSeconds(gw.proc.pid) - cpu0.gw) / seconds,
      simulator: (cpuSeconds(sim.proc.pid) - cpu0.sim) / seconds,
    };
    const end = await gw.ask({ type: 'stats', outbox: true, attempts: true });
    const platform = await simStats(origin);
    const simMem = await sim.ask({ type: 'stats' });
    // Steady state: the middle 80 % of the run (ramp-up and the tail excluded).
    const at = (frac: number) =>
      series[Math.min(series.length - 1, Math.max(0, Math.round(frac * (series.length - 1))))];
    const a = at(0.1);
    const b = at(0.9);
    const steady = b.t > a.t ? (b.calls - a.calls) / (b.t - a.t) : NaN;
    const achieved = events / seconds;
    const result = {
      db: kind,
      rateLimit: rate,
      events,
      seconds,
      achievedPerSec: achieved,
      ratio: achieved / rate,
      steadyPerSec: steady,
      steadyRatio: steady / rate,
      http429: platform.rateLimited,
      platformCalls: platform.total,
      byHttpStatus: platform.byHttpStatus,
      parked: end.outbox.parked,
      dispatcher: end.dispatcher,
      platformCallMs: end.attemptsMs,
      cpuCores: cpu,
      gatewayPeakRssMiB: end.peakRssMiB,
      simulatorPeakRssMiB: simMem.peakRssMiB,
    };
    console.log(
      `\n| db | limit/s | events | drain s | achieved/s | achieved ÷ limit | steady/s | steady ÷ limit | 429s | platform calls | parked | gateway peak RSS MiB |`,
    );
    console.log(`|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
    console.log(
      `| ${kind} | ${rate} | ${events} | ${fmt(seconds, 1)} | ${fmt(achieved, 1)} | ${fmt(result.ratio, 3)} | ${fmt(steady, 1)} | ${fmt(result.steadyRatio, 3)} | ${result.http429} | ${result.platformCalls} | ${result.parked} | ${result.gatewayPeakRssMiB} |`,
    );
    const ms = result.platformCallMs;
    if (ms)
      console.log(
        `platform call duration (as the gateway timed it, limiter wait included): mean ${fmt(ms.mean, 1)} ms, p50 ${fmt(ms.p50, 1)}, p99 ${fmt(ms.p99, 1)}, max ${fmt(ms.max, 1)}; dispatcher ${JSON.stringify(result.dispatcher)}; CPU cores used: gateway ${fmt(cpu.gateway, 2)}, simulator ${fmt(cpu.simulator, 2)}`,
      );
    const dir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `drain-${info.date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ machine: info, argv, result, series }, null, 2));
    console.log(`raw figures: ${file}`);
  } finally {
    await gw?.stop();
    await sim.stop();
    dropDatabase(db);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
