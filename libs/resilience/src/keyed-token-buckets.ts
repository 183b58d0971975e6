/** A rate: `perSecond` on average, up to `burst` at once. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  last: number;
}

/**
 * One token bucket per key (a department, a client address), answering at once whether a request
 * may pass — never queueing it (`RateLimiter` is for the gateway's own calls, which wait their
 * turn; a request over its limit is refused with 429 instead).
 *
 * Memory is bounded: at most `maxKeys` buckets. A bucket left alone long enough to refill is the
 * same as no bucket, so such idle ones are dropped first; if every key is still busy (a flood
 * from many addresses), the least recently used go. Dropping a bucket only ever forgets a debt.
 */
export class KeyedTokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly limit: RateLimit,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `key`: 0 when it may pass, else the seconds until it may (for Retry-After). */
  take(key: string): number {
    const bucket = this.refilled(key);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return this.waitSeconds(bucket);
  }

  /** Like `take` without taking: whether `key` has a token left now (0) or how long until it has. */
  peek(key: string): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return 0;
    this.refill(bucket);
    return bucket.tokens >= 1 ? 0 : this.waitSeconds(bucket);
  }

  get size(): number {
    return this.buckets.size;
  }

  private waitSeconds(bucket: Bucket): number {
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.perSecond));
  }

  private refill(bucket: Bucket): void {
    const now = this.now();
    const elapsed = Math.max(0, now - bucket.last) / 1000;
    bucket.last = now;
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + elapsed * this.limit.perSecond);
  }

  /** The key's bucket brought up to date, most recently used last (Map order). */
  private refilled(key: string): Bucket {
    let bucket = this.buckets.get(key);
    if (bucket) {
      this.buckets.delete(key);
      this.refill(bucket);
    } else {
      if (this.buckets.size >= this.maxKeys) this.evict();
      bucket = { tokens: this.limit.burst, last: this.now() };
    }
    this.buckets.set(key, bucket);
    return bucket;
  }

  private evict(): void {
    const fullAfterMs = (this.limit.burst / this.limit.perSecond) * 1000;
    const now = this.now();
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.last >= fullAfterMs) this.buckets.delete(key);
    }
    // Still full of busy keys: the least recently used tenth goes.
    if (this.buckets.size >= this.maxKeys) {
      let drop = Math.max(1, Math.floor(this.maxKeys / 10));
      for (const key of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(key);
      }
    }
  }
}
