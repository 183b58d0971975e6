import CircuitBreaker from 'opossum';

export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export interface BreakerSettings {
  /** A call slower than this fails and is aborted (ms). */
  timeoutMs: number;
  /** Share of failures in the rolling window that opens the circuit (percent). */
  errorThresholdPercentage: number;
  /** Calls needed in the window before the circuit may open (opossum's default of 0 opens on one failure). */
  volumeThreshold: number;
  /** How long the circuit stays open before one trial call (ms). */
  resetTimeoutMs: number;
  rollingCountTimeoutMs: number;
}

export const DEFAULT_BREAKER_SETTINGS: BreakerSettings = {
  timeoutMs: 10_000,
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  resetTimeoutMs: 10_000,
  rollingCountTimeoutMs: 10_000,
};

/** Thrown by an action for an answer that is the other side's decision, not its failure. */
export class NonTrippingError extends Error {
  readonly nonTripping = true;
}

type Action = (signal: AbortSignal, ...args: any[]) => Promise<any>;

export interface BreakerEvents {
  onStateChange?(name: string, state: BreakerState): void;
}

/**
 * One long-lived opossum breaker per remote endpoint. Each call gets its own AbortSignal that
 * fires at the breaker's timeout, so a timed-out request is really cancelled (opossum's own
 * timeout only stops waiting). Business refusals (`NonTrippingError`) never count as failures.
 */
export class BreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly opens = new Map<string, number>();

  constructor(
    private readonly settings: BreakerSettings = DEFAULT_BREAKER_SETTINGS,
    private readonly events: BreakerEvents = {},
  ) {}

  /** Runs `action` through the breaker named `name` (created on first use). */
  fire<T>(name: string, action: Action, ...args: any[]): Promise<T> {
    return this.breaker(name).fire(action, ...args) as Promise<T>;
  }

  breaker(name: string): CircuitBreaker {
    let b = this.breakers.get(name);
    if (!b) {
      const timeoutMs = this.settings.timeoutMs;
      b = new CircuitBreaker(
        async (action: Action, ...args: any[]) => {
          const controller = new AbortController();
          const timer = setTimeout(() => controller.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
          try {
            return await action(controller.signal, ...args);
          } finally {
            clearTimeout(timer);
          }
        },
        {
          name,
          // Our own AbortController enforces the timeout; opossum's would only stop waiting.
          timeout: false,
          errorThresholdPercentage: this.settings.errorThresholdPercentage,
          volumeThreshold: this.settings.volumeThreshold,
          resetTimeout: this.settings.resetTimeoutMs,
          rollingCountTimeout: this.settings.rollingCountTimeoutMs,
          errorFilter: (err: unknown) => (err as NonTrippingError)?.nonTripping === true,
        },
      );
      b.on('open', () => {
        this.opens.set(name, (this.opens.get(name) ?? 0) + 1);
        this.events.onStateChange?.(name, 'OPEN');
      });
      b.on('halfOpen', () => this.events.onStateChange?.(name, 'HALF_OPEN'));
      b.on('close', () => this.events.onStateChange?.(name, 'CLOSED'));
      this.breakers.set(name, b);
    }
    return b;
  }

  state(name: string): BreakerState {
    const b = this.breakers.get(name);
    if (!b) return 'CLOSED';
    if (b.opened) return 'OPEN';
    if (b.halfOpen) return 'HALF_OPEN';
    return 'CLOSED';
  }

  /** True while any breaker is open (half-open lets one trial through, so it does not count). */
  anyOpen(): boolean {
    return [...this.breakers.values()].some((b) => b.opened && !b.halfOpen);
  }

  snapshot(): { name: string; state: BreakerState; opens: number; stats: { fires: number; failures: number; successes: number; rejects: number; timeouts: number } }[] {
    return [...this.breakers.entries()].map(([name, b]) => ({
      name,
      state: this.state(name),
      opens: this.opens.get(name) ?? 0,
      stats: { fires: b.stats.fires, failures: b.stats.failures, successes: b.stats.successes, rejects: b.stats.rejects, timeouts: b.stats.timeouts },
    }));
  }

  shutdown(): void {
    for (const b of this.breakers.values()) b.shutdown();
    this.breakers.clear();
  }
}
