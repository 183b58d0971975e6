import { getHeapStatistics } from 'node:v8';
import { HeapPacer } from './heap-pacer';

describe('HeapPacer', () => {
  it('collects only once the heap has grown by the allowance, without --expose-gc', () => {
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
    const pacer = new HeapPacer(32 * 1024 * 1024);
    expect(pacer.check()).toBe(false);

    // Garbage that survives young collections (kept, then let go): it sits in the old generation.
    let kept: string[][] = [];
    let collected = false;
    for (let round = 0; round < 200 && !collected; round++) {
      kept.push(Array.from({ length: 2000 }, (_, i) => `row ${round} ${i} ${'x'.repeat(100)}`));
      if (kept.length > 20) kept = kept.slice(10);
      collected = pacer.check();
    }
    expect(collected).toBe(true);
    kept = [];
    // Right after a collection the next one waits for another allowance of growth.
    expect(pacer.check()).toBe(false);
  });

  it('collect() frees unreachable memory now', () => {
    const pacer = new HeapPacer(Number.MAX_SAFE_INTEGER);
    let garbage: unknown[] | null = Array.from({ length: 200_000 }, (_, i) => ({ i, s: `garbage ${i}` }));
    const before = getHeapStatistics().used_heap_size;
    garbage = null;
    expect(pacer.collect()).toBe(true);
    expect(garbage).toBeNull();
    expect(getHeapStatistics().used_heap_size).toBeLessThan(before - 10 * 1024 * 1024);
  });
});
