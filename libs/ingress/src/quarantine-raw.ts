import * as iconv from 'iconv-lite';
import { decodeBody } from '#gw/adapters';
import { maskIdNumber, maskName, maskPersonalDigits, maskPhone } from '#gw/case';
import { GatewayError } from '#gw/common';

/**
 * A quarantined message as an operator may see and correct it: decoded (UTF-8, or GBK/GB18030 as
 * the county's older systems send), with every personal value masked. The masks are remembered
 * on the server only (recomputed from the kept original), so that a corrected text still holding
 * `4306**********1238` gets the original number back where the operator left it alone, while what
 * the operator typed in clear goes in as typed.
 */
export interface DecodedRaw {
  text: string;
  /** The charset the bytes were read in, and will be written back in. */
  charset: 'utf-8' | 'gb18030';
  /** False when the bytes are neither UTF-8 nor GB18030: shown, but not correctable. */
  editable: boolean;
}

export function decodeRaw(body: Buffer, declaredCharset?: string): DecodedRaw {
  // The adapters' own decoding (strict, BOM dropped); undeclared GBK is tried after UTF-8.
  const declaredGb = /^(gbk|gb2312|gb18030)$/i.test(declaredCharset ?? '');
  const order: DecodedRaw['charset'][] = declaredGb ? ['gb18030', 'utf-8'] : ['utf-8', 'gb18030'];
  for (const charset of order) {
    const text = decodeBody(body, charset);
    if (text !== undefined) return { text, charset, editable: true };
  }
  return { text: body.toString('latin1'), charset: 'utf-8', editable: false };
}

export function encodeRaw(text: string, charset: DecodedRaw['charset']): Buffer {
  return charset === 'gb18030' ? iconv.encode(text, 'gb18030') : Buffer.from(text, 'utf8');
}

/** One masked piece: what is shown, and (server side only) what it stands for. */
interface Mask {
  shown: string;
  original: string;
}

const HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3134f}]/u;

/** Keys of the canonical event whose values are personal (names, certificate numbers, phones, addresses). */
const PERSONAL_KEYS = /^(name|certNo|phone|mobile|address|legalRep|contact\w*|holder\w*)$/;

/** Personal values of a parsed event (applicants, agent, co-owners …), longest first. */
export function personalValuesOf(event: unknown): string[] {
  const out = new Set<string>();
  const walk = (v: unknown, key: string | null, depth: number) => {
    if (depth > 8 || v === null || v === undefined) return;
    if (typeof v === 'string') {
      if (key && PERSONAL_KEYS.test(key) && v.trim().length >= 2) out.add(v.trim());
      return;
    }
    if (Array.isArray(v)) v.forEach((x) => walk(x, key, depth + 1));
    else if (typeof v === 'object') for (const [k, x] of Object.entries(v as object)) walk(x, k, depth + 1);
  };
  walk(event, null, 0);
  return [...out].sort((a, b) => b.length - a.length);
}

function maskValue(v: string): string {
  if (HAN.test(v)) return maskName(v);
  if (/^1\d{10}$/.test(v)) return maskPhone(v);
  if (/^[\d-]{5,}$/.test(v) && v.includes('-')) return maskPhone(v);
  return maskIdNumber(v);
}

/**
 * The text with personal data masked, and the masks used. Known values (from the parsed event) are
 * masked wherever they stand; then whatever looks like an ID, a mobile number or a long run of
 * digits; and, when the message could not be parsed (so its names are not known), every quoted
 * text holding Han characters, as a name would be.
 */
export function maskRaw(text: string, known: string[], parsed: boolean): { text: string; masks: Mask[] } {
  const masks: Mask[] = [];
  const record = (original: string, shown: string) => {
    if (shown !== original) masks.push({ shown, original });
    return shown;
  };
  let out = text;
  for (const v of known) {
    if (!out.includes(v)) continue;
    const shown = maskValue(v);
    out = out.split(v).join(shown);
    record(v, shown);
  }
  out = maskPersonalDigits(out, record);
  if (!parsed) out = out.replace(/"([^"\n]{1,40})"/g, (m, inner: string) => (HAN.test(inner) ? `"${record(inner, maskName(inner))}"` : m));
  return { text: out, masks };
}

/**
 * The corrected text with every mask the operator left in place turned back into its original.
 * A mask that stands for two different originals (two applicants `张*`) cannot be told apart: the
 * operator must type that value in full (CORRECTION_AMBIGUOUS names it).
 */
export function unmaskCorrected(corrected: string, masks: Mask[]): string {
  const byShown = new Map<string, Set<string>>();
  for (const m of masks) byShown.set(m.shown, (byShown.get(m.shown) ?? new Set()).add(m.original));
  let out = corrected;
  // Longest masks first, so `4306**********1238` is restored before a shorter mask inside it could match.
  for (const shown of [...byShown.keys()].sort((a, b) => b.length - a.length)) {
    if (!out.includes(shown)) continue;
    const originals = byShown.get(shown)!;
    if (originals.size > 1) {
      throw new GatewayError('CORRECTION_AMBIGUOUS', 422, `"${shown}" 对应多个原值，请填写完整 stands for more than one value: type it in full`, [
        { field: 'text', code: 'CORRECTION_AMBIGUOUS', message: `"${shown}" 对应多个原值，请填写完整 type it in full` },
      ]);
    }
    out = out.split(shown).join([...originals][0]);
  }
  return out;
}
