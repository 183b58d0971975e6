import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { PersonalDataCipher } from '#gw/common';
import { removeCutOffSpools } from './batch-ingest.service';
import { SPOOL_PART_BYTES, SpoolTooLarge, readSpooled, sealedParts, spoolSealed } from './batch-spool';

const cipher = new PersonalDataCipher('ab'.repeat(32));

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('spoolSealed', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gw-spool-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** ~700 KiB of CSV rows holding an ID number and a mobile number, sent in odd-sized chunks. */
  const row = '李四,430626198503120040,13800000000,平江县汉昌街道\r\n';
  const file = Buffer.from(row.repeat(Math.ceil((700 * 1024) / Buffer.byteLength(row))), 'utf8');
  const chunked = () => Readable.from((function* () { for (let at = 0; at < file.length; at += 7777) yield file.subarray(at, at + 7777); })());

  it('keeps the file on disk sealed (no personal data in clear), 0600, and reads it back byte for byte', async () => {
    const spooled = await spoolSealed(chunked(), join(dir, 'spool'), 64 * 1024 * 1024, cipher);
    expect(spooled.bytes).toBe(file.length);
    expect(spooled.sha256).toBe(createHash('sha256').update(file).digest('hex'));
    const onDisk = readFileSync(spooled.path);
    expect(onDisk.includes(Buffer.from('430626198503120040'))).toBe(false);
    expect(onDisk.includes(Buffer.from('13800000000'))).toBe(false);
    expect(onDisk.includes(Buffer.from('李四'))).toBe(false);
    expect(statSync(spooled.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'spool')).mode & 0o777).toBe(0o700);
    expect((await collect(readSpooled(spooled.path, cipher))).equals(file)).toBe(true);
    expect((await collect(readSpooled(spooled.path, cipher, 300_000))).equals(file.subarray(0, 300_000))).toBe(true);
  });

  it('writes parts of 256 KiB that the cipher opens (the kept copy stores them as they are)', async () => {
    const spooled = await spoolSealed(chunked(), dir, 64 * 1024 * 1024, cipher);
    const parts: Buffer[] = [];
    for await (const p of sealedParts(spooled.path)) parts.push(cipher.open(p));
    expect(parts.map((p) => p.length)).toEqual([SPOOL_PART_BYTES, SPOOL_PART_BYTES, file.length - 2 * SPOOL_PART_BYTES]);
    expect(Buffer.concat(parts).equals(file)).toBe(true);
  });

  it('refuses a body over the limit and leaves nothing behind', async () => {
    await expect(spoolSealed(chunked(), dir, 100_000, cipher)).rejects.toBeInstanceOf(SpoolTooLarge);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('removeCutOffSpools', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gw-spool-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes spooled files older than the limit and keeps younger ones and other files', () => {
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const name of ['old.batch', 'young.batch', 'old.txt']) writeFileSync(join(dir, name), 'x');
    utimesSync(join(dir, 'old.batch'), hourAgo, hourAgo);
    utimesSync(join(dir, 'old.txt'), hourAgo, hourAgo);
    expect(removeCutOffSpools(dir, 15 * 60_000)).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['old.txt', 'young.batch']);
  });

  it('does nothing where there is no spool directory yet', () => {
    expect(removeCutOffSpools(join(dir, 'missing'), 0)).toBe(0);
  });
});
