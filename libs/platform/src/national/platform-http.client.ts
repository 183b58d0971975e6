import * as http from 'node:http';
import * as https from 'node:https';
import { BreakerRegistry, NonTrippingError, RateLimiter, parseRetryAfter } from '#gw/resilience';
import { SignAlg, signedHeaders } from '../signing';
import type { PlatformCall } from '../platform-port';

export interface PlatformHttpSettings {
  baseUrl: string;
  appId: string;
  secret: string;
  signAlg: SignAlg;
}

/** What came back from one call, before the business meaning is decided. */
export interface PlatformAnswer {
  httpStatus: number | null;
  code: string | null;
  msg: string | null;
  data: unknown;
  /** Transport failure (network, timeout, 5xx, open breaker) — the call may be retried. */
  transportError?: string;
  /** From a 429's Retry-After, in ms. */
  retryAfterMs?: number;
  /**
   * No answer came, but the request may have reached the platform (a timeout, a reset connection):
   * harmless for an idempotent call, an unknown outcome for one that is not (a licence).
   */
  mayHaveArrived?: boolean;
  call: PlatformCall;
}

class TransportFailure extends Error {
  constructor(
    message: string,
    readonly httpStatus: number | null,
  ) {
    super(message);
  }
}

class Throttled extends NonTrippingError {
  constructor(readonly retryAfterMs: number) {
    super(`HTTP 429, retry after ${retryAfterMs} ms`);
  }
}

/** Largest platform answer read (its envelopes are small); a larger one is cut off as a failure. */
export const MAX_PLATFORM_ANSWER_BYTES = 4 * 1024 * 1024;

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/**
 * Signed JSON calls to the platform: every call waits for the shared rate limiter, goes through
 * its endpoint's breaker, and is signed over the exact bytes sent.
 *
 * Node's own HTTP client on kept-alive connections, not axios: a call here is one small JSON
 * POST, and axios's configuration merging, adapters and redirect wrapper cost the dispatcher more
 * CPU than the request itself (about a tenth of it while draining a backlog).
 */
export class PlatformHttpClient {
  private readonly base: URL;
  private readonly agent: http.Agent;

  constructor(
    private readonly settings: PlatformHttpSettings,
    readonly breakers: BreakerRegistry,
    readonly limiter: RateLimiter,
  ) {
    this.base = new URL(settings.baseUrl);
    // An idle connection is closed after 4 s, before a server's usual keep-alive timeout (Node's:
    // 5 s) closes it just as a request goes out on it — that reset would leave a licence's outcome
    // unknown. (The timeout only closes idle connections; a call's own limit is the breaker's.)
    const options = { keepAlive: true, timeout: 4000 };
    this.agent = this.base.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  /** One request; any HTTP status is an answer, the body read as text. Rejects on transport errors and on `signal`. */
  private send(method: 'GET' | 'POST', path: string, body: Buffer | undefined, headers: Record<string, string>, signal: AbortSignal): Promise<RawAnswer> {
    const request = this.base.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port,
          path: this.base.pathname.replace(/\/$/, '') + path,
          method,
          agent: this.agent,
          headers: body ? { ...headers, 'Content-Length': String(body.length) } : headers,
          signal,
        },
        (res) => {
          // No redirect is followed (node:http never does) and no answer of any size is read.
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_PLATFORM_ANSWER_BYTES) {
              req.destroy(new Error(`platform answer larger than ${MAX_PLATFORM_ANSWER_BYTES} bytes: cut off`));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** The base URL calls go to (for the connection test's network steps). */
  get baseUrl(): string {
    return this.settings.baseUrl;
  }

  /**
   * One signed GET outside the breaker and the rate limiter, for the operators' connection test:
   * a test must reach the platform even while the breaker holds calls back. Not recorded as a delivery attempt.
   */
  async probe(path: string, timeoutMs: number): Promise<{ httpStatus: number | null; code: string | null; msg: string | null; error?: string }> {
    const headers = signedHeaders({ appId: this.settings.appId, secret: this.settings.secret, alg: this.settings.signAlg, body: '' });
    try {
      const res = await this.send('GET', path, undefined, { ...headers, Accept: 'application/json' }, AbortSignal.timeout(timeoutMs));
      let parsed: { code?: unknown; msg?: unknown } | null = null;
      try {
        parsed = JSON.parse(res.text);
      } catch {
        // not the platform's envelope: reported by status
      }
      const code = parsed && typeof parsed === 'object' && parsed.code !== undefined ? String(parsed.code) : null;
      const msg = parsed && typeof parsed === 'object' && parsed.msg !== undefined ? String(parsed.msg).slice(0, 200) : null;
      const redirect = res.status >= 300 && res.status < 400 ? 'redirect not followed' : null;
      return { httpStatus: res.status, code, msg: redirect ?? msg, error: code === null && !redirect ? `HTTP ${res.status}: not a platform envelope` : undefined };
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError';
      return { httpStatus: null, code: null, msg: null, error: timedOut ? `no answer within ${timeoutMs} ms after connect` : `${err.code ?? ''} ${err.message}`.trim() };
    }
  }

  /** `beforeSend` runs after the rate limiter, right before the request may leave; its failure is thrown. */
  async call(endpoint: string, method: 'GET' | 'POST', path: string, body?: unknown, beforeSend?: () => Promise<void>): Promise<PlatformAnswer> {
    const started = Date.now();
    const done = (a: Omit<PlatformAnswer, 'call'>): PlatformAnswer => ({
      ...a,
      call: {
        endpoint,
        httpStatus: a.httpStatus,
        businessCode: a.code,
        durationMs: Date.now() - started,
        message: (a.transportError ?? a.msg ?? null)?.slice(0, 500) ?? null,
      },
    });
    const raw = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    // Wait for the rate limiter before the breaker starts its clock: queueing is not slowness.
    if (!this.breakers.breaker(endpoint).opened) await this.limiter.acquire();
    await beforeSend?.();
    try {
      return await this.breakers.fire<PlatformAnswer>(endpoint, async (signal: AbortSignal) => {
        const headers = signedHeaders({ appId: this.settings.appId, secret: this.settings.secret, alg: this.settings.signAlg, body: raw ?? '' });
        const res = await this.send(method, path, method === 'GET' ? undefined : raw, { ...headers, 'Content-Type': 'application/json; charset=utf-8' }, signal);
        if (res.status === 429) {
          // Seconds or an HTTP date; without one, a second. A 429 never counts toward opening the breaker (Throttled).
          const retryAfterMs = parseRetryAfter(res.headers['retry-after'] as string | undefined) || 1000;
          this.limiter.pauseUntil(Date.now() + retryAfterMs);
          throw new Throttled(retryAfterMs);
        }
        if (res.status >= 500 || res.status === 408) throw new TransportFailure(`HTTP ${res.status}`, res.status);
        if (res.status >= 300 && res.status < 400) {
          throw new TransportFailure(`HTTP ${res.status}: redirect not followed (check CITY_PLATFORM_URL)`, res.status);
        }
        let parsed: { code?: unknown; msg?: unknown; data?: unknown };
        try {
          parsed = JSON.parse(res.text);
        } catch {
          throw new TransportFailure(`HTTP ${res.status}: answer is not JSON`, res.status);
        }
        if (res.status !== 200 || parsed === null || typeof parsed !== 'object' || parsed.code === undefined) {
          throw new TransportFailure(`HTTP ${res.status}: not a platform envelope`, res.status);
        }
        return done({ httpStatus: res.status, code: String(parsed.code), msg: parsed.msg === undefined ? null : String(parsed.msg), data: parsed.data });
      });
    } catch (e) {
      if (e instanceof Throttled) return done({ httpStatus: 429, code: null, msg: null, data: null, transportError: e.message, retryAfterMs: e.retryAfterMs });
      const err = e as Error & { code?: string; httpStatus?: number | null };
      const message = err.code === 'EOPENBREAKER' ? `circuit open for ${endpoint}` : err.message;
      // Sure not to have arrived: an HTTP answer (5xx: not done, by the spec), an open breaker, a refused connection.
      const mayHaveArrived = !(err instanceof TransportFailure) && err.code !== 'EOPENBREAKER' && err.code !== 'ECONNREFUSED';
      return done({ httpStatus: err instanceof TransportFailure ? err.httpStatus : null, code: null, msg: null, data: null, transportError: message, mayHaveArrived });
    }
  }
}
