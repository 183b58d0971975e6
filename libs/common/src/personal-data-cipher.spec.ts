import { PersonalDataCipher } from './personal-data-cipher';

describe('PersonalDataCipher', () => {
  const cipher = new PersonalDataCipher('0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');
  const ivOf = (token: string) => Buffer.from(token.slice(4), 'base64').subarray(0, 16).toString('hex');

  it('round-trips text and JSON, rare characters included', () => {
    expect(cipher.decrypt(cipher.encrypt('䶮𠮷 430626200107081238'))).toBe('䶮𠮷 430626200107081238');
    expect(cipher.decryptJson(cipher.encryptJson({ name: '钱七', phone: '13900000000' }))).toEqual({ name: '钱七', phone: '13900000000' });
  });

  it('uses a fresh IV every time, across refills of the random pool', () => {
    const ivs = new Set(Array.from({ length: 2000 }, () => ivOf(cipher.encrypt('same'))));
    expect(ivs.size).toBe(2000);
    // An IV handed out before a refill is not changed by it.
    const first = cipher.encrypt('kept');
    for (let i = 0; i < 600; i++) cipher.encrypt('x');
    expect(cipher.decrypt(first)).toBe('kept');
  });

  it('refuses an altered value', () => {
    const token = cipher.encrypt('secret');
    const raw = Buffer.from(token.slice(4), 'base64');
    raw[20] ^= 1;
    expect(() => cipher.decrypt('sm4.' + raw.toString('base64'))).toThrow('altered');
  });

  it('seals bytes that are not text (GBK) and opens them again; refuses altered, cut or foreign ones', () => {
    const gbk = Buffer.from([0xc6, 0xbd, 0xbd, 0xad, 0x34, 0x33, 0x30, 0x36, 0x32, 0x36, 0x00, 0xff]);
    const sealed = cipher.seal(gbk);
    expect(sealed.includes(Buffer.from('430626'))).toBe(false);
    expect(cipher.open(sealed).equals(gbk)).toBe(true);
    expect(cipher.open(cipher.seal(Buffer.alloc(0))).length).toBe(0);
    // The same format as inside a text token.
    expect(cipher.decrypt('sm4.' + cipher.seal(Buffer.from('钱七')).toString('base64'))).toBe('钱七');
    const altered = Buffer.from(sealed);
    altered[18] ^= 1;
    expect(() => cipher.open(altered)).toThrow('altered');
    expect(() => cipher.open(sealed.subarray(0, 40))).toThrow('too short');
    const other = new PersonalDataCipher('f'.repeat(64));
    expect(() => other.open(sealed)).toThrow('altered');
  });

  it('hashes ID numbers for lookup the same way whatever their case and spacing', () => {
    expect(cipher.lookupHash(' 43062619900101123x ')).toBe(cipher.lookupHash('43062619900101123X'));
    expect(cipher.lookupHash('43062619900101123X')).not.toBe(cipher.lookupHash('430626199001011234'));
  });
});
