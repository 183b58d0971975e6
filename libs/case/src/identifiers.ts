/**
 * National identifier rules: GB 11643-1999 citizen ID numbers, GB 32100-2015 unified social
 * credit codes, GB/T 2260 division codes (Pingjiang's townships), matter implementation codes.
 * Pure functions; no framework imports.
 */

export type IdNumberProblem = 'ID_FORMAT' | 'ID_BIRTH_DATE' | 'ID_CHECK_DIGIT';

export interface IdNumberCheck {
  ok: boolean;
  /** The 18-digit form (upper-case X), when the input could be normalised. */
  normalized?: string;
  /** Set when a 15-digit (GB 11643-1989) number was converted. */
  convertedFrom15?: boolean;
  problem?: IdNumberProblem;
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK_CHARS = '10X98765432';

/** The check character for the first 17 digits of an 18-digit ID number. */
export function idNumberCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i];
  return ID_CHECK_CHARS[sum % 11];
}

const BEIJING_OFFSET_MS = 8 * 3600 * 1000;

function isRealPastDate(yyyy: number, mm: number, dd: number, now: Date): boolean {
  if (yyyy < 1800 || mm < 1 || mm > 12 || dd < 1 || dd > 31) return false;
  const d = new Date(Date.UTC(yyyy, mm - 1, dd));
  if (d.getUTCFullYear() !== yyyy || d.getUTCMonth() !== mm - 1 || d.getUTCDate() !== dd) return false;
  // Birth dates are calendar dates in China: compare with today's date in Beijing (UTC+8), not
  // with the UTC instant, or a person born "today" is refused between 00:00 and 08:00 Beijing time.
  const beijing = new Date(now.getTime() + BEIJING_OFFSET_MS);
  const today = Date.UTC(beijing.getUTCFullYear(), beijing.getUTCMonth(), beijing.getUTCDate());
  return d.getTime() <= today;
}

/** Converts a 15-digit ID number to 18 digits: `19` before the birth year, check digit appended. */
export function convertIdNumber15To18(id15: string): string {
  if (!/^\d{15}$/.test(id15)) throw new Error('not a 15-digit ID number');
  const first17 = id15.slice(0, 6) + '19' + id15.slice(6);
  return first17 + idNumberCheckChar(first17);
}

/**
 * Validates an ID number. 18-digit numbers are checked for form, a real past birth date and the
 * check digit; 15-digit numbers are converted first and the conversion reported.
 */
export function checkIdNumber(input: string, now: Date = new Date()): IdNumberCheck {
  // Only strings can be ID numbers (an 18-digit JSON number has already lost its last digits);
  // anything else is a format problem, never an exception.
  if (typeof input !== 'string') return { ok: false, problem: 'ID_FORMAT' };
  const raw = input.trim().toUpperCase();
  let id = raw;
  let convertedFrom15 = false;
  if (/^\d{15}$/.test(raw)) {
    id = convertIdNumber15To18(raw);
    convertedFrom15 = true;
  }
  if (!/^[1-9]\d{16}[\dX]$/.test(id)) return { ok: false, problem: 'ID_FORMAT' };
  const yyyy = Number(id.slice(6, 10));
  const mm = Number(id.slice(10, 12));
  const dd = Number(id.slice(12, 14));
  if (!isRealPastDate(yyyy, mm, dd, now)) return { ok: false, problem: 'ID_BIRTH_DATE' };
  if (idNumberCheckChar(id.slice(0, 17)) !== id[17]) return { ok: false, problem: 'ID_CHECK_DIGIT' };
  return { ok: true, normalized: id, convertedFrom15 };
}

export type UsccProblem = 'USCC_FORMAT' | 'USCC_CHECK_DIGIT';

export interface UsccCheck {
  /** True when the code has the right form; a check-digit failure is reported separately. */
  wellFormed: boolean;
  checkDigitOk: boolean;
  normalized?: string;
  problem?: UsccProblem;
}

const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** The check character for the first 17 characters of a unified social credit code. */
export function usccCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_CHARS.indexOf(first17[i]) * USCC_WEIGHTS[i];
  return USCC_CHARS[(31 - (sum % 31)) % 31];
}

/**
 * Validates a unified social credit code (GB 32100-2015). Some early pilot codes fail their own
 * checksum; callers treat a check-digit failure as a warning, not a rejection.
 */
export function checkUscc(input: string): UsccCheck {
  if (typeof input !== 'string') return { wellFormed: false, checkDigitOk: false, problem: 'USCC_FORMAT' };
  const code = input.trim().toUpperCase();
  if (!/^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/.test(code)) {
    return { wellFormed: false, checkDigitOk: false, problem: 'USCC_FORMAT' };
  }
  const ok = usccCheckChar(code.slice(0, 17)) === code[17];
  return ok
    ? { wellFormed: true, checkDigitOk: true, normalized: code }
    : { wellFormed: true, checkDigitOk: false, normalized: code, problem: 'USCC_CHECK_DIGIT' };
}

/** Hunan / Yueyang / Pingjiang and Pingjiang's 25 township-level units (statistics bureau, 2022). */
export const PINGJIANG_COUNTY = '430626';
export const PINGJIANG_TOWNSHIPS: Readonly<Record<string, string>> = {
  '430626001': '汉昌街道',
  '430626002': '天岳街道',
  '430626101': '安定镇',
  '430626102': '三市镇',
  '430626103': '加义镇',
  '430626104': '长寿镇',
  '430626105': '龙门镇',
  '430626106': '虹桥镇',
  '430626107': '南江镇',
  '430626108': '梅仙镇',
  '430626109': '浯口镇',
  '430626110': '瓮江镇',
  '430626111': '伍市镇',
  '430626112': '向家镇',
  '430626113': '童市镇',
  '430626114': '岑川镇',
  '430626115': '福寿山镇',
  '430626116': '余坪镇',
  '430626117': '石牛寨镇',
  '430626118': '上塔市镇',
  '430626200': '三阳乡',
  '430626205': '木金乡',
  '430626208': '板江乡',
  '430626209': '大洲乡',
  '430626210': '三墩乡',
};

export type DivisionLevel = 'COUNTY' | 'TOWNSHIP' | 'VILLAGE';

/**
 * Where a case was handled: the county itself (6 digits), one of its townships (9 digits), or a
 * village / community service point below a township (12 digits). Anything else is unknown.
 */
export function divisionLevel(code: string): DivisionLevel | null {
  if (typeof code !== 'string') return null;
  const c = code.trim();
  if (c === PINGJIANG_COUNTY) return 'COUNTY';
  if (/^\d{9}$/.test(c) && PINGJIANG_TOWNSHIPS[c]) return 'TOWNSHIP';
  if (/^\d{12}$/.test(c) && PINGJIANG_TOWNSHIPS[c.slice(0, 9)] && c.slice(9) !== '000') return 'VILLAGE';
  return null;
}

/** 事项实施编码: opaque, issued by the platform's catalogue; checked for form only. */
export function isMatterCode(code: string): boolean {
  return typeof code === 'string' && /^[0-9A-Z]{12,36}$/.test(code);
}
