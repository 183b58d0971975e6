/**
 * A token bucket shared by every call to one platform: at most `ratePerSecond` calls per second on
 * average, bursts up to `burst`. When the platform answers 429 with Retry-After, `pauseUntil` holds
 * every caller back instead of letting each discover the limit on its own (a storm of 429s).
 */
export class RateLimiter {
  private tokens: number;
  private last = Date.now();
  private pausedUntil = 0;
  private queue: Array<() => void> = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private ratePerSecond: number,
    private readonly burst = Math.max(1, Math.floor(ratePerSecond / 10)),
  ) {
    this.tokens = this.burst;
  }

  get rate(): number {
    return this.ratePerSecond;
  }

  setRate(ratePerSecond: number): void {
    this.ratePerSecond = ratePerSecond;
  }

  /** Resolves when the caller may make one call. */
  acquire(): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push(resolve);
      this.drain();
    });
  }

  /** The platform said "not before": nobody calls until then. */
  pauseUntil(epochMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, epochMs);
    this.tokens = 0;
  }

  get waiting(): number {
    return this.queue.length;
  }

  private refill(now: number): void {
    const elapsed = (now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.ratePerSecond);
  }

  private drain(): void {
    if (this.timer) return;
    const now = Date.now();
    if (now < this.pausedUntil) {
      this.last = this.pausedUntil;
      this.schedule(this.pausedUntil - now);
      return;
    }
    this.refill(now);
    while (this.queue.length && this.tokens >= 1) {
      this.tokens -= 1;
      this.queue.shift()!();
    }
    if (this.queue.length) this.schedule(Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000));
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, Math.max(1, ms));
    this.timer.unref?.();
  }
}
