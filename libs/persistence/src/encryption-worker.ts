import { Worker } from 'node:worker_threads';
import type { PersonalDataCipher } from '#gw/common';

/**
 * The worker's code: SM4-CBC with a random IV, then an HMAC-SM3 tag over IV and ciphertext — the
 * format of `PersonalDataCipher.encrypt`. Inline (no file to resolve, so it runs from the sources
 * under the tests as from dist/), and checked against the cipher before use (see `start`).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createCipheriv, createHmac, randomFillSync } = require('node:crypto');
const encKey = Buffer.from(workerData.encKey);
const macKey = Buffer.from(workerData.macKey);
const lookupKey = Buffer.from(workerData.lookupKey);
// The versioned format (PersonalDataCipher): the current key's id before every token and sealed value.
const tokenPrefix = 'sm4.' + workerData.keyId + '.';
const sealedPrefix = Buffer.concat([Buffer.from([0x53, 0x4d, 0x34, 0x01]), Buffer.from(workerData.keyId, 'hex')]);
const ivs = Buffer.alloc(16 * 1024);
let at = ivs.length;
function seal(plain) {
  if (at === ivs.length) { randomFillSync(ivs); at = 0; }
  const iv = Buffer.from(ivs.subarray(at, at + 16));
  at += 16;
  const cipher = createCipheriv('sm4-cbc', encKey, iv);
  const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
  const tag = createHmac('sm3', macKey).update(iv).update(ct).digest();
  return Buffer.concat([iv, ct, tag]);
}
// Text becomes a token; bytes (sent as a latin1 string: cloning 50,000 small ArrayBuffers each way
// cost more than sealing them) come back sealed, as a latin1 string too; a lookup value becomes its
// keyed hash (PersonalDataCipher.lookupHash).
const encrypt = (x) =>
  typeof x === 'string' ? tokenPrefix + seal(Buffer.from(x, 'utf8')).toString('base64')
  : x.b !== undefined ? { b: Buffer.concat([sealedPrefix, seal(Buffer.from(x.b, 'latin1'))]).toString('latin1') }
  : createHmac('sm3', lookupKey).update(x.lookup.trim().toUpperCase()).digest('hex');
parentPort.on('message', (m) => {
  try {
    parentPort.postMessage({ id: m.id, out: m.texts.map(encrypt) });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String(e && e.message || e) });
  }
});
`;

/** A value to look cases up by (an ID number), to be hashed as `PersonalDataCipher.lookupHash` does. */
export interface LookupValue {
  lookup: string;
}

/**
 * What the worker encrypts: text (to an `sm4.` token, as `encrypt`), bytes (sealed, as `seal`), or
 * a lookup value (to its keyed hash, as `lookupHash`).
 */
export type Plain = string | Uint8Array | LookupValue;
export type Sealed<T extends Plain> = T extends string ? string : T extends LookupValue ? string : Buffer;
/** Text, bytes or a lookup value as they cross to the worker; text or bytes as they come back. */
type Wire = string | { b: string } | LookupValue;

const WORKER_HEAP_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 };

/**
 * Encrypts personal data (and hashes the values cases are looked up by) for batch rows on a worker
 * thread, so the second core does the SM4 and SM3 work while the event loop validates and stores
 * the next rows. Requests made in one turn of the event
 * loop go over as one message; answers come back in order. Falls back to encrypting on the calling
 * thread if the worker cannot start, fails, or does not produce what the cipher itself decrypts.
 */
export class EncryptionWorker {
  private worker?: Worker;
  private ready?: Promise<boolean>;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(out: Wire[]): void; reject(e: unknown): void }>();
  private pending: { texts: Plain[]; parts: { from: number; resolve(out: Plain[]): void }[] } | undefined;

  constructor(
    private readonly cipher: PersonalDataCipher,
    private readonly keys: () => { encKey: Buffer; macKey: Buffer; lookupKey: Buffer; keyId: string },
  ) {}

  /**
   * The encrypted items, in order: texts as tokens, bytes sealed. Never rejects for a worker
   * failure (encrypts here instead).
   */
  encrypt<T extends Plain[]>(texts: [...T]): Promise<{ [K in keyof T]: T[K] extends Plain ? Sealed<T[K]> : never }> {
    return new Promise((resolve) => {
      if (!this.pending) {
        this.pending = { texts: [], parts: [] };
        queueMicrotask(() => void this.send());
      }
      this.pending.parts.push({ from: this.pending.texts.length, resolve: resolve as (out: Plain[]) => void });
      this.pending.texts.push(...texts);
    });
  }

  private async send(): Promise<void> {
    const batch = this.pending!;
    this.pending = undefined;
    const out = await this.run(batch.texts);
    batch.parts.forEach((p, i) => p.resolve(out.slice(p.from, i + 1 < batch.parts.length ? batch.parts[i + 1].from : out.length)));
  }

  private async run(texts: Plain[]): Promise<Plain[]> {
    if (await this.start()) {
      try {
        const out = await this.post(texts.map((t) => (typeof t === 'string' || isLookup(t) ? t : { b: Buffer.from(t.buffer, t.byteOffset, t.byteLength).toString('latin1') })));
        return out.map((o) => (typeof o === 'string' ? o : Buffer.from((o as { b: string }).b, 'latin1')));
      } catch {
        this.stop();
      }
    }
    return texts.map((t) => (typeof t === 'string' ? this.cipher.encrypt(t) : isLookup(t) ? this.cipher.lookupHash(t.lookup) : this.cipher.seal(t)));
  }

  private post(texts: Wire[]): Promise<Wire[]> {
    return new Promise((resolve, reject) => {
      if (!this.worker) return reject(new Error('encryption worker stopped'));
      const id = this.nextId++;
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, texts });
    });
  }

  /** Starts the worker once; true when it encrypts exactly as the cipher does. */
  private start(): Promise<boolean> {
    this.ready ??= (async () => {
      try {
        const { encKey, macKey, lookupKey, keyId } = this.keys();
        const worker = new Worker(WORKER_SOURCE, {
          eval: true,
          workerData: { encKey: new Uint8Array(encKey), macKey: new Uint8Array(macKey), lookupKey: new Uint8Array(lookupKey), keyId },
          // Its garbage is short-lived strings: a small heap is enough, and V8's default lets the
          // young generation of every thread grow to 48 MB of the gateway's memory. Out of memory
          // only ends the worker (the rows are then encrypted on the calling thread).
          resourceLimits: WORKER_HEAP_LIMITS,
        });
        worker.on('message', (m: { id: number; out?: Wire[]; error?: string }) => {
          const w = this.waiting.get(m.id);
          this.waiting.delete(m.id);
          if (m.out) w?.resolve(m.out);
          else w?.reject(new Error(m.error ?? 'encryption worker failed'));
        });
        worker.on('error', (e) => this.failAll(e));
        worker.on('exit', () => this.failAll(new Error('encryption worker exited')));
        // After the listeners: adding a 'message' listener refs the worker again. Unreferenced, it
        // never keeps the process (or a test run) alive.
        worker.unref();
        this.worker = worker;
        const probe = JSON.stringify({ probe: '校验 check', n: 42 });
        const bytes = Buffer.from([0xd0, 0xa3, 0xd1, 0xe9, 0x00, 0xff]);
        const idNo = ' probe-91x ';
        const [token, sealed, hash] = await this.post([probe, { b: bytes.toString('latin1') }, { lookup: idNo }]);
        if (
          typeof token !== 'string' ||
          this.cipher.decrypt(token) !== probe ||
          // Written with the current key, in the versioned format (the re-encryption job counts on it).
          !this.cipher.isCurrentToken(token) ||
          !this.cipher.isCurrentSealed(Buffer.from((sealed as { b: string }).b ?? '', 'latin1')) ||
          typeof sealed !== 'object' ||
          !('b' in sealed) ||
          !this.cipher.open(Buffer.from(sealed.b, 'latin1')).equals(bytes) ||
          hash !== this.cipher.lookupHash(idNo)
        ) {
          throw new Error('encryption worker output does not decrypt');
        }
        return true;
      } catch {
        this.stop();
        return false;
      }
    })();
    return this.ready;
  }

  /** Ends the worker thread (the gateway is stopping); later requests encrypt on the calling thread. */
  close(): void {
    this.stop();
  }

  private failAll(e: unknown): void {
    this.worker = undefined;
    this.ready = Promise.resolve(false);
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.reject(e);
  }

  private stop(): void {
    const w = this.worker;
    this.worker = undefined;
    this.ready = Promise.resolve(false);
    if (w) {
      w.removeAllListeners('exit');
      void w.terminate();
    }
  }
}

function isLookup(x: Plain | Wire): x is LookupValue {
  return typeof x === 'object' && x !== null && 'lookup' in x;
}
