/**
 * Shared pieces of the benchmarks: child processes, fresh databases, the SCJG event used as load,
 * percentiles and the machine description. Compiled with `bench/tsconfig.json` to `dist/bench/`.
 */
import { ChildProcess, execSync, fork } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, freemem, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const DATA_KEY = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
export const SCJG_TOKEN = 'bench-token-scjg-0123456789';
export const PLATFORM_APP_ID = '430626-gateway';
export const PLATFORM_SECRET = 'bench-platform-secret-0123456789';
/** MariaDB server used when `--db mysql` (a dedicated database, dropped and made again per phase). */
export const MYSQL_ADMIN_URL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
export const MYSQL_DATABASE = 'gw_bench';

export type DbSpec = { kind: 'sqlite'; dir: string; path: string } | { kind: 'mysql'; url: string };

/** A fresh, empty database (schema by the gateway's own migrations when the gateway opens it). */
export async function freshDatabase(kind: 'sqlite' | 'mysql'): Promise<DbSpec> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
    return { kind, dir, path: join(dir, 'gateway.sqlite') };
  }
  const { createConnection } = await import('mysql2/promise');
  const admin = await createConnection(MYSQL_ADMIN_URL);
  await admin.query(`DROP DATABASE IF EXISTS \`${MYSQL_DATABASE}\``);
  await admin.query(`CREATE DATABASE \`${MYSQL_DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  return { kind, url: `${MYSQL_ADMIN_URL}/${MYSQL_DATABASE}` };
}

export function dropDatabase(db: DbSpec): void {
  if (db.kind === 'sqlite') rmSync(db.dir, { recursive: true, force: true });
}

/** Runs the database migrations once (the bare script writes into the gateway's schema). */
export async function migrate(db: DbSpec): Promise<void> {
  const { openDatabase } = await import('#gw/persistence');
  const d = await openDatabase(
    db.kind === 'sqlite'
      ? { kind: 'sqlite', path: db.path, busyTimeoutMs: 5000 }
      : { kind: 'mysql', url: db.url, poolSize: 2 },
  );
  await d.close();
}

/** Environment of a bench gateway (embedded mode, fixed keys, the SCJG token). */
export function gatewayEnv(db: DbSpec, extra: Record<string, string> = {}): Record<string, string> {
  return {
    GATEWAY_MODE: 'embedded',
    CATALOGUE_FILE: resolve(REPO_ROOT, 'config/catalogue.yaml'),
    LOG_LEVEL: 'silent',
    GATEWAY_DATA_KEY: DATA_KEY,
    GATEWAY_OPERATOR_TOKEN: 'bench-operator-token-0123456789',
    GATEWAY_DEPT_TOKEN_SCJG: SCJG_TOKEN,
    CITY_PLATFORM_APP_ID: PLATFORM_APP_ID,
    CITY_PLATFORM_SECRET: PLATFORM_SECRET,
    WAKE_URL: 'none',
    DATA_DIR: db.kind === 'sqlite' ? db.dir : mkdtempSync(join(tmpdir(), 'gw-bench-data-')),
    ...(db.kind === 'mysql' ? { DATABASE_URL: db.url } : {}),
    ...extra,
  };
}

/** The SCJG example of departments.md, as shipped in config/examples/ (read once). */
const SCJG_EXAMPLE: Record<string, unknown> = JSON.parse(
  readFileSync(join(REPO_ROOT, 'config', 'examples', 'scjg-event.json'), 'utf8'),
);

/** One SCJG event (departments.md format) opening a new case with stage 受理 (ACCEPTED). */
export function scjgEventBody(n: number, runId: string): Buffer {
  const seq = String(n).padStart(8, '0');
  return Buffer.from(JSON.stringify({ ...SCJG_EXAMPLE, eventId: randomUUID(), bizNo: `SCJG-B${runId}-${seq}` }));
}

export const runId = () => randomBytes(3).toString('hex');

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export interface LatencySummary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarise(latencies: number[]): LatencySummary {
  const s = Float64Array.from(latencies).sort();
  const arr = Array.from(s);
  const mean = arr.reduce((a, b) => a + b, 0) / (arr.length || 1);
  return {
    n: arr.length,
    p50: percentile(arr, 50),
    p90: percentile(arr, 90),
    p99: percentile(arr, 99),
    max: arr[arr.length - 1] ?? NaN,
    mean,
  };
}

/**
 * How fast this machine's CPU is today, in milliseconds for a fixed piece of work (hashing
 * 300 MiB with SHA-256 and a 10⁸-step integer loop, best of three). The VMs here differ from
 * day to day by up to ~3× for the same code; absolute figures from different days compare only
 * through this. Lower is faster (2026-11-28 03:10 UTC: 440 ms on a day the gateway needed 3× the
 * CPU per event it needed the day before).
 */
export function cpuReferenceMs(): number {
  const block = Buffer.alloc(1 << 20);
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 300; i++) createHash('sha256').update(block).digest();
    let s = 0;
    for (let i = 0; i < 1e8; i++) s += i % 7;
    if (s < 0) throw new Error('unreachable');
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return Math.round(best);
}

export function machine(): Record<string, string> {
  const sh = (c: string) => {
    try {
      return execSync(c, { encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  return {
    date: new Date().toISOString(),
    nproc: sh('nproc'),
    cpu: cpus()[0]?.model ?? '?',
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(freemem() / 2 ** 30).toFixed(1)} GiB free`,
    freeH: sh('free -h | sed -n 2p | tr -s " "'),
    loadavg: sh('cat /proc/loadavg'),
    node: process.version,
    mariadb: sh(`mysql -uroot -h127.0.0.1 -N -e "select version()" 2>/dev/null`),
    disk: sh(`df -h ${tmpdir()} | tail -1 | tr -s " "`),
    cpuReferenceMs: String(cpuReferenceMs()),
  };
}

/** A forked bench process speaking JSON messages: `ask` sends one and waits for the reply of that type. */
export class Child {
  readonly proc: ChildProcess;
  private readonly waiters = new Map<string, Array<(m: any) => void>>();
  private exited?: Promise<number | null>;

  constructor(
    script: string,
    args: unknown,
    options: { env?: Record<string, string>; quiet?: boolean; execArgv?: string[] } = {},
  ) {
    this.proc = fork(join(__dirname, script), [], {
      env: { ...process.env, ...options.env, BENCH_ARGS: JSON.stringify(args) },
      // A quiet child's stdout (e.g. the gateway's request log) goes to /dev/null.
      stdio: ['ignore', options.quiet ? 'ignore' : 'inherit', 'inherit', 'ipc'],
      execArgv: ['--max-old-space-size=2048', ...(options.execArgv ?? [])],
    });
    this.proc.on('message', (m: any) => {
      const list = this.waiters.get(m?.type);
      const w = list?.shift();
      if (w) w(m);
    });
    this.exited = new Promise((r) => this.proc.on('exit', (code) => r(code)));
  }

  wait<T = any>(type: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(type) ?? [];
      list.push(resolve);
      this.waiters.set(type, list);
      void this.exited!.then((code) => reject(new Error(`child exited (${code}) while waiting for "${type}"`)));
    });
  }

  async ask<T = any>(message: { type: string; [k: string]: unknown }, replyType = message.type): Promise<T> {
    const reply = this.wait<T>(replyType);
    this.proc.send(message);
    return reply;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    this.proc.send({ type: 'stop' });
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** In a child: handle messages from the parent. */
export function onParentMessage(handler: (m: any) => Promise<unknown> | unknown): void {
  process.on('message', async (m: any) => {
    try {
      const reply = await handler(m);
      if (reply !== undefined) process.send!({ type: m.type, ...(reply as object) });
    } catch (e) {
      process.send!({ type: m.type, error: (e as Error).stack ?? String(e) });
    }
  });
}

export const childArgs = <T>(): T => JSON.parse(process.env.BENCH_ARGS ?? '{}') as T;

/** A measuring child: runs `run` with its arguments on `go`, exits on `stop`, and says it is ready. */
export function serveMeasurement<T>(run: (args: T) => Promise<unknown>): void {
  const args = childArgs<T>();
  onParentMessage(async (m) => {
    if (m.type === 'go') return run(args);
    if (m.type === 'stop') process.exit(0);
    return undefined;
  });
  process.send!({ type: 'ready' });
}

/** Peak resident set size of this process, in MiB. */
export const peakRssMiB = () => Math.round(process.resourceUsage().maxRSS / 1024);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '–';
}
