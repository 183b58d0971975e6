import { ClaimLoop, ClaimLoopOptions } from './claim-loop';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** A queue of numbered items, deliveries finished by hand. */
function harness(overrides: Partial<ClaimLoopOptions<number>> = {}) {
  const queue = Array.from({ length: 20 }, (_, i) => i + 1);
  const claims: number[] = [];
  const delivering = new Map<number, () => void>();
  const delivered: number[] = [];
  const errors: unknown[] = [];
  const loop = new ClaimLoop<number>({
    concurrency: 4,
    pollIntervalMs: 60_000,
    claim: async (free) => {
      claims.push(free);
      return queue.splice(0, free);
    },
    deliver: (item) =>
      new Promise<void>((resolve) => {
        delivering.set(item, () => {
          delivering.delete(item);
          delivered.push(item);
          resolve();
        });
      }),
    onError: (e) => errors.push(e),
    ...overrides,
  });
  const finish = (item: number) => delivering.get(item)!();
  return { loop, queue, claims, delivering, delivered, errors, finish };
}

describe('ClaimLoop', () => {
  it('claims up to the free slots, and claims again only when enough slots are free', async () => {
    const h = harness({ minFreeSlots: 2 });
    h.loop.start();
    await tick();
    expect(h.claims).toEqual([4]);
    expect([...h.delivering.keys()]).toEqual([1, 2, 3, 4]);
    h.finish(1); // one free slot: below minFreeSlots, no claim
    await tick();
    expect(h.claims).toEqual([4]);
    h.finish(2); // two free: claim two
    await tick();
    expect(h.claims).toEqual([4, 2]);
    expect([...h.delivering.keys()]).toEqual([3, 4, 5, 6]);
    const stopped = h.loop.stop();
    for (const item of [...h.delivering.keys()]) h.finish(item);
    await stopped;
    expect(h.delivered).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('claims nothing while paused, and goes on once woken', async () => {
    let paused = true;
    const h = harness({ paused: () => paused });
    h.loop.start();
    await tick(20);
    expect(h.claims).toEqual([]);
    paused = false;
    h.loop.wake(); // the poll interval is a minute: only the wake-up starts the round
    await tick();
    expect(h.claims).toEqual([4]);
    const stopped = h.loop.stop();
    for (const item of [...h.delivering.keys()]) h.finish(item);
    await stopped;
  });

  it('reports a failed round and tries again after a pause', async () => {
    let fail = true;
    let calls = 0;
    const h = harness({
      pollIntervalMs: 10,
      claim: async () => {
        calls++;
        if (fail) {
          fail = false;
          throw new Error('database away');
        }
        return []; // nothing due: the loop sleeps its poll interval
      },
    });
    h.loop.start();
    await tick(500);
    expect(h.errors.map((e) => (e as Error).message)).toEqual(['database away']);
    // The retry waits at least a second (not the 10 ms poll): a database that is away is not hammered.
    expect(calls).toBe(1);
    await tick(700);
    await h.loop.stop();
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(h.errors).toHaveLength(1);
  });

  it('stop() waits for deliveries under way and claims nothing more', async () => {
    const h = harness();
    h.loop.start();
    await tick();
    let stopped = false;
    const stopping = h.loop.stop().then(() => (stopped = true));
    await tick(10);
    expect(stopped).toBe(false);
    expect(h.loop.activeDeliveries).toBe(4);
    for (const item of [...h.delivering.keys()]) h.finish(item);
    await stopping;
    expect(h.claims).toEqual([4]);
    expect(h.queue).toHaveLength(16);
  });

  it('stop() during a claim round returns once that round ends, without sleeping a poll interval first', async () => {
    // A round that finds nothing sleeps for the poll interval (a minute here); a stop that came
    // while it was claiming must not wait for that sleep (it did: a test gateway stopped its
    // dispatcher a minute late).
    let release!: (items: number[]) => void;
    const h = harness({ claim: () => new Promise<number[]>((resolve) => (release = resolve)) });
    h.loop.start();
    await tick();
    let stopped = false;
    const stopping = h.loop.stop().then(() => (stopped = true));
    release([]);
    await tick(50);
    expect(stopped).toBe(true);
    await stopping;
  });
});
