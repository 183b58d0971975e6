/** Department systems stamp everything in Beijing time (UTC+8, no daylight saving). */

const BEIJING_OFFSET_MS = 8 * 3_600_000;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function parts(ms: number) {
  const d = new Date(ms + BEIJING_OFFSET_MS);
  return {
    y: pad(d.getUTCFullYear(), 4),
    mo: pad(d.getUTCMonth() + 1),
    d: pad(d.getUTCDate()),
    h: pad(d.getUTCHours()),
    mi: pad(d.getUTCMinutes()),
    s: pad(d.getUTCSeconds()),
  };
}

/** `yyyy` */
export const beijingYear = (ms: number = Date.now()): string => parts(ms).y;

/** `yyyyMMdd`, as inside BDC and RSJ case numbers. */
export function beijingCompactDate(ms: number = Date.now()): string {
  const p = parts(ms);
  return `${p.y}${p.mo}${p.d}`;
}

/** `yyyyMMddHHmmss`, BDC's time format. */
export function beijingCompactDateTime(ms: number = Date.now()): string {
  const p = parts(ms);
  return `${p.y}${p.mo}${p.d}${p.h}${p.mi}${p.s}`;
}

/** `yyyy-MM-dd HH:mm:ss`, RSJ's time format. */
export function beijingDateTime(ms: number = Date.now()): string {
  const p = parts(ms);
  return `${p.y}-${p.mo}-${p.d} ${p.h}:${p.mi}:${p.s}`;
}

/** ISO-8601 with the +08:00 offset, SCJG's time format. */
export function beijingIso(ms: number = Date.now()): string {
  const p = parts(ms);
  return `${p.y}-${p.mo}-${p.d}T${p.h}:${p.mi}:${p.s}+08:00`;
}
