/**
 * Exponential back-off with full jitter (AWS architecture blog): many retrying messages spread out
 * instead of hitting a recovering platform in waves.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
