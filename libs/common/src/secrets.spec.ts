import { productionSecretProblems, secretWeakness } from './secrets';

describe('secretWeakness (production secrets and tokens)', () => {
  it('accepts random values of 32 characters or more', () => {
    expect(secretWeakness('9f86d081884c7d659a2feaa0c55ad015')).toBeNull();
    expect(secretWeakness('Zq3vY8+PpXn2Lw0tRk5sJd7hFb1mCe4a')).toBeNull();
  });

  it.each([
    ['q7', /至少32个字符.*at least 32 characters/],
    ['short-but-varied-0123456789', /at least 32/],
    ['a'.repeat(40), /字符种类太少.*too few different characters/],
    ['0123456789'.repeat(4), /重复片段.*short piece repeated/],
    ['0123456789abcdef'.repeat(4), /short piece repeated/],
  ])('refuses %s', (value, why) => {
    expect(secretWeakness(value)).toMatch(why);
    // The value itself is never quoted.
    expect(secretWeakness(value)).not.toContain(value);
  });
});

describe('productionSecretProblems', () => {
  const strong = (seed: string) => `${seed}-7Hq2vK9pLz3xW8rT5mN1bC6dF4gJ0sYa`;

  it('lists every missing and weak secret together, without the values', () => {
    const problems = productionSecretProblems(
      { GATEWAY_OPERATOR_TOKEN: 'x', GATEWAY_DEPT_TOKEN_SCJG: 'short-token-0123', METRICS_TOKEN: 'm' },
      ['SCJG', 'BDC'],
    );
    const names = problems.map((p) => p.split(/[:=]/)[0]);
    expect(names).toEqual([
      'GATEWAY_DATA_KEY',
      'GATEWAY_OPERATOR_TOKEN',
      'PLATFORM_CALLBACK_SECRET',
      'CITY_PLATFORM_SECRET',
      'GATEWAY_DEPT_TOKEN_SCJG',
      'GATEWAY_DEPT_TOKEN_BDC',
      'METRICS_TOKEN',
    ]);
    expect(problems.join('\n')).not.toContain('short-token-0123');
  });

  it('accepts strong, distinct secrets, and refuses one value used for two purposes', () => {
    const env = {
      GATEWAY_DATA_KEY: '3f0a9c5e7b21d4869e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f',
      GATEWAY_OPERATOR_TOKEN: strong('op'),
      PLATFORM_CALLBACK_SECRET: strong('cb'),
      CITY_PLATFORM_SECRET: strong('pf'),
      GATEWAY_DEPT_TOKEN_SCJG: strong('scjg'),
    };
    expect(productionSecretProblems(env, ['SCJG'])).toEqual([]);
    const reused = productionSecretProblems({ ...env, GATEWAY_DEPT_TOKEN_SCJG: strong('op') }, ['SCJG']);
    expect(reused).toEqual([expect.stringMatching(/^GATEWAY_DEPT_TOKEN_SCJG=\(hidden\): 与 GATEWAY_OPERATOR_TOKEN 相同.*same value as GATEWAY_OPERATOR_TOKEN/)]);
  });
});
