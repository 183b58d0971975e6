import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { parse, type CsvError, type Parser } from 'csv-parse';
import * as iconv from 'iconv-lite';
import { PINGJIANG_COUNTY, PINGJIANG_TOWNSHIPS, quoteSentValue } from '#gw/case';
import type { CanonicalEvent, CaseResultDto, FieldIssue, Stage } from '#gw/case';
import type { DepartmentEntry } from '#gw/catalogue';
import {
  UnreadableError,
  type BatchReader,
  type BatchRow,
  type DepartmentAdapter,
  type DepartmentAdapterFactory,
  type ParseResult,
  type RawInbound,
} from '../../department-adapter';
import { fromSpreadsheetTime, issue, parserReason, text } from '../../mapping-helpers';

/**
 * YBJ 医保局 (departments.md): no single events — one CSV file a night, exported from a
 * spreadsheet, UTF-8 with a byte-order mark (or GBK with `X-Charset: GBK`), up to 50,000 rows,
 * sorted by 流水号 rather than by time. The file is read as a stream, row by row: memory does not
 * grow with the file. A row that cannot be read is answered for that row alone.
 */
export const YBJ_HEADER = [
  '流水号',
  '业务编号',
  '申办号',
  '事项编码',
  '事项名称',
  '环节',
  '环节时间',
  '申请人姓名',
  '证件号码',
  '联系电话',
  '经办人',
  '办理意见',
  '办理结果',
  '办理地点',
] as const;
type Column = (typeof YBJ_HEADER)[number];

/** `环节` → canonical stages. */
export const YBJ_STAGES: Readonly<Record<string, Stage>> = {
  申报: 'SUBMITTED',
  受理: 'ACCEPTED',
  不予受理: 'NOT_ACCEPTED',
  审核: 'REVIEWED',
  办结: 'COMPLETED',
};

/** `办理结果` at 办结 → result type: 准予/通过 → 0, 不予/不通过 → 1 (reason from 办理意见). */
export const YBJ_RESULTS: Readonly<Record<string, 0 | 1>> = { 准予: 0, 通过: 0, 不予: 1, 不通过: 1 };

export const YBJ_BATCH_MEDIA_TYPES = ['text/csv', 'application/vnd.ms-excel', 'application/octet-stream'] as const;

/** Canonical field paths → YBJ's own column names. */
const SOURCE_FIELDS: Record<string, Column> = {
  sourceEventId: '流水号',
  sourceCaseNo: '业务编号',
  platformProjectNo: '申办号',
  matterCode: '事项编码',
  matterName: '事项名称',
  stage: '环节',
  stageName: '环节',
  stageTime: '环节时间',
  sourceSeq: '流水号',
  applicants: '申请人姓名',
  'applicants[0]': '申请人姓名',
  'applicants[0].kind': '证件号码',
  'applicants[0].name': '申请人姓名',
  'applicants[0].certType': '证件号码',
  'applicants[0].certNo': '证件号码',
  'applicants[0].phone': '联系电话',
  handler: '经办人',
  'handler.name': '经办人',
  opinion: '办理意见',
  result: '办理结果',
  'result.type': '办理结果',
  'result.explain': '办理意见',
  location: '办理地点',
};

const GBK_FAMILY = new Set(['gbk', 'gb2312', 'gb18030', 'cp936', 'x-gbk']);

function lookup<T>(table: Readonly<Record<string, T>>, key: string | undefined): T | undefined {
  return key !== undefined && Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

/** A header value regardless of the case its name arrived in. */
function header(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** Whether the file is GBK: `X-Charset: GBK`, or a GBK charset on Content-Type. */
export function isGbkBatch(raw: Pick<RawInbound, 'headers' | 'charset'>): boolean {
  const declared = (header(raw.headers, 'x-charset') ?? raw.charset ?? '').trim().toLowerCase();
  return GBK_FAMILY.has(declared);
}

/** A spreadsheet cell: trimmed; Excel's leading apostrophe (text marker) before digits removed. */
function cell(value: string | undefined): string | undefined {
  const t = text(value);
  return t !== undefined && /^'\d/.test(t) ? t.slice(1) : t;
}

const TOWNSHIP_CODES: Readonly<Record<string, string>> = Object.fromEntries([
  ['平江县', PINGJIANG_COUNTY],
  ...Object.entries(PINGJIANG_TOWNSHIPS).map(([code, name]) => [name, code]),
]);

/** 办理地点: a division code as it stands, or the name of Pingjiang or one of its townships. */
function divisionOf(value: string | undefined): string | undefined {
  if (value === undefined || /^\d+$/.test(value)) return value;
  return lookup(TOWNSHIP_CODES, value) ?? value;
}

/**
 * The trailing digits of 流水号 (the department's own sequence), breaking ties within one minute.
 * At most nine: the stored sequence is a 32-bit integer (MariaDB `int`), and a whole 流水号 such as
 * YB20261023000101 (14 digits) overflowed it there and failed the entire batch with 503. The last
 * nine digits keep the order of a day's serials (yyyyMMdd + counter), which is all a tie needs.
 */
function sequenceOf(serial: string | undefined): number | undefined {
  const m = /(\d{1,9})$/.exec(serial ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Maps one data row (already split into the 14 named columns) to a canonical candidate. */
export function mapYbjRow(
  department: DepartmentEntry,
  row: number,
  get: (c: Column) => string | undefined,
): ParseResult {
  const issues: FieldIssue[] = [];
  const hj = get('环节');
  const stage = lookup(YBJ_STAGES, hj);
  if (hj !== undefined && !stage)
    issues.push(issue('stage', 'STATUS_UNKNOWN', `环节 ${quoteSentValue(hj)} is not one of ${Object.keys(YBJ_STAGES).join(' ')}`));
  const when = get('环节时间');
  const stageTime = fromSpreadsheetTime(when);
  if (when !== undefined && !stageTime)
    issues.push(
      issue('stageTime', 'DATE_INVALID', '环节时间 must be a real time as yyyy/M/d H:mm, e.g. 2026/10/23 9:05'),
    );

  const opinion = get('办理意见');
  let result: CaseResultDto | undefined;
  if (stage === 'COMPLETED') {
    const outcome = get('办理结果');
    const type = lookup(YBJ_RESULTS, outcome);
    if (outcome !== undefined && type === undefined) {
      issues.push(
        issue(
          'result.type',
          'VALUE_NOT_ALLOWED',
          `办理结果 ${quoteSentValue(outcome)} is not one of ${Object.keys(YBJ_RESULTS).join(' ')}`,
        ),
      );
    }
    if (type === 0) result = { type: 0 };
    if (type === 1) result = { type: 1, explain: opinion };
  }

  const serial = get('流水号');
  const platformProjectNo = get('申办号');
  const name = get('申请人姓名');
  const certNo = get('证件号码');
  const phone = get('联系电话');
  const handler = get('经办人');
  const event: Partial<CanonicalEvent> = {
    department: department.code,
    sourceEventId: serial!,
    sourceCaseNo: get('业务编号')!,
    platformProjectNo,
    matterCode: get('事项编码')!,
    matterName: get('事项名称')!,
    stage,
    stageName: hj,
    stageTime: stageTime ?? when!,
    sourceSeq: sequenceOf(serial),
    handler: handler !== undefined ? { name: handler } : undefined,
    opinion,
    applicants:
      name !== undefined || certNo !== undefined || phone !== undefined
        ? [{ kind: 'PERSON', name: name!, certType: '111', certNo: certNo!, phone }]
        : (undefined as any),
    location: divisionOf(get('办理地点')),
    applyChannel: platformProjectNo ? 'ONLINE' : 'WINDOW',
    result,
  };
  return { ok: true, event: { sourceEventId: serial ?? '', event, issues, row } };
}

/** How much of the body is parsed at once (bytes, or characters after GBK decoding). */
const SLICE = 64 * 1024;

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** A row csv-parse read (with `raw: true`). */
interface ParsedRecord {
  record: string[];
  raw: string;
}

/** A row csv-parse could not split into the header's columns, passed on in file order. */
interface SkippedRecord {
  skipped: Error & { code?: string };
  /** The row's own text. */
  text: string;
}

class YbjBatchReader implements BatchReader {
  readonly mediaTypes = YBJ_BATCH_MEDIA_TYPES;

  constructor(private readonly department: DepartmentEntry) {}

  async *readRows(body: Readable, raw: Omit<RawInbound, 'body'>): AsyncIterable<BatchRow> {
    const input = body[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
    // Records and skipped rows land here synchronously, in file order, while a slice is parsed;
    // they are yielded before the next chunk is pulled from the body (backpressure: memory holds
    // one slice's rows, whatever the size of the file).
    const pending: (ParsedRecord | SkippedRecord)[] = [];
    let parseError: Error | undefined;
    const parser: Parser = parse({
      bom: true,
      raw: true, // each row's own text, kept with the row for operators and replays
      relax_column_count: false,
      // Spreadsheet exports quote properly; a stray quote inside a field is taken literally, so a
      // bad row costs one row (and exactly one `skip`), never its neighbours.
      relax_quotes: true,
      skip_empty_lines: true,
      // A row of separators only (`,,,,`) holds nothing, like an empty line: skipped by the parser
      // itself, without a record or an answer line each (60,000 of them made a 39 MB answer).
      skip_records_with_empty_values: true,
      skip_records_with_error: true,
      on_skip: (err: CsvError | undefined, text: string | undefined) => {
        pending.push({ skipped: err ?? new Error('unreadable row'), text: text ?? '' });
        return undefined;
      },
      on_record: (record: unknown) => {
        pending.push(record as ParsedRecord);
        return null; // kept out of the parser's own readable buffer
      },
    });
    parser.on('error', (e) => (parseError ??= e));

    let gbk = false;
    let decoder: ReturnType<typeof iconv.getDecoder> | undefined;
    let columns: Map<Column, number> | undefined;
    let headerLine = '';
    let row = 0;
    /** The row as a self-contained one-row file: BOM, header, this row (UTF-8 whatever the file was). */
    const oneRowFile = (line: string) => Buffer.from(`\uFEFF${headerLine}\r\n${line}\r\n`, 'utf8');

    const drain = function* (this: YbjBatchReader): Generator<BatchRow> {
      for (let i = 0; i < pending.length; i++) {
        const item = pending[i];
        if (!columns) {
          if ('skipped' in item)
            throw new UnreadableError('BATCH_HEADER', `the header row cannot be read: ${parserReason(item.skipped.message)}`);
          columns = readHeader(item.record, gbk);
          headerLine = item.record.map(csvField).join(',');
          continue;
        }
        row++;
        if ('skipped' in item) {
          const e = item.skipped;
          const message =
            e.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH'
              ? `row ${row} does not have the ${YBJ_HEADER.length} columns of the header (${parserReason(e.message)})`
              : `row ${row} cannot be read: ${parserReason(e.message)}`;
          yield {
            row,
            result: { ok: false, code: 'ROW_UNREADABLE', message },
            raw: oneRowFile(item.text.replace(/^[\r\n]+|[\r\n]+$/g, '')),
          };
          continue;
        }
        const record = item.record;
        const rawRow = oneRowFile(record.map(csvField).join(','));
        if (record.some((v) => /[\r\n]/.test(v) && v.includes(','))) {
          // A quote left open swallows the following rows into one field until the next quote;
          // such a field spans lines and holds separators. Refused, so that no row vanishes silently
          // (a genuine multi-line cell holding ASCII commas is refused too: rare, and answered).
          const message = `row ${row} has a field running over several lines with commas in it: a quote left open?`;
          yield { row, result: { ok: false, code: 'ROW_UNREADABLE', message }, raw: rawRow };
        } else if (record.some((v) => v.includes('\uFFFD'))) {
          const message = `row ${row} holds bytes that are not valid ${gbk ? 'GBK' : 'UTF-8'}`;
          yield { row, result: { ok: false, code: 'ROW_ENCODING', message }, raw: rawRow };
        } else {
          const at = columns;
          yield { row, result: mapYbjRow(this.department, row, (c) => cell(record[at.get(c)!])), raw: rawRow };
        }
      }
      pending.length = 0;
    }.bind(this);

    const feed = function* (chunk: Buffer | string): Generator<BatchRow> {
      const data = decoder ? decoder.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)) : chunk;
      // A body handed over in one piece is parsed in slices, so rows still leave one slice at a time.
      for (let at = 0; at < data.length; at += SLICE) {
        parser.write(data.slice(at, at + SLICE));
        const err = parseError ?? (parser.errored as Error | null);
        if (err) throw err;
        yield* drain();
      }
    };

    try {
      // The encoding: a UTF-8 byte-order mark decides (it cannot start a GBK file, and it marks the
      // one-row files of replays); otherwise X-Charset: GBK (or a GBK charset), else UTF-8.
      let head = Buffer.alloc(0);
      let ended = false;
      while (head.length < UTF8_BOM.length && !ended) {
        const next = await input.next();
        if (next.done) ended = true;
        else head = Buffer.concat([head, Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value)]);
      }
      gbk = !head.subarray(0, UTF8_BOM.length).equals(UTF8_BOM) && isGbkBatch(raw);
      // The decoder of iconv.decodeStream('gb18030'), driven chunk by chunk.
      decoder = gbk ? iconv.getDecoder('gb18030') : undefined;
      if (head.length) yield* feed(head);
      while (!ended) {
        const next = await input.next();
        if (next.done) break;
        yield* feed(next.value);
      }
      const rest = decoder?.end();
      if (rest) yield* feed(rest);
      parser.end();
      await finished(parser, { readable: false });
      yield* drain();
    } catch (e) {
      if (e instanceof UnreadableError) throw e;
      throw new UnreadableError('BATCH_UNREADABLE', `the batch file cannot be read: ${parserReason((e as Error).message)}`);
    } finally {
      if (!parser.destroyed) parser.destroy();
      await input.return?.();
    }
    if (!columns) throw new UnreadableError('BATCH_HEADER', 'the file is empty: the header row is missing');
  }
}

/** A field as CSV writes it: quoted when it holds a separator, a quote, a line break or edge spaces. */
function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Checks the header row: exactly the 14 columns of departments.md, in any order, each once. */
function readHeader(record: string[], gbk: boolean): Map<Column, number> {
  const names = record.map((h) => h.trim());
  if (names.some((h) => h.includes('\uFFFD'))) {
    throw new UnreadableError(
      'PAYLOAD_ENCODING',
      gbk
        ? 'the header row is not valid GBK'
        : 'the header row is not valid UTF-8 (a GBK file needs the header X-Charset: GBK)',
    );
  }
  const issues: FieldIssue[] = [];
  const columns = new Map<Column, number>();
  names.forEach((name, i) => {
    if (!(YBJ_HEADER as readonly string[]).includes(name))
      issues.push(issue(`header[${i}]`, 'COLUMN_UNKNOWN', `unknown column ${quoteSentValue(name)}`));
    else if (columns.has(name as Column))
      issues.push(issue(`header[${i}]`, 'COLUMN_REPEATED', `column 「${name}」 appears twice`));
    else columns.set(name as Column, i);
  });
  for (const name of YBJ_HEADER)
    if (!columns.has(name)) issues.push(issue('header', 'COLUMN_MISSING', `column 「${name}」 is missing`));
  if (issues.length) {
    throw new UnreadableError(
      'BATCH_HEADER',
      `the header row must be ${YBJ_HEADER.join(',')}: ${issues.map((i) => i.message).join('; ')}`,
      issues,
    );
  }
  return columns;
}

export class YbjAdapter implements DepartmentAdapter {
  readonly eventMediaTypes: readonly string[] = [];
  readonly batch: BatchReader;
  /** YBJ cannot receive pushes: it fetches online applications from its gateway inbox. */
  readonly deliveryMode = 'inbox' as const;

  constructor(readonly department: DepartmentEntry) {
    this.batch = new YbjBatchReader(department);
  }

  parseEvent(_raw: RawInbound): ParseResult {
    return {
      ok: false,
      code: 'BATCH_ONLY',
      message: 'YBJ sends its stage events as a nightly CSV file to /batches, not one by one',
    };
  }

  sourceField(canonicalPath: string): string {
    return lookup(SOURCE_FIELDS, canonicalPath) ?? canonicalPath;
  }
}

export const createAdapter: DepartmentAdapterFactory = (department) => new YbjAdapter(department);
