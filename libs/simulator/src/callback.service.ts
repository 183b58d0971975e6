import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { signedHeaders } from '#gw/platform';
import { formatBeijingDateTime, parseBeijingDateTime } from '#gw/case';
import { isHttpUrl, SIMULATOR_OPTIONS, type ResolvedSimulatorOptions } from './simulator-options';

export const CALLBACK_TYPES = [
  'ONLINE_APPLICATION',
  'SUPPLEMENT_SUBMITTED',
  'WITHDRAWN',
  'URGE',
  'EVALUATION',
] as const;
export type CallbackType = (typeof CALLBACK_TYPES)[number];

export interface CallbackPayload {
  callback_id: string;
  type: CallbackType;
  occurred_at: string;
  data: Record<string, unknown>;
}

export interface CallbackAttempt {
  attempt: number;
  at: string;
  durationMs: number;
  ok: boolean;
  httpStatus?: number;
  /** The `code` the receiver answered, when it answered JSON. */
  responseCode?: string;
  error?: string;
}

export interface CallbackDelivery {
  id: number;
  callbackId: string;
  url: string;
  payload: CallbackPayload;
  status: 'PENDING' | 'DELIVERED' | 'FAILED';
  createdAt: string;
  nextAttemptAt?: string;
  attempts: CallbackAttempt[];
}

export class CallbackRequestError extends Error {
  constructor(
    message: string,
    readonly conflict = false,
  ) {
    super(message);
  }
}

/**
 * Platform → gateway callbacks (city-platform-api.md, "Callbacks"): signed with the platform's own
 * app id and secret; anything but `{"code":"0"}` within the timeout is retried with doubling
 * back-off, `callbackRetries` times. The same callback_id may be sent again on purpose, to check
 * that the receiver de-duplicates.
 */
@Injectable()
export class CallbackService implements OnModuleDestroy {
  private readonly logger = new Logger(CallbackService.name);
  private deliveries: CallbackDelivery[] = [];
  private nextId = 1;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();
  /** Bumped by reset and shutdown, so late answers to forgotten deliveries are dropped. */
  private generation = 0;
  private stopped = false;

  constructor(@Inject(SIMULATOR_OPTIONS) private readonly options: ResolvedSimulatorOptions) {}

  send(request: unknown, now = Date.now()): CallbackDelivery {
    if (typeof request !== 'object' || request === null || Array.isArray(request))
      throw new CallbackRequestError('body must be a JSON object');
    const r = request as Record<string, unknown>;
    if (!(CALLBACK_TYPES as readonly unknown[]).includes(r.type))
      throw new CallbackRequestError(`type must be one of ${CALLBACK_TYPES.join(', ')}`);
    if (typeof r.data !== 'object' || r.data === null || Array.isArray(r.data))
      throw new CallbackRequestError('data must be a JSON object');
    if (r.callback_id !== undefined && (typeof r.callback_id !== 'string' || r.callback_id === ''))
      throw new CallbackRequestError('callback_id must be a non-empty string');
    if (
      r.occurred_at !== undefined &&
      (typeof r.occurred_at !== 'string' || parseBeijingDateTime(r.occurred_at) === null)
    ) {
      throw new CallbackRequestError('occurred_at must be yyyy-MM-dd HH:mm:ss');
    }
    if (r.url !== undefined && (typeof r.url !== 'string' || !isHttpUrl(r.url)))
      throw new CallbackRequestError('url must be an http(s) URL');
    const url = (r.url as string | undefined) ?? this.options.callbackUrl;
    if (!url)
      throw new CallbackRequestError('no callback URL configured (SIMULATOR_CALLBACK_URL) and none given', true);
    if (!this.options.callbackSecret)
      throw new CallbackRequestError('no callback secret configured (PLATFORM_CALLBACK_SECRET)', true);

    const delivery: CallbackDelivery = {
      id: this.nextId++,
      callbackId: (r.callback_id as string | undefined) ?? randomUUID().replace(/-/g, ''),
      url,
      payload: {
        callback_id: '',
        type: r.type as CallbackType,
        occurred_at: (r.occurred_at as string | undefined) ?? formatBeijingDateTime(now),
        data: r.data as Record<string, unknown>,
      },
      status: 'PENDING',
      createdAt: formatBeijingDateTime(now),
      attempts: [],
    };
    delivery.payload.callback_id = delivery.callbackId;
    this.deliveries.push(delivery);
    void this.attempt(delivery, this.generation);
    return delivery;
  }

  list(): CallbackDelivery[] {
    return this.deliveries;
  }

  reset(): void {
    this.cancelAll();
    this.deliveries = [];
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.cancelAll();
  }

  private cancelAll(): void {
    this.generation++;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.inFlight) controller.abort();
    this.inFlight.clear();
  }

  private async attempt(delivery: CallbackDelivery, generation: number): Promise<void> {
    delivery.nextAttemptAt = undefined;
    const body = JSON.stringify(delivery.payload);
    const headers = signedHeaders({
      appId: this.options.callbackAppId,
      secret: this.options.callbackSecret as string,
      alg: this.options.signAlg,
      body,
    });
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timeout = setTimeout(() => controller.abort(), this.options.callbackTimeoutMs);
    const started = Date.now();
    const record: CallbackAttempt = {
      attempt: delivery.attempts.length + 1,
      at: formatBeijingDateTime(started),
      durationMs: 0,
      ok: false,
    };
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8' },
        body,
        signal: controller.signal,
      });
      record.httpStatus = response.status;
      const text = await response.text();
      try {
        const answer = JSON.parse(text) as { code?: unknown };
        if (answer && typeof answer === 'object' && answer.code !== undefined)
          record.responseCode = String(answer.code);
      } catch {
        record.error = 'answer is not JSON';
      }
      record.ok = response.ok && record.responseCode === '0';
      if (!record.ok && !record.error)
        record.error = `answered HTTP ${response.status} code ${record.responseCode ?? '(none)'}`;
    } catch (e) {
      record.error = controller.signal.aborted
        ? `no answer within ${this.options.callbackTimeoutMs} ms`
        : (e as Error).message;
    } finally {
      clearTimeout(timeout);
      this.inFlight.delete(controller);
    }
    if (generation !== this.generation) return;
    record.durationMs = Date.now() - started;
    delivery.attempts.push(record);
    if (record.ok) {
      delivery.status = 'DELIVERED';
      return;
    }
    const retriesDone = delivery.attempts.length - 1;
    if (retriesDone >= this.options.callbackRetries || this.stopped) {
      delivery.status = 'FAILED';
      this.logger.warn(
        `callback ${delivery.callbackId} (${delivery.payload.type}) failed after ${delivery.attempts.length} attempts: ${record.error}`,
      );
      return;
    }
    const delay = this.options.callbackBackoffMs * 2 ** retriesDone;
    delivery.nextAttemptAt = formatBeijingDateTime(Date.now() + delay);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(delivery, generation);
    }, delay);
    this.timers.add(timer);
  }
}
