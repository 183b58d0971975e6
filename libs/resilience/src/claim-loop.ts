export interface ClaimLoopOptions<T> {
  /** Items delivered in parallel. */
  concurrency: number;
  /** How long to sleep when there is nothing to claim or claiming is paused; `wake()` cuts it short. */
  pollIntervalMs: number;
  /**
   * Claim only when at least this many slots are free (or nothing is in flight). Claims are write
   * transactions: claiming one item each time one delivery ends costs a commit per item.
   */
  minFreeSlots?: number;
  /** Called before each round; true: claim nothing this round, sleep a poll interval. */
  paused?(): boolean | Promise<boolean>;
  /** Up to `free` items, claimed for this loop (leased); none when there is nothing due. */
  claim(free: number): Promise<T[]>;
  /** Delivers one claimed item; should not throw (a throw is logged as a failed delivery). */
  deliver(item: T): Promise<void>;
  /** A round failed (the database away, say): the loop sleeps and tries again. */
  onError(error: unknown): void;
}

/**
 * The loop of a dispatcher: claim up to the free slots, deliver each claimed item in parallel,
 * sleep until woken or until the poll interval has passed. What is claimed and how it is delivered
 * is the caller's; the platform dispatcher and the department dispatcher share this loop.
 */
export class ClaimLoop<T> {
  private running = false;
  private readonly inFlight = new Set<Promise<void>>();
  private wakeUp?: () => void;
  private loopDone?: Promise<void>;

  constructor(private readonly options: ClaimLoopOptions<T>) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Stops claiming and waits for deliveries under way to finish. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loopDone;
    await Promise.allSettled([...this.inFlight]);
  }

  /** New work, or a reason to look again: start a round now instead of at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  get activeDeliveries(): number {
    return this.inFlight.size;
  }

  private sleep(ms: number): Promise<void> {
    // Stopped while a round was under way (no sleep to cut short then): do not start one.
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref?.();
      this.wakeUp = done;
    });
  }

  private async loop(): Promise<void> {
    const { concurrency, pollIntervalMs } = this.options;
    const minFree = Math.max(1, this.options.minFreeSlots ?? 1);
    while (this.running) {
      try {
        if (await this.options.paused?.()) {
          await this.sleep(pollIntervalMs);
          continue;
        }
        const free = concurrency - this.inFlight.size;
        if (free <= 0 || (free < minFree && this.inFlight.size > 0)) {
          await Promise.race(this.inFlight);
          continue;
        }
        const items = await this.options.claim(free);
        for (const item of items) {
          const p: Promise<void> = this.options
            .deliver(item)
            .catch((e) => this.options.onError(e))
            .finally(() => {
              this.inFlight.delete(p);
              this.wake();
            });
          this.inFlight.add(p);
        }
        if (!items.length) await this.sleep(pollIntervalMs);
      } catch (e) {
        // The database may be away: keep trying, nothing is lost (items stay claimable).
        this.options.onError(e);
        await this.sleep(Math.max(pollIntervalMs, 1000));
      }
    }
  }
}
