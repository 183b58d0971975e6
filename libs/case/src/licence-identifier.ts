/**
 * 电子证照标识 (GB/T 36904-2018, 电子证照 标识规范): the identifier of an electronic licence.
 *
 *   1.2.156.3005.2.<type>.<issuer>.<serial>.<version>.<check>
 *
 * - `1.2.156.3005.2` — the object-identifier arc the standard assigns to electronic licences
 *   (1 ISO · 2 member body · 156 China · 3005 政务服务 · 2 电子证照).
 * - `<type>` — 证照类型代码 of the national 电子证照 catalogue: the 18-character unified social
 *   credit code of the authority that defined the licence type (证照定义机构) followed by a
 *   3-digit number it gave the type (e.g. `11100000000013338W011`).
 * - `<issuer>` — 证照颁发机构代码: the issuing organisation's unified social credit code
 *   (for us the department's `orgCode` in the catalogue).
 * - `<serial>` — 流水号, assigned by the issuer, unique per type and issuer. The standard leaves its
 *   form to the issuer (published identifiers use 7 to 20 characters); the gateway uses the
 *   issue year and a 7-digit number counted per type, issuer and year (`20260000001`), the form of
 *   the worked example below: unique because type + issuer + serial is, and never derived from
 *   the certificate number, which may hold characters outside 0-9 A-Z (不动产权证书号 are Chinese
 *   text) and may be missing altogether (RSJ's 职业资格证书补发).
 * - `<version>` — 版本号, `001` for a first issue; a licence re-issued with changes gets the next.
 * - `<check>` — ISO 7064 MOD 37,36 (hybrid system, alphabet 0-9 A-Z) over
 *   type + issuer + serial + version concatenated without the dots.
 *
 * Worked example (a published licence identifier, also in docs/departments.md 1.11):
 * `1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U`.
 */

export const LICENCE_IDENTIFIER_PREFIX = '1.2.156.3005.2';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const M = 36;

/** The running value of ISO 7064 MOD 37,36 after `text` (upper-case 0-9 A-Z only). */
function mod3736Running(text: string): number {
  let p = M;
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new RangeError(`character "${ch}" is outside 0-9 A-Z`);
    let s = (p + v) % M;
    if (s === 0) s = M;
    p = (s * 2) % (M + 1);
  }
  return p;
}

/** ISO 7064 MOD 37,36 check character of `text` (0-9 A-Z). */
export function mod3736CheckChar(text: string): string {
  return ALPHABET[(M + 1 - mod3736Running(text)) % M];
}

/** True when the last character of `textWithCheck` is its ISO 7064 MOD 37,36 check character. */
export function mod3736Valid(textWithCheck: string): boolean {
  if (!/^[0-9A-Z]{2,}$/.test(textWithCheck)) return false;
  // Hybrid-system verification: the running value after the check character is 2 (S = 1).
  return mod3736Running(textWithCheck) === 2;
}

const USCC_PATTERN = '[0-9A-HJ-NPQRTUWXY]{2}\\d{6}[0-9A-HJ-NPQRTUWXY]{10}';
/** 证照类型代码: an 18-character credit code (the defining authority) and a 3-digit number. */
export const LICENCE_TYPE_CODE = new RegExp(`^${USCC_PATTERN}\\d{3}$`);

export interface LicenceIdentifierParts {
  typeCode: string;
  issuerCode: string;
  serial: string;
  version: string;
}

/** The serial the gateway gives: issue year and a 7-digit number (`2026`, 1 → `20260000001`). */
export function licenceSerial(year: number, n: number): string {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new RangeError(`year ${year} is not 4 digits`);
  if (!Number.isInteger(n) || n < 1 || n > 9_999_999) throw new RangeError(`serial ${n} is outside 1–9999999`);
  return `${year}${String(n).padStart(7, '0')}`;
}

/** Builds the identifier; throws for a part that cannot be part of one. */
export function buildLicenceIdentifier(parts: LicenceIdentifierParts): string {
  const { typeCode, issuerCode, serial, version } = parts;
  if (!LICENCE_TYPE_CODE.test(typeCode)) throw new RangeError(`licence type code "${typeCode}" is not 18 credit-code characters and 3 digits`);
  if (!new RegExp(`^${USCC_PATTERN}$`).test(issuerCode)) throw new RangeError(`issuer code "${issuerCode}" is not a unified social credit code`);
  if (!/^[0-9A-Z]{1,32}$/.test(serial)) throw new RangeError(`serial "${serial}" must be 1–32 characters of 0-9 A-Z`);
  if (!/^\d{3}$/.test(version)) throw new RangeError(`version "${version}" must be 3 digits`);
  const check = mod3736CheckChar(typeCode + issuerCode + serial + version);
  return [LICENCE_IDENTIFIER_PREFIX, typeCode, issuerCode, serial, version, check].join('.');
}

/** The parts of a well-formed identifier whose check character holds, or null. */
export function parseLicenceIdentifier(id: string): (LicenceIdentifierParts & { check: string }) | null {
  if (typeof id !== 'string' || !id.startsWith(`${LICENCE_IDENTIFIER_PREFIX}.`)) return null;
  const rest = id.slice(LICENCE_IDENTIFIER_PREFIX.length + 1).split('.');
  if (rest.length !== 5) return null;
  const [typeCode, issuerCode, serial, version, check] = rest;
  if (!LICENCE_TYPE_CODE.test(typeCode) || !new RegExp(`^${USCC_PATTERN}$`).test(issuerCode)) return null;
  if (!/^[0-9A-Z]{1,32}$/.test(serial) || !/^\d{3}$/.test(version) || !/^[0-9A-Z]$/.test(check)) return null;
  if (!mod3736Valid(typeCode + issuerCode + serial + version + check)) return null;
  return { typeCode, issuerCode, serial, version, check };
}

export const isValidLicenceIdentifier = (id: string): boolean => parseLicenceIdentifier(id) !== null;
