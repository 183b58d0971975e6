/** The platform's clock: Beijing time (UTC+8, no daylight saving), `yyyy-MM-dd HH:mm:ss`. */

const BEIJING_OFFSET_MS = 8 * 3_600_000;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function beijingParts(ms: number) {
  const d = new Date(ms + BEIJING_OFFSET_MS);
  return {
    y: d.getUTCFullYear(),
    mo: d.getUTCMonth() + 1,
    d: d.getUTCDate(),
    h: d.getUTCHours(),
    mi: d.getUTCMinutes(),
    s: d.getUTCSeconds(),
  };
}

export function formatBeijingDateTime(ms: number = Date.now()): string {
  const p = beijingParts(ms);
  return `${pad(p.y, 4)}-${pad(p.mo)}-${pad(p.d)} ${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}`;
}

/** `yyyyMMdd`, as used inside project numbers. */
export function formatBeijingCompactDate(ms: number = Date.now()): string {
  const p = beijingParts(ms);
  return `${pad(p.y, 4)}${pad(p.mo)}${pad(p.d)}`;
}

function toEpoch(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number | null {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(utc);
  // Date.UTC rolls 2026-02-30 over into March: a real calendar date survives the round trip.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return utc - BEIJING_OFFSET_MS;
}

/** Epoch milliseconds of a `yyyy-MM-dd HH:mm:ss` Beijing time, or null when malformed or not a real time. */
export function parseBeijingDateTime(text: string): number | null {
  const m = DATE_TIME.exec(text);
  return m ? toEpoch(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6]) : null;
}

/** Epoch milliseconds of Beijing midnight of a `yyyy-MM-dd` date, or null. */
export function parseBeijingDate(text: string): number | null {
  const m = DATE_ONLY.exec(text);
  return m ? toEpoch(+m[1], +m[2], +m[3]) : null;
}
