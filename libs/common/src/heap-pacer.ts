import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type CollectGarbage = () => void;

let collector: CollectGarbage | null | undefined;

/**
 * V8's own full collection, reached without starting Node with `--expose-gc` (the flag only
 * applies to contexts made after it is set, so it is set, a context is made, and it is unset).
 * Null if this V8 does not allow it; pacing is then skipped and V8 decides alone, as before.
 */
function fullCollection(): CollectGarbage | null {
  if (collector !== undefined) return collector;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    collector = typeof gc === 'function' ? (gc as CollectGarbage) : null;
  } catch {
    collector = null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  return collector;
}

/**
 * Keeps a long job's garbage from piling up in the old generation.
 *
 * Why: the rows of a batch file live until their group is committed, so they survive young
 * collections and are promoted; V8 then lets the old generation grow to about four times the live
 * heap before a full collection (it measures that the program allocates fast and collects cheaply).
 * For a 50,000-row file that was ~250 MB of mostly garbage in a ~60 MB live heap. A heap cap at
 * start-up (`--max-old-space-size`) would bound it too, but turns a real need for memory into an
 * out-of-memory crash of the whole gateway; this only collects earlier, during the job, and never
 * fails: if the live heap really grows, the next threshold is measured from there.
 *
 * `check()` is cheap (a heap statistics read); call it every few hundred rows.
 */
export class HeapPacer {
  private threshold: number;

  /** @param allowanceBytes growth of the heap since the last collection that triggers the next one */
  constructor(private readonly allowanceBytes: number) {
    this.threshold = getHeapStatistics().used_heap_size + allowanceBytes;
  }

  /** Collects if the heap grew past the allowance; true if it did. */
  check(): boolean {
    if (getHeapStatistics().used_heap_size < this.threshold) return false;
    return this.collect();
  }

  /** Collects now (before a large allocation, say); true if it could. */
  collect(): boolean {
    const gc = fullCollection();
    if (!gc) {
      this.threshold = Infinity;
      return false;
    }
    gc();
    this.threshold = getHeapStatistics().used_heap_size + this.allowanceBytes;
    return true;
  }
}
