import fc from 'fast-check';
import { idNumberCheckChar } from './identifiers';
import { maskFieldIssues, maskFreeText, maskIdNumber, maskIssueText, maskName, maskPersonalDigits, maskPhone, maskSentValue, quoteSentValue } from './masking';

describe('maskIdNumber', () => {
  it.each([
    ['430626200107081238', '4306**********1238'],
    ['11010519491231002X', '1101**********002X'],
    ['430626710708123', '4306*******8123'],
    ['123456789', '1234*6789'],
    ['12345678', '********'],
    ['1234', '****'],
    ['1', '*'],
  ])('%s → %s', (input, expected) => {
    expect(maskIdNumber(input)).toBe(expected);
  });

  it.each([null, undefined, ''])('%p → empty string', (input) => {
    expect(maskIdNumber(input)).toBe('');
  });
});

describe('maskPhone', () => {
  it.each([
    ['13800000000', '138****0000'],
    ['13912345678', '139****5678'],
    ['19988887777', '199****7777'],
  ])('mobile %s → %s', (input, expected) => {
    expect(maskPhone(input)).toBe(expected);
  });

  it.each([
    ['0730-6223456', '0730-*****56'],
    ['010-12345678', '010-******78'],
    ['07306223456', '073******56'],
    ['6223456', '*****56'],
  ])('landline %s → %s', (input, expected) => {
    expect(maskPhone(input)).toBe(expected);
  });

  it.each([
    ['1234', '****'],
    ['12345', '*****'],
    ['123456', '****56'],
    ['0730-62', '*****62'],
    ['1', '*'],
  ])('short value %s → %s (never shown in full)', (input, expected) => {
    expect(maskPhone(input)).toBe(expected);
  });

  it.each([null, undefined, ''])('%p → empty string', (input) => {
    expect(maskPhone(input)).toBe('');
  });

  it('property: any value of five or more characters has at least half of it hidden', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 5, maxLength: 40, unit: fc.constantFrom(...'0123456789-+ ') }), (v) => {
        const masked = maskPhone(v);
        expect(masked).toHaveLength(v.length);
        const hidden = [...masked].filter((c, i) => c === '*' && v[i] !== '*').length;
        expect(hidden).toBeGreaterThanOrEqual(Math.min(4, Math.ceil(v.length / 2)));
      }),
    );
  });
});

describe('maskName', () => {
  it.each([
    ['李四', '李*'],
    ['张三丰', '张**'],
    ['欧阳娜娜', '欧***'],
    ['李', '*'],
    ['𠀋四', '𠀋*'],
    ['买买提·艾力', '买*****'],
  ])('%s → %s', (input, expected) => {
    expect(maskName(input)).toBe(expected);
  });

  it.each([null, undefined, ''])('%p → empty string', (input) => {
    expect(maskName(input)).toBe('');
  });
});

describe('maskFreeText', () => {
  it('hides an 18-digit ID number and a mobile inside a sentence', () => {
    expect(maskFreeText('申请人李四，身份证号430626200107081238，手机13800000000。')).toBe(
      '申请人李四，身份证号4306**********1238，手机138****0000。',
    );
  });

  it('hides ID numbers ending in X or x', () => {
    expect(maskFreeText('证件 11010519491231002X 与 11010519491231002x')).toBe('证件 1101**********002X 与 1101**********002x');
  });

  it('hides a 15-digit ID number', () => {
    expect(maskFreeText('旧证号430626710708123已转换')).toBe('旧证号4306*******8123已转换');
  });

  it('hides ID numbers and mobiles inside JSON strings', () => {
    const json = JSON.stringify({ certNo: '430626200107081238', old: '430626710708123', agent: { phone: '13912345678' } });
    const masked = maskFreeText(json);
    expect(masked).toBe('{"certNo":"4306**********1238","old":"4306*******8123","agent":{"phone":"139****5678"}}');
    expect(JSON.parse(masked)).toEqual({ certNo: '4306**********1238', old: '4306*******8123', agent: { phone: '139****5678' } });
  });

  it('hides an ID number glued to letters', () => {
    expect(maskFreeText('idNo430626200107081238abc')).toBe('idNo4306**********1238abc');
  });

  it('hides mobiles with a +86 / 86 prefix or separators', () => {
    expect(maskFreeText('tel:+8613800000000')).toBe('tel:+86138****0000');
    expect(maskFreeText('tel:8613800000000')).toBe('tel:86138****0000');
    expect(maskFreeText('call +86 139 1234 5678')).toBe('call +86 139 **** 5678');
    expect(maskFreeText('call 139-1234-5678')).toBe('call 139-****-5678');
  });

  it('hides several numbers in one text', () => {
    expect(maskFreeText('13800000000/13912345678; 430626200107081238')).toBe('138****0000/139****5678; 4306**********1238');
  });

  it('leaves other numbers alone', () => {
    const text = '办件编号202610230001，金额 12000.50 元，座机 0730-6223456，19 位 1234567890123456789，16 位 1234567890123456';
    expect(maskFreeText(text)).toBe(text);
    expect(maskFreeText('12345678901')).toBe('12345678901'); // 11 digits not starting 13–19
    expect(maskFreeText('113800000000')).toBe('113800000000'); // 12 digits
  });

  it('leaves a unified social credit code alone', () => {
    expect(maskFreeText('USCC 91330102MA28NBU477')).toBe('USCC 91330102MA28NBU477');
  });

  it('is idempotent', () => {
    const once = maskFreeText('身份证号430626200107081238，手机13800000000');
    expect(maskFreeText(once)).toBe(once);
  });

  it('returns an empty string for null or undefined instead of throwing', () => {
    expect(maskFreeText(null as unknown as string)).toBe('');
    expect(maskFreeText(undefined as unknown as string)).toBe('');
    expect(maskFreeText('')).toBe('');
  });

  it('property: no valid ID number or mobile survives inside arbitrary text', () => {
    // Texts around the numbers; the numbers are never glued to each other (one long digit run).
    const noDigits = fc.string({ maxLength: 20 }).map((s) => s.replace(/\d/g, ''));
    const separator = fc.string({ minLength: 1, maxLength: 5 }).map((s) => s.replace(/\d/g, '') || '，');
    const id = fc.stringMatching(/^[1-9]\d{16}$/).map((p) => p + idNumberCheckChar(p));
    const mobile = fc.stringMatching(/^1[3-9]\d{9}$/);
    fc.assert(
      fc.property(noDigits, id, separator, mobile, noDigits, (a, idNo, b, phone, c) => {
        const masked = maskFreeText(a + idNo + b + phone + c);
        expect(masked).not.toContain(idNo);
        expect(masked).not.toContain(phone);
        expect(masked).toContain(idNo.slice(0, 4) + '**********' + idNo.slice(-4));
        expect(masked).toContain(phone.slice(0, 3) + '****' + phone.slice(-4));
      }),
    );
  });
});

describe('masking what a sender sent, in messages', () => {
  it('masks digit runs of 11 or more that maskFreeText leaves (wrong-length ID numbers, cards)', () => {
    expect(maskPersonalDigits('id 4306262001070812 end')).toBe('id 430***********12 end');
    expect(maskPersonalDigits('12345678901')).toBe('123******01');
    expect(maskPersonalDigits('row 12345, line 2')).toBe('row 12345, line 2');
  });

  it('quotes a sent value masked: Han text as a name, digits as maskPersonalDigits, cut at 40 characters', () => {
    expect(quoteSentValue('诸葛孔明')).toBe('"诸***"');
    expect(quoteSentValue('430626200107081238')).toBe('"4306**********1238"');
    expect(quoteSentValue('APPROVEDX')).toBe('"APPROVEDX"');
    expect(quoteSentValue(20)).toBe('"20"');
    expect(maskSentValue('A'.repeat(50))).toBe('A'.repeat(40) + '…');
  });

  it('masks quoted Han text and personal digits in a message, nothing else, and is idempotent', () => {
    const message = '环节 "李四" is not one of 申报 受理; matter 430626200107081238 or 13912345678';
    const masked = maskIssueText(message);
    expect(masked).toBe('环节 "李*" is not one of 申报 受理; matter 4306**********1238 or 139****5678');
    expect(maskIssueText(masked)).toBe(masked);
    expect(maskFieldIssues([{ field: 'x', code: 'C', message }])).toEqual([{ field: 'x', code: 'C', message: masked }]);
  });
});

it('leaves the digits inside a matter code', () => {
  expect(maskIssueText('matter 11430626MB5678902L0000110001000 is classified')).toBe('matter 11430626MB5678902L0000110001000 is classified');
});
