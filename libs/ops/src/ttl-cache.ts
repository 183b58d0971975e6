/**
 * A tiny time-based cache with single flight: concurrent callers share one computation, and a
 * result is reused for `ttlMs`. Failures are not cached (the next caller tries again).
 */
export class TtlCache<T> {
  private value?: { at: number; v: T };
  private inFlight?: Promise<T>;

  constructor(
    private readonly ttlMs: number,
    private readonly compute: () => Promise<T>,
    private readonly now: () => number = Date.now,
    /** A result for which this returns false is shared with concurrent callers but not kept. */
    private readonly keep: (v: T) => boolean = () => true,
  ) {}

  get(): Promise<T> {
    if (this.value && this.now() - this.value.at < this.ttlMs) return Promise.resolve(this.value.v);
    if (this.inFlight) return this.inFlight;
    const p = this.compute().then(
      (v) => {
        if (this.keep(v)) this.value = { at: this.now(), v };
        else this.value = undefined;
        this.inFlight = undefined;
        return v;
      },
      (e) => {
        this.inFlight = undefined;
        throw e;
      },
    );
    this.inFlight = p;
    return p;
  }

  invalidate(): void {
    this.value = undefined;
  }
}
