import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGzip, gunzip } from 'node:zlib';
import { PersonalDataCipher, textSlices } from '#gw/common';
import { IsNull, Not } from 'typeorm';
import { Database } from './database';
import { InboundBatchEntity, InboundBatchFileEntity, InboundMessageEntity } from './entities';
import { storedHeaders } from './ingest.repository';

export interface QuarantineFilter {
  department?: string;
  /** The request's error code (VALIDATION_FAILED, PAYLOAD_NOT_JSON …) or a field's (ID_CHECK_DIGIT …). */
  code?: string;
  since?: Date;
  until?: Date;
  ids?: string[];
  limit?: number;
  offset?: number;
}

/**
 * The quarantine: what a department sent that could not be read or was invalid, not yet resolved by
 * a replay. Replays themselves are not listed again: they point back at the entry they replay.
 */
export class QuarantineRepository {
  constructor(
    private readonly db: Database,
    private readonly cipher: PersonalDataCipher,
  ) {}

  private query(filter: QuarantineFilter) {
    const q = this.db.manager
      .createQueryBuilder(InboundMessageEntity, 'm')
      .where('m.outcome IN (:...o)', { o: ['REJECTED', 'UNREADABLE'] })
      .andWhere('m.resolved_at IS NULL')
      .andWhere('m.replay_of IS NULL');
    if (filter.department) q.andWhere('m.department = :d', { d: filter.department.toUpperCase() });
    if (filter.code) {
      q.andWhere('(m.error_code = :code OR m.errors LIKE :like)', { code: filter.code, like: `%"code":"${filter.code.replace(/[%"\\]/g, '')}"%` });
    }
    if (filter.since) q.andWhere('m.received_at >= :since', { since: filter.since });
    if (filter.until) q.andWhere('m.received_at <= :until', { until: filter.until });
    if (filter.ids?.length) q.andWhere('m.id IN (:...ids)', { ids: filter.ids });
    return q;
  }

  async list(filter: QuarantineFilter = {}) {
    const q = this.query(filter);
    const total = await q.getCount();
    const rows = await q
      .select(['m.id', 'm.department', 'm.channel', 'm.receivedAt', 'm.mediaType', 'm.sourceEventId', 'm.outcome', 'm.httpStatus', 'm.errorCode', 'm.errors', 'm.batchId', 'm.rowNo', 'm.correlationId'])
      .orderBy('m.received_at', 'DESC')
      .skip(filter.offset ?? 0)
      .take(Math.min(filter.limit ?? 100, 1000))
      .getMany();
    return { total, rows };
  }

  async ids(filter: QuarantineFilter, max = 10000): Promise<string[]> {
    const rows = await this.query(filter).select(['m.id']).orderBy('m.received_at', 'ASC').take(max).getMany();
    return rows.map((r) => r.id);
  }

  get(id: string): Promise<InboundMessageEntity | null> {
    return this.db.manager.findOne(InboundMessageEntity, { where: { id } });
  }

  /** Replays and corrections of an entry, newest first (what became of each; no bodies). */
  replaysOf(id: string): Promise<Pick<InboundMessageEntity, 'id' | 'channel' | 'receivedAt' | 'outcome' | 'errorCode'>[]> {
    return this.db.manager.find(InboundMessageEntity, {
      select: { id: true, channel: true, receivedAt: true, outcome: true, errorCode: true },
      where: { replayOf: id },
      order: { receivedAt: 'DESC' },
      take: 20,
    });
  }

  /** A kept message's bytes as the department sent them (opened if sealed; empty if none were kept). */
  bodyOf(entry: InboundMessageEntity): Buffer {
    if (!entry.body) return Buffer.alloc(0);
    return entry.bodyEncrypted ? this.cipher.open(entry.body) : entry.body;
  }

  async count(): Promise<number> {
    return this.query({}).getCount();
  }
}

const gunzipAsync = promisify(gunzip);

async function gzipText(text: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(Readable.from(textSlices(text)), createGzip(), async (zipped: AsyncIterable<Buffer>) => {
    for await (const chunk of zipped) chunks.push(chunk);
  });
  return Buffer.concat(chunks);
}

/** Bytes of a batch file per stored part (sealed, each a little larger). */
export const BATCH_FILE_PART_BYTES = 256 * 1024;

/** Parts written per transaction while a file is kept (~1 MiB: one fsync per megabyte on SQLite). */
const BATCH_FILE_PARTS_PER_WRITE = 4;

/** Batch files: one row per file and department, keyed by X-Batch-Id or content hash. */
export class BatchRepository {
  constructor(
    private readonly db: Database,
    private readonly cipher: PersonalDataCipher,
  ) {}

  find(department: string, batchKey: string): Promise<InboundBatchEntity | null> {
    return this.db.manager.findOne(InboundBatchEntity, { where: { department, batchKey } });
  }

  /** The first completed batch of the department with exactly this content, whatever it was named. */
  findCompletedByContent(department: string, bodySha256: string): Promise<InboundBatchEntity | null> {
    return this.db.manager.findOne(InboundBatchEntity, { where: { department, bodySha256, completedAt: Not(IsNull()) }, order: { receivedAt: 'ASC' } });
  }

  /**
   * Registers a batch before its rows are processed; false when another request holds the same key.
   * The request's headers are kept here, once for all its rows (credentials left out).
   */
  async start(department: string, batchKey: string, bodySha256: string, headers?: Record<string, string>): Promise<{ id: string } | null> {
    const id = randomUUID();
    try {
      await this.db.transaction((em) =>
        em.insert(InboundBatchEntity, { id, department, batchKey, bodySha256, receivedAt: new Date(), headers: storedHeaders(headers), completedAt: null, rows: 0, accepted: 0, duplicate: 0, rejected: 0, resultJson: null, resultGzip: null }),
      );
      return { id };
    } catch (e) {
      if (Database.isUniqueViolation(e)) return null;
      throw e;
    }
  }

  /**
   * Keeps the file at `path` (the batch's bytes as received) sealed, in parts, with batch `id`.
   * Runs beside the rows: its writes take turns with the rows' groups (one connection on SQLite).
   * The batch must not be answered before this has returned.
   */
  async keepFile(id: string, path: string): Promise<void> {
    const cipher = this.cipher;
    await this.keepSealedParts(
      id,
      (async function* () {
        for await (const chunk of createReadStream(path, { highWaterMark: BATCH_FILE_PART_BYTES })) yield cipher.seal(chunk as Buffer);
      })(),
    );
  }

  /** As `keepFile`, from parts already sealed with this gateway's cipher (a spooled batch file's). */
  async keepSealedParts(id: string, sealed: AsyncIterable<Buffer>): Promise<void> {
    let partNo = 0;
    let parts: InboundBatchFileEntity[] = [];
    const write = async () => {
      const written = parts;
      parts = [];
      await this.db.transaction((em) => em.insert(InboundBatchFileEntity, written));
    };
    for await (const body of sealed) {
      parts.push({ batchId: id, partNo: partNo++, body });
      if (parts.length >= BATCH_FILE_PARTS_PER_WRITE) await write();
    }
    if (parts.length) await write();
  }

  /** The kept file of batch `id`, byte for byte as received; null if none was kept (batches before 2026-11-28). */
  async file(id: string): Promise<Buffer | null> {
    const parts = await this.db.manager.find(InboundBatchFileEntity, { where: { batchId: id }, order: { partNo: 'ASC' } });
    if (!parts.length) return null;
    return Buffer.concat(parts.map((p) => this.cipher.open(p.body)));
  }

  /**
   * Marks the batch done and keeps its answer, gzip-compressed: stored as text, a 50,000-row
   * answer made SQLite hold ~30 MB of copies of it for the statement (and 11 MB a night in the
   * database). Compressed a slice at a time, on the thread pool.
   */
  async complete(id: string, counts: { rows: number; accepted: number; duplicate: number; rejected: number }, answerJson: string): Promise<void> {
    const resultGzip = await gzipText(answerJson);
    await this.db.transaction((em) => em.update(InboundBatchEntity, { id }, { ...counts, resultJson: null, resultGzip, completedAt: new Date() }));
  }

  /** The stored answer of a completed batch, as JSON text. */
  async answerOf(batch: InboundBatchEntity): Promise<string | null> {
    if (batch.resultGzip) return (await gunzipAsync(batch.resultGzip)).toString('utf8');
    return batch.resultJson;
  }

  /**
   * A batch that failed half-way (database away) is forgotten so the department can send it again;
   * the parts of its file kept so far go with it (wait for `keepFile` to end first).
   */
  async abandon(id: string): Promise<void> {
    await this.db.transaction(async (em) => {
      if (!(await em.exists(InboundBatchEntity, { where: { id, completedAt: IsNull() } }))) return;
      await em.delete(InboundBatchFileEntity, { batchId: id });
      await em.delete(InboundBatchEntity, { id });
    });
  }
}
