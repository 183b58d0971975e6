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

/** Masks whatever looks like an ID number or a mobile number inside free text. */
export function maskFreeText(text: string): string {
  if (text === null || text === undefined) return '';
  return (
    String(text)
      // 18-character ID numbers (last character may be X), wherever a run of exactly 18 stands,
      // also right after letters (`ID430626…`).
      .replace(/(?<!\d)\d{17}[\dXx](?!\d)/g, (m) => maskIdNumber(m))
      // Old 15-digit ID numbers.
      .replace(/(?<!\d)\d{15}(?!\d)/g, (m) => maskIdNumber(m))
      // Mobile numbers, with an optional +86 / 86 prefix and optional - or space separators.
      .replace(
        /(?<!\d)((?:\+?86[- ]?)?)(1[3-9]\d)([- ]?)(\d{4})([- ]?)(\d{4})(?!\d)/g,
        (_m, prefix, head, s1, _mid, s2, tail) => `${prefix}${head}${s1}****${s2}${tail}`,
      )
  );
}
