import { Injectable } from '@nestjs/common';
import { FaultService } from './fault.service';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * A token bucket per app id: a full second's worth of burst, refilled continuously at the limit.
 * Idle buckets are dropped so a stream of invented app ids cannot grow memory without bound.
 */
@Injectable()
export class RateLimitService {
  private buckets = new Map<string, Bucket>();

  constructor(private readonly faults: FaultService) {}

  take(key: string, now = Date.now()): RateDecision {
    const rate = this.faults.rateLimitPerSecond();
    const capacity = Math.max(1, rate);
    if (this.buckets.size > 10_000) this.dropIdle(now);
    const bucket = this.buckets.get(key) ?? { tokens: capacity, updatedAt: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + (Math.max(0, now - bucket.updatedAt) / 1000) * rate);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / rate)) };
  }

  reset(): void {
    this.buckets = new Map();
  }

  private dropIdle(now: number): void {
    for (const [key, bucket] of this.buckets) if (now - bucket.updatedAt > 60_000) this.buckets.delete(key);
  }
}
