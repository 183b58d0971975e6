import { DEFAULT_SIGN_ALG, isSignAlg, type SignAlg } from '#gw/platform';

export interface SimulatorOptions {
  /** Authorised callers: app id → secret. */
  apps: Record<string, string>;
  signAlg?: SignAlg;
  /** Requests per second per app id before HTTP 429 (default 50). */
  rateLimitPerSecond?: number;
  /** Where callbacks go (the gateway's callback endpoint). */
  callbackUrl?: string;
  /** The platform's own app id and secret, used to sign callbacks. */
  callbackAppId?: string;
  callbackSecret?: string;
  /** Bearer token required on /admin when set. */
  adminToken?: string;
  /** Nest logging on or off (default off: tests stay quiet). */
  logger?: boolean;
  /** Retries of a callback after its first attempt (default 5). */
  callbackRetries?: number;
  /** First back-off delay; doubles after every failed attempt (default 1000 ms). */
  callbackBackoffMs?: number;
  /** How long a callback receiver has to answer (default 5000 ms). */
  callbackTimeoutMs?: number;
  /** How many received calls are kept for inspection; the oldest go first (default 100000). */
  maxReceivedCalls?: number;
}

export type ResolvedSimulatorOptions = Required<
  Omit<SimulatorOptions, 'callbackUrl' | 'callbackSecret' | 'adminToken'>
> &
  Pick<SimulatorOptions, 'callbackUrl' | 'callbackSecret' | 'adminToken'>;

export const SIMULATOR_OPTIONS = Symbol('SIMULATOR_OPTIONS');
export const DEFAULT_CALLBACK_APP_ID = 'city-platform';

function positive(name: string, value: number | undefined, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
  return value;
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Fills defaults and rejects impossible settings, so a misconfigured simulator fails at start. */
export function resolveSimulatorOptions(options: SimulatorOptions): ResolvedSimulatorOptions {
  const apps = options.apps ?? {};
  for (const [appId, secret] of Object.entries(apps)) {
    if (!appId.trim() || typeof secret !== 'string' || !secret)
      throw new Error(`app ${JSON.stringify(appId)} needs a non-empty id and secret`);
  }
  const signAlg = options.signAlg ?? DEFAULT_SIGN_ALG;
  if (!isSignAlg(signAlg)) throw new Error(`signAlg must be hmac-sm3 or hmac-sha256, got ${String(signAlg)}`);
  if (options.callbackUrl !== undefined && !isHttpUrl(options.callbackUrl)) {
    throw new Error(`callbackUrl must be an http(s) URL, got ${options.callbackUrl}`);
  }
  if (options.callbackUrl !== undefined && !options.callbackSecret) {
    throw new Error('callbackSecret is required when callbackUrl is set (callbacks are signed)');
  }
  const retries = options.callbackRetries ?? 5;
  if (!Number.isInteger(retries) || retries < 0)
    throw new Error(`callbackRetries must be an integer >= 0, got ${retries}`);
  return {
    apps: { ...apps },
    signAlg,
    rateLimitPerSecond: positive('rateLimitPerSecond', options.rateLimitPerSecond, 50),
    callbackUrl: options.callbackUrl,
    callbackAppId: options.callbackAppId || DEFAULT_CALLBACK_APP_ID,
    callbackSecret: options.callbackSecret,
    adminToken: options.adminToken || undefined,
    logger: options.logger ?? false,
    callbackRetries: retries,
    callbackBackoffMs: positive('callbackBackoffMs', options.callbackBackoffMs, 1000),
    callbackTimeoutMs: positive('callbackTimeoutMs', options.callbackTimeoutMs, 5000),
    maxReceivedCalls: positive('maxReceivedCalls', options.maxReceivedCalls, 100_000, true),
  };
}
