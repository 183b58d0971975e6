import { TtlCache } from './ttl-cache';

describe('TtlCache', () => {
  it('shares one computation between concurrent callers and reuses it until it expires', async () => {
    let now = 0;
    let calls = 0;
    const cache = new TtlCache(
      1000,
      async () => ++calls,
      () => now,
    );
    expect(await Promise.all([cache.get(), cache.get(), cache.get()])).toEqual([1, 1, 1]);
    now = 999;
    expect(await cache.get()).toBe(1);
    now = 1000;
    expect(await cache.get()).toBe(2);
    cache.invalidate();
    expect(await cache.get()).toBe(3);
  });

  it('does not keep failures or results the keep rule refuses', async () => {
    let n = 0;
    const failing = new TtlCache(1000, async () => {
      n++;
      throw new Error('down');
    });
    await expect(failing.get()).rejects.toThrow('down');
    await expect(failing.get()).rejects.toThrow('down');
    expect(n).toBe(2);
    let m = 0;
    const notKept = new TtlCache(
      1000,
      async () => ++m,
      Date.now,
      (v) => v > 1,
    );
    expect(await notKept.get()).toBe(1);
    expect(await notKept.get()).toBe(2);
    expect(await notKept.get()).toBe(2);
  });
});
