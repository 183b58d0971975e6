import fc from 'fast-check';
import {
  checkIdNumber,
  checkUscc,
  convertIdNumber15To18,
  divisionLevel,
  idNumberCheckChar,
  isMatterCode,
  PINGJIANG_COUNTY,
  PINGJIANG_TOWNSHIPS,
  usccCheckChar,
} from './identifiers';

/** Fixed clock: 2026-11-27 08:00 Beijing time. */
const NOW = new Date('2026-11-27T00:00:00Z');

/**
 * Reference check character written independently from the library, straight from GB 11643:
 * the weight of position i (1-based, from the left) is 2^(18-i) mod 11.
 */
function refIdCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (2 ** (17 - i) % 11);
  return '10X98765432'[sum % 11];
}

/** Reference check character from GB 32100: weight 3^(i-1) mod 31, check = (31 − Σ mod 31) mod 31. */
const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
function refUsccCheckChar(first17: string): string {
  let sum = 0;
  let w = 1;
  for (let i = 0; i < 17; i++) {
    sum += USCC_ALPHABET.indexOf(first17[i]) * w;
    w = (w * 3) % 31;
  }
  return USCC_ALPHABET[(31 - (sum % 31)) % 31];
}

const withIdCheck = (first17: string) => first17 + refIdCheckChar(first17);

describe('idNumberCheckChar (GB 11643-1999)', () => {
  it('gives the check characters of the standard examples', () => {
    expect(idNumberCheckChar('11010519491231002')).toBe('X');
    expect(idNumberCheckChar('44052418800101001')).toBe('4');
    expect(idNumberCheckChar('43062620010708123')).toBe('8');
  });

  it('agrees with the reference implementation (weights 2^(18-i) mod 11)', () => {
    expect(refIdCheckChar('11010519491231002')).toBe('X');
    expect(refIdCheckChar('44052418800101001')).toBe('4');
  });
});

describe('checkIdNumber', () => {
  it.each(['11010519491231002X', '440524188001010014', '430626200107081238'])('accepts the valid number %s', (id) => {
    expect(checkIdNumber(id, NOW)).toEqual({ ok: true, normalized: id, convertedFrom15: false });
  });

  it('accepts a lower-case x and normalises it to upper case', () => {
    expect(checkIdNumber('11010519491231002x', NOW)).toEqual({
      ok: true,
      normalized: '11010519491231002X',
      convertedFrom15: false,
    });
  });

  it('trims surrounding white space', () => {
    expect(checkIdNumber('  440524188001010014\t', NOW)).toMatchObject({ ok: true, normalized: '440524188001010014' });
  });

  it.each([
    ['110105194912310021', 'last digit instead of X'],
    ['11010519491231002Y'.replace('Y', '0'), 'a 0 instead of X'],
    ['440524188001010015', 'off by one'],
    ['440524188001010010', 'another digit'],
    ['43062620010708123X', 'X where a digit belongs'],
  ])('rejects %s (%s) with ID_CHECK_DIGIT', (id) => {
    expect(checkIdNumber(id, NOW)).toEqual({ ok: false, problem: 'ID_CHECK_DIGIT' });
  });

  it.each([
    ['19900230', 'Feb 30'],
    ['19900229', 'Feb 29 in a common year'],
    ['19901301', 'month 13'],
    ['19900100', 'day 0'],
    ['19900431', 'Apr 31'],
    ['00000101', 'year 0'],
    ['17991231', 'before 1800'],
  ])('rejects the birth date %s (%s) with ID_BIRTH_DATE even with a correct check digit', (date) => {
    const id = withIdCheck(`430626${date}123`);
    expect(checkIdNumber(id, NOW)).toEqual({ ok: false, problem: 'ID_BIRTH_DATE' });
  });

  it('accepts Feb 29 in a leap year', () => {
    const id = withIdCheck('43062620000229123');
    expect(checkIdNumber(id, NOW)).toEqual({ ok: true, normalized: id, convertedFrom15: false });
  });

  it('rejects a future birth date with ID_BIRTH_DATE', () => {
    expect(checkIdNumber(withIdCheck('43062620261128123'), NOW)).toEqual({ ok: false, problem: 'ID_BIRTH_DATE' });
    expect(checkIdNumber(withIdCheck('43062620301231123'), NOW)).toEqual({ ok: false, problem: 'ID_BIRTH_DATE' });
  });

  it('accepts a birth date of today (Beijing calendar)', () => {
    const id = withIdCheck('43062620261127123');
    expect(checkIdNumber(id, NOW)).toMatchObject({ ok: true, normalized: id });
  });

  it('compares the birth date with the Beijing date, not the UTC date', () => {
    const bornNov27 = withIdCheck('43062620261127123');
    // 2026-11-26T17:00Z is already 01:00 on Nov 27 in Beijing.
    expect(checkIdNumber(bornNov27, new Date('2026-11-26T17:00:00Z')).ok).toBe(true);
    // 2026-11-26T15:59:59Z is still 23:59:59 on Nov 26 in Beijing.
    expect(checkIdNumber(bornNov27, new Date('2026-11-26T15:59:59Z'))).toEqual({ ok: false, problem: 'ID_BIRTH_DATE' });
  });

  it.each([
    ['', 'empty'],
    ['4306262001070812', '16 digits'],
    ['43062620010708123', '17 digits'],
    ['4306262001070812381', '19 digits'],
    ['43062619710708', '14 digits'],
    ['4306267107081234', '16 digits (15 + 1)'],
    ['030626200107081238', 'leading zero'],
    ['4306262001070X1238', 'X in the middle'],
    ['43062620010708123Y', 'Y as check character'],
    ['４３０６２６２００１０７０８１２３８', 'full-width digits'],
    ['430626 200107081238', 'space inside'],
  ])('rejects %j (%s) with ID_FORMAT', (id) => {
    expect(checkIdNumber(id, NOW)).toEqual({ ok: false, problem: 'ID_FORMAT' });
  });

  it.each([null, undefined, 430626200107081238, 430626710708123, {}, [], true])(
    'rejects the non-string %p with ID_FORMAT without throwing',
    (value) => {
      expect(checkIdNumber(value as unknown as string, NOW)).toEqual({ ok: false, problem: 'ID_FORMAT' });
    },
  );

  describe('15-digit numbers (GB 11643-1989)', () => {
    // Worked by hand: 430626 + "19" + 710708 + 123 → 43062619710708123;
    // Σ(digit × weight) = 28+27+0+30+16+24+2+9+42+3+0+63+0+40+8+8+6 = 306; 306 mod 11 = 9 → "3".
    it('converts 430626710708123 to 430626197107081233', () => {
      expect(convertIdNumber15To18('430626710708123')).toBe('430626197107081233');
    });

    // 44052419800101001: Σ = 28+36+0+25+16+16+2+9+48+0+0+9+0+5+0+0+2 = 196; 196 mod 11 = 9 → "3".
    it('converts 440524800101001 to 440524198001010013', () => {
      expect(convertIdNumber15To18('440524800101001')).toBe('440524198001010013');
    });

    it('the 15-digit form of the standard example converts back to it', () => {
      expect(convertIdNumber15To18('110105491231002')).toBe('11010519491231002X');
    });

    it.each(['', '43062671070812', '4306267107081234', '43062671070812X', 'abcdefghijklmno'])(
      'convertIdNumber15To18 throws on %j',
      (bad) => {
        expect(() => convertIdNumber15To18(bad)).toThrow('not a 15-digit ID number');
      },
    );

    it('checkIdNumber converts and reports the conversion', () => {
      expect(checkIdNumber('430626710708123', NOW)).toEqual({
        ok: true,
        normalized: '430626197107081233',
        convertedFrom15: true,
      });
      expect(checkIdNumber(' 110105491231002 ', NOW)).toEqual({
        ok: true,
        normalized: '11010519491231002X',
        convertedFrom15: true,
      });
    });

    it('rejects a 15-digit number with an impossible birth date', () => {
      expect(checkIdNumber('430626710230123', NOW)).toEqual({ ok: false, problem: 'ID_BIRTH_DATE' });
    });

    it('rejects a 15-digit number with a leading zero as ID_FORMAT', () => {
      expect(checkIdNumber('030626710708123', NOW)).toEqual({ ok: false, problem: 'ID_FORMAT' });
    });
  });

  describe('properties', () => {
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    const birthDate = fc
      .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2026-11-26T00:00:00Z'), noInvalidDate: true })
      .map((d) => `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`);
    const region = fc.integer({ min: 100000, max: 999999 }).map(String);
    const sequence = fc.integer({ min: 0, max: 999 }).map((n) => pad(n, 3));
    const first17 = fc.tuple(region, birthDate, sequence).map(([r, b, s]) => r + b + s);

    it('a 17-digit prefix with a real past birth date plus its computed check character always validates', () => {
      fc.assert(
        fc.property(first17, (p) => {
          const id = p + refIdCheckChar(p);
          expect(idNumberCheckChar(p)).toBe(refIdCheckChar(p));
          expect(checkIdNumber(id, NOW)).toEqual({ ok: true, normalized: id, convertedFrom15: false });
          expect(checkIdNumber(id.toLowerCase(), NOW).normalized).toBe(id);
        }),
      );
    });

    it('any other check character always fails with ID_CHECK_DIGIT', () => {
      fc.assert(
        fc.property(first17, fc.constantFrom(...'0123456789X'), (p, c) => {
          fc.pre(c !== refIdCheckChar(p));
          expect(checkIdNumber(p + c, NOW)).toEqual({ ok: false, problem: 'ID_CHECK_DIGIT' });
        }),
      );
    });

    it('idNumberCheckChar matches the reference for any 17 digits', () => {
      fc.assert(
        fc.property(fc.stringMatching(/^\d{17}$/), (p) => {
          expect(idNumberCheckChar(p)).toBe(refIdCheckChar(p));
        }),
      );
    });

    it('a 15-digit number born 1900–1999 converts to the 18-digit number with "19" inserted', () => {
      const date15 = fc
        .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('1999-12-31T00:00:00Z'), noInvalidDate: true })
        .map((d) => `${pad(d.getUTCFullYear() % 100, 2)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`);
      fc.assert(
        fc.property(region, date15, sequence, (r, d, s) => {
          const id15 = r + d + s;
          const expected = withIdCheck(`${r}19${d}${s}`);
          expect(convertIdNumber15To18(id15)).toBe(expected);
          expect(checkIdNumber(id15, NOW)).toEqual({ ok: true, normalized: expected, convertedFrom15: true });
        }),
      );
    });

    it('never throws on arbitrary input and only reports ok with an 18-character normalised number', () => {
      fc.assert(
        fc.property(fc.oneof(fc.anything(), fc.string(), fc.stringMatching(/^[\dXx ]{14,20}$/)), (value) => {
          const r = checkIdNumber(value as string, NOW);
          if (r.ok) expect(r.normalized).toMatch(/^[1-9]\d{16}[\dX]$/);
          else expect(['ID_FORMAT', 'ID_BIRTH_DATE', 'ID_CHECK_DIGIT']).toContain(r.problem);
        }),
      );
    });
  });
});

describe('checkUscc (GB 32100-2015)', () => {
  it.each([
    '91350100M000100Y43',
    '91330102MA28NBU477',
    '12430626MB23456783',
    '11430626MB12345625',
    '11430626MB34567835',
    '11430626MB45678996',
    '11430626MB5678902L',
  ])('accepts the valid code %s', (code) => {
    expect(checkUscc(code)).toEqual({ wellFormed: true, checkDigitOk: true, normalized: code });
  });

  it('computes the check characters of the standard examples', () => {
    expect(usccCheckChar('91350100M000100Y4')).toBe('3');
    expect(usccCheckChar('91330102MA28NBU47')).toBe('7');
    expect(usccCheckChar('11430626MB5678902')).toBe('L');
  });

  it('the Fujian pilot code 91350100M0001TGQXM is well-formed but fails its check digit', () => {
    expect(checkUscc('91350100M0001TGQXM')).toEqual({
      wellFormed: true,
      checkDigitOk: false,
      normalized: '91350100M0001TGQXM',
      problem: 'USCC_CHECK_DIGIT',
    });
    // Worked by hand: Σ = 2944, 2944 mod 31 = 30, (31 − 30) mod 31 = 1 → "1", not "M".
    expect(usccCheckChar('91350100M0001TGQX')).toBe('1');
    expect(refUsccCheckChar('91350100M0001TGQX')).toBe('1');
  });

  it('reports a changed check character as USCC_CHECK_DIGIT', () => {
    expect(checkUscc('91330102MA28NBU478')).toEqual({
      wellFormed: true,
      checkDigitOk: false,
      normalized: '91330102MA28NBU478',
      problem: 'USCC_CHECK_DIGIT',
    });
  });

  it.each(['I', 'O', 'Z', 'S', 'V'])('refuses the letter %s as malformed', (letter) => {
    const code = `91330102M${letter}28NBU477`;
    expect(code).toHaveLength(18);
    expect(checkUscc(code)).toEqual({ wellFormed: false, checkDigitOk: false, problem: 'USCC_FORMAT' });
    // Also in the check position.
    expect(checkUscc(`91330102MA28NBU47${letter}`)).toEqual({ wellFormed: false, checkDigitOk: false, problem: 'USCC_FORMAT' });
  });

  it('accepts lower case and trims, normalising to upper case', () => {
    expect(checkUscc(' 91330102ma28nbu477 ')).toEqual({ wellFormed: true, checkDigitOk: true, normalized: '91330102MA28NBU477' });
  });

  it.each([
    ['', 'empty'],
    ['91330102MA28NBU47', '17 characters'],
    ['91330102MA28NBU4770', '19 characters'],
    ['9133010AMA28NBU477', 'letter in the region code'],
    ['91330102MA28-BU477', 'a hyphen'],
    ['91330102MA28NBU47７', 'a full-width digit'],
  ])('refuses %j (%s) as USCC_FORMAT', (code) => {
    expect(checkUscc(code)).toEqual({ wellFormed: false, checkDigitOk: false, problem: 'USCC_FORMAT' });
  });

  it.each([null, undefined, 913301020, {}, []])('refuses the non-string %p without throwing', (value) => {
    expect(checkUscc(value as unknown as string)).toEqual({ wellFormed: false, checkDigitOk: false, problem: 'USCC_FORMAT' });
  });

  it('property: 17 characters of the alphabet plus the computed check character validate; any other fails', () => {
    const char = fc.constantFrom(...USCC_ALPHABET);
    const first17 = fc
      .tuple(fc.array(char, { minLength: 2, maxLength: 2 }), fc.stringMatching(/^\d{6}$/), fc.array(char, { minLength: 9, maxLength: 9 }))
      .map(([a, r, b]) => a.join('') + r + b.join(''));
    fc.assert(
      fc.property(first17, char, (p, other) => {
        const check = refUsccCheckChar(p);
        expect(usccCheckChar(p)).toBe(check);
        expect(checkUscc(p + check)).toEqual({ wellFormed: true, checkDigitOk: true, normalized: p + check });
        if (other !== check) {
          expect(checkUscc(p + other)).toMatchObject({ wellFormed: true, checkDigitOk: false, problem: 'USCC_CHECK_DIGIT' });
        }
      }),
    );
  });
});

describe('divisionLevel (GB/T 2260, Pingjiang)', () => {
  /** The 25 township-level units of Pingjiang as listed in the spec (statistics bureau, 2022). */
  const SPEC_TOWNSHIPS: Record<string, string> = {
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

  it('knows Pingjiang county as 430626', () => {
    expect(PINGJIANG_COUNTY).toBe('430626');
    expect(divisionLevel('430626')).toBe('COUNTY');
  });

  it('lists exactly the 25 townships of the spec, with their names', () => {
    expect(Object.keys(SPEC_TOWNSHIPS)).toHaveLength(25);
    expect(PINGJIANG_TOWNSHIPS).toEqual(SPEC_TOWNSHIPS);
  });

  it.each(Object.entries(SPEC_TOWNSHIPS))('%s (%s) is a TOWNSHIP', (code) => {
    expect(divisionLevel(code)).toBe('TOWNSHIP');
  });

  it.each(['430626101201', '430626001001', '430626210999', '430626118100'])('%s is a VILLAGE under a township', (code) => {
    expect(divisionLevel(code)).toBe('VILLAGE');
  });

  it.each([
    ['430627001', 'a neighbouring county'],
    ['430626003', 'a township number that does not exist'],
    ['123', 'three digits'],
    ['', 'empty'],
    ['430600', 'Yueyang city (not a handling place of ours)'],
    ['430000', 'Hunan province'],
    ['430627', 'another county'],
    ['4306261', '7 digits'],
    ['430626101000', 'a 12-digit code that is the township itself'],
    ['430626003001', 'a village under an unknown township'],
    ['430627001001', 'a village in another county'],
    ['43062610120', '11 digits'],
    ['4306261012010', '13 digits'],
    ['43062A', 'a letter'],
  ])('refuses %j (%s)', (code) => {
    expect(divisionLevel(code)).toBeNull();
  });

  it('trims surrounding white space', () => {
    expect(divisionLevel(' 430626101 ')).toBe('TOWNSHIP');
  });

  it.each([null, undefined, 430626, {}, []])('refuses the non-string %p without throwing', (value) => {
    expect(divisionLevel(value as unknown as string)).toBeNull();
  });
});

describe('isMatterCode', () => {
  it.each([
    ['11430626MB123456250000120001000', true],
    ['A'.repeat(12), true],
    ['9'.repeat(36), true],
    ['A'.repeat(11), false],
    ['9'.repeat(37), false],
    ['11430626mb123456250000120001000', false],
    ['11430626MB12345625000012000100-', false],
    ['', false],
  ])('%j → %s', (code, expected) => {
    expect(isMatterCode(code)).toBe(expected);
  });

  it('is false for non-strings', () => {
    expect(isMatterCode(null as unknown as string)).toBe(false);
    expect(isMatterCode(114306261234567 as unknown as string)).toBe(false);
  });
});
