import { InboundBatchEntity, InboundBatchFileEntity, InboundMessageEntity } from '#gw/persistence';
import { TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';
import { YBJ_HEADER } from '../departments/department-support';

/**
 * A small file of empty or garbage rows must not cost the gateway per-row records and answer lines
 * without bound: 60,000 rows of commas (840 KB) took 22 s, a 39 MB answer and 94 MB of database,
 * and at the 64 MiB file limit that is an out-of-memory crash. Rows of separators only are skipped
 * like empty lines; more than MAX_BAD_ROWS bad rows refuse the file as a whole (422
 * BATCH_TOO_MANY_BAD_ROWS), its first bad rows named.
 */

const ROWS = 60_000;
const COLUMNS = YBJ_HEADER.split(',').length;

/** Bytes every row of the tables a batch writes holds, summed over every column. */
async function storedBytes(gw: TestGateway): Promise<number> {
  let bytes = 0;
  for (const entity of [InboundMessageEntity, InboundBatchEntity, InboundBatchFileEntity]) {
    for (const row of await gw.db.manager.find(entity as any)) {
      for (const v of Object.values(row as object)) {
        if (Buffer.isBuffer(v)) bytes += v.length;
        else if (typeof v === 'string') bytes += Buffer.byteLength(v);
        else bytes += 8;
      }
    }
  }
  return bytes;
}

async function postFile(gw: TestGateway, file: string, batchId: string) {
  const res = await fetch(`${gw.url}/api/v1/departments/ybj/batches`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/csv', Authorization: `Bearer ${TOKENS.YBJ}`, 'X-Batch-Id': batchId },
    body: file,
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as any };
}

const file = (row: string) => `\uFEFF${YBJ_HEADER}\r\n${`${row}\r\n`.repeat(ROWS)}`;

describe('batch files of empty or garbage rows are bounded', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('60,000 rows of commas: a small answer and no record per row', async () => {
    const body = file(','.repeat(COLUMNS - 1));
    expect(body.length).toBeGreaterThan(800_000);
    const before = await storedBytes(gw);
    const reply = await postFile(gw, body, 'ABUSE-COMMAS');
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ rows: 0, accepted: 0, rejected: 0 });
    expect(reply.text.length).toBeLessThan(2048);
    // The file itself is kept once, sealed, as every batch file is: nothing per row beside it.
    expect(await gw.db.manager.countBy(InboundMessageEntity, { department: 'YBJ' })).toBe(0);
    expect((await storedBytes(gw)) - before).toBeLessThan(2 * body.length);
  });

  it.each([
    ['rows with the wrong number of columns', ',,,'],
    ['rows of the right shape holding nothing valid', Array(COLUMNS).fill('x').join(',')],
  ])('60,000 %s: refused whole with BATCH_TOO_MANY_BAD_ROWS, a small answer, bounded records', async (_label, row) => {
    const body = file(row);
    const before = await storedBytes(gw);
    const kept = await gw.db.manager.countBy(InboundMessageEntity, { department: 'YBJ' });
    const reply = await postFile(gw, body, `ABUSE-${row.length}`);
    expect(reply.status).toBe(422);
    expect(reply.json.code).toBe('BATCH_TOO_MANY_BAD_ROWS');
    expect(reply.json.message).toContain('rows 1, 2, 3');
    expect(reply.text.length).toBeLessThan(8 * 1024);
    // At most the bad rows up to the cut are kept (each its one-row file), and the batch is forgotten.
    const records = (await gw.db.manager.countBy(InboundMessageEntity, { department: 'YBJ' })) - kept;
    expect(records).toBeLessThanOrEqual(1001);
    expect(await gw.db.manager.countBy(InboundBatchEntity, { batchKey: `id:ABUSE-${row.length}` })).toBe(0);
    expect((await storedBytes(gw)) - before).toBeLessThan(2 * 1024 * 1024);
  });
});
