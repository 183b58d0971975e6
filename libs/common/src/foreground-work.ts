/**
 * Work somebody is waiting for, against work that can wait, inside one process.
 *
 * Why: the embedded gateway stores a department's batch file and delivers to the city platform on
 * the same event loop and the same two cores. The department's system waits for the file's answer;
 * the platform takes at most its rate (50 calls/s by default), so a 50,000-row backlog takes about
 * 17 minutes to deliver whatever happens, and a pause of a few seconds changes that by as much.
 * Deliveries beside a 50,000-row file took about a sixth of its time. So background loops (the
 * platform dispatcher) claim nothing new while foreground work runs: calls under way finish, and
 * the loop is woken when the work ends.
 *
 * Bounded: after `maxYieldMs` of uninterrupted foreground work (files back to back, or one that
 * never ends) background work goes on regardless, so deliveries are delayed, never starved. Each
 * process has its own: in a split deployment the dispatcher's process never yields.
 */
export class ForegroundWork {
  private running = 0;
  private since = 0;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly maxYieldMs = 30_000) {}

  /** Marks work under way until the returned function is called (calling it again does nothing). */
  begin(): () => void {
    if (this.running++ === 0) this.since = Date.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.running > 0) return;
      for (const listener of this.listeners) listener();
    };
  }

  /** True while background work should wait. */
  get shouldYield(): boolean {
    return this.running > 0 && Date.now() - this.since < this.maxYieldMs;
  }

  /** Called each time the last piece of foreground work ends; returns the unsubscribe function. */
  onIdle(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
