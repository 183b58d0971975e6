import { jsonNestsDeeperThan } from './raw-body';

describe('jsonNestsDeeperThan', () => {
  const deeper = (text: string, max: number) => jsonNestsDeeperThan(Buffer.from(text), max);

  it('counts arrays and objects, not brackets inside strings or after escaped quotes', () => {
    expect(deeper('[[{"a":[1]}]]', 4)).toBe(false);
    expect(deeper('[[{"a":[[1]]}]]', 4)).toBe(true);
    expect(deeper('{"a":"[[[[[[[[","b":"\\"[[[[[["}', 1)).toBe(false);
    expect(deeper('{"a":"\\\\",' + '"b":[[1]]}', 2)).toBe(true);
  });

  it('is linear in the body: 100,000 levels are found at once', () => {
    expect(deeper('['.repeat(100_000) + ']'.repeat(100_000), 32)).toBe(true);
    expect(deeper('[]'.repeat(100_000), 32)).toBe(false);
  });
});
