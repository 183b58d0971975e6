import { KeyedTokenBuckets } from './keyed-token-buckets';

describe('KeyedTokenBuckets', () => {
  it('lets a burst through, then refuses with the seconds to wait, and refills with time', () => {
    let now = 0;
    const b = new KeyedTokenBuckets({ perSecond: 1, burst: 3 }, 100, () => now);
    expect([b.take('a'), b.take('a'), b.take('a')]).toEqual([0, 0, 0]);
    expect(b.take('a')).toBe(1);
    expect(b.peek('a')).toBe(1);
    expect(b.take('b')).toBe(0); // keys are independent
    now += 1000;
    expect(b.peek('a')).toBe(0);
    expect(b.take('a')).toBe(0);
    expect(b.take('a')).toBe(1);
  });

  it('keeps at most maxKeys buckets: idle ones go first, then the least recently used', () => {
    let now = 0;
    const b = new KeyedTokenBuckets({ perSecond: 10, burst: 10 }, 50, () => now);
    for (let i = 0; i < 10_000; i++) {
      b.take(`addr-${i}`);
      if (i % 100 === 0) now += 5;
    }
    expect(b.size).toBeLessThanOrEqual(50);
  });
});
