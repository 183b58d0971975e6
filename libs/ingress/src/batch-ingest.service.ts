import { rmSync } from 'node:fs';
import { OnModuleInit } from '@nestjs/common';
import { Readable } from 'node:stream';
import { DepartmentAdapter, ParseResult, UnreadableError } from '#gw/adapters';
import { CUT_OFF_BATCH_MINUTES, ErrorCodes, ForegroundWork, GatewayError, HeapPacer, PersonalDataCipher, StorageUnavailableError, removeCutOffSpools } from '#gw/common';
import { SpoolTooLarge, readSpooled, sealedParts, spoolSealed } from './batch-spool';
import { maskFieldIssues, maskFreeText, maskIssueText, quoteSentValue } from '#gw/case';
import { AcceptResult, BatchRepository, IngestBatchWriter, InboundBatchEntity, InboundRecord } from '#gw/persistence';
import { EventOutcome, IngestService, ValidEvent, parseContentType } from './ingest.service';

export interface BatchRequest {
  department: string;
  authorization?: string;
  headers: Record<string, string>;
  contentType?: string;
  body: Readable;
  correlationId?: string;
  /** The TCP peer (`clientAddressOf`): the key of the per-address limits. */
  clientAddress?: string;
}

export interface BatchRowResult {
  row: number;
  sourceEventId: string | null;
  outcome: 'ACCEPTED' | 'DUPLICATE' | 'REJECTED' | 'REFUSED';
  httpStatus: number;
  code: string;
  eventId?: string;
  caseId?: string;
  errors?: { field: string; code: string; message: string }[];
}

export interface BatchReply {
  status: number;
  body: Record<string, unknown>;
  /**
   * The answer already serialised, in pieces to be sent one after the other (a row-by-row answer
   * is megabytes for a 50,000-row file: joining the pieces, or letting Express turn them into one
   * Buffer, would hold it twice more). `body` then holds the counts without the rows.
   */
  jsonParts?: string[];
  /** Headers besides the content type (`Retry-After` on a 429). */
  headers?: Record<string, string>;
}

/** A stored answer with `repeated` added, without parsing, serialising or copying it again. */
function withRepeated(json: string, repeated: boolean): string[] {
  return [json.slice(0, json.lastIndexOf('}')), `,"repeated":${repeated}}`];
}

/** Moves that may become possible once the batch's earlier-in-time rows of the case are in. */
const DEFERRABLE = new Set(['STAGE_REQUIRES_ACCEPTANCE', 'STAGE_REQUIRES_SUBMISSION', 'SUPPLEMENT_NOT_REQUESTED', 'SPECIAL_NOT_STARTED', 'DELIVERY_WITHOUT_COMPLETION']);

/** Bytes of an unreadable batch file kept in the database; the whole file stays on disk beside it. */
const MAX_KEPT_FILE_BYTES = 8 * 1024 * 1024;

/**
 * Rows of one file that may fail (invalid, unreadable) before the file is refused as a whole: each
 * costs a stored record and a line of the answer, so a file of garbage rows made both grow without
 * bound (toward an out-of-memory crash at the 64 MiB limit). A real file with this many bad rows
 * needs fixing at its source anyway.
 */
export const MAX_BAD_ROWS = 1000;

/** The rows read when a file passed `MAX_BAD_ROWS`. */
class TooManyBadRows extends Error {
  constructor(
    readonly badRows: number[],
    readonly atRow: number,
  ) {
    super('too many bad rows');
  }
}

/**
 * A batch still unfinished this long after it arrived was cut off — the gateway stopped, or the
 * database went away and the batch could not be given up — and is forgotten when the file comes
 * again, instead of answering "in progress" for ever. The largest file allowed takes minutes.
 */
export { CUT_OFF_BATCH_MINUTES };
const CUT_OFF_BATCH_MS = CUT_OFF_BATCH_MINUTES * 60_000;

/** The answer to a batch sent again while its first run is under way (or was cut off, until it is taken again). */
function inProgress(): BatchReply {
  const message = `同一批次正在处理；中断的批次在收到 ${CUT_OFF_BATCH_MINUTES} 分钟后可重新发送 the same batch is being processed; send again later (a batch cut off is taken again ${CUT_OFF_BATCH_MINUTES} minutes after it arrived)`;
  return { status: 409, body: { code: 'BATCH_IN_PROGRESS', message, errors: [] } };
}

/** How often (in rows finished) a file's heap growth is looked at. */
const PACE_EVERY_ROWS = 256;

/** Files from this many rows get their garbage collected around the answer (~1 MB of JSON and up). */
const COLLECT_AROUND_ANSWER_ROWS = 5000;

/** Row outcomes as counted in the answer. */
const ACCEPTED = 0;
const DUPLICATE = 1;
const REJECTED = 2;

/**
 * Nightly batch files (YBJ's CSV): spooled to disk while hashed (memory stays flat), answered from
 * the first run when the same batch comes again, then read row by row through the department's
 * batch reader and the same pipeline as single events (`IngestService.processParsed`). A row
 * whose earlier-in-time stage sits further down the file is tried again once the rest of the file
 * is in, so a file sorted by row, not time, still yields the right stage order.
 *
 * Rows are stored through a batch writer (`IngestRepository.batchWriter`) instead of the shared
 * group-commit queue: nobody waits for one row of a file (the answer goes once the whole file is
 * stored), so up to `groupRows` rows share one transaction (3,000 by default: ~17 commits for a
 * 50,000-row file instead of ~400 groups of ≤ 256), a valid row needs no lookup of its own (the
 * group reads the stored events it would duplicate), and `rowsUnderWay` (two groups;
 * `BATCH_ROWS_UNDER_WAY`) rows are read ahead so that the next group is prepared while one is
 * being committed. Fewer, larger groups cost fewer full collections and case re-reads; each 1,000
 * rows under way costs ~5–10 MiB.
 *
 * Each row's result is kept as its JSON text (the answer is those texts joined), not as an object:
 * a 50,000-row answer is ~11 MB of text, and objects for it would be two to three times that.
 */
export class BatchIngestService implements OnModuleInit {
  private readonly groupRows: number;

  constructor(
    private readonly ingest: IngestService,
    private readonly batches: BatchRepository,
    /** Seals the spooled file (the gateway's data key): the kept copy stores the same sealed parts. */
    private readonly cipher: PersonalDataCipher,
    private readonly spoolDir: string,
    private readonly maxBatchBytes: number,
    /** Marked busy while a file's rows are stored: the platform dispatcher of this process waits. */
    private readonly foreground: ForegroundWork,
    /** `GatewayConfig.batchRowsUnderWay` (its default lives there). */
    private readonly rowsUnderWay: number,
    /** Heap growth during a file after which garbage is collected (see `HeapPacer`). */
    private readonly heapAllowanceBytes = 24 * 1024 * 1024,
  ) {
    this.groupRows = Math.max(1, Math.floor(rowsUnderWay / 2));
  }

  /** A run cut off by a stop left its spooled file behind: such files go at start-up. */
  onModuleInit(): void {
    removeCutOffSpools(this.spoolDir, CUT_OFF_BATCH_MS);
  }

  async receiveBatch(req: BatchRequest): Promise<BatchReply> {
    const code = String(req.department ?? '').toUpperCase();
    const { mediaType, charset } = parseContentType(req.contentType);
    const receivedAt = new Date();
    const base: InboundRecord = {
      department: code.slice(0, 16) || 'UNKNOWN',
      channel: 'batch-row',
      receivedAt,
      mediaType: req.contentType?.slice(0, 100) ?? null,
      headers: req.headers,
      body: null,
      correlationId: req.correlationId,
    };
    const refuse = (o: EventOutcome): BatchReply => {
      req.body.resume();
      const headers = o.retryAfterSeconds ? { 'Retry-After': String(o.retryAfterSeconds) } : undefined;
      return { status: o.httpStatus, body: { code: o.code, message: maskIssueText(o.message), errors: maskFieldIssues(o.errors ?? []) }, headers };
    };
    const declared = Number(req.headers['content-length']);
    let spool: string | undefined;
    let batchRowId: string | undefined;
    let endForeground: (() => void) | undefined;
    try {
      // Admitted before a byte of the file is read or spooled.
      const admitted = await this.ingest.admit(req.department, req.authorization, base, { address: req.clientAddress, bytes: Number.isFinite(declared) ? declared : undefined });
      if ('refusal' in admitted) return refuse(admitted.refusal);
      const adapter = admitted.adapter;
      // A file that is not taken as a batch is still kept (as an event of the wrong type would be).
      const keepRefused = async (httpStatus: number, errorCode: string, message: string): Promise<BatchReply> => {
        spool = (await this.spool(req.body)).path;
        const inboundId = await this.keepWholeFile(spool, base, new UnreadableError(errorCode, message), null, httpStatus);
        return { status: httpStatus, body: { code: errorCode, message, errors: [], inboundId } };
      };
      if (!adapter.batch) return await keepRefused(404, 'BATCH_NOT_SUPPORTED', `部门 ${code} 不以批量文件报送 ${code} sends single events to /events, not batches`);
      if (!adapter.batch.mediaTypes.includes(mediaType)) {
        return await keepRefused(415, ErrorCodes.MEDIA_TYPE_UNSUPPORTED, `不支持的内容类型 Content-Type ${quoteSentValue(mediaType)}; send ${adapter.batch.mediaTypes.join(' or ')}`);
      }

      const spooled = await this.spool(req.body);
      spool = spooled.path;
      const batchId = req.headers['x-batch-id']?.trim().slice(0, 100) || null;
      const batchKey = batchId ? `id:${batchId}` : `sha256:${spooled.sha256}`;

      // A file sent again without X-Batch-Id is the same batch as its first run, named or not.
      let previous = (await this.batches.find(code, batchKey)) ?? (batchId ? null : await this.batches.findCompletedByContent(code, spooled.sha256));
      if (previous && !previous.completedAt && Date.now() - previous.receivedAt.getTime() > CUT_OFF_BATCH_MS) {
        // Its rows that were stored stay (this run finds them as duplicates); the batch starts again.
        await this.batches.abandon(previous.id);
        previous = null;
      }
      if (previous) return await this.repeated(previous, spooled.sha256, batchId);
      const started = await this.batches.start(code, batchKey, spooled.sha256, req.headers);
      if (!started) return inProgress();
      batchRowId = started.id;

      let results: RowResults;
      const pacer = new HeapPacer(this.heapAllowanceBytes);
      // From here until the answer, the department waits: deliveries of this process wait too.
      endForeground = this.foreground.begin();
      // The file as received is kept once, beside the rows (which then need no copy of it each);
      // nothing is answered before it is stored.
      const fileKept = this.batches.keepSealedParts(batchRowId, sealedParts(spool)).then(
        () => ({ ok: true as const }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      try {
        results = await this.processRows(adapter, { ...base, batchId: batchKey, bodyInFile: true }, spool, mediaType, charset, req.headers, pacer);
        const file = await fileKept;
        if (!file.ok) throw file.error;
      } catch (e) {
        // Whatever went wrong, the file's parts are all written or given up before the batch is.
        await fileKept;
        if (e instanceof TooManyBadRows) {
          // Refused whole: the batch is forgotten (its rows taken so far count as duplicates when the
          // fixed file comes), and the answer names the first bad rows only.
          await this.batches.abandon(batchRowId);
          batchRowId = undefined;
          const shown = e.badRows.slice(0, 20);
          const message =
            `批量文件错误行超过 ${MAX_BAD_ROWS} 行，整个文件被拒收，请修正后重新发送 more than ${MAX_BAD_ROWS} rows of the file are bad ` +
            `(rows ${shown.join(', ')}${e.badRows.length > shown.length ? ', …' : ''}; stopped at row ${e.atRow}); the file is refused as a whole, fix it and send it again ` +
            `(valid rows before row ${e.atRow} were kept: sent again they answer as duplicates)`;
          return {
            status: 422,
            body: { code: ErrorCodes.BATCH_TOO_MANY_BAD_ROWS, message, errors: shown.map((row) => ({ field: `row ${row}`, code: 'ROW_REJECTED', message: `row ${row} is bad` })), badRows: e.badRows.length, stoppedAtRow: e.atRow },
          };
        }
        if (!(e instanceof UnreadableError)) throw e;
        // The file as a whole cannot be read: keep it for operators, forget the batch key.
        await this.batches.abandon(batchRowId);
        batchRowId = undefined;
        const kept = await this.keepWholeFile(spool, base, e, batchKey);
        return { status: 400, body: { code: e.code, message: maskIssueText(e.message), errors: maskFieldIssues(e.issues ?? []), inboundId: kept } };
      }
      const counts = results.counts();
      // A large file's answer is megabytes: what the rows left behind goes first, then the rows'
      // texts once they are joined, then the statement's copies once it is stored (see HeapPacer).
      // A small file's answer is not worth a collection (~0.1 s each).
      const tidy = () => {
        if (counts.rows >= COLLECT_AROUND_ANSWER_ROWS) pacer.collect();
      };
      tidy();
      // Serialised once (the rows' texts joined, then let go): stored for repeats, and sent.
      const head = JSON.stringify({ batchId, batchKey, ...counts, results: [] });
      const json = joinedJson(head.slice(0, -2), results.texts.filter((t) => t !== undefined), ']}');
      results.texts.length = 0;
      tidy();
      await this.batches.complete(batchRowId, counts, json);
      tidy();
      return { status: 200, body: { batchId, batchKey, ...counts, repeated: false }, jsonParts: withRepeated(json, false) };
    } catch (e) {
      if (batchRowId) await this.batches.abandon(batchRowId).catch(() => undefined);
      if (e instanceof GatewayError) return { status: e.httpStatus, body: { code: e.code, message: maskIssueText(e.message), errors: e.errors && maskFieldIssues(e.errors) } };
      if (e instanceof SpoolTooLarge) return { status: 413, body: { code: ErrorCodes.PAYLOAD_TOO_LARGE, message: `批量文件超过 ${this.maxBatchBytes} 字节 batch file is larger than ${this.maxBatchBytes} bytes`, errors: [] } };
      throw new StorageUnavailableError(e);
    } finally {
      endForeground?.();
      if (spool) rmSync(spool, { force: true });
    }
  }

  private async repeated(previous: InboundBatchEntity, sha256: string, batchId: string | null): Promise<BatchReply> {
    if (batchId && previous.bodySha256 !== sha256) {
      return { status: 409, body: { code: 'BATCH_ID_REUSED', message: `批次号 ${quoteSentValue(batchId)} 已用于内容不同的文件 X-Batch-Id was already used for a different file`, errors: [{ field: 'X-Batch-Id', code: 'BATCH_ID_REUSED', message: 'use a new batch id for a new file' }] } };
    }
    const answer = previous.completedAt ? await this.batches.answerOf(previous) : null;
    if (!answer) return inProgress();
    // The same batch again changes nothing: the first run's answer is repeated.
    return { status: 200, body: { repeated: true }, jsonParts: withRepeated(answer, true) };
  }

  private spool(body: Readable) {
    return spoolSealed(body, this.spoolDir, this.maxBatchBytes, this.cipher);
  }

  private async processRows(adapter: DepartmentAdapter, base: InboundRecord, spool: string, mediaType: string, charset: string | undefined, headers: Record<string, string>, pacer: HeapPacer): Promise<RowResults> {
    const results = new RowResults();
    const writer = this.ingest.batchStore({ maxRows: this.groupRows });
    const run = new RowsRun(this.ingest, adapter, writer, results, pacer);

    const rows = adapter.batch!.readRows(readSpooled(spool, this.cipher), { department: adapter.department.code, mediaType, charset, headers, receivedAt: base.receivedAt });
    for await (const row of rows) {
      if (run.failure) break;
      run.start(row.row, rowRecord(base, row.row, row.raw ?? null), row.result);
      if (run.badRows.length > MAX_BAD_ROWS) {
        await run.settled();
        throw new TooManyBadRows(run.badRows, row.row);
      }
      if (run.active >= this.rowsUnderWay) {
        await run.slot();
        writer.hold();
      }
    }
    await run.settled();
    await run.retryDeferred();
    return results;
  }

  private async keepWholeFile(spool: string, base: InboundRecord, e: UnreadableError, batchKey: string | null, httpStatus = 400): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of readSpooled(spool, this.cipher, MAX_KEPT_FILE_BYTES)) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    const body = Buffer.concat(chunks, size);
    return this.ingest.keepUnreadable({ ...base, channel: 'batch' as InboundRecord['channel'], body, batchId: batchKey }, e.code, e.message, e.issues, httpStatus);
  }
}

/** Kept here too for callers that found it here (the spool's clean-up lives in #gw/common with the retention job's). */
export { removeCutOffSpools };

/**
 * `prefix` + rows joined by commas + `suffix` (changes `rows`), as one flat string made by one join: concatenating
 * around an already joined 11 MB string would copy it again the first time it is read.
 */
function joinedJson(prefix: string, rows: string[], suffix: string): string {
  if (!rows.length) return prefix + suffix;
  rows[0] = prefix + rows[0];
  rows[rows.length - 1] += suffix;
  return rows.join(',');
}

/**
 * A row's inbound record: the batch's, with the row's number and its one-row file. Written out
 * field by field: a spread of the batch's record cost more than the row's judging (50,000 a file).
 */
function rowRecord(base: InboundRecord, rowNo: number, body: Buffer | null): InboundRecord {
  return {
    department: base.department,
    channel: base.channel,
    receivedAt: base.receivedAt,
    mediaType: 'text/csv; charset=utf-8',
    headers: base.headers,
    body,
    bodyInFile: base.bodyInFile,
    bodySha256: base.bodySha256,
    sourceEventId: null,
    correlationId: base.correlationId,
    batchId: base.batchId,
    rowNo,
    replayOf: base.replayOf,
  };
}

function stageTimeOf(verdict: ValidEvent): number {
  const t = Date.parse(verdict.event.stageTime);
  return Number.isFinite(t) ? t : Number.MAX_SAFE_INTEGER;
}

/**
 * A valid row on its way into the store, told its result by the batch writer (`Deferred`): one
 * object per row under way instead of a chain of promises and async contexts.
 */
class AcceptingRow {
  constructor(
    private readonly run: RowsRun,
    readonly row: number,
    readonly record: InboundRecord,
    readonly verdict: ValidEvent,
    /** The inbound record of the row's first, refused try (when this is a retry). */
    readonly firstTry: string | null,
  ) {}

  resolve(result: AcceptResult): void {
    this.run.accepted(this, result);
  }

  reject(error: unknown): void {
    this.run.failed(error);
  }
}

/**
 * The rows of one file under way: each judged as it is read (`IngestService.judge`); a valid row
 * goes to the batch writer as a plain job, anything else the promise way (`IngestService.settle`:
 * rare, and it may need a lookup or an audit entry). Counts the rows under way for the reader.
 */
class RowsRun {
  active = 0;
  failure: unknown;
  /** Rows judged unreadable or invalid (`MAX_BAD_ROWS`). */
  readonly badRows: number[] = [];
  /** Refused for a stage its case does not have yet: tried again once the file is in. */
  private deferred: AcceptingRow[] = [];
  /** Whether the retry round under way took any row. */
  private progress = false;
  private finished = 0;
  /** The reader (or the wait for the end) waiting for a free slot: one waiter at a time. */
  private slotFree: (() => void) | undefined;

  constructor(
    private readonly ingest: IngestService,
    private readonly adapter: DepartmentAdapter,
    private readonly writer: IngestBatchWriter,
    private readonly results: RowResults,
    private readonly pacer: HeapPacer,
  ) {}

  start(row: number, record: InboundRecord, parsed: ParseResult): void {
    this.active++;
    const verdict = this.ingest.judge(this.adapter, record, parsed);
    if (verdict.kind === 'valid') {
      this.writer.submitAccept(record, verdict.event, verdict.warnings, verdict.applicantKey, new AcceptingRow(this, row, record, verdict, null));
      return;
    }
    if (verdict.kind !== 'restricted') this.badRows.push(row);
    this.ingest
      .settle(this.adapter, record, verdict, this.writer)
      .then((outcome) => this.results.set(row, record.sourceEventId ?? null, outcome))
      .then(
        () => this.release(),
        (e) => this.failed(e),
      );
  }

  /**
   * Rows that came before their case's earlier stages in the file, tried again in stage-time order
   * (at most three rounds, while a round takes any). A round's rows go through together, in that
   * order: the store plans them in submission order, so each sees the ones before it exactly as if
   * they had been sent one by one.
   */
  async retryDeferred(): Promise<void> {
    for (let round = 0; round < 3 && this.deferred.length; round++) {
      const pending = this.deferred;
      this.deferred = [];
      pending.sort((a, b) => stageTimeOf(a.verdict) - stageTimeOf(b.verdict) || a.row - b.row);
      this.progress = false;
      for (const d of pending) this.retry(d);
      await this.settled();
      if (!this.progress) break;
    }
  }

  private retry(first: AcceptingRow): void {
    this.active++;
    const record = { ...first.record, replayOf: first.firstTry };
    this.writer.submitAccept(record, first.verdict.event, first.verdict.warnings, first.verdict.applicantKey, new AcceptingRow(this, first.row, record, first.verdict, first.firstTry));
  }

  accepted(r: AcceptingRow, result: AcceptResult): void {
    try {
      const outcome = this.ingest.accepted(this.adapter, result);
      this.results.set(r.row, r.record.sourceEventId ?? null, outcome);
      if (outcome.code === ErrorCodes.STAGE_TRANSITION_INVALID) {
        if (r.firstTry === null) {
          // A first try: deferred only for a stage that an earlier-in-time row may still bring.
          if (outcome.errors?.some((e) => DEFERRABLE.has(e.code))) this.deferred.push(new AcceptingRow(this, r.row, r.record, r.verdict, outcome.inboundId ?? null));
        } else this.deferred.push(r);
      } else if (r.firstTry !== null && outcome.httpStatus < 300) this.progress = true;
    } catch (e) {
      // Called from the writer: whatever went wrong here fails the file, never the writer.
      this.failure ??= e;
    }
    this.release();
  }

  failed(error: unknown): void {
    this.failure ??= error;
    this.release();
  }

  /** Waits until a row finishes. The writer must not keep back what it holds to fill a group. */
  slot(): Promise<void> {
    this.writer.flush();
    return new Promise<void>((resolve) => (this.slotFree = resolve));
  }

  /** Waits until no row is under way; throws what failed, if anything did. */
  async settled(): Promise<void> {
    while (this.active > 0) await this.slot();
    if (this.failure) throw this.failure;
  }

  private release(): void {
    this.active--;
    // Looked at as rows finish (not as they are read): the last groups and the retried rows
    // allocate as much as the rest.
    if (++this.finished % PACE_EVERY_ROWS === 0) this.pacer.check();
    const wake = this.slotFree;
    this.slotFree = undefined;
    wake?.();
  }
}

/** Each row's result as its JSON text, indexed by row number, and what each counts as. */
class RowResults {
  readonly texts: string[] = [];
  private readonly kinds: number[] = [];

  set(row: number, sourceEventId: string | null, outcome: EventOutcome): void {
    const r = toRowResult(row, sourceEventId, outcome);
    this.texts[row - 1] = JSON.stringify(r);
    this.kinds[row - 1] = r.outcome === 'ACCEPTED' ? ACCEPTED : r.outcome === 'DUPLICATE' ? DUPLICATE : REJECTED;
  }

  counts(): { rows: number; accepted: number; duplicate: number; rejected: number } {
    const c = { rows: 0, accepted: 0, duplicate: 0, rejected: 0 };
    for (const k of this.kinds) {
      if (k === undefined) continue;
      c.rows++;
      if (k === ACCEPTED) c.accepted++;
      else if (k === DUPLICATE) c.duplicate++;
      else c.rejected++;
    }
    return c;
  }
}

function toRowResult(row: number, sourceEventId: string | null, o: EventOutcome): BatchRowResult {
  const outcome = o.code === 'ACCEPTED' ? 'ACCEPTED' : o.code === 'DUPLICATE' ? 'DUPLICATE' : o.httpStatus === 403 ? 'REFUSED' : 'REJECTED';
  return {
    row,
    // The department's own row id, quoted back: masked if it looks like an ID or mobile number.
    sourceEventId: sourceEventId === null ? null : maskFreeText(sourceEventId),
    outcome,
    httpStatus: o.httpStatus,
    code: o.code,
    eventId: o.eventId,
    caseId: o.caseId,
    // Masked again here, the last line before the answer is stored and sent (rejected rows only).
    errors: o.errors?.length ? maskFieldIssues(o.errors) : undefined,
  };
}
