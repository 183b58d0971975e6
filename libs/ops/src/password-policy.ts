/**
 * Operators' password policy (等保 2.0 身份鉴别: 口令复杂度 and 定期更换): at least 12 characters
 * from at least three of upper-case, lower-case, digits and symbols; not containing the user name;
 * not one of the passwords every guessing list starts with. Expiry and "not the last one" are
 * checked where the account is (`OperatorAccountService`).
 */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 200;

/**
 * Passwords that satisfy the rules above and are still tried first (lower-cased): weak-password
 * lists of Chinese and international breaches, and this gateway's own names.
 */
const COMMON_PASSWORDS = new Set([
  'password@123',
  'password@1234',
  'password123!',
  'password1234!',
  'p@ssw0rd1234',
  'p@ssword1234',
  'passw0rd@123',
  'admin@123456',
  'admin@1234567',
  'admin@12345678',
  'admin123456!',
  'administrator1',
  'root@1234567',
  'qwerty@123456',
  'qwer1234!@#$',
  '1qaz@wsx3edc',
  '1qaz!qaz2wsx',
  '1qaz2wsx#edc',
  '!qaz2wsx3edc',
  'zaq1@wsx3edc',
  'abc@12345678',
  'abcd@1234567',
  'aa123456789!',
  'a1234567890!',
  'huawei@12345',
  'huawei@123456',
  'welcome@2024',
  'welcome@2025',
  'welcome@2026',
  'changeme@123',
  'pingjiang@2026',
  'pingjiang@123',
  'gateway@12345',
  'zwfw@12345678',
]);

/** How many of the four classes (upper, lower, digit, symbol) a password uses. */
export function characterClasses(password: string): number {
  return [/\p{Lu}/u, /\p{Ll}/u, /\p{Nd}/u, /[^\p{Lu}\p{Ll}\p{Nd}]/u].filter((re) => re.test(password)).length;
}

/** Checks a new password; returns the problem in Chinese and English, or null. */
export function passwordProblem(password: string, username?: string): string | null {
  if (typeof password !== 'string' || [...password].length < MIN_PASSWORD_LENGTH)
    return `密码至少 ${MIN_PASSWORD_LENGTH} 个字符 the password must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `密码过长 the password is too long (at most ${MAX_PASSWORD_LENGTH} characters)`;
  if (characterClasses(password) < 3)
    return '密码须包含大写字母、小写字母、数字、符号中的至少三类 the password needs at least three of: upper-case letters, lower-case letters, digits, symbols';
  if (username && password.toLowerCase().includes(username.toLowerCase()))
    return '密码不能包含用户名 the password must not contain the user name';
  if (COMMON_PASSWORDS.has(password.toLowerCase())) return '密码过于常见 the password is too common: choose another';
  return null;
}
