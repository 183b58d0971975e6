import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';
import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { ConfigError } from './errors';

/** Environment variables the gateway reads, with their rules. Names are the variables themselves. */
class GatewayEnv {
  @IsOptional() @IsIn(['embedded', 'production'])
  GATEWAY_MODE?: string;

  @IsOptional() @IsInt() @Min(1) @Max(65535)
  PORT?: number;

  @IsOptional() @IsString()
  HOST?: string;

  @IsOptional() @Matches(/^(mysql|mariadb):\/\/[^\s/]+\/[A-Za-z0-9_]+(\?.*)?$/, {
    message: 'DATABASE_URL 必须形如 mysql://用户:密码@主机:3306/库名 (must look like mysql://user:pass@host:3306/dbname)',
  })
  DATABASE_URL?: string;

  @IsOptional() @IsString()
  DATA_DIR?: string;

  @IsOptional() @IsString()
  CATALOGUE_FILE?: string;

  @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL?: string;

  @IsOptional() @Matches(/^[0-9a-fA-F]{64}$/, { message: 'GATEWAY_DATA_KEY 必须是64位十六进制 (must be 64 hex characters)' })
  GATEWAY_DATA_KEY?: string;

  /** The data key before a rotation (read, never written with), until the re-encryption job is done. */
  @IsOptional() @Matches(/^[0-9a-fA-F]{64}$/, { message: 'GATEWAY_DATA_KEY_PREVIOUS 必须是64位十六进制 (must be 64 hex characters)' })
  GATEWAY_DATA_KEY_PREVIOUS?: string;

  @IsOptional() @IsInt() @Min(1024) @Max(64 * 1024 * 1024)
  MAX_EVENT_BYTES?: number;

  @IsOptional() @IsInt() @Min(1024) @Max(512 * 1024 * 1024)
  MAX_BATCH_BYTES?: number;

  @IsOptional() @IsInt() @Min(2) @Max(20000)
  BATCH_ROWS_UNDER_WAY?: number;

  @IsOptional() @IsInt() @Min(1000) @Max(600_000)
  HTTP_HEADERS_TIMEOUT_MS?: number;

  @IsOptional() @IsInt() @Min(1000) @Max(3_600_000)
  HTTP_REQUEST_TIMEOUT_MS?: number;

  @IsOptional() @IsInt() @Min(1000) @Max(600_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS?: number;

  @IsOptional() @IsInt() @Min(0) @Max(60000)
  SQLITE_BUSY_TIMEOUT_MS?: number;

  @IsOptional() @IsInt() @Min(1) @Max(200)
  DATABASE_POOL_SIZE?: number;

  @IsOptional() @Matches(/^https?:\/\/\S+$/, { message: 'CITY_PLATFORM_URL 必须是 http(s) 地址 (must be an http(s) URL)' })
  CITY_PLATFORM_URL?: string;

  @IsOptional() @IsString() @Matches(/^[\w.-]{1,64}$/)
  CITY_PLATFORM_APP_ID?: string;

  @IsOptional() @IsString()
  CITY_PLATFORM_SECRET?: string;

  @IsOptional() @IsIn(['hmac-sm3', 'hmac-sha256'])
  CITY_PLATFORM_SIGN_ALG?: string;

  @IsOptional() @IsInt() @Min(1) @Max(10000)
  CITY_PLATFORM_RATE_LIMIT?: number;

  @IsOptional() @IsString() @Matches(/^[\w.-]{1,64}$/)
  PLATFORM_CALLBACK_APP_ID?: string;

  @IsOptional() @IsInt() @Min(1000) @Max(86400000)
  INBOX_LEASE_MS?: number;

  @IsOptional() @IsInt() @Min(0) @Max(65535)
  SIMULATOR_PORT?: number;

  @IsOptional() @Matches(/^(none|tcp:\/\/[^\s:]+:\d{1,5}|amqps?:\/\/\S+)$/, {
    message: 'WAKE_URL 必须是 tcp://主机:端口、amqp://用户:密码@主机:5672 或 none (tcp://host:port, amqp://… or none)',
  })
  WAKE_URL?: string;

  @IsOptional() @IsInt() @Min(1) @Max(256)
  DISPATCH_CONCURRENCY?: number;

  @IsOptional() @IsInt() @Min(10) @Max(60000)
  DISPATCH_POLL_MS?: number;

  @IsOptional() @IsInt() @Min(1000) @Max(3600000)
  DISPATCH_LEASE_MS?: number;

  @IsOptional() @IsInt() @Min(10) @Max(600000)
  DISPATCH_RETRY_BASE_MS?: number;

  @IsOptional() @IsInt() @Min(100) @Max(3_600_000)
  DISPATCH_RETRY_MAX_MS?: number;

  @IsOptional() @IsInt() @Min(100) @Max(600000)
  PLATFORM_TIMEOUT_MS?: number;

  @IsOptional() @IsInt() @Min(100) @Max(3600000)
  BREAKER_RESET_MS?: number;

  @IsOptional() @IsInt() @Min(1) @Max(1000000)
  INGRESS_RATE_PER_DEPARTMENT?: number;

  @IsOptional() @IsInt() @Min(1) @Max(1000000)
  INGRESS_RATE_PER_ADDRESS?: number;

  @IsOptional() @IsInt() @Min(1) @Max(100000)
  INGRESS_REFUSALS_PER_ADDRESS?: number;

  @IsOptional() @IsInt() @Min(1) @Max(1000000)
  INGRESS_REFUSAL_BURST?: number;

  @IsOptional() @IsString()
  TLS_CERT_FILE?: string;

  @IsOptional() @IsString()
  TLS_KEY_FILE?: string;

  @IsOptional() @IsIn(['TLSv1.2', 'TLSv1.3'], { message: 'TLS_MIN_VERSION 只能是 TLSv1.2 或 TLSv1.3 (must be TLSv1.2 or TLSv1.3)' })
  TLS_MIN_VERSION?: string;

  @IsOptional() @IsIn(['true', 'false'], { message: 'PLATFORM_ALLOW_HTTP 只能是 true 或 false (must be true or false)' })
  PLATFORM_ALLOW_HTTP?: string;
}

const NUMERIC = [
  'PORT',
  'MAX_EVENT_BYTES',
  'MAX_BATCH_BYTES',
  'BATCH_ROWS_UNDER_WAY',
  'HTTP_HEADERS_TIMEOUT_MS',
  'HTTP_REQUEST_TIMEOUT_MS',
  'HTTP_KEEP_ALIVE_TIMEOUT_MS',
  'SQLITE_BUSY_TIMEOUT_MS',
  'DATABASE_POOL_SIZE',
  'CITY_PLATFORM_RATE_LIMIT',
  'SIMULATOR_PORT',
  'DISPATCH_CONCURRENCY',
  'DISPATCH_POLL_MS',
  'DISPATCH_LEASE_MS',
  'DISPATCH_RETRY_BASE_MS',
  'DISPATCH_RETRY_MAX_MS',
  'PLATFORM_TIMEOUT_MS',
  'BREAKER_RESET_MS',
  'INBOX_LEASE_MS',
  'INGRESS_RATE_PER_DEPARTMENT',
  'INGRESS_RATE_PER_ADDRESS',
  'INGRESS_REFUSALS_PER_ADDRESS',
  'INGRESS_REFUSAL_BURST',
] as const;

/**
 * Rows of a batch file under way unless BATCH_ROWS_UNDER_WAY says otherwise. 6,000 rather than
 * 4,000: a 50,000-row file took 1–2 s less (SQLite 9.3–10.8 s against 10.6–11.4 s on session 9's
 * slow machine) and peaked at 264–283 MiB against 257–278 MiB, under the 300 MB target.
 */
export const DEFAULT_BATCH_ROWS_UNDER_WAY = 6000;

export type DatabaseConfig =
  | { kind: 'sqlite'; path: string; busyTimeoutMs: number }
  | { kind: 'mysql'; url: string; poolSize: number };

export interface GatewayConfig {
  /** embedded: one process, secrets generated under DATA_DIR on first start. production: everything explicit. */
  mode: 'embedded' | 'production';
  port: number;
  host: string;
  dataDir: string;
  database: DatabaseConfig;
  cataloguePath: string;
  logLevel: string;
  maxEventBytes: number;
  maxBatchBytes: number;
  /**
   * Slow-client limits of the HTTP server (slowloris): the request's headers within
   * `headersTimeoutMs` (20 s), the whole request, body included, within `requestTimeoutMs` (120 s:
   * a 10 MB YBJ file needs ~1 Mbit/s; raise it for slower county links), an idle kept-alive
   * connection closed after `keepAliveTimeoutMs` (5 s).
   */
  http: { headersTimeoutMs: number; requestTimeoutMs: number; keepAliveTimeoutMs: number };
  /**
   * Rows of a batch file read ahead while earlier ones are stored (two groups' worth; a group is
   * one transaction). More is faster (fewer groups) and costs memory: ~5 MiB per 1,000 rows on
   * SQLite, ~10 on MariaDB (`bench/RESULTS.md`, session 9).
   */
  batchRowsUnderWay: number;
  /** 64 hex chars; absent in embedded mode until the secrets file provides it. */
  personalDataKey?: string;
  /** The key before a rotation (`GATEWAY_DATA_KEY_PREVIOUS`): read with, never written with. */
  previousPersonalDataKey?: string;
  platform: {
    /** Absent: the embedded simulator stands in. */
    url?: string;
    appId: string;
    secret?: string;
    signAlg: 'hmac-sm3' | 'hmac-sha256';
    rateLimitPerSecond: number;
  };
  simulatorPort: number;
  /** Platform → gateway callbacks: the platform's app id (its secret is PLATFORM_CALLBACK_SECRET); inbox lease for fetching departments. */
  callbacks: { appId: string; inboxLeaseMs: number };
  /** How the ingress wakes the dispatcher: tcp://… (embedded default), amqp://… (RabbitMQ), or none (poll only). */
  wakeUrl: string;
  dispatch: { concurrency: number; pollIntervalMs: number; leaseMs: number; retryBaseMs: number; retryMaxMs: number };
  breaker: { timeoutMs: number; resetTimeoutMs: number };
  /**
   * Department ingress limits (requests per second; burst = one second's worth unless given).
   * The defaults throttle no real county load nor the ingest benchmark (~4,400/s from one
   * department and address); refusals (unknown department, missing or invalid token) are held
   * much lower, as each leaves a record.
   */
  ingressLimits: {
    perDepartment: { perSecond: number; burst: number };
    perAddress: { perSecond: number; burst: number };
    refusalsPerAddress: { perSecond: number; burst: number };
  };
  /**
   * HTTPS for the gateway's own listener (TLS_CERT_FILE and TLS_KEY_FILE, PEM): absent, it serves
   * plain HTTP (behind a TLS-terminating proxy, or in embedded mode on one machine).
   */
  tls?: { certFile: string; keyFile: string; minVersion: 'TLSv1.2' | 'TLSv1.3' };
  /**
   * Production mode delivers to the city platform over HTTPS only; `PLATFORM_ALLOW_HTTP=true` lets
   * an http:// CITY_PLATFORM_URL through on a test network (with a warning at every start).
   */
  platformAllowHttp: boolean;
  /** The raw environment, for per-department variables (`GATEWAY_DEPT_TOKEN_<CODE>`, `DEPT_<CODE>_URL`). */
  env: Readonly<Record<string, string | undefined>>;
}

function ingressLimits(parsed: GatewayEnv): GatewayConfig['ingressLimits'] {
  const perDepartment = parsed.INGRESS_RATE_PER_DEPARTMENT ?? 10_000;
  const perAddress = parsed.INGRESS_RATE_PER_ADDRESS ?? 10_000;
  const refusals = parsed.INGRESS_REFUSALS_PER_ADDRESS ?? 10;
  return {
    perDepartment: { perSecond: perDepartment, burst: perDepartment },
    perAddress: { perSecond: perAddress, burst: perAddress },
    refusalsPerAddress: { perSecond: refusals, burst: parsed.INGRESS_REFUSAL_BURST ?? Math.max(refusals, 100) },
  };
}

/**
 * Reads and checks the environment once at start-up. Every problem is reported together, each with
 * the variable's name and what a county operator should put there.
 */
export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const plain: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || v === '') continue;
    if ((NUMERIC as readonly string[]).includes(k)) {
      // Reported once here; not checked again below (as NaN it would fail every rule of its own).
      if (!/^-?\d+$/.test(v.trim())) problems.push(`${k}="${v}": 必须是整数 must be a whole number`);
      else plain[k] = Number(v);
    } else {
      plain[k] = v;
    }
  }
  const parsed = plainToInstance(GatewayEnv, plain);
  for (const err of validateSync(parsed, { whitelist: false })) {
    const shown = /SECRET|KEY|TOKEN|PASSWORD/.test(err.property) ? '(hidden)' : JSON.stringify(err.value);
    problems.push(`${err.property}=${shown}: ${Object.values(err.constraints ?? {}).join('; ')}`);
  }
  const mode = (parsed.GATEWAY_MODE as GatewayConfig['mode']) ?? (env.NODE_ENV === 'production' ? 'production' : 'embedded');
  problems.push(...tlsProblems(parsed));
  if (mode === 'production' || env.GATEWAY_MODE === 'production') {
    // Listed with the problems above, so one refused start names everything to fix.
    if (!parsed.GATEWAY_DATA_KEY && !env.GATEWAY_DATA_KEY) problems.push('GATEWAY_DATA_KEY: 缺少 missing (64 hex characters; e.g. `openssl rand -hex 32`)');
    if (!parsed.DATABASE_URL && !env.DATABASE_URL) problems.push('DATABASE_URL: 缺少 missing (mysql://user:pass@host:3306/db; production mode needs MySQL/MariaDB)');
    if (parsed.CITY_PLATFORM_URL && !parsed.CITY_PLATFORM_SECRET) problems.push('CITY_PLATFORM_SECRET: 缺少 missing (issued by the city platform)');
    const platformProblem = platformUrlProblem(env.CITY_PLATFORM_URL, parsed.PLATFORM_ALLOW_HTTP === 'true');
    if (platformProblem) problems.push(platformProblem);
  }
  if (parsed.GATEWAY_DATA_KEY_PREVIOUS && parsed.GATEWAY_DATA_KEY && parsed.GATEWAY_DATA_KEY.toLowerCase() === parsed.GATEWAY_DATA_KEY_PREVIOUS.toLowerCase()) {
    problems.push('GATEWAY_DATA_KEY_PREVIOUS=(hidden): 与 GATEWAY_DATA_KEY 相同，轮换时须为旧密钥 same value as GATEWAY_DATA_KEY; during a rotation it is the old key');
  }
  if (problems.length) {
    throw new ConfigError(`配置有误，网关未启动 configuration is invalid, the gateway did not start:\n  - ${problems.join('\n  - ')}`);
  }

  const dataDir = resolve(parsed.DATA_DIR ?? './data');
  const database: DatabaseConfig = parsed.DATABASE_URL
    ? { kind: 'mysql', url: parsed.DATABASE_URL, poolSize: parsed.DATABASE_POOL_SIZE ?? 20 }
    : { kind: 'sqlite', path: resolve(dataDir, 'gateway.sqlite'), busyTimeoutMs: parsed.SQLITE_BUSY_TIMEOUT_MS ?? 5000 };

  return {
    mode,
    port: parsed.PORT ?? 3000,
    host: parsed.HOST ?? '0.0.0.0',
    dataDir,
    database,
    cataloguePath: resolve(parsed.CATALOGUE_FILE ?? 'config/catalogue.yaml'),
    logLevel: parsed.LOG_LEVEL ?? 'info',
    maxEventBytes: parsed.MAX_EVENT_BYTES ?? 1024 * 1024,
    maxBatchBytes: parsed.MAX_BATCH_BYTES ?? 64 * 1024 * 1024,
    http: {
      headersTimeoutMs: parsed.HTTP_HEADERS_TIMEOUT_MS ?? 20_000,
      requestTimeoutMs: parsed.HTTP_REQUEST_TIMEOUT_MS ?? 120_000,
      keepAliveTimeoutMs: parsed.HTTP_KEEP_ALIVE_TIMEOUT_MS ?? 5_000,
    },
    batchRowsUnderWay: parsed.BATCH_ROWS_UNDER_WAY ?? DEFAULT_BATCH_ROWS_UNDER_WAY,
    personalDataKey: parsed.GATEWAY_DATA_KEY?.toLowerCase(),
    previousPersonalDataKey: parsed.GATEWAY_DATA_KEY_PREVIOUS?.toLowerCase(),
    platform: {
      url: parsed.CITY_PLATFORM_URL?.replace(/\/+$/, ''),
      appId: parsed.CITY_PLATFORM_APP_ID ?? '430626-gateway',
      secret: parsed.CITY_PLATFORM_SECRET,
      signAlg: (parsed.CITY_PLATFORM_SIGN_ALG as 'hmac-sm3' | 'hmac-sha256') ?? 'hmac-sm3',
      rateLimitPerSecond: parsed.CITY_PLATFORM_RATE_LIMIT ?? 50,
    },
    simulatorPort: parsed.SIMULATOR_PORT ?? 3100,
    callbacks: { appId: parsed.PLATFORM_CALLBACK_APP_ID ?? 'city-platform', inboxLeaseMs: parsed.INBOX_LEASE_MS ?? 5 * 60_000 },
    wakeUrl: parsed.WAKE_URL ?? `tcp://127.0.0.1:${(parsed.PORT ?? 3000) + 1}`,
    dispatch: {
      // Enough cases in flight that each may take 100 ms (call, commits, a loaded machine) and the
      // rate limit is still reached: 16 up to 160 calls/s, then a tenth of the limit.
      concurrency: parsed.DISPATCH_CONCURRENCY ?? Math.max(16, Math.ceil((parsed.CITY_PLATFORM_RATE_LIMIT ?? 50) / 10)),
      pollIntervalMs: parsed.DISPATCH_POLL_MS ?? 1000,
      leaseMs: parsed.DISPATCH_LEASE_MS ?? 60_000,
      retryBaseMs: parsed.DISPATCH_RETRY_BASE_MS ?? 1000,
      // The longest wait between two tries of one message (the back-off doubles up to it).
      retryMaxMs: parsed.DISPATCH_RETRY_MAX_MS ?? 5 * 60_000,
    },
    breaker: { timeoutMs: parsed.PLATFORM_TIMEOUT_MS ?? 10_000, resetTimeoutMs: parsed.BREAKER_RESET_MS ?? 10_000 },
    ingressLimits: ingressLimits(parsed),
    tls:
      parsed.TLS_CERT_FILE && parsed.TLS_KEY_FILE
        ? { certFile: resolve(parsed.TLS_CERT_FILE), keyFile: resolve(parsed.TLS_KEY_FILE), minVersion: (parsed.TLS_MIN_VERSION as 'TLSv1.2' | 'TLSv1.3') ?? 'TLSv1.2' }
        : undefined,
    platformAllowHttp: parsed.PLATFORM_ALLOW_HTTP === 'true',
    env,
  };
}

/**
 * Production mode's rule for the city platform's address: HTTPS (personal data and the platform's
 * signatures cross the county's network). An http:// address is refused unless PLATFORM_ALLOW_HTTP=true
 * (a test network), which the start-up then warns about. Returns the problem line, or null.
 */
export function platformUrlProblem(url: string | undefined, allowHttp: boolean): string | null {
  if (!url || !/^http:\/\//i.test(url.trim()) || allowHttp) return null;
  return (
    `CITY_PLATFORM_URL=${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//***@'))}: 生产模式必须使用 https:// 地址 production mode delivers to the city platform over https:// only ` +
    '(仅限测试网络可设 PLATFORM_ALLOW_HTTP=true only on a test network: set PLATFORM_ALLOW_HTTP=true)'
  );
}

/** The PEM files of TLS_CERT_FILE and TLS_KEY_FILE, read (the listener needs their contents). */
export function readTlsFiles(tls: NonNullable<GatewayConfig['tls']>): { cert: Buffer; key: Buffer; minVersion: 'TLSv1.2' | 'TLSv1.3' } {
  return { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), minVersion: tls.minVersion };
}

/**
 * TLS_CERT_FILE and TLS_KEY_FILE: both or neither; each a readable file; the pair one that Node
 * can serve with (PEM, the key the certificate's). Each problem is one line naming the variable.
 */
function tlsProblems(parsed: GatewayEnv): string[] {
  const cert = parsed.TLS_CERT_FILE;
  const key = parsed.TLS_KEY_FILE;
  if (!cert && !key) return [];
  if (!cert) return ['TLS_CERT_FILE: 缺少 missing (TLS_KEY_FILE 已设置，证书与私钥须同时设置 TLS_KEY_FILE is set: give both the certificate and the key, or neither)'];
  if (!key) return ['TLS_KEY_FILE: 缺少 missing (TLS_CERT_FILE 已设置，证书与私钥须同时设置 TLS_CERT_FILE is set: give both the certificate and the key, or neither)'];
  const problems: string[] = [];
  for (const [name, path] of [['TLS_CERT_FILE', cert], ['TLS_KEY_FILE', key]] as const) {
    try {
      accessSync(resolve(path), fsConstants.R_OK);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? '文件不存在 no such file' : `文件不可读 cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
      problems.push(`${name}=${JSON.stringify(path)}: ${why}`);
    }
  }
  if (problems.length) return problems;
  try {
    createSecureContext({ cert: readFileSync(resolve(cert)), key: readFileSync(resolve(key)) });
  } catch (e) {
    // The key's contents never appear: only what OpenSSL said was wrong.
    const reason = String((e as Error).message ?? e).replace(/-----BEGIN[\s\S]*$/, '').slice(0, 200);
    problems.push(`TLS_CERT_FILE=${JSON.stringify(cert)}: 证书或私钥无法使用（须为 PEM 格式且相互匹配） the certificate or key cannot be used (both PEM, the key the certificate's): ${reason}`);
  }
  return problems;
}
