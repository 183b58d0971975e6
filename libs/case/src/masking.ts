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
  return v.slice(0, keepHead) + '*'.repeat(Math.max(0, v.length - keepHead - 2)) + v.slice(-2);
}

export function maskName(value: string | null | undefined): string {
  if (!value) return '';
  const chars = Array.from(String(value));
  if (chars.length === 1) return '*';
  return chars[0] + '*'.repeat(chars.length - 1);
}

/** Masks whatever looks like an ID number or a mobile number inside free text. */
export function maskFreeText(text: string): string {
  return text
    .replace(/(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])/g, (m) => maskIdNumber(m))
    .replace(/(?<!\d)(\d{6})(\d{6})(\d{3})(?!\d)/g, (m) => maskIdNumber(m))
    .replace(/(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)/g, (_m, a, _b, c) => `${a}****${c}`);
}
