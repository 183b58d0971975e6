import { ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Catalogue } from '#gw/catalogue';
import { freePort } from './free-port';
import { waitFor } from './wait-for';
import { PLATFORM_APP_ID, REPO_ROOT } from './test-gateway';

/**
 * Helpers for suites that run the built apps as separate processes (crash and split-deployment
 * tests): build once, spawn with an explicit environment, wait for health, kill.
 */

const STAMP = join(REPO_ROOT, 'dist', '.e2e-build-stamp');
const LOCK = join(REPO_ROOT, 'dist', '.e2e-build-lock');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (/\.(ts|json|ya?ml)$/.test(entry.name) && !/\.(e2e-)?spec\.ts$/.test(entry.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function sourcesChangedSince(stamp: string): boolean {
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  const newest = Math.max(
    newestSource(join(REPO_ROOT, 'apps')),
    newestSource(join(REPO_ROOT, 'libs')),
    ...['tsconfig.json', 'tsconfig.build.json', 'package.json'].map((f) => statSync(join(REPO_ROOT, f)).mtimeMs),
  );
  return newest > built;
}

const run = (file: string, args: string[]) =>
  new Promise<void>((resolve, reject) =>
    execFile(file, args, { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${args.join(' ')} failed:\n${stdout}${stderr}`)) : resolve(),
    ),
  );

/**
 * `tsc -p tsconfig.build.json` into dist/, unless dist is newer than every source. Several suites
 * (and jest workers) may ask at once: a lock directory lets one build while the others wait.
 */
export async function ensureBuilt(): Promise<void> {
  if (!sourcesChangedSince(STAMP)) return;
  mkdirSync(join(REPO_ROOT, 'dist'), { recursive: true });
  await waitFor(
    'the build lock',
    async () => {
      try {
        mkdirSync(LOCK);
        return true;
      } catch {
        // A lock left by a killed run is stale after five minutes.
        if (Date.now() - statSync(LOCK).mtimeMs > 5 * 60_000) rmSync(LOCK, { recursive: true, force: true });
        return false;
      }
    },
    300_000,
    250,
  );
  try {
    if (!sourcesChangedSince(STAMP)) return;
    const started = Date.now();
    await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
    writeFileSync(STAMP, `${new Date(started).toISOString()}\n`);
    // Sources changed while tsc ran make the next call build again.
    utimesSync(STAMP, started / 1000, started / 1000);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

export const APP_SCRIPTS = {
  gateway: 'dist/apps/gateway/src/main.js',
  ingress: 'dist/apps/ingress/src/main.js',
  dispatcher: 'dist/apps/dispatcher/src/main.js',
  simulator: 'dist/apps/platform-simulator/src/main.js',
} as const;

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

/** One app run as a child process, its output appended to a log file; can be killed and started again. */
export class AppProcess {
  private child?: ChildProcess;
  private exited?: Promise<number | null>;
  starts = 0;

  constructor(
    readonly name: string,
    readonly script: string,
    readonly env: Record<string, string>,
    readonly logFile: string,
    /** Answers 2xx when the process is ready. */
    readonly readyUrl?: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the process; with a readyUrl, resolves once it answers (or fails with the log's tail). */
  async start(timeoutMs = 60_000): Promise<void> {
    const fd = openSync(this.logFile, 'a');
    writeFileSync(fd, `\n===== ${new Date().toISOString()} start #${++this.starts} of ${this.name} =====\n`);
    // Only what is given: nothing from the developer's shell (DATABASE_URL, WAKE_URL …) leaks in.
    const child = spawn(process.execPath, [this.script], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...this.env },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    this.child = child;
    running.add(child);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        running.delete(child);
        resolve(code);
      }),
    );
    if (!this.readyUrl) return;
    try {
      await waitFor(
        `${this.name} ready at ${this.readyUrl}`,
        async () => {
          if (!this.alive) throw new Error(`${this.name} exited with ${child.exitCode ?? child.signalCode}`);
          const r = await fetch(this.readyUrl!, { signal: AbortSignal.timeout(2000) }).catch(() => null);
          return r?.ok;
        },
        timeoutMs,
        100,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- ${this.logFile} (tail) ---\n${this.tail()}`);
    }
  }

  /** SIGKILL: no shutdown hooks, nothing flushed; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (graceful), then SIGKILL after `graceMs`; resolves with the exit code. */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (!this.alive) return (await this.exited) ?? null;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    const code = await this.exited!;
    clearTimeout(timer);
    return code;
  }

  /** Resolves with the exit code when the process ends by itself. */
  waitExit(): Promise<number | null> {
    return this.exited ?? Promise.resolve(null);
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  tail(chars = 4000): string {
    return this.log().slice(-chars);
  }
}

/** A directory under test-artifacts/ (git-ignored) for a suite's process logs, kept for inspection. */
export function artifactsDir(suite: string): string {
  const dir = join(REPO_ROOT, 'test-artifacts', suite, new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The city platform simulator as its own process (it outlives the gateway processes it serves). */
export async function startSimulatorProcess(logDir: string): Promise<{ proc: AppProcess; url: string; origin: string }> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const proc = new AppProcess(
    'platform-simulator',
    APP_SCRIPTS.simulator,
    {
      SIMULATOR_PORT: String(port),
      SIMULATOR_HOST: '127.0.0.1',
      SIMULATOR_APPS: `${PLATFORM_APP_ID}:${PROCESS_SECRETS.platformSecret}`,
      SIMULATOR_RATE_LIMIT: '5000',
      SIMULATOR_LOG: 'off',
    },
    join(logDir, 'platform-simulator.log'),
    `${origin}/health`,
  );
  await proc.start();
  return { proc, url: `${origin}/zwfw/api/v1`, origin };
}

/**
 * Keys and secrets of the spawned apps. Production mode refuses secrets shorter than 32
 * characters, repetitive ones, and one value used for two purposes.
 */
export const DATA_KEY = '3f0a9c5e7b21d4869e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f';
export const PROCESS_SECRETS = {
  operatorToken: 'proc-operator-7Hq2vK9pLz3xW8rT5mN1bC6dF4gJ0sYa',
  platformSecret: 'proc-platform-Qm4Rt7Yx2Kp9Lw3Nz6Bv1Cj8Hd5Fs0Ga',
  callbackSecret: 'proc-callback-Zx8Cv3Bn6Ml1Kj4Hg7Fd2Sa9Qw5Er0Ty',
};

/** A token for every department of the catalogue (production mode requires each enabled one). */
export function departmentTokens(): Record<string, string> {
  const catalogue = Catalogue.fromFile(join(REPO_ROOT, 'config/catalogue.yaml'));
  return Object.fromEntries(catalogue.departments.map((d) => [d.code, `proc-token-${d.code.toLowerCase()}-7Hq2vK9pLz3xW8rT5mN1bC6dF4`]));
}

/** What every gateway process of these suites is given: explicit keys and tokens, the simulator as the platform. */
export function gatewayEnv(platformUrl: string, tokens: Record<string, string>): Record<string, string> {
  return {
    CATALOGUE_FILE: join(REPO_ROOT, 'config/catalogue.yaml'),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    GATEWAY_DATA_KEY: DATA_KEY,
    GATEWAY_OPERATOR_TOKEN: PROCESS_SECRETS.operatorToken,
    CITY_PLATFORM_URL: platformUrl,
    // The simulator answers plain http on 127.0.0.1: the test network's escape hatch (production
    // mode refuses an http:// platform otherwise).
    PLATFORM_ALLOW_HTTP: 'true',
    CITY_PLATFORM_APP_ID: PLATFORM_APP_ID,
    CITY_PLATFORM_SECRET: PROCESS_SECRETS.platformSecret,
    CITY_PLATFORM_RATE_LIMIT: '5000',
    PLATFORM_CALLBACK_SECRET: PROCESS_SECRETS.callbackSecret,
    ...Object.fromEntries(Object.entries(tokens).map(([code, token]) => [`GATEWAY_DEPT_TOKEN_${code}`, token])),
  };
}

/** The operator's view of the outbox and of one dispatcher (`GET /api/v1/delivery/status`). */
export async function deliveryStatus(base: string): Promise<any> {
  const r = await fetch(`${base}/api/v1/delivery/status`, { headers: { Authorization: `Bearer ${PROCESS_SECRETS.operatorToken}` }, signal: AbortSignal.timeout(5000) });
  if (!r.ok) throw new Error(`delivery status: HTTP ${r.status}`);
  return r.json();
}

export async function getJson(url: string): Promise<any> {
  const r = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}`);
  return r.json();
}
