import { PersonalDataCipher } from '#gw/common';
import { EncryptionWorker } from './encryption-worker';
import { timeOrderedId } from './ingest.repository';

const KEY = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

describe('EncryptionWorker (batch rows encrypted off the event loop)', () => {
  const cipher = new PersonalDataCipher(KEY);
  const keys = () => cipher.keysForWorkerThread();

  it('encrypts exactly what the cipher decrypts, in order, for requests made in one turn', async () => {
    const worker = new EncryptionWorker(cipher, keys);
    const texts = Array.from({ length: 50 }, (_, i) => JSON.stringify({ i, name: `李${i}`, certNo: '430626198503120040' }));
    const answers = await Promise.all([worker.encrypt(texts.slice(0, 20)), worker.encrypt(texts.slice(20, 21)), worker.encrypt(texts.slice(21))]);
    const tokens = answers.flat();
    expect(tokens).toHaveLength(50);
    expect(tokens.map((t) => cipher.decrypt(t))).toEqual(texts);
    expect(new Set(tokens).size).toBe(50); // a fresh IV each
  });

  it('seals bytes as the cipher does, beside texts', async () => {
    const worker = new EncryptionWorker(cipher, keys);
    // Small Buffers share Node's 8 KB pool: only the row's own bytes are sealed.
    const rows = Array.from({ length: 30 }, (_, i) => Buffer.from(`YB${i},孙七,430626196003050017,13900000000\r\n`));
    const answers = await Promise.all(rows.map((r, i) => worker.encrypt([`{"i":${i}}`, r])));
    answers.forEach(([token, sealed], i) => {
      expect(cipher.decrypt(token)).toBe(`{"i":${i}}`);
      expect(Buffer.isBuffer(sealed)).toBe(true);
      expect(Buffer.from(sealed).includes(Buffer.from('430626196003050017'))).toBe(false);
      expect(cipher.open(sealed).equals(rows[i])).toBe(true);
    });
  });

  it('hashes lookup values as the cipher does (trimmed, upper case), beside texts and bytes', async () => {
    const worker = new EncryptionWorker(cipher, keys);
    const [token, hash, sealed, upper] = await worker.encrypt(['{"a":1}', { lookup: ' 43062619850312004x ' }, Buffer.from('row'), { lookup: '43062619850312004X' }]);
    expect(cipher.decrypt(token)).toBe('{"a":1}');
    expect(hash).toBe(cipher.lookupHash('43062619850312004X'));
    expect(upper).toBe(hash);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(cipher.open(sealed).toString()).toBe('row');
  });

  it('falls back to the calling thread when the worker does not match the cipher, lookups included', async () => {
    const lookupOnlyWrong = () => ({ ...cipher.keysForWorkerThread(), lookupKey: Buffer.alloc(32, 3) });
    const [token, hash] = await new EncryptionWorker(cipher, lookupOnlyWrong).encrypt(['{"b":2}', { lookup: '430626198503120040' }]);
    expect(cipher.decrypt(token)).toBe('{"b":2}');
    expect(hash).toBe(cipher.lookupHash('430626198503120040'));
  });

  it('falls back to the calling thread when the worker would write another key id (the re-encryption job counts on it)', async () => {
    const otherId = () => ({ ...cipher.keysForWorkerThread(), keyId: '00000000' });
    const [token, sealed] = await new EncryptionWorker(cipher, otherId).encrypt(['{"c":3}', Buffer.from('raw')]);
    expect(cipher.isCurrentToken(token)).toBe(true);
    expect(cipher.isCurrentSealed(sealed)).toBe(true);
  });

  it('writes tokens and sealed bytes that carry the current key id', async () => {
    const worker = new EncryptionWorker(cipher, () => cipher.keysForWorkerThread());
    const [token, sealed] = await worker.encrypt(['{"d":4}', Buffer.from('raw')]);
    worker.close();
    expect(token.startsWith(`sm4.${cipher.keyId}.`)).toBe(true);
    expect(sealed.subarray(0, 8).equals(cipher.sealedPrefix)).toBe(true);
    expect(cipher.open(sealed).toString()).toBe('raw');
  });

  it('falls back to encrypting on the calling thread when the worker does not match the cipher', async () => {
    const wrongKeys = () => ({ encKey: Buffer.alloc(16, 1), macKey: Buffer.alloc(32, 2), lookupKey: Buffer.alloc(32, 3), keyId: cipher.keyId });
    const worker = new EncryptionWorker(cipher, wrongKeys);
    const [token] = await worker.encrypt(['{"a":1}']);
    expect(cipher.decrypt(token)).toBe('{"a":1}');
  });
});

describe('timeOrderedId', () => {
  it('is a version-7 UUID whose text sorts by creation time', () => {
    const a = timeOrderedId(1_700_000_000_000);
    const b = timeOrderedId(1_700_000_000_001);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
    const many = new Set(Array.from({ length: 10_000 }, () => timeOrderedId()));
    expect(many.size).toBe(10_000);
  });
});
