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
const ivs = Buffer.alloc(16 * 1024);
let at = ivs.length;
function encrypt(plaintext) {
  if (at === ivs.length) { randomFillSync(ivs); at = 0; }
  const iv = Buffer.from(ivs.subarray(at, at + 16));
  at += 16;
  const cipher = createCipheriv('sm4-cbc', encKey, iv);
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = createHmac('sm3', macKey).update(iv).update(ct).digest();
  return 'sm4.' + Buffer.concat([iv, ct, tag]).toString('base64');
}
parentPort.on('message', (m) => {
  try {
    parentPort.postMessage({ id: m.id, out: m.texts.map(encrypt) });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String(e && e.message || e) });
  }
});
`;

const WORKER_HEAP_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 };

/**
 * Encrypts personal data for batch rows on a worker thread, so the second core does the SM4 work
 * while the event loop validates and stores the next rows. Requests made in one turn of the event
 * loop go over as one message; answers come back in order. Falls back to encrypting on the calling
 * thread if the worker cannot start, fails, or does not produce what the cipher itself decrypts.
 */
export class EncryptionWorker {
  private worker?: Worker;
  private ready?: Promise<boolean>;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(out: string[]): void; reject(e: unknown): void }>();
  private pending: { texts: string[]; parts: { from: number; resolve(out: string[]): void }[] } | undefined;

  constructor(
    private readonly cipher: PersonalDataCipher,
    private readonly keys: () => { encKey: Buffer; macKey: Buffer },
  ) {}

  /** The encrypted texts, in order. Never rejects for a worker failure (encrypts here instead). */
  encrypt(texts: string[]): Promise<string[]> {
    return new Promise<string[]>((resolve) => {
      if (!this.pending) {
        this.pending = { texts: [], parts: [] };
        queueMicrotask(() => void this.send());
      }
      this.pending.parts.push({ from: this.pending.texts.length, resolve });
      this.pending.texts.push(...texts);
    });
  }

  private async send(): Promise<void> {
    const batch = this.pending!;
    this.pending = undefined;
    const out = await this.run(batch.texts);
    batch.parts.forEach((p, i) => p.resolve(out.slice(p.from, i + 1 < batch.parts.length ? batch.parts[i + 1].from : out.length)));
  }

  private async run(texts: string[]): Promise<string[]> {
    if (await this.start()) {
      try {
        return await this.post(texts);
      } catch {
        this.stop();
      }
    }
    return texts.map((t) => this.cipher.encrypt(t));
  }

  private post(texts: string[]): Promise<string[]> {
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
        const { encKey, macKey } = this.keys();
        const worker = new Worker(WORKER_SOURCE, {
          eval: true,
          workerData: { encKey: new Uint8Array(encKey), macKey: new Uint8Array(macKey) },
          // Its garbage is short-lived strings: a small heap is enough, and V8's default lets the
          // young generation of every thread grow to 48 MB of the gateway's memory. Out of memory
          // only ends the worker (the rows are then encrypted on the calling thread).
          resourceLimits: WORKER_HEAP_LIMITS,
        });
        worker.on('message', (m: { id: number; out?: string[]; error?: string }) => {
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
        const [token] = await this.post([probe]);
        if (this.cipher.decrypt(token) !== probe) throw new Error('encryption worker output does not decrypt');
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
