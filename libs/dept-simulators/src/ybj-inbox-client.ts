import axios from 'axios';
import { gatewayBase } from './gateway-client';

/** One item of the gateway's inbox for YBJ (assumed shape: the inbox API is not specified yet). */
export interface InboxItem {
  id: string;
  type: string;
  payload: unknown;
  deliveredAt?: string;
}

/** An item YBJ took from its inbox. */
export interface YbjReceivedItem extends InboxItem {
  /** When this client first took it. */
  receivedAt: string;
  /** When the gateway first answered its ack with 2xx; unset while the ack has not gone through. */
  ackedAt?: string;
  /** Ack calls made for it (more than one only when an ack failed or the gateway listed it again). */
  ackAttempts: number;
}

export interface PollResult {
  /** Items the inbox listed. */
  listed: number;
  /** Items taken for the first time. */
  taken: string[];
  /** Items acknowledged in this poll (2xx). */
  acked: string[];
  /** Acks that failed; the item is acknowledged again at the next poll that lists it. */
  ackFailed: { id: string; error: string }[];
  /** Entries of the inbox answer that are not items (no string id): skipped. */
  invalid: number;
}

export interface YbjInboxClientOptions {
  /** The gateway's base URL (scheme, host, port; `/api/v1/…` is appended). */
  gatewayUrl?: string;
  /** YBJ's department token (`GATEWAY_DEPT_TOKEN_YBJ`). */
  token?: string;
  /** Pause between polls when started (default 5000 ms). */
  pollIntervalMs?: number;
  /** Per-request timeout (default 10000 ms). */
  timeoutMs?: number;
  /** Called with every failed poll when running on its own; the default keeps it in `lastError` only. */
  onError?: (error: Error) => void;
}

export class InboxError extends Error {}

/**
 * YBJ 医保局 cannot receive pushes: its system fetches online applications from the gateway's inbox
 * and acknowledges each one it has taken. An item is taken once; an item listed again after it was
 * taken (its ack failed or was lost) is not taken twice but acknowledged again.
 */
export class YbjInboxClient {
  private readonly items = new Map<string, YbjReceivedItem>();
  private readonly pollIntervalMs: number;
  private readonly timeoutMs: number;
  private timer?: NodeJS.Timeout;
  private running = false;
  private inFlight?: Promise<PollResult>;
  /** The last failed poll's error, if the last poll failed. */
  lastError?: Error;

  constructor(private readonly options: YbjInboxClientOptions = {}) {
    this.pollIntervalMs = options.pollIntervalMs ?? 5000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    if (!(Number.isFinite(this.pollIntervalMs) && this.pollIntervalMs > 0))
      throw new Error(`pollIntervalMs must be a positive number, got ${this.pollIntervalMs}`);
  }

  get configured(): boolean {
    return Boolean(this.options.gatewayUrl && this.options.token);
  }

  get isRunning(): boolean {
    return this.running;
  }

  received(): YbjReceivedItem[] {
    return [...this.items.values()].map((i) => ({ ...i }));
  }

  /** Forgets what was taken (a later listing of the same item takes it again). */
  reset(): void {
    this.items.clear();
    this.lastError = undefined;
  }

  /** One poll: list the inbox, take new items, ack each. Concurrent calls share the poll in flight. */
  pollOnce(): Promise<PollResult> {
    this.inFlight ??= this.poll().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** Polls now and then every `pollIntervalMs` after the previous poll ends, until `stop()`. */
  start(): void {
    if (this.running) return;
    if (!this.configured) throw new InboxError('gatewayUrl and token are required to poll the inbox');
    this.running = true;
    const loop = async () => {
      try {
        await this.pollOnce();
        this.lastError = undefined;
      } catch (e) {
        this.lastError = e as Error;
        this.options.onError?.(e as Error);
      }
      if (this.running) this.timer = setTimeout(() => void loop(), this.pollIntervalMs);
    };
    void loop();
  }

  /** Stops polling; resolves once a poll in flight has finished. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight?.catch(() => undefined);
  }

  private headers() {
    return { Authorization: `Bearer ${this.options.token}` };
  }

  private async poll(): Promise<PollResult> {
    if (!this.configured) throw new InboxError('gatewayUrl and token are required to poll the inbox');
    const base = `${gatewayBase(this.options.gatewayUrl!)}/api/v1/departments/ybj/inbox`;
    const res = await axios.get<unknown>(base, {
      headers: { ...this.headers(), Accept: 'application/json' },
      validateStatus: () => true,
      timeout: this.timeoutMs,
    });
    if (res.status !== 200) throw new InboxError(`inbox answered HTTP ${res.status}: ${JSON.stringify(res.data)}`);
    const listed = (res.data as { items?: unknown } | null)?.items;
    if (!Array.isArray(listed)) throw new InboxError(`inbox answer has no items array: ${JSON.stringify(res.data)}`);

    const result: PollResult = { listed: listed.length, taken: [], acked: [], ackFailed: [], invalid: 0 };
    for (const raw of listed) {
      const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
      if (typeof entry.id !== 'string' || entry.id === '') {
        result.invalid++;
        continue;
      }
      let item = this.items.get(entry.id);
      if (!item) {
        item = {
          id: entry.id,
          type: typeof entry.type === 'string' ? entry.type : '',
          payload: entry.payload,
          deliveredAt: typeof entry.deliveredAt === 'string' ? entry.deliveredAt : undefined,
          receivedAt: new Date().toISOString(),
          ackAttempts: 0,
        };
        this.items.set(item.id, item);
        result.taken.push(item.id);
      }
      item.ackAttempts++;
      try {
        const ack = await axios.post(`${base}/${encodeURIComponent(item.id)}/ack`, undefined, {
          headers: this.headers(),
          validateStatus: () => true,
          timeout: this.timeoutMs,
        });
        if (ack.status < 200 || ack.status > 299) throw new InboxError(`ack answered HTTP ${ack.status}`);
        item.ackedAt ??= new Date().toISOString();
        result.acked.push(item.id);
      } catch (e) {
        result.ackFailed.push({ id: item.id, error: (e as Error).message });
      }
    }
    return result;
  }
}
