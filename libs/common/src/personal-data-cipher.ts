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
 * The versioned formats (data-key rotation), kept as small a change as they can be:
 *
 * - text token: `sm4.<key id>.<base64(IV ‖ ciphertext ‖ tag)>` — before, `sm4.<base64(…)>`. The key
 *   id is 8 hex characters; base64 never contains a `.`, so the two forms cannot be confused.
 * - sealed bytes: `SEALED_MAGIC (4 bytes) ‖ key id (4 bytes) ‖ IV ‖ ciphertext ‖ tag` — before,
 *   `IV ‖ ciphertext ‖ tag`. An old value whose random IV happens to begin with the magic and a
 *   known key id (2^-64) is still opened: when the versioned reading fails, the whole value is
 *   tried in the old format.
 *
 * What follows the key id is exactly the old format, under the key the id names: the tag still
 * covers IV and ciphertext only. The id is a hint that picks the key, not something to trust — a
 * changed id picks a key whose MAC then refuses the value. Values written before the change carry
 * no id: they belong to whichever configured key's MAC accepts them (current first, then previous).
 * The id lets the re-encryption job (and its progress counts) find what still needs rewriting with
 * one SQL condition, without decrypting anything.
 */
export const SEALED_MAGIC = Buffer.from([0x53, 0x4d, 0x34, 0x01]); // "SM4" v1
const SEALED_HEADER_BYTES = 8;
const LEGACY_MIN_BYTES = 16 + 16 + 32;

/** A value no configured key opens: altered, or encrypted with a key the gateway no longer has. */
export class UnreadableValueError extends Error {
  override readonly name = 'UnreadableValueError';
}

interface KeySet {
  id: string;
  idBytes: Buffer;
  encKey: Buffer;
  macKey: Buffer;
  lookupKey: Buffer;
}

function deriveKeySet(masterKeyHex: string, which: string): KeySet {
  const master = Buffer.from(masterKeyHex, 'hex');
  if (master.length !== 32 || masterKeyHex.length !== 64) throw new Error(`${which} personal data key must be 64 hex characters (32 bytes)`);
  // Separate keys per purpose, derived from one configured secret.
  const derive = (label: string) => createHmac('sm3', master).update(label).digest();
  // The key id: 32 bits of an HMAC-SM3 fingerprint, which names the key without revealing it.
  const idBytes = derive('gw-key-id').subarray(0, 4);
  return { id: idBytes.toString('hex'), idBytes: Buffer.from(idBytes), encKey: derive('gw-sm4-enc').subarray(0, 16), macKey: derive('gw-sm3-mac'), lookupKey: derive('gw-sm3-lookup') };
}

function sealWith(k: KeySet, plain: Uint8Array): Buffer {
  const iv = freshIv();
  const cipher = createCipheriv('sm4-cbc', k.encKey, iv);
  const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
  const tag = createHmac('sm3', k.macKey).update(iv).update(ct).digest();
  return Buffer.concat([iv, ct, tag]);
}

/** The plain bytes, or null when `k`'s MAC does not accept them. */
function openWith(k: KeySet, raw: Buffer): Buffer | null {
  if (raw.length < LEGACY_MIN_BYTES) return null;
  const iv = raw.subarray(0, 16);
  const tag = raw.subarray(raw.length - 32);
  const ct = raw.subarray(16, raw.length - 32);
  const expected = createHmac('sm3', k.macKey).update(iv).update(ct).digest();
  if (!timingSafeEqual(tag, expected)) return null;
  const decipher = createDecipheriv('sm4-cbc', k.encKey, iv);
  return Buffer.concat([decipher.update(ct), decipher.final()]);
}

/**
 * Encrypts personal data at rest with SM4-CBC plus an HMAC-SM3 tag (encrypt-then-MAC; node's
 * OpenSSL has no SM4-GCM), and derives keyed lookup hashes so an ID number can be searched
 * without being stored in clear. Keys: 16 bytes for SM4, 32 for the MAC and lookup hashes.
 *
 * Key rotation: `GATEWAY_DATA_KEY` is the current key (everything is encrypted and hashed with
 * it); `GATEWAY_DATA_KEY_PREVIOUS`, while set, is accepted for reading, and searches look for
 * both of its hashes (`lookupHashes`) until the re-encryption job has rewritten every value.
 */
export class PersonalDataCipher {
  private readonly current: KeySet;
  private readonly previous?: KeySet;

  constructor(masterKeyHex: string, previousKeyHex?: string) {
    this.current = deriveKeySet(masterKeyHex, 'current');
    if (previousKeyHex) {
      if (previousKeyHex.toLowerCase() === masterKeyHex.toLowerCase()) throw new Error('the previous personal data key must differ from the current one');
      this.previous = deriveKeySet(previousKeyHex, 'previous');
    }
  }

  /** The current key's id (8 hex characters), written into every new token and sealed value. */
  get keyId(): string {
    return this.current.id;
  }

  /** The previous key's id while one is configured (a rotation under way). */
  get previousKeyId(): string | undefined {
    return this.previous?.id;
  }

  /** How every token written with the current key begins (`sm4.<key id>.`). */
  get tokenPrefix(): string {
    return `sm4.${this.current.id}.`;
  }

  /** How every value sealed with the current key begins (magic and key id, 8 bytes). */
  get sealedPrefix(): Buffer {
    return Buffer.concat([SEALED_MAGIC, this.current.idBytes]);
  }

  /** Whether a token was written with the current key (and in the versioned format). */
  isCurrentToken(token: string): boolean {
    return token.startsWith(this.tokenPrefix);
  }

  /** Whether sealed bytes were written with the current key (and in the versioned format). */
  isCurrentSealed(sealed: Uint8Array): boolean {
    return sealed.length >= SEALED_HEADER_BYTES && Buffer.from(sealed.buffer, sealed.byteOffset, SEALED_HEADER_BYTES).equals(this.sealedPrefix);
  }

  /**
   * The current encryption, MAC and lookup keys and key id, for a worker thread of this process
   * that encrypts and hashes in exactly this format (`EncryptionWorker`, which checks its output
   * against this cipher before it is used). Never logged, stored or sent anywhere else.
   */
  keysForWorkerThread(): { encKey: Buffer; macKey: Buffer; lookupKey: Buffer; keyId: string } {
    const k = this.current;
    return { encKey: Buffer.from(k.encKey), macKey: Buffer.from(k.macKey), lookupKey: Buffer.from(k.lookupKey), keyId: k.id };
  }

  encrypt(plaintext: string): string {
    return this.tokenPrefix + sealWith(this.current, Buffer.from(plaintext, 'utf8')).toString('base64');
  }

  decrypt(token: string): string {
    if (!token.startsWith('sm4.')) throw new Error('not an encrypted value');
    const versioned = token.length > 13 && token[12] === '.' && /^[0-9a-f]{8}$/.test(token.slice(4, 12));
    if (versioned) {
      const k = this.keyById(token.slice(4, 12));
      if (!k) throw new UnreadableValueError('encrypted value was sealed with another key (unknown key id)');
      const plain = openWith(k, Buffer.from(token.slice(13), 'base64'));
      if (!plain) throw new UnreadableValueError('encrypted value was altered');
      return plain.toString('utf8');
    }
    return this.openLegacy(Buffer.from(token.slice(4), 'base64')).toString('utf8');
  }

  /**
   * Bytes encrypted as `magic ‖ key id ‖ IV ‖ ciphertext ‖ tag`: for payloads kept as binary,
   * such as the raw messages departments send and spooled batch files.
   */
  seal(plain: Uint8Array): Buffer {
    return Buffer.concat([this.sealedPrefix, sealWith(this.current, plain)]);
  }

  /** The bytes `seal` encrypted (either format, either key); throws if they were altered or sealed with another key. */
  open(sealed: Uint8Array): Buffer {
    const raw = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (raw.length < LEGACY_MIN_BYTES) throw new UnreadableValueError('encrypted value is too short');
    if (raw.subarray(0, 4).equals(SEALED_MAGIC)) {
      const k = this.keyById(raw.subarray(4, SEALED_HEADER_BYTES).toString('hex'));
      const plain = k ? openWith(k, raw.subarray(SEALED_HEADER_BYTES)) : null;
      if (plain) return plain;
      // Else perhaps an old value whose IV begins with the magic: tried as one below.
    }
    return this.openLegacy(raw);
  }

  /** A value without key id: whichever configured key's MAC accepts it, current first. */
  private openLegacy(raw: Buffer): Buffer {
    if (raw.length < LEGACY_MIN_BYTES) throw new UnreadableValueError('encrypted value is too short');
    const plain = openWith(this.current, raw) ?? (this.previous ? openWith(this.previous, raw) : null);
    if (!plain) throw new UnreadableValueError('encrypted value was altered or sealed with another key');
    return plain;
  }

  private keyById(id: string): KeySet | undefined {
    if (id === this.current.id) return this.current;
    if (this.previous && id === this.previous.id) return this.previous;
    return undefined;
  }

  encryptJson(value: unknown): string {
    return this.encrypt(JSON.stringify(value));
  }

  decryptJson<T>(token: string): T {
    return JSON.parse(this.decrypt(token)) as T;
  }

  /** Keyed hash (current key) for exact-match lookups (ID numbers), never reversible without the key. */
  lookupHash(value: string): string {
    return hashWith(this.current, value);
  }

  /**
   * Every hash a stored row may carry for `value`: the current key's, and the previous key's while
   * a rotation is under way (rows the re-encryption job has not reached yet). Search with all.
   */
  lookupHashes(value: string): string[] {
    return this.previous ? [hashWith(this.current, value), hashWith(this.previous, value)] : [hashWith(this.current, value)];
  }

  /** The previous key's hash of `value` (undefined when no rotation is under way). */
  previousLookupHash(value: string): string | undefined {
    return this.previous ? hashWith(this.previous, value) : undefined;
  }
}

function hashWith(k: KeySet, value: string): string {
  return createHmac('sm3', k.lookupKey).update(value.trim().toUpperCase()).digest('hex');
}
