import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { HEADER_APP_ID, headerValue, NonceCache, verifySignedRequest } from '#gw/platform';
import { FaultService } from './fault.service';
import { classifyPlatformRequest } from './platform-endpoints';
import { fail, PLATFORM_CODES, validationFailed, type Envelope } from './platform-envelope';
import { RateLimitService } from './rate-limit.service';
import { SIMULATOR_OPTIONS, type ResolvedSimulatorOptions } from './simulator-options';
import { SimulatorState, type ReceivedCall } from './simulator-state';

/** A platform request once the middleware has recorded it. */
export interface PlatformRequest extends Request {
  platformCall?: ReceivedCall;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false; text: string; error: string } {
  const text = raw.toString('utf8').replace(/^\uFEFF/, '');
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, text: text.slice(0, 10_000), error: (e as Error).message };
  }
}

/**
 * Everything a platform call goes through before its handler, in the order a real front end
 * would apply it: outage, rate limit, latency, injected 500s, signature over the exact bytes
 * received, then JSON parsing. Every call is recorded, whatever its outcome.
 */
@Injectable()
export class PlatformRequestMiddleware implements NestMiddleware {
  // Kept across admin resets on purpose: a reset must not reopen a replay window.
  private readonly nonces = new NonceCache();

  constructor(
    @Inject(SIMULATOR_OPTIONS) private readonly options: ResolvedSimulatorOptions,
    private readonly state: SimulatorState,
    private readonly faults: FaultService,
    private readonly rateLimit: RateLimitService,
  ) {}

  async use(req: PlatformRequest, res: Response, next: NextFunction): Promise<void> {
    if (req.platformCall) return next();
    const appId = headerValue(req.headers, HEADER_APP_ID)?.trim() || undefined;
    const { endpoint, projectNo } = classifyPlatformRequest(req.method, req.originalUrl);
    const call = this.state.openCall({ method: req.method, path: req.originalUrl, endpoint, appId, projectNo });
    req.platformCall = call;
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const parsed = raw.length > 0 ? parseJson(raw) : undefined;
    if (parsed) call.body = parsed.ok ? parsed.value : parsed.text;

    let closed = false;
    const close = (status: number) => {
      if (closed) return;
      closed = true;
      this.state.closeCall(call, status);
    };
    res.on('finish', () => close(res.statusCode));
    res.on('close', () => close(res.writableFinished ? res.statusCode : 0));

    const outage = this.faults.outage();
    if (outage) {
      call.fault = 'outage';
      if (outage === 'reset') req.socket.destroy();
      else this.answer(res, call, 503, fail(PLATFORM_CODES.SYSTEM_BUSY, 'service unavailable (simulated outage)'));
      return;
    }

    const decision = this.rateLimit.take(appId ?? `ip:${req.ip}`);
    if (!decision.allowed) {
      res.setHeader('Retry-After', String(decision.retryAfterSeconds));
      this.answer(
        res,
        call,
        429,
        fail(PLATFORM_CODES.SYSTEM_BUSY, `rate limit exceeded, retry after ${decision.retryAfterSeconds} s`),
      );
      return;
    }

    const latency = this.faults.latencyMs();
    if (latency > 0) {
      call.fault = 'latency';
      await sleep(latency);
    }
    if (this.faults.shouldFail()) {
      call.fault = 'errorRate';
      this.answer(res, call, 500, fail(PLATFORM_CODES.SYSTEM_BUSY, 'internal error (simulated)'));
      return;
    }

    const verification = verifySignedRequest({
      headers: req.headers,
      rawBody: raw,
      secretFor: (id) => (Object.hasOwn(this.options.apps, id) ? this.options.apps[id] : undefined),
      alg: this.options.signAlg,
      now: Date.now(),
      nonceSeen: (id, nonce) => this.nonces.seen(id, nonce),
    });
    if (!verification.ok) {
      this.answer(res, call, 200, fail(verification.code, verification.message));
      return;
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (!parsed) {
        this.answer(res, call, 200, validationFailed([{ field: 'body', message: 'is required (a JSON object)' }]));
        return;
      }
      if (!parsed.ok) {
        this.answer(res, call, 200, validationFailed([{ field: 'body', message: `malformed JSON: ${parsed.error}` }]));
        return;
      }
    }
    req.body = parsed?.ok ? parsed.value : undefined;
    next();
  }

  private answer(res: Response, call: ReceivedCall, status: number, envelope: Envelope): void {
    call.response = envelope;
    // Only an HTTP 200 envelope is a business outcome; other statuses are transport outcomes.
    if (status === 200) {
      call.code = envelope.code;
      call.msg = envelope.msg;
    }
    res.status(status).json(envelope);
  }
}
