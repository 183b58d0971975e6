import * as iconv from 'iconv-lite';
import type { FieldIssue } from '#gw/case';
import { maskPersonalDigits, maskSentValue } from '#gw/case';

/** A string value or undefined; numbers are stringified, blanks and objects dropped. */
export function text(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const t = value.trim();
  return t === '' ? undefined : t;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Builds an ISO-8601 Beijing time (+08:00) from parts, or undefined for an impossible date. */
export function beijingIso(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): string | undefined {
  if (![y, mo, d, h, mi, s].every(Number.isInteger)) return undefined;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 || h < 0 || mi < 0 || s < 0) return undefined;
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) return undefined;
  return `${String(y).padStart(4, '0')}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}+08:00`;
}

/** `yyyyMMddHHmmss` (BDC) → ISO-8601 Beijing time. */
export function fromCompactTime(value: string | undefined): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value ?? '');
  return m ? beijingIso(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6]) : undefined;
}

/** `yyyy-MM-dd HH:mm:ss` (RSJ, the platform) → ISO-8601 Beijing time. */
export function fromDashedTime(value: string | undefined): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value ?? '');
  return m ? beijingIso(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6]) : undefined;
}

/** Spreadsheet style `yyyy/M/d H:mm` (YBJ), seconds optional → ISO-8601 Beijing time. */
export function fromSpreadsheetTime(value: string | undefined): string | undefined {
  const m = /^(\d{4})\/(\d{1,2})\/(\d{1,2}) (\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(value ?? '');
  return m ? beijingIso(+m[1], +m[2], +m[3], +m[4], +m[5], m[6] ? +m[6] : 0) : undefined;
}

/** ISO-8601 with an explicit offset (SCJG): kept as sent when it is a real instant. */
export function fromIsoWithOffset(value: string | undefined): string | undefined {
  if (!value || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
  const [datePart] = value.split('T');
  const [y, mo, d] = datePart.split('-').map(Number);
  return beijingIso(y, mo, d) && Number.isFinite(Date.parse(value)) ? value : undefined;
}

/** Decodes a body in the declared charset; undefined when the bytes are not valid in it. */
export function decodeBody(body: Buffer, charset: string | undefined): string | undefined {
  const cs = (charset ?? 'utf-8').toLowerCase();
  if (cs === 'utf-8' || cs === 'utf8') {
    try {
      const s = new TextDecoder('utf-8', { fatal: true }).decode(body);
      return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
    } catch {
      return undefined;
    }
  }
  if (cs === 'gbk' || cs === 'gb2312' || cs === 'gb18030') {
    // GB18030 is a superset of GBK and carries the rare surname characters GBK lacks.
    try {
      return new TextDecoder('gb18030', { fatal: true }).decode(body);
    } catch {
      return undefined;
    }
  }
  if (!iconv.encodingExists(cs)) return undefined;
  return iconv.decode(body, cs);
}

export function issue(field: string, code: string, message: string): FieldIssue {
  return { field, code, message };
}

/**
 * A parser's error message as a field issue may carry it: the parsers quote the text they stopped
 * at (V8's JSON.parse `"…" is not valid JSON`, csv-parse's `value is "…"`, the XML validator's tag
 * names), which may be an ID number or a name. Quoted parts are masked (`maskSentValue`); V8's
 * copy of the JSON text is dropped (the position stays where V8 gives one).
 */
export function parserReason(message: string): string {
  return maskPersonalDigits(
    String(message ?? '')
      .replace(/,\s*(?:\.\.\.)?"[\s\S]*"(?:\.\.\.)? is not valid JSON$/, ' (not valid JSON)')
      .replace(/"([^"]*)"|'([^']*)'/g, (_m, dq: string | undefined, sq: string | undefined) =>
        dq !== undefined ? `"${maskSentValue(dq)}"` : `'${maskSentValue(sq)}'`,
      ),
  );
}
