import * as iconv from 'iconv-lite';
import { decodeRaw, encodeRaw, maskRaw, personalValuesOf, unmaskCorrected } from './quarantine-raw';

describe('quarantined messages shown masked and corrected', () => {
  it('decodes UTF-8, and GBK whether declared or not, and writes a correction back in the same charset', () => {
    const gbk = iconv.encode('姓名=钱七|事项=职业资格证书补发', 'gbk');
    expect(decodeRaw(gbk, 'GBK')).toEqual({ text: '姓名=钱七|事项=职业资格证书补发', charset: 'gb18030', editable: true });
    expect(decodeRaw(gbk, undefined)).toMatchObject({ text: '姓名=钱七|事项=职业资格证书补发', charset: 'gb18030' });
    expect(decodeRaw(Buffer.from('{"a":"钱七"}'), 'utf-8')).toEqual({ text: '{"a":"钱七"}', charset: 'utf-8', editable: true });
    expect(encodeRaw('姓名=钱七', 'gb18030').equals(iconv.encode('姓名=钱七', 'gbk'))).toBe(true);
    expect(decodeRaw(Buffer.from([0xff, 0xfe, 0x81, 0x00, 0xff]), undefined).editable).toBe(false);
  });

  it('masks the personal values the parsed event names, and IDs and mobiles by pattern', () => {
    const known = personalValuesOf({ applicants: [{ name: '钱七', certNo: '430626200107081238', phone: '0730-6223456' }], matterName: '企业设立登记' });
    expect(known).toEqual(['430626200107081238', '0730-6223456', '钱七']);
    const { text } = maskRaw('xm=钱七;sfzh=430626200107081238;dh=0730-6223456;sj=13900000000;sx=企业设立登记', known, true);
    expect(text).toBe('xm=钱*;sfzh=4306**********1238;dh=0730-*****56;sj=139****0000;sx=企业设立登记');
  });

  it('masks every quoted Chinese text when the message could not be parsed (its names are not known)', () => {
    const { text } = maskRaw('{"xm":"钱七","bad json', [], false);
    expect(text).toBe('{"xm":"钱*","bad json');
  });

  it('restores what was left masked, keeps what was typed, and refuses a mask that stands for two values', () => {
    const original = 'a=钱七;b=430626200107081239;c=钱八';
    const { text, masks } = maskRaw(original, ['钱七', '钱八'], true);
    expect(text).toBe('a=钱*;b=4306**********1239;c=钱*');
    // Both names typed in full (the ambiguous mask gone), the ID left masked: restored.
    expect(unmaskCorrected('a=钱七;b=4306**********1239;c=钱八', masks)).toBe('a=钱七;b=430626200107081239;c=钱八');
    expect(unmaskCorrected('a=钱七;b=430626200107081238;c=钱八', masks)).toBe('a=钱七;b=430626200107081238;c=钱八');
    expect(() => unmaskCorrected(text, masks)).toThrow(expect.objectContaining({ code: 'CORRECTION_AMBIGUOUS', httpStatus: 422 }));
  });
});
