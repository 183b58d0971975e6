/**
 * Masks personal data for logs, errors and screens (个人信息保护法):
 * `4306**********1238`, `138****0000`, `李*`.
 */
export function maskIdNumber(value: string | null | undefined): string {
  if (!value) return '';
  const v = String(value);
  if (v.length <= 8) return '*'.repeat(v.length);
  return v.slice(0, 4) + '*'.repeat(v.length - 8) + v.slice(-4);
}

export function maskPhone(value: string | null | undefined): string {
  if (!value) return '';
  const v = String(value);
  if (/^1\d{10}$/.test(v)) return v.slice(0, 3) + '****' + v.slice(-4);
  if (v.length <= 4) return '*'.repeat(v.length);
  // Landlines such as 0730-6223456: keep the area code and the last two digits.
  const keepHead = v.includes('-') ? v.indexOf('-') + 1 : 3;
  const hidden = v.length - keepHead - 2;
  // Too short to keep both ends and still hide at least four characters (e.g. `12345`,
  // `0730-62`, which were shown in full): keep at most the last two characters.
  if (hidden < 4) {
    const keepTail = v.length >= 6 ? 2 : 0;
    return '*'.repeat(v.length - keepTail) + v.slice(v.length - keepTail);
  }
  return v.slice(0, keepHead) + '*'.repeat(hidden) + v.slice(-2);
}

export function maskName(value: string | null | undefined): string {
  if (!value) return '';
  const chars = Array.from(String(value));
  if (chars.length === 1) return '*';
  return chars[0] + '*'.repeat(chars.length - 1);
}

/**
 * Told each piece a mask replaced and what it was replaced with (a quarantined message corrected
 * in place gets the originals back where the operator left the masks alone).
 */
export type MaskRecorder = (original: string, shown: string) => void;

const noted = (record: MaskRecorder | undefined, original: string, shown: string): string => {
  record?.(original, shown);
  return shown;
};

/** Masks whatever looks like an ID number or a mobile number inside free text. */
export function maskFreeText(text: string, record?: MaskRecorder): string {
  if (text === null || text === undefined) return '';
  return (
    String(text)
      // 18-character ID numbers (last character may be X), wherever a run of exactly 18 stands,
      // also right after letters (`ID430626…`).
      .replace(/(?<!\d)\d{17}[\dXx](?!\d)/g, (m) => noted(record, m, maskIdNumber(m)))
      // Old 15-digit ID numbers.
      .replace(/(?<!\d)\d{15}(?!\d)/g, (m) => noted(record, m, maskIdNumber(m)))
      // Mobile numbers, with an optional +86 / 86 prefix and optional - or space separators.
      .replace(
        /(?<!\d)((?:\+?86[- ]?)?)(1[3-9]\d)([- ]?)(\d{4})([- ]?)(\d{4})(?!\d)/g,
        (m, prefix, head, s1, _mid, s2, tail) => noted(record, m, `${prefix}${head}${s1}****${s2}${tail}`),
      )
  );
}

/** Han characters (and the rare-name extensions): text holding any may be a person's name. */
const HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3134f}]/u;

/** Longest part of a sent value quoted back in a message; the rest is cut (`…`). */
const MAX_QUOTED_CHARS = 40;

/**
 * `maskFreeText`, and any other run of 11 or more digits standing alone (an ID number of a wrong
 * length, a bank card, a mobile number in a form the phone rule does not know): only its first
 * three and last two digits stay. For texts that quote what a sender sent (error messages, stored issues).
 */
export function maskPersonalDigits(text: string, record?: MaskRecorder): string {
  if (text === null || text === undefined) return '';
  // Standing alone only: a run inside a code (a matter code's `…L0000110001000`) is the code's.
  return maskFreeText(text, record).replace(/(?<![\dA-Za-z])\d{11,}[Xx]?(?![\dA-Za-z])/g, (m) =>
    noted(record, m, m.slice(0, 3) + '*'.repeat(m.length - 5) + m.slice(-2)),
  );
}

/**
 * A value sent by a department, as an error message may show it: digits masked as
 * `maskPersonalDigits` does, text holding Han characters (possibly a name) masked as a name, cut at
 * 40 characters. Messages quote values only through this (`"受*"`, `"4306**********1238"`).
 */
export function maskSentValue(value: unknown): string {
  let v = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  const chars = Array.from(v);
  if (chars.length > MAX_QUOTED_CHARS) v = chars.slice(0, MAX_QUOTED_CHARS).join('') + '…';
  if (HAN.test(v)) return maskName(v);
  return maskPersonalDigits(v);
}

/** `"<maskSentValue(value)>"`: a sent value quoted in a message. */
export function quoteSentValue(value: unknown): string {
  return `"${maskSentValue(value)}"`;
}

/**
 * The last-line mask of a message or issue text that is answered, stored or shown: digits as
 * `maskPersonalDigits`, and every double-quoted part holding Han characters masked as a name
 * (messages quote sent values in double quotes; their own Chinese text stands unquoted).
 */
export function maskIssueText(text: string): string {
  if (text === null || text === undefined) return '';
  const s = String(text);
  // Most messages hold neither digits nor quotes: nothing to look for.
  if (!/[\d"]/.test(s)) return s;
  return maskPersonalDigits(s).replace(/"([^"]*)"/g, (m, inner: string) => (HAN.test(inner) ? `"${maskName(inner)}"` : m));
}

/** Field issues with their field, code and message texts masked (`maskIssueText`); anything else in them kept. */
export function maskFieldIssues<T extends { field: string; code: string; message?: string }>(issues: readonly T[]): T[] {
  return issues.map((i) => ({
    ...i,
    field: maskIssueText(i.field),
    code: maskIssueText(i.code),
    ...(i.message === undefined ? {} : { message: maskIssueText(i.message) }),
  }));
}
