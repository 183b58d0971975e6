import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as iconv from 'iconv-lite';
import { orderStageEntries, validateCanonicalEvent } from '#gw/case';
import type { DepartmentEntry } from '#gw/catalogue';
import { UnreadableError, type BatchRow, type MappedEvent, type RawInbound } from '../../department-adapter';
import { YBJ_HEADER, createAdapter } from './ybj.adapter';

const NOW = new Date('2026-11-01T00:00:00+08:00');
const EXAMPLES = join(__dirname, '..', '..', '..', '..', '..', 'config', 'examples');
const FIXTURES = join(__dirname, 'fixtures');
const YBJ: DepartmentEntry = {
  code: 'YBJ',
  name: '平江县医疗保障局',
  orgCode: '11430626MB45678996',
  adapter: 'ybj',
  enabled: true,
  restricted: false,
};
const adapter = createAdapter(YBJ, undefined as never);
const reader = adapter.batch!;

function meta(headers: Record<string, string> = {}, charset?: string): Omit<RawInbound, 'body'> {
  return {
    department: 'YBJ',
    mediaType: 'text/csv',
    charset,
    headers: { 'x-batch-id': 'YBJ-20261023', ...headers },
    receivedAt: NOW,
  };
}

/** A readable stream of the bytes in small chunks, so that rows and characters straddle chunks. */
function streamOf(bytes: Buffer, chunk = 17): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
    })(),
  );
}

async function readAll(bytes: Buffer, headers: Record<string, string> = {}, charset?: string): Promise<BatchRow[]> {
  const rows: BatchRow[] = [];
  for await (const row of reader.readRows(streamOf(bytes), meta(headers, charset))) rows.push(row);
  return rows;
}

async function readError(bytes: Buffer, headers: Record<string, string> = {}): Promise<UnreadableError> {
  try {
    await readAll(bytes, headers);
  } catch (e) {
    expect(e).toBeInstanceOf(UnreadableError);
    return e as UnreadableError;
  }
  throw new Error('expected an UnreadableError');
}

function ok(row: BatchRow): MappedEvent {
  if (!row.result.ok) throw new Error(`row ${row.row}: ${row.result.code} ${row.result.message}`);
  return row.result.event;
}

const HEADER = YBJ_HEADER.join(',');
const EXAMPLE = () => readFileSync(join(EXAMPLES, 'ybj-batch.csv'));

describe('YBJ adapter (nightly CSV batches)', () => {
  it('takes no single events and names its batch media types', () => {
    expect(adapter.eventMediaTypes).toEqual([]);
    const r = adapter.parseEvent({ ...meta(), body: Buffer.from('{}') });
    expect(r).toMatchObject({ ok: false, code: 'BATCH_ONLY' });
    expect(reader.mediaTypes).toEqual(['text/csv', 'application/vnd.ms-excel', 'application/octet-stream']);
    expect(adapter.deliveryMode).toBe('inbox');
  });

  it('maps the example file (UTF-8 with BOM) row by row to canonical events that validate', async () => {
    const rows = await readAll(EXAMPLE());
    expect(rows.map((r) => r.row)).toEqual([1, 2, 3, 4, 5]);
    const events = rows.map(ok);
    expect(events[0]).toEqual({
      sourceEventId: 'YB20261023000101',
      row: 1,
      issues: [],
      event: {
        department: 'YBJ',
        sourceEventId: 'YB20261023000101',
        sourceCaseNo: 'YB-2026-0456',
        matterCode: '11430626MB456789960000150001000',
        matterName: '异地就医备案',
        stage: 'SUBMITTED',
        stageName: '申报',
        stageTime: '2026-10-23T09:05:00+08:00',
        sourceSeq: 23000101, // the last nine digits of 流水号: the stored sequence is a 32-bit integer
        applicants: [
          { kind: 'PERSON', name: '李四', certType: '111', certNo: '430626198503120040', phone: '13800000000' },
        ],
        location: '430626',
        applyChannel: 'WINDOW',
      },
    });
    expect(events[1].event).toMatchObject({
      stage: 'COMPLETED',
      result: { type: 0 },
      handler: { name: '周十' },
      opinion: '备案成功，就医地为广州市',
    });
    expect(events[3].event).toMatchObject({
      platformProjectNo: 'PJ2026102300000457',
      applyChannel: 'ONLINE',
      location: '430626001',
    });
    expect(events[4].event.opinion).toBe('材料齐全,予以受理');
    for (const e of events) {
      expect(e.issues).toEqual([]);
      expect(validateCanonicalEvent(e.event, NOW).errors).toEqual([]);
    }
  });

  it('keeps file order; the out-of-time-order pair is put right by stage time', async () => {
    const events = (await readAll(EXAMPLE())).map(ok).filter((e) => e.event.sourceCaseNo === 'YB-2026-0456');
    expect(events.map((e) => e.event.stage)).toEqual(['SUBMITTED', 'COMPLETED', 'ACCEPTED']);
    const ordered = orderStageEntries(
      events.map((e) => ({ stage: e.event.stage!, stageTime: e.event.stageTime!, sourceSeq: e.event.sourceSeq })),
    );
    expect(ordered.map((e) => e.stage)).toEqual(['SUBMITTED', 'ACCEPTED', 'COMPLETED']);
  });

  it('reads the same file in GBK when X-Charset: GBK is sent (any header case)', async () => {
    const gbk = readFileSync(join(FIXTURES, 'ybj-batch-gbk.csv'));
    const utf8 = (await readAll(EXAMPLE())).map((r) => ok(r).event);
    expect((await readAll(gbk, { 'x-charset': 'GBK' })).map((r) => ok(r).event)).toEqual(utf8);
    expect((await readAll(gbk, { 'X-Charset': 'gbk' })).map((r) => ok(r).event)).toEqual(utf8);
    expect((await readAll(gbk, {}, 'gbk')).map((r) => ok(r).event)).toEqual(utf8);
  });

  it('lets a UTF-8 byte-order mark decide over an X-Charset: GBK label', async () => {
    const rows = await readAll(EXAMPLE(), { 'x-charset': 'GBK' });
    expect(rows.map((r) => ok(r).event)).toEqual((await readAll(EXAMPLE())).map((r) => ok(r).event));
  });

  it('keeps each row as a one-row UTF-8 file that replays to the same event, with the original headers', async () => {
    const gbk = readFileSync(join(FIXTURES, 'ybj-batch-gbk.csv'));
    const headers = { 'x-charset': 'GBK' };
    const rows = await readAll(gbk, headers);
    for (const r of rows) {
      const text = r.raw!.toString('utf8');
      expect(text.startsWith(`\uFEFF${HEADER}\r\n`)).toBe(true);
      expect(text.split('\r\n')).toHaveLength(3);
      const again = await readAll(r.raw!, headers, 'utf-8');
      expect(again).toHaveLength(1);
      expect(ok(again[0]).event).toEqual(ok(r).event);
    }
    expect(rows[4].raw!.toString('utf8')).toContain(',"材料齐全,予以受理",');
    const bad = await readAll(readFileSync(join(FIXTURES, 'ybj-bad-rows.csv')));
    expect(bad[1].raw!.toString('utf8').split('\r\n')[1]).toBe(
      'YB20261024000202,YB-2026-0460,,11430626MB456789960000150003000,门诊慢特病待遇认定,受理,2026/10/24 8:45,赵六,430626197511200011,13800000000,周十,材料齐全',
    );
  });

  it('answers each bad row alone, in file order, and reads on', async () => {
    const rows = await readAll(readFileSync(join(FIXTURES, 'ybj-bad-rows.csv')));
    expect(rows.map((r) => [r.row, r.result.ok ? 'ok' : r.result.code])).toEqual([
      [1, 'ok'],
      [2, 'ROW_UNREADABLE'],
      [3, 'ok'],
      [4, 'ok'],
      [5, 'ok'],
      [6, 'ok'],
      [7, 'ROW_UNREADABLE'],
    ]);
    expect(ok(rows[0]).event.location).toBe('430626001'); // 汉昌街道 by name
    expect(ok(rows[2]).issues).toEqual([expect.objectContaining({ field: 'stageTime', code: 'DATE_INVALID' })]);
    expect(ok(rows[3]).issues).toEqual([expect.objectContaining({ field: 'stage', code: 'STATUS_UNKNOWN' })]);
    const denied = ok(rows[4]);
    expect(denied.event.result).toEqual({ type: 1, explain: '病种认定依据不足' });
    expect(denied.event.applicants![0].certNo).toBe('430626197511200011'); // Excel's leading apostrophe removed
    expect(validateCanonicalEvent(denied.event, NOW).errors).toEqual([]);
    expect(ok(rows[5]).issues).toEqual([expect.objectContaining({ field: 'result.type', code: 'VALUE_NOT_ALLOWED' })]);
    expect(ok(rows[5]).event.location).toBe('430626200');
    if (rows[1].result.ok) throw new Error('row 2 must be unreadable');
    expect(rows[1].result.message).toMatch(/14 columns/);
  });

  it('answers a row holding bytes that are not UTF-8 as ROW_ENCODING', async () => {
    const lines = EXAMPLE().toString('utf8').split('\r\n');
    const bad = Buffer.concat([
      Buffer.from(lines.slice(0, 2).join('\r\n') + '\r\n'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(lines[2].slice(2) + '\r\n' + lines[3] + '\r\n'),
    ]);
    const rows = await readAll(bad);
    expect(rows.map((r) => (r.result.ok ? 'ok' : r.result.code))).toEqual(['ok', 'ROW_ENCODING', 'ok']);
  });

  it('answers a quote left open (the rest of the file inside one field) as one unreadable row', async () => {
    const lines = EXAMPLE().toString('utf8').split('\r\n');
    lines[2] = lines[2].replace('周十', '"周十');
    const rows = await readAll(Buffer.from(lines.join('\r\n')));
    expect(rows.map((r) => (r.result.ok ? 'ok' : r.result.code))).toEqual(['ok', 'ROW_UNREADABLE']);
  });

  it('keeps a genuine multi-line cell', async () => {
    const lines = EXAMPLE().toString('utf8').split('\r\n');
    lines[3] = lines[3].replace('材料齐全，予以受理', '"材料齐全\r\n予以受理"');
    const rows = await readAll(Buffer.from(lines.join('\r\n')));
    expect(rows.map((r) => (r.result.ok ? 'ok' : r.result.code))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(ok(rows[2]).event.opinion).toBe('材料齐全\r\n予以受理');
  });

  it('accepts the columns in another order', async () => {
    const cols = [...YBJ_HEADER].reverse();
    const lines = EXAMPLE()
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n')
      .slice(1);
    const reversed = [
      cols.join(','),
      ...lines.map((l) =>
        l
          .match(/("[^"]*"|[^,]*)(,|$)/g)!
          .slice(0, 14)
          .map((c) => c.replace(/,$/, ''))
          .reverse()
          .join(','),
      ),
    ].join('\n');
    const rows = await readAll(Buffer.from(reversed));
    expect(rows.map((r) => ok(r).event)).toEqual((await readAll(EXAMPLE())).map((r) => ok(r).event));
  });

  describe('files that cannot be read at all', () => {
    it('refuses an empty file', async () => {
      expect((await readError(Buffer.alloc(0))).code).toBe('BATCH_HEADER');
      expect((await readError(Buffer.from('\uFEFF'))).code).toBe('BATCH_HEADER');
    });

    it('refuses a header with a missing, unknown or repeated column', async () => {
      const missing = await readError(Buffer.from(HEADER.replace(',办理地点', '') + '\n'));
      expect(missing.code).toBe('BATCH_HEADER');
      expect(missing.message).toContain('「办理地点」 is missing');
      const unknown = await readError(Buffer.from(HEADER.replace('经办人', '办理人') + '\n'));
      expect(unknown.issues.map((i) => i.code)).toEqual(['COLUMN_UNKNOWN', 'COLUMN_MISSING']);
      const repeated = await readError(Buffer.from(`${HEADER},流水号\n`));
      expect(repeated.issues.map((i) => i.code)).toEqual(['COLUMN_REPEATED']);
    });

    it('refuses a GBK file sent without X-Charset, and a UTF-8 file without BOM labelled GBK', async () => {
      const gbk = readFileSync(join(FIXTURES, 'ybj-batch-gbk.csv'));
      const e1 = await readError(gbk);
      expect(e1.code).toBe('PAYLOAD_ENCODING');
      expect(e1.message).toContain('X-Charset: GBK');
      expect((await readError(EXAMPLE().subarray(3), { 'x-charset': 'GBK' })).code).toBe('PAYLOAD_ENCODING');
    });

    it('refuses a body stream that fails', async () => {
      const failing = new Readable({
        read() {
          this.push(Buffer.from(`${HEADER}\n`));
          this.destroy(new Error('connection reset'));
        },
      });
      const seen: BatchRow[] = [];
      await expect(
        (async () => {
          for await (const r of reader.readRows(failing, meta())) seen.push(r);
        })(),
      ).rejects.toThrow(UnreadableError);
    });
  });

  it('names YBJ columns in answers', () => {
    expect(adapter.sourceField('applicants[0].certNo')).toBe('证件号码');
    expect(adapter.sourceField('stageTime')).toBe('环节时间');
    expect(adapter.sourceField('result.explain')).toBe('办理意见');
    expect(adapter.sourceField('__proto__')).toBe('__proto__');
  });

  describe('50,000 rows, streamed', () => {
    const ROWS = 50_000;
    const STAGES = ['申报', '受理', '审核', '办结', '不予受理'];
    const line = (i: number) => {
      const serial = `YB2026102${String(i).padStart(7, '0')}`;
      const stage = STAGES[i % STAGES.length];
      const min = i % 60;
      return `${serial},YB-2026-${Math.floor(i / 5)},,11430626MB456789960000150001000,异地就医备案,${stage},2026/10/23 ${8 + (i % 10)}:${String(min).padStart(2, '0')},李四,430626198503120040,13800000000,周十,材料齐全，予以办理,${stage === '办结' ? '准予' : ''},430626101\r\n`;
    };

    /** A lazily generated file: it counts how many rows the reader has pulled from it. */
    function generated(encoding: 'utf-8' | 'gbk') {
      const state = { produced: 0, done: false };
      const enc = (s: string) => (encoding === 'gbk' ? iconv.encode(s, 'gb18030') : Buffer.from(s, 'utf8'));
      const stream = Readable.from(
        (function* () {
          yield encoding === 'gbk'
            ? enc(`${HEADER}\r\n`)
            : Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), enc(`${HEADER}\r\n`)]);
          for (let i = 0; i < ROWS; i += 100) {
            let chunk = '';
            for (let j = i; j < Math.min(ROWS, i + 100); j++) chunk += line(j);
            state.produced = Math.min(ROWS, i + 100);
            yield enc(chunk);
          }
          state.done = true;
        })(),
      );
      return { stream, state };
    }

    it.each(['utf-8', 'gbk'] as const)(
      'reads a %s file with memory that does not grow with it',
      async (encoding) => {
        const { stream, state } = generated(encoding);
        const headers: Record<string, string> = encoding === 'gbk' ? { 'x-charset': 'GBK' } : {};
        global.gc?.();
        const baseline = process.memoryUsage().heapUsed;
        let peak = 0;
        let count = 0;
        let maxAhead = 0;
        let firstYieldedBeforeEnd = false;
        for await (const row of reader.readRows(stream, meta(headers))) {
          count++;
          if (count === 1) firstYieldedBeforeEnd = !state.done && state.produced < ROWS;
          // The reader pulls only a little ahead of what it has yielded (backpressure).
          maxAhead = Math.max(maxAhead, state.produced - row.row);
          if (!row.result.ok || row.result.event.issues.length) throw new Error(`row ${row.row} should map cleanly`);
          if (count % 5000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
        }
        expect(count).toBe(ROWS);
        expect(state.done).toBe(true);
        expect(firstYieldedBeforeEnd).toBe(true);
        expect(maxAhead).toBeLessThan(2_000);
        // The file is ~11 MB of text and 50,000 mapped events would hold far more: a streaming
        // reader stays well below that whatever the garbage collector does meanwhile.
        expect(peak).toBeLessThan(64 * 1024 * 1024);
      },
      60_000,
    );

    it('reads a body handed over as one buffer in slices', async () => {
      const chunks: Buffer[] = [];
      for await (const c of generated('utf-8').stream) chunks.push(c as Buffer);
      const whole = Buffer.concat(chunks);
      let count = 0;
      for await (const row of reader.readRows(Readable.from([whole]), meta())) {
        if (row.row !== ++count || !row.result.ok) throw new Error(`row ${row.row}`);
      }
      expect(count).toBe(ROWS);
    }, 60_000);
  });
});
