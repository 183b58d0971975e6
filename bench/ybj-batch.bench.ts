/**
 * Benchmark: one 50,000-row YBJ nightly CSV file posted to `/api/v1/departments/ybj/batches`,
 * on SQLite and on MariaDB, as UTF-8 with a BOM and as GBK (`X-Charset: GBK`). Target: under 10 s
 * and under 300 MB peak RSS of the gateway on the 2-core machine.
 *
 *   npx tsc -p tsconfig.build.json && npx tsc -p bench/tsconfig.json
 *   node dist/bench/ybj-batch.bench.js [--db sqlite|mysql|both] [--encoding utf8|gbk|both]
 *        [--rows 50000] [--rounds 1] [--platform embedded|external] [--no-build]
 *        [--node-args "--cpu-prof --cpu-prof-dir=/tmp/prof"] [--rows-under-way 8000]
 *
 * The gateway runs exactly as `npm start` runs it — `node dist/apps/gateway/src/main.js` with
 * MALLOC_ARENA_MAX=2, built with `npx tsc -p tsconfig.build.json` (unless --no-build) — in its
 * own process with a fresh
 * DATA_DIR (and, for MariaDB, a fresh gw_t_* database), WAKE_URL=none, a free PORT and, with
 * --platform embedded (the default, as `npm start`), the city platform simulator in the same
 * process on a free SIMULATOR_PORT; with --platform external the simulator is a process of its own
 * and the gateway's figures are its own alone. The dispatcher runs as usual: deliveries to the
 * simulator go on while the file is read. With --platform none the platform URL is a closed port:
 * the breaker opens, nothing is delivered, and the ingest path is measured alone.
 *
 * Measured: wall time from the first byte sent to the last byte of the answer (every row answered
 * and durably stored), the gateway's peak RSS (VmHWM of /proc/<pid>/status, polled every 50 ms,
 * and its RSS before the post), the answer's counts, and the time of the same file sent again
 * (answered from the stored result). Beside the time, for reading it on a shared machine: the CPU
 * the gateway and (for MariaDB, when it runs here) the database server used meanwhile, and the
 * share of the run during which some task waited for a CPU (Linux PSI; the gateway and the
 * database compete for the two cores, so this is never zero). The file: 12,500 cases × 4 stages (申报 受理 审核 办结) over
 * one day, valid people (ID numbers with correct check digits), sorted by 流水号; in 5% of the cases
 * two neighbouring rows are out of time order, and in 1% the 办结 row comes before the 申报 row (so
 * the batch's retry of deferred rows runs too).
 *
 * MariaDB: BENCH_YBJ_MYSQL_URL (default mysql://gw_test:gw_test@127.0.0.1:3306), a user that may
 * create and drop gw_t_* databases.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import * as iconv from 'iconv-lite';
import { cpuReferenceMs } from './lib';

const REPO_ROOT = resolve(__dirname, '..', '..');
const YBJ_TOKEN = 'bench-token-ybj-0123456789';
const OPERATOR_TOKEN = 'bench-operator-token-0123456789';
const DATA_KEY = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const MYSQL_URL = process.env.BENCH_YBJ_MYSQL_URL ?? 'mysql://gw_test:gw_test@127.0.0.1:3306';
const HEADER = '流水号,业务编号,申办号,事项编码,事项名称,环节,环节时间,申请人姓名,证件号码,联系电话,经办人,办理意见,办理结果,办理地点';

type Db = 'sqlite' | 'mysql';
type Encoding = 'utf8' | 'gbk';

interface Options {
  dbs: Db[];
  encodings: Encoding[];
  rows: number;
  rounds: number;
  platform: 'embedded' | 'external' | 'none';
  build: boolean;
  /** Extra node options for the gateway process (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`). */
  nodeArgs: string[];
  /** The gateway's BATCH_ROWS_UNDER_WAY, when set (its own default otherwise). */
  rowsUnderWay?: string;
}

function parseArgs(argv: string[]): Options {
  const get = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : fallback;
  };
  const db = get('db', 'both');
  const enc = get('encoding', 'both');
  return {
    dbs: db === 'both' ? ['sqlite', 'mysql'] : [db as Db],
    encodings: enc === 'both' ? ['utf8', 'gbk'] : [enc as Encoding],
    rows: Number(get('rows', '50000')),
    rounds: Number(get('rounds', '1')),
    platform: get('platform', 'embedded') as Options['platform'],
    build: !argv.includes('--no-build'),
    nodeArgs: get('node-args', '').split(' ').filter(Boolean),
    rowsUnderWay: get('rows-under-way', '') || undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// The file

const MATTERS = [
  ['11430626MB456789960000150001000', '异地就医备案'],
  ['11430626MB456789960000150002000', '医保关系转移接续'],
  ['11430626MB456789960000150003000', '门诊慢特病待遇认定'],
] as const;
const SURNAMES = '李王张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗';
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂';
const PLACES = ['430626', '430626001', '430626002', '汉昌街道', '安定镇', '三市镇', '长寿镇', '430626105', '梅仙镇', '430626200'];
const STAGES = ['申报', '受理', '审核', '办结'] as const;

/** Deterministic pseudo-random numbers (mulberry32), so every run posts the same file. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function idNumber(rand: () => number): string {
  const y = 1950 + Math.floor(rand() * 55);
  const m = 1 + Math.floor(rand() * 12);
  const d = 1 + Math.floor(rand() * 28);
  const first17 = `430626${y}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}${String(Math.floor(rand() * 1000)).padStart(3, '0')}`;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, c, i) => s + Number(c) * w[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

interface Row {
  time: number; // minutes since 2026-10-23 00:00
  cells: string[];
}

/** The rows of the file, sorted by 流水号 as YBJ exports them (CSV text, without the header). */
export function ybjRows(count: number, seed = 20261023): string[] {
  const rand = rng(seed);
  const cases = Math.ceil(count / STAGES.length);
  const rows: (Row & { caseIndex: number })[] = [];
  for (let c = 0; c < cases; c++) {
    const [code, name] = MATTERS[c % MATTERS.length];
    const person = SURNAMES[Math.floor(rand() * SURNAMES.length)] + GIVEN[Math.floor(rand() * GIVEN.length)] + (rand() < 0.5 ? GIVEN[Math.floor(rand() * GIVEN.length)] : '');
    const id = idNumber(rand);
    const phone = `13${8 + Math.floor(rand() * 2)}${String(Math.floor(rand() * 1e8)).padStart(8, '0')}`;
    const place = PLACES[Math.floor(rand() * PLACES.length)];
    const handler = `经办${String.fromCharCode(0x4e00 + Math.floor(rand() * 500))}`;
    let t = 8 * 60 + Math.floor(rand() * 8 * 60);
    for (let s = 0; s < STAGES.length && rows.length < count; s++) {
      const stage = STAGES[s];
      const opinion = stage === '受理' ? '材料齐全，予以受理' : stage === '审核' ? '审核通过' : stage === '办结' ? (rand() < 0.3 ? '"办结,待遇已核定"' : '办结') : '';
      rows.push({
        time: t,
        caseIndex: c,
        cells: ['', `YB-2026-B${String(c).padStart(6, '0')}`, '', code, name, stage, '', person, id, phone, s === 0 ? '' : handler, opinion, stage === '办结' ? '准予' : '', place],
      });
      t += 1 + Math.floor(rand() * 30);
    }
  }
  // 流水号 in time order (ties by case), then 5% of the cases get two rows swapped: out of time order.
  rows.sort((a, b) => a.time - b.time || a.caseIndex - b.caseIndex);
  const byCase = new Map<number, number[]>();
  rows.forEach((r, i) => byCase.set(r.caseIndex, [...(byCase.get(r.caseIndex) ?? []), i]));
  const order = rows.map((_, i) => i);
  for (const [c, idx] of byCase) {
    if (idx.length < 2) continue;
    let a: number;
    let b: number;
    if (c % 100 === 42) [a, b] = [idx[0], idx[idx.length - 1]]; // 办结 before 申报: deferred, then retried
    else if (c % 20 === 7) [a, b] = c % 40 === 7 ? [idx[0], idx[1]] : [idx[idx.length - 2], idx[idx.length - 1]];
    else continue;
    [order[a], order[b]] = [order[b], order[a]];
  }
  return order.map((ri, serial) => {
    const r = rows[ri];
    const cells = [...r.cells];
    cells[0] = `YB20261023${String(serial + 1).padStart(6, '0')}`;
    const h = Math.floor(r.time / 60);
    cells[6] = `2026/10/23 ${h}:${String(r.time % 60).padStart(2, '0')}`;
    return cells.join(',');
  });
}

function writeFiles(dir: string, rows: number): Record<Encoding, string> {
  const lines = ybjRows(rows);
  const text = `${HEADER}\r\n${lines.join('\r\n')}\r\n`;
  const utf8 = join(dir, `ybj-${rows}-utf8bom.csv`);
  const gbk = join(dir, `ybj-${rows}-gbk.csv`);
  writeFileSync(utf8, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]));
  writeFileSync(gbk, iconv.encode(text, 'gbk'));
  return { utf8, gbk };
}

// ---------------------------------------------------------------------------------------------
// Processes

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitHttp(url: string, proc: ChildProcess, log: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode}:\n${readFileSync(log, 'utf8').slice(-3000)}`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${readFileSync(log, 'utf8').slice(-3000)}`);
}

function spawnNode(script: string, env: Record<string, string>, log: string, nodeArgs: string[] = []): ChildProcess {
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, [...nodeArgs, script], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  return child;
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
}

/** CPU time (user + system, all threads) a process has used so far, in seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/**
 * CPU seconds so far per thread of a process: `main` (the event loop), then the others by thread
 * id (Node names them all `node`: V8's garbage-collection and compiler helpers, the libuv pool,
 * worker threads such as the encryption worker). Where the gateway's CPU goes.
 */
function threadCpuSeconds(pid: number): Record<string, number> {
  const byThread: Record<string, number> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      byThread[tid === String(pid) ? 'main' : tid] = (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // the thread ended
    }
  }
  return byThread;
}

function threadCpuDelta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [name, s] of Object.entries(after)) delta[name] = Math.round((s - (before[name] ?? 0)) * 100) / 100;
  return delta;
}

/** The local database server's process (MariaDB or MySQL), if it runs on this machine: its CPU time is part of the cost. */
function dbServerPid(): number | undefined {
  for (const name of ['mariadbd', 'mysqld']) {
    const pid = sh('pgrep', ['-x', '-o', name]);
    if (/^\d+$/.test(pid)) return Number(pid);
  }
  return undefined;
}

/**
 * Microseconds during which some runnable task on this machine waited for a CPU (Linux pressure
 * stall information), or undefined without it. Over a run, divided by its length: how crowded
 * the two cores were (by the gateway and the database themselves, and by whatever else runs).
 */
function cpuStallMicros(): number | undefined {
  try {
    return Number(/^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

/** VmHWM / VmRSS of a process, in MiB. */
function memory(pid: number): { hwm: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { hwm: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 };
}

interface MysqlDb {
  url: string;
  drop(): Promise<void>;
}

async function freshMysql(): Promise<MysqlDb> {
  const { createConnection } = await import('mysql2/promise');
  const name = `gw_t_bench_ybj_${randomBytes(4).toString('hex')}`;
  const admin = await createConnection(MYSQL_URL);
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  return {
    url: `${MYSQL_URL}/${name}`,
    async drop() {
      const a = await createConnection(MYSQL_URL);
      await a.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await a.end();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// One run

interface RunResult {
  db: Db;
  encoding: Encoding;
  round: number;
  platform: Options['platform'];
  rows: number;
  fileBytes: number;
  httpStatus: number;
  counts: { rows: number; accepted: number; duplicate: number; rejected: number };
  seconds: number;
  /** CPU the gateway used (all its threads) while the file was posted and answered. */
  gatewayCpuSeconds: number;
  /** The same, per thread (see `threadCpuSeconds`). */
  gatewayThreadCpuSeconds: Record<string, number>;
  /** CPU the local MariaDB/MySQL server used meanwhile (MariaDB runs only; undefined if it is not local). */
  dbServerCpuSeconds?: number;
  /** Share of the run during which some task waited for a CPU (Linux PSI "some"; undefined elsewhere). */
  cpuPressurePercent?: number;
  rowsPerSecond: number;
  rssBeforeMiB: number;
  peakRssMiB: number;
  repeatSeconds: number;
  repeated: boolean;
  deliveredAtAnswer?: unknown;
}

function postFile(port: number, file: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/departments/ybj/batches', method: 'POST', headers: { ...headers, 'Content-Length': String(statSync(file).size) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', fail);
    });
    req.on('error', fail);
    createReadStream(file).pipe(req);
  });
}

async function run(db: Db, encoding: Encoding, file: string, rows: number, round: number, opts: Options, logDir: string): Promise<RunResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-bench-ybj-'));
  const mysql = db === 'mysql' ? await freshMysql() : undefined;
  const port = await freePort();
  const log = join(logDir, `gateway-${db}-${encoding}-${round}.log`);
  let simulator: ChildProcess | undefined;
  const env: Record<string, string> = {
    // As `npm start` (and the image) run the gateway: two malloc arenas, not up to eight per core.
    MALLOC_ARENA_MAX: '2',
    GATEWAY_MODE: 'embedded',
    NODE_ENV: 'development',
    CATALOGUE_FILE: join(REPO_ROOT, 'config/catalogue.yaml'),
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    GATEWAY_DATA_KEY: DATA_KEY,
    GATEWAY_OPERATOR_TOKEN: OPERATOR_TOKEN,
    GATEWAY_DEPT_TOKEN_YBJ: YBJ_TOKEN,
    WAKE_URL: 'none',
    ...(mysql ? { DATABASE_URL: mysql.url } : {}),
    ...(opts.rowsUnderWay ? { BATCH_ROWS_UNDER_WAY: opts.rowsUnderWay } : {}),
  };
  if (opts.platform === 'embedded') {
    env.SIMULATOR_PORT = String(await freePort());
  } else if (opts.platform === 'none') {
    // No platform answers (a closed port): the breaker opens and the dispatcher waits; the ingest
    // path alone is measured.
    Object.assign(env, { CITY_PLATFORM_URL: `http://127.0.0.1:${await freePort()}/zwfw/api/v1`, CITY_PLATFORM_APP_ID: 'bench-app', CITY_PLATFORM_SECRET: 'bench-platform-secret-0123456789' });
  } else {
    const simPort = await freePort();
    const simLog = join(logDir, `simulator-${db}-${encoding}-${round}.log`);
    simulator = spawnNode('dist/apps/platform-simulator/src/main.js', { SIMULATOR_PORT: String(simPort), SIMULATOR_HOST: '127.0.0.1', SIMULATOR_APPS: 'bench-app:bench-platform-secret-0123456789', SIMULATOR_RATE_LIMIT: '5000', SIMULATOR_LOG: 'off' }, simLog);
    await waitHttp(`http://127.0.0.1:${simPort}/health`, simulator, simLog);
    Object.assign(env, { CITY_PLATFORM_URL: `http://127.0.0.1:${simPort}/zwfw/api/v1`, CITY_PLATFORM_APP_ID: 'bench-app', CITY_PLATFORM_SECRET: 'bench-platform-secret-0123456789', CITY_PLATFORM_RATE_LIMIT: '5000' });
  }
  const gateway = spawnNode('dist/apps/gateway/src/main.js', env, log, opts.nodeArgs);
  try {
    await waitHttp(`http://127.0.0.1:${port}/health/ready`, gateway, log);
    await sleep(500);
    const before = memory(gateway.pid!);
    let peak = before.hwm;
    const poll = setInterval(() => {
      try {
        peak = Math.max(peak, memory(gateway.pid!).hwm);
      } catch {
        // exited
      }
    }, 50);
    const headers: Record<string, string> = { Authorization: `Bearer ${YBJ_TOKEN}`, 'Content-Type': 'text/csv', 'X-Batch-Id': `YBJ-BENCH-${encoding}-${round}` };
    if (encoding === 'gbk') headers['X-Charset'] = 'GBK';
    const dbPid = db === 'mysql' ? dbServerPid() : undefined;
    const cpu0 = cpuSeconds(gateway.pid!);
    const threads0 = threadCpuSeconds(gateway.pid!);
    const db0 = dbPid ? cpuSeconds(dbPid) : undefined;
    const stall0 = cpuStallMicros();
    const t0 = process.hrtime.bigint();
    const reply = await postFile(port, file, headers);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const gatewayCpuSeconds = cpuSeconds(gateway.pid!) - cpu0;
    const gatewayThreadCpuSeconds = threadCpuDelta(threadCpuSeconds(gateway.pid!), threads0);
    const dbServerCpuSeconds = dbPid && db0 !== undefined ? cpuSeconds(dbPid) - db0 : undefined;
    const stall1 = cpuStallMicros();
    const cpuPressurePercent = stall0 !== undefined && stall1 !== undefined ? (100 * (stall1 - stall0)) / 1e6 / seconds : undefined;
    clearInterval(poll);
    peak = Math.max(peak, memory(gateway.pid!).hwm);
    if (reply.status !== 200) throw new Error(`HTTP ${reply.status}: ${reply.body.slice(0, 2000)}`);
    const body = JSON.parse(reply.body);
    const delivery = await fetch(`http://127.0.0.1:${port}/api/v1/delivery/status`, { headers: { Authorization: `Bearer ${OPERATOR_TOKEN}` } })
      .then((r) => (r.ok ? r.json() : undefined))
      .catch(() => undefined);

    const t1 = process.hrtime.bigint();
    const again = await postFile(port, file, headers);
    const repeatSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
    const repeated = again.status === 200 && JSON.parse(again.body).repeated === true;
    return {
      db,
      encoding,
      round,
      platform: opts.platform,
      rows,
      fileBytes: statSync(file).size,
      httpStatus: reply.status,
      counts: { rows: body.rows, accepted: body.accepted, duplicate: body.duplicate, rejected: body.rejected },
      seconds,
      gatewayCpuSeconds,
      gatewayThreadCpuSeconds,
      dbServerCpuSeconds,
      cpuPressurePercent,
      rowsPerSecond: rows / seconds,
      rssBeforeMiB: before.rss,
      peakRssMiB: peak,
      repeatSeconds,
      repeated,
      deliveredAtAnswer: (delivery as { outbox?: unknown } | undefined)?.outbox,
    };
  } finally {
    await stop(gateway);
    if (simulator) await stop(simulator);
    await mysql?.drop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The MariaDB server's version, asked with the benchmark's own credentials. */
async function serverVersion(): Promise<string> {
  const { createConnection } = await import('mysql2/promise');
  try {
    const c = await createConnection(MYSQL_URL);
    const [rows] = await c.query('SELECT VERSION() AS v');
    await c.end();
    return String((rows as { v: string }[])[0].v);
  } catch (e) {
    return `? (${(e as Error).message})`;
  }
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.build) {
    process.stdout.write('building: npx tsc -p tsconfig.build.json …\n');
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [REPO_ROOT] }), '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'inherit' });
  }
  const work = mkdtempSync(join(tmpdir(), 'gw-bench-ybj-files-'));
  const files = writeFiles(work, opts.rows);
  // Process logs (LOG_LEVEL=warn) go beside the files, in the temp dir, printed only on failure.
  const logDir = work;
  const machine = {
    date: new Date().toISOString(),
    nproc: sh('nproc', []),
    cpu: cpus()[0]?.model ?? '?',
    memoryGiB: (totalmem() / 2 ** 30).toFixed(1),
    loadavgAtStart: loadavg().map((l) => l.toFixed(2)).join(' '),
    node: process.version,
    mariadb: opts.dbs.includes('mysql') ? await serverVersion() : undefined,
    cpuReferenceMs: cpuReferenceMs(),
    command: `node dist/bench/ybj-batch.bench.js ${process.argv.slice(2).join(' ')}`.trim(),
  };
  process.stdout.write(`CPU reference ${machine.cpuReferenceMs} ms (bench/lib.ts cpuReferenceMs; lower is faster)\n`);
  process.stdout.write(`files: ${files.utf8} (${statSync(files.utf8).size} B), ${files.gbk} (${statSync(files.gbk).size} B)\n`);
  const results: RunResult[] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    for (const db of opts.dbs) {
      for (const encoding of opts.encodings) {
        const r = await run(db, encoding, files[encoding], opts.rows, round, opts, logDir);
        results.push(r);
        process.stdout.write(
          `${db.padEnd(6)} ${encoding.padEnd(4)} round ${round}: ${r.seconds.toFixed(2)} s (${Math.round(r.rowsPerSecond)} rows/s), gateway CPU ${r.gatewayCpuSeconds.toFixed(1)} s` +
            `${r.dbServerCpuSeconds !== undefined ? `, database server CPU ${r.dbServerCpuSeconds.toFixed(1)} s` : ''}${r.cpuPressurePercent !== undefined ? `, CPU pressure ${r.cpuPressurePercent.toFixed(0)} %` : ''}, peak RSS ${r.peakRssMiB.toFixed(0)} MiB (before ${r.rssBeforeMiB.toFixed(0)}), ` +
            `answer ${JSON.stringify(r.counts)}, repeat ${r.repeatSeconds.toFixed(2)} s repeated=${r.repeated}\n` +
            `  gateway CPU by thread: ${Object.entries(r.gatewayThreadCpuSeconds).filter(([, s]) => s >= 0.05).sort((a, b) => b[1] - a[1]).map(([n, s]) => `${n} ${s.toFixed(2)} s`).join(', ')}\n`,
        );
      }
    }
  }
  if (process.env.BENCH_KEEP_LOGS) process.stdout.write(`logs kept in ${work}\n`);
  else rmSync(work, { recursive: true, force: true });
  mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
  const out = join(REPO_ROOT, 'bench', 'results', `ybj-batch-${machine.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({ machine, options: opts, results }, null, 2));
  process.stdout.write(
    `\n| database | file | rows | time (s) | rows/s | peak RSS (MiB) | accepted | repeat (s) | gateway CPU (s) | database CPU (s) | CPU pressure |\n|---|---|---|---|---|---|---|---|---|---|---|\n`,
  );
  const opt = (v: number | undefined, digits: number, unit = '') => (v === undefined ? '–' : `${v.toFixed(digits)}${unit}`);
  for (const r of results) {
    process.stdout.write(
      `| ${r.db === 'sqlite' ? 'SQLite' : 'MariaDB'} | ${r.encoding === 'utf8' ? 'UTF-8 + BOM' : 'GBK'} | ${r.rows} | ${r.seconds.toFixed(2)} | ${Math.round(r.rowsPerSecond)} | ${r.peakRssMiB.toFixed(0)} | ${r.counts.accepted} | ${r.repeatSeconds.toFixed(2)} | ` +
        `${r.gatewayCpuSeconds.toFixed(1)} | ${opt(r.dbServerCpuSeconds, 1)} | ${opt(r.cpuPressurePercent, 0, ' %')} |\n`,
    );
  }
  process.stdout.write(`\nwritten ${out}\n`);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
