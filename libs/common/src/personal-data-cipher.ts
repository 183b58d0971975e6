import { createCipheriv, createDecipheriv, createHmac, randomFillSync, timingSafeEqual } from 'node:crypto';

/** IVs are taken from a pool of random bytes refilled 4 KiB at a time (one CSPRNG call per 256 IVs). */
const ivPool = Buffer.alloc(4096);
let ivPoolOffset = ivPool.length;

function freshIv(): Buffer {
  if (ivPoolOffset + 16 > ivPool.length) {
    randomFillSync(ivPool);
    ivPoolOffset = 0;
  }
  // A copy: the pool's bytes are overwritten on the next refill.
  return Buffer.from(ivPool.subarray(ivPoolOffset, (ivPoolOffset += 16)));
}

/**
 * Encrypts personal data at rest with SM4-CBC plus an HMAC-SM3 tag (encrypt-then-MAC; node's
 * OpenSSL has no SM4-GCM), and derives keyed lookup hashes so an ID number can be searched
 * without being stored in clear. Keys: 16 bytes for SM4, 32 for the MAC and lookup hashes.
 */
export class PersonalDataCipher {
  private readonly encKey: Buffer;
  private readonly macKey: Buffer;
  private readonly lookupKey: Buffer;

  constructor(masterKeyHex: string) {
    const master = Buffer.from(masterKeyHex, 'hex');
    if (master.length !== 32) throw new Error('personal data key must be 64 hex characters (32 bytes)');
    // Separate keys per purpose, derived from one configured secret.
    const derive = (label: string) => createHmac('sm3', master).update(label).digest();
    this.encKey = derive('gw-sm4-enc').subarray(0, 16);
    this.macKey = derive('gw-sm3-mac');
    this.lookupKey = derive('gw-sm3-lookup');
  }

  /**
   * The encryption, MAC and lookup keys, for a worker thread of this process that encrypts and
   * hashes in exactly this format (`EncryptionWorker`, which checks its output against this cipher
   * before it is used). Never
   * logged, stored or sent anywhere else.
   */
  keysForWorkerThread(): { encKey: Buffer; macKey: Buffer; lookupKey: Buffer } {
    return { encKey: Buffer.from(this.encKey), macKey: Buffer.from(this.macKey), lookupKey: Buffer.from(this.lookupKey) };
  }

  encrypt(plaintext: string): string {
    return 'sm4.' + this.seal(Buffer.from(plaintext, 'utf8')).toString('base64');
  }

  decrypt(token: string): string {
    if (!token.startsWith('sm4.')) throw new Error('not an encrypted value');
    return this.open(Buffer.from(token.slice(4), 'base64')).toString('utf8');
  }

  /**
   * Bytes encrypted as `IV ‖ ciphertext ‖ tag` (the format inside an `encrypt` token, without its
   * base64): for payloads kept as binary, such as the raw messages departments send.
   */
  seal(plain: Uint8Array): Buffer {
    const iv = freshIv();
    const cipher = createCipheriv('sm4-cbc', this.encKey, iv);
    const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
    const tag = createHmac('sm3', this.macKey).update(iv).update(ct).digest();
    return Buffer.concat([iv, ct, tag]);
  }

  /** The bytes `seal` encrypted; throws if they were altered or sealed with another key. */
  open(sealed: Uint8Array): Buffer {
    const raw = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (raw.length < 16 + 16 + 32) throw new Error('encrypted value is too short');
    const iv = raw.subarray(0, 16);
    const tag = raw.subarray(raw.length - 32);
    const ct = raw.subarray(16, raw.length - 32);
    const expected = createHmac('sm3', this.macKey).update(iv).update(ct).digest();
    if (!timingSafeEqual(tag, expected)) throw new Error('encrypted value was altered');
    const decipher = createDecipheriv('sm4-cbc', this.encKey, iv);
    return Buffer.concat([decipher.update(ct), decipher.final()]);
  }

  encryptJson(value: unknown): string {
    return this.encrypt(JSON.stringify(value));
  }

  decryptJson<T>(token: string): T {
    return JSON.parse(this.decrypt(token)) as T;
  }

  /** Keyed hash for exact-match lookups (ID numbers), never reversible without the key. */
  lookupHash(value: string): string {
    return createHmac('sm3', this.lookupKey).update(value.trim().toUpperCase()).digest('hex');
  }
}
