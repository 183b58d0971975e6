/**
 * Benchmarks (a) and (b): durable ingest through the gateway against the bare-insert script, side
 * by side in one run, on SQLite and/or MariaDB; then p99 latency at 100 concurrent clients.
 *
 *   node dist/bench/ingest.js [--db sqlite|mysql|both] [--concurrency 32] [--p99-concurrency 100] [--paced 500,1000]
 *        [--duration 20] [--warmup 3] [--rounds 2] [--no-reference] [--quiet-logs]
 *
 * `--rounds 0 --no-reference` measures only the latency phase (b).
 *
 * Every phase starts from an empty database. Rounds alternate bare / gateway so drift of the
 * shared machine hits both. The gateway runs as `npm start` builds it, in its own process, with
 * request logging at info (to /dev/null) unless --quiet-logs, the dispatcher paused (only the
 * ingest path is measured, as in the bare script); the load generator is another process.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Child,
  DbSpec,
  REPO_ROOT,
  SCJG_TOKEN,
  dropDatabase,
  fmt,
  freshDatabase,
  gatewayEnv,
  machine,
  migrate,
  runId,
} from './lib';

interface Options {
  dbs: ('sqlite' | 'mysql')[];
  concurrency: number;
  p99Concurrency: number;
  /** Also measure p99 at --p99-concurrency clients under a paced load of these requests/s in all. */
  pacedRates: number[];
  /** Group commit settings for the gateway phases (JSON, e.g. '{"maxInFlight":4}'); default: the gateway's. */
  groupCommit?: Record<string, number>;
  durationMs: number;
  warmupMs: number;
  rounds: number;
  reference: boolean;
  logs: boolean;
}

function parseArgs(argv: string[]): Options {
  const get = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : fallback;
  };
  const db = get('db', 'both');
  return {
    dbs: db === 'both' ? ['sqlite', 'mysql'] : [db as 'sqlite' | 'mysql'],
    concurrency: Number(get('concurrency', '32')),
    p99Concurrency: Number(get('p99-concurrency', '100')),
    groupCommit: get('group-commit', '') ? JSON.parse(get('group-commit', '')) : undefined,
    pacedRates: get('paced', '')
      .split(',')
      .filter(Boolean)
      .map(Number),
    durationMs: Number(get('duration', '20')) * 1000,
    warmupMs: Number(get('warmup', '3')) * 1000,
    rounds: Number(get('rounds', '2')),
    reference: !argv.includes('--no-reference'),
    logs: !argv.includes('--quiet-logs'),
  };
}

/** How busy the shared machine was: 1-minute load average and CPU pressure (share of time some task waited for a CPU, last 10 s). */
function noise(): string {
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  let psi = '?';
  try {
    psi = /avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1] ?? '?';
  } catch {
    /* no PSI */
  }
  return `load ${load}, cpu-psi ${psi}%`;
}

interface PhaseResult {
  label: string;
  noise?: string;
  db: string;
  concurrency: number;
  perSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number; n: number };
  peakRssMiB: number;
  extra: Record<string, unknown>;
}

async function barePhase(
  kind: 'sqlite' | 'mysql',
  o: Options,
  concurrency: number,
  crypto = true,
): Promise<PhaseResult> {
  const db = await freshDatabase(kind);
  await migrate(db);
  const child = new Child('bare-insert.js', {
    db,
    concurrency,
    warmupMs: o.warmupMs,
    durationMs: o.durationMs,
    crypto,
    runId: runId(),
  });
  try {
    await child.wait('ready');
    const r = await child.ask({ type: 'go' });
    if (r.error) throw new Error(r.error);
    return {
      label: crypto ? 'bare script' : 'bare script, no crypto',
      db: kind,
      concurrency,
      perSec: r.perSec,
      latencyMs: r.latencyMs,
      peakRssMiB: r.peakRssMiB,
      extra: { errors: r.errors },
    };
  } finally {
    await child.stop();
    dropDatabase(db);
  }
}

async function gatewayPhase(
  kind: 'sqlite' | 'mysql',
  o: Options,
  concurrency: number,
  label = 'gateway',
  groupCommit?: Record<string, number>,
  ratePerSec?: number,
): Promise<PhaseResult> {
  const db: DbSpec = await freshDatabase(kind);
  const env = gatewayEnv(db, { LOG_LEVEL: o.logs ? 'info' : 'silent' });
  const gw = new Child(
    'gateway-server.js',
    { env, platformUrl: 'http://127.0.0.1:9/zwfw/api/v1', dispatcherPaused: true, logs: o.logs, groupCommit },
    // BENCH_GATEWAY_NODE_ARGS: extra node flags for the gateway only (e.g. `--cpu-prof` to profile it).
    { quiet: true, execArgv: process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) },
  );
  let load: Child | undefined;
  try {
    const { url } = await gw.wait('ready');
    load = new Child('load-client.js', {
      url,
      token: SCJG_TOKEN,
      concurrency,
      warmupMs: o.warmupMs,
      durationMs: o.durationMs,
      runId: runId(),
      ratePerSec,
    });
    await load.wait('ready');
    const before = await gw.ask({ type: 'stats' });
    const r = await load.ask({ type: 'go' });
    if (r.error) throw new Error(r.error);
    const after = await gw.ask({ type: 'stats', outbox: true });
    const groups = after.ingest.groups - before.ingest.groups;
    const writes = after.ingest.writes - before.ingest.writes;
    return {
      label,
      db: kind,
      concurrency,
      perSec: r.acceptedPerSec,
      latencyMs: r.latencyMs,
      peakRssMiB: after.peakRssMiB,
      extra: {
        statuses: r.statuses,
        meanGroup: groups ? writes / groups : 0,
        largestGroup: after.ingest.largestGroup,
        fallbacks: after.ingest.fallbacks,
        // Gateway CPU (all threads) per request over the whole phase, warm-up included.
        cpuMsPerEvent: r.sentTotal ? Number(((after.cpuMs - before.cpuMs) / r.sentTotal).toFixed(3)) : undefined,
        outboxPending: after.outbox?.pending,
        loadClientPeakRssMiB: r.clientPeakRssMiB,
      },
    };
  } finally {
    await load?.stop();
    await gw.stop();
    dropDatabase(db);
  }
}

function table(results: PhaseResult[]): string {
  const lines = [
    '| db | phase | clients | events/s | p50 ms | p90 ms | p99 ms | max ms | peak RSS MiB | machine after phase | notes |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const r of results) {
    const notes = Object.entries(r.extra)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v, k === 'meanGroup' ? 1 : k === 'cpuMsPerEvent' ? 3 : 0) : JSON.stringify(v)}`)
      .join(' ');
    lines.push(
      `| ${r.db} | ${r.label} | ${r.concurrency} | ${fmt(r.perSec)} | ${fmt(r.latencyMs.p50, 1)} | ${fmt(r.latencyMs.p90, 1)} | ${fmt(r.latencyMs.p99, 1)} | ${fmt(r.latencyMs.max, 1)} | ${r.peakRssMiB} | ${r.noise ?? ''} | ${notes} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const info = machine();
  console.log(`# ingest benchmark ${info.date}\n${JSON.stringify(info, null, 1)}\noptions ${JSON.stringify(o)}\n`);
  const results: PhaseResult[] = [];
  const summary: string[] = [];
  const log = (r: PhaseResult) => {
    r.noise = noise();
    results.push(r);
    console.log(table([r]).split('\n').slice(2).join('\n'));
  };
  for (const kind of o.dbs) {
    const bare: number[] = [];
    const gw: number[] = [];
    for (let round = 0; round < o.rounds; round++) {
      const b = await barePhase(kind, o, o.concurrency);
      log(b);
      bare.push(b.perSec);
      const g = await gatewayPhase(kind, o, o.concurrency, 'gateway', o.groupCommit);
      log(g);
      gw.push(g.perSec);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const p99 = await gatewayPhase(kind, o, o.p99Concurrency, 'gateway', o.groupCommit);
    log(p99);
    const paced: string[] = [];
    for (const rate of o.pacedRates) {
      const r = await gatewayPhase(kind, o, o.p99Concurrency, `gateway, paced at ${rate}/s offered`, o.groupCommit, rate);
      log(r);
      paced.push(`${fmt(r.latencyMs.p99, 1)} ms at ${rate}/s offered`);
    }
    if (o.reference) {
      log(await barePhase(kind, o, o.p99Concurrency));
      log(await barePhase(kind, o, o.concurrency, false));
      log(await gatewayPhase(kind, o, o.concurrency, 'gateway, group commit off', { maxBatch: 1, maxInFlight: 20 }));
    }
    const ratio = o.rounds
      ? `gateway ${fmt(mean(gw))}/s vs bare ${fmt(mean(bare))}/s at ${o.concurrency} clients → ratio ${fmt(mean(gw) / mean(bare), 2)} (target ≥ 1.5; per round ${gw.map((g, i) => fmt(g / bare[i], 2)).join(', ')}); `
      : '';
    summary.push(
      `${kind}: ${ratio}p99 at ${o.p99Concurrency} clients ${fmt(p99.latencyMs.p99, 1)} ms closed loop (target < 50)` +
        (paced.length ? `; paced: ${paced.join(', ')}` : ''),
    );
  }
  console.log('\n' + table(results) + '\n');
  console.log(summary.join('\n'));
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `ingest-${info.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify({ machine: info, options: o, argv: process.argv.slice(2), results, summary }, null, 2),
  );
  console.log(`\nraw figures: ${file}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
