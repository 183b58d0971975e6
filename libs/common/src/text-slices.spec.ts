import { textSlices } from './text-slices';

describe('textSlices', () => {
  it('cuts a long text into slices that join back to it', () => {
    const text = 'abc,'.repeat(1000);
    const slices = [...textSlices(text, 64)];
    expect(slices.join('')).toBe(text);
    expect(slices.every((s) => s.length <= 64)).toBe(true);
    expect(slices).toHaveLength(Math.ceil(text.length / 64));
  });

  it('never cuts a character outside the basic plane in two (each slice encodes on its own)', () => {
    // 𠮷 is two UTF-16 units; placed so that a plain cut every 5 units would split it.
    const text = `abcd𠮷${'x'.repeat(7)}𠮷yy龑䶮`;
    for (let size = 2; size <= 9; size++) {
      const slices = [...textSlices(text, size)];
      expect(Buffer.concat(slices.map((s) => Buffer.from(s, 'utf8'))).toString('utf8')).toBe(text);
    }
  });

  it('gives nothing for an empty text', () => {
    expect([...textSlices('')]).toEqual([]);
  });
});
