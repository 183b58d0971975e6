import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { PersonalDataCipher, UnreadableValueError } from './personal-data-cipher';
import { legacySeal, legacyToken } from '../../../test/support/legacy-cipher';

const KEY_A = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const KEY_B = '3f9a1c7e5b2d8046af1e9c3b7d5a2f8e0c4b6d9a1e3f5c7b9d2a4e6f8b0c1d3e';


describe('PersonalDataCipher', () => {
  const cipher = new PersonalDataCipher('0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');
  const ivOf = (token: string) => Buffer.from(token.slice(13), 'base64').subarray(0, 16).toString('hex');

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
    const raw = Buffer.from(token.slice(13), 'base64');
    raw[20] ^= 1;
    expect(() => cipher.decrypt(token.slice(0, 13) + raw.toString('base64'))).toThrow('altered');
  });

  it('seals bytes that are not text (GBK) and opens them again; refuses altered, cut or foreign ones', () => {
    const gbk = Buffer.from([0xc6, 0xbd, 0xbd, 0xad, 0x34, 0x33, 0x30, 0x36, 0x32, 0x36, 0x00, 0xff]);
    const sealed = cipher.seal(gbk);
    expect(sealed.includes(Buffer.from('430626'))).toBe(false);
    expect(cipher.open(sealed).equals(gbk)).toBe(true);
    expect(cipher.open(cipher.seal(Buffer.alloc(0))).length).toBe(0);
    // The same format as inside a text token, after the 8-byte header (magic and key id).
    expect(cipher.decrypt(cipher.tokenPrefix + cipher.seal(Buffer.from('钱七')).subarray(8).toString('base64'))).toBe('钱七');
    const altered = Buffer.from(sealed);
    altered[18] ^= 1;
    expect(() => cipher.open(altered)).toThrow('altered');
    expect(() => cipher.open(sealed.subarray(0, 40))).toThrow('too short');
    altered[18] ^= 1;
    altered[5] ^= 1; // another key id: not a key of this cipher, and not an old-format value either
    expect(() => cipher.open(altered)).toThrow(UnreadableValueError);
    const other = new PersonalDataCipher('f'.repeat(64));
    expect(() => other.open(sealed)).toThrow('altered');
  });

  it('hashes ID numbers for lookup the same way whatever their case and spacing', () => {
    expect(cipher.lookupHash(' 43062619900101123x ')).toBe(cipher.lookupHash('43062619900101123X'));
    expect(cipher.lookupHash('43062619900101123X')).not.toBe(cipher.lookupHash('430626199001011234'));
  });
});

describe('PersonalDataCipher: key ids and rotation', () => {
  const a = new PersonalDataCipher(KEY_A);
  const b = new PersonalDataCipher(KEY_B);
  const rotating = new PersonalDataCipher(KEY_B, KEY_A);

  it('writes the current key id (8 hex of an HMAC-SM3 fingerprint) into new tokens and sealed bytes', () => {
    expect(a.keyId).toMatch(/^[0-9a-f]{8}$/);
    expect(a.keyId).not.toBe(b.keyId);
    expect(a.keyId).toBe(createHmac('sm3', Buffer.from(KEY_A, 'hex')).update('gw-key-id').digest('hex').slice(0, 8));
    expect(a.keyId).not.toBe(KEY_A.slice(0, 8)); // names the key without showing it
    const token = a.encrypt('钱七');
    expect(token.startsWith(`sm4.${a.keyId}.`)).toBe(true);
    expect(a.isCurrentToken(token)).toBe(true);
    const sealed = a.seal(Buffer.from('raw'));
    expect(sealed.subarray(0, 4).toString('latin1')).toBe('SM4\x01');
    expect(sealed.subarray(4, 8).toString('hex')).toBe(a.keyId);
    expect(a.isCurrentSealed(sealed)).toBe(true);
    // The rotating cipher writes with the new key only.
    expect(rotating.keyId).toBe(b.keyId);
    expect(rotating.previousKeyId).toBe(a.keyId);
    expect(rotating.isCurrentToken(rotating.encrypt('x'))).toBe(true);
    expect(rotating.isCurrentToken(token)).toBe(false);
    expect(b.decrypt(rotating.encrypt('只用新密钥 new key only'))).toBe('只用新密钥 new key only');
  });

  it('reads values written before key ids (no id), with whichever configured key opens them', () => {
    const oldA = legacyToken(KEY_A, '旧格式 old format 430626200107081238');
    const oldB = legacyToken(KEY_B, '新密钥旧格式 new key, old format');
    expect(a.decrypt(oldA)).toBe('旧格式 old format 430626200107081238');
    expect(rotating.decrypt(oldA)).toBe('旧格式 old format 430626200107081238');
    expect(rotating.decrypt(oldB)).toBe('新密钥旧格式 new key, old format');
    expect(rotating.isCurrentToken(oldB)).toBe(false); // rewritten too, to carry its id
    const sealedA = legacySeal(KEY_A, Buffer.from([0xc6, 0xbd, 0x00, 0xff]));
    expect(a.open(sealedA)).toEqual(Buffer.from([0xc6, 0xbd, 0x00, 0xff]));
    expect(rotating.open(sealedA)).toEqual(Buffer.from([0xc6, 0xbd, 0x00, 0xff]));
    expect(rotating.isCurrentSealed(sealedA)).toBe(false);
  });

  it('reads an old value whose random IV happens to begin with the magic and a key id', () => {
    // Forge the collision: an IV beginning with the header of key A (its MAC covers the IV, so sealed again with that IV).
    const master = Buffer.from(KEY_A, 'hex');
    const derive = (label: string) => createHmac('sm3', master).update(label).digest();
    const iv = Buffer.concat([Buffer.from('SM4\x01', 'latin1'), Buffer.from(a.keyId, 'hex'), randomBytes(8)]);
    const c = createCipheriv('sm4-cbc', derive('gw-sm4-enc').subarray(0, 16), iv);
    const ct = Buffer.concat([c.update(Buffer.from('collide')), c.final()]);
    const sealed = Buffer.concat([iv, ct, createHmac('sm3', derive('gw-sm3-mac')).update(iv).update(ct).digest()]);
    expect(a.open(sealed).toString()).toBe('collide');
    expect(rotating.open(sealed).toString()).toBe('collide');
  });

  it('accepts the previous key for reading, in the new format too', () => {
    expect(rotating.decrypt(a.encrypt('由旧密钥写 written with the old key'))).toBe('由旧密钥写 written with the old key');
    expect(rotating.open(a.seal(Buffer.from('old')))).toEqual(Buffer.from('old'));
    expect(rotating.decryptJson(a.encryptJson({ n: 1 }))).toEqual({ n: 1 });
  });

  it('refuses a value of a key it does not have, in either format', () => {
    const other = new PersonalDataCipher('f'.repeat(64));
    expect(() => b.decrypt(a.encrypt('x'))).toThrow(UnreadableValueError);
    expect(() => b.decrypt(a.encrypt('x'))).toThrow('another key');
    expect(() => b.decrypt(legacyToken(KEY_A, 'x'))).toThrow(UnreadableValueError);
    expect(() => b.open(a.seal(Buffer.from('x')))).toThrow(UnreadableValueError);
    expect(() => rotating.decrypt(other.encrypt('x'))).toThrow(UnreadableValueError);
    expect(() => rotating.open(other.seal(Buffer.from('x')))).toThrow(UnreadableValueError);
    // A token whose key id is changed to the other configured key: that key's MAC refuses it.
    const token = a.encrypt('x');
    expect(() => rotating.decrypt(`sm4.${rotating.keyId}.${token.slice(13)}`)).toThrow('altered');
  });

  it('hashes lookups with the current key, and gives both keys\' hashes during a rotation', () => {
    const id = '430626200107081238';
    expect(rotating.lookupHash(id)).toBe(b.lookupHash(id));
    expect(rotating.lookupHashes(id)).toEqual([b.lookupHash(id), a.lookupHash(id)]);
    expect(b.lookupHashes(id)).toEqual([b.lookupHash(id)]);
    expect(rotating.previousLookupHash(id)).toBe(a.lookupHash(id));
  });

  it('refuses a previous key equal to the current one, or not 64 hex', () => {
    expect(() => new PersonalDataCipher(KEY_A, KEY_A.toUpperCase())).toThrow('differ');
    expect(() => new PersonalDataCipher(KEY_A, 'abc')).toThrow('64 hex');
  });
});
