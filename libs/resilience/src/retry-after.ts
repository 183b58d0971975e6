/**
 * A `Retry-After` header (RFC 9110 §10.2.3) in milliseconds from `now`: either delay-seconds
 * (`120`) or an HTTP date (`Fri, 04 Dec 2026 08:00:00 GMT`). Undefined when absent or unreadable,
 * so the caller falls back to its own back-off; a date already past gives 0.
 */
export function parseRetryAfter(value: string | string[] | undefined | null, now = Date.now()): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) return undefined;
  if (/^\d+$/.test(raw)) return Number(raw) * 1000;
  // Only the date forms: Date.parse alone would also take "1.5" or "-3" for a date.
  if (!/[a-z]/i.test(raw)) return undefined;
  const at = Date.parse(raw);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}
