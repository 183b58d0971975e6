import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PRIVATE_FILE_MODE, PersonalDataCipher, ensurePrivateDir, restrictFile } from '#gw/common';

/** Plain bytes per sealed part: the batch file parts kept in the database are this size too. */
export const SPOOL_PART_BYTES = 256 * 1024;

/** The body ran over the batch size limit while it was spooled. */
export class SpoolTooLarge extends Error {}

/** A batch file spooled to disk: sealed parts, read back as the plain bytes or as the parts themselves. */
export interface SpooledFile {
  path: string;
  /** Of the plain bytes, as received. */
  sha256: string;
  bytes: number;
}

/**
 * Spools a request body to `dir` as it arrives, never holding it in memory: the bytes are sealed
 * in parts of 256 KiB with the gateway's data key (`PersonalDataCipher.seal`: SM4 with an SM3
 * MAC), each written as a 4-byte length and the sealed part. The file holds personal data and
 * sits on disk for the whole run (and after a crash, until the next start removes it): never in
 * clear. The sealed parts are what `BatchRepository.keepSealedParts` stores, so sealing here
 * replaces the sealing the kept copy needed anyway; only the rows' read costs an extra opening.
 */
export async function spoolSealed(body: Readable, dir: string, maxBytes: number, cipher: PersonalDataCipher): Promise<SpooledFile> {
  ensurePrivateDir(dir);
  const path = join(dir, `${randomUUID()}.batch`);
  const hash = createHash('sha256');
  let bytes = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const frame = (plain: Buffer): Buffer => {
    const sealed = cipher.seal(plain);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(sealed.length);
    return Buffer.concat([head, sealed]);
  };
  const sealer = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > maxBytes) return cb(new SpoolTooLarge());
      hash.update(chunk);
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes < SPOOL_PART_BYTES) return cb();
      const all = Buffer.concat(pending, pendingBytes);
      let at = 0;
      for (; at + SPOOL_PART_BYTES <= all.length; at += SPOOL_PART_BYTES) this.push(frame(all.subarray(at, at + SPOOL_PART_BYTES)));
      pending = at < all.length ? [all.subarray(at)] : [];
      pendingBytes = all.length - at;
      cb();
    },
    flush(cb) {
      if (pendingBytes) this.push(frame(Buffer.concat(pending, pendingBytes)));
      cb();
    },
  });
  try {
    await pipeline(body, sealer, createWriteStream(path, { mode: PRIVATE_FILE_MODE }));
    restrictFile(path);
  } catch (e) {
    rmSync(path, { force: true });
    throw e;
  }
  return { path, sha256: hash.digest('hex'), bytes };
}

/** The sealed parts of a spooled file, in order, as written. */
export async function* sealedParts(path: string): AsyncGenerator<Buffer> {
  let buffered: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(path, { highWaterMark: SPOOL_PART_BYTES + 1024 })) {
    buffered = buffered.length ? Buffer.concat([buffered, chunk as Buffer]) : (chunk as Buffer);
    while (buffered.length >= 4) {
      const size = buffered.readUInt32BE(0);
      if (buffered.length < 4 + size) break;
      yield buffered.subarray(4, 4 + size);
      buffered = buffered.subarray(4 + size);
    }
  }
  if (buffered.length) throw new Error('spooled batch file is truncated');
}

/** The plain bytes of a spooled file, up to `maxBytes` of them (all by default). */
export function readSpooled(path: string, cipher: PersonalDataCipher, maxBytes = Infinity): Readable {
  return Readable.from(
    (async function* () {
      let left = maxBytes;
      for await (const part of sealedParts(path)) {
        if (left <= 0) return;
        const plain = cipher.open(part);
        yield plain.length > left ? plain.subarray(0, left) : plain;
        left -= plain.length;
      }
    })(),
    { objectMode: false },
  );
}
