import { characterClasses, passwordProblem } from './password-policy';

describe('password policy', () => {
  it('takes 12+ characters of three classes that are neither common nor the user name', () => {
    expect(passwordProblem('Secure-pass-2026!', 'chencan')).toBeNull();
    expect(passwordProblem('correct horse battery 9', 'chencan')).toBeNull(); // lower, digit, symbol (space)
  });

  it('refuses short ones, two-class ones, the user name inside, and common ones', () => {
    expect(passwordProblem('Short-1!', 'x1')).toMatch(/至少 12 个字符/);
    expect(passwordProblem('onlylowercaseletters', 'x1')).toMatch(/至少三类/);
    expect(passwordProblem('lowercase-and-symbols', 'x1')).toMatch(/至少三类/);
    expect(passwordProblem('Xx-ChenCan-2026', 'chencan')).toMatch(/用户名/);
    expect(passwordProblem('P@ssw0rd1234', 'x1')).toMatch(/常见/);
    expect(passwordProblem('WELCOME@2026', 'x1')).toMatch(/常见/);
  });

  it('counts classes of non-ASCII letters too', () => {
    expect(characterClasses('Aa1!')).toBe(4);
    expect(characterClasses('平江县政务服务网关密码')).toBe(1); // letters without case count as symbols
  });
});
