import { createHash } from 'node:crypto';
import { AuditLogEntity, InboundMessageEntity } from '#gw/persistence';
import { CALLBACK_APP_ID, TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';
import { scjgEvent } from '../support/scjg-events';

/**
 * Nothing from a request without a valid token is stored beyond a small, capped record: posts of
 * ~1 MiB to an unknown department or with a bad token, and refused platform callbacks with a huge
 * X-App-Id. Department ingress is rate-limited per department and per address, and refusals per
 * address much lower: 429 with Retry-After and a stable code, and nothing stored.
 */

/** Bytes the rows of the two tables a refusal may write hold, summed over every column. */
async function storedBytes(gw: TestGateway): Promise<number> {
  let bytes = 0;
  const add = (row: object) => {
    for (const v of Object.values(row)) {
      if (Buffer.isBuffer(v)) bytes += v.length;
      else if (typeof v === 'string') bytes += Buffer.byteLength(v);
      else bytes += 8;
    }
  };
  for (const row of await gw.db.manager.find(InboundMessageEntity)) add(row);
  for (const row of await gw.db.manager.find(AuditLogEntity)) add(row);
  return bytes;
}

/** A body just under the 1 MiB event limit. */
const bigBody = () => JSON.stringify({ ...scjgEvent(), padding: 'x'.repeat(1024 * 1024 - 4096) });

const post = (gw: TestGateway, dept: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${gw.url}/api/v1/departments/${dept}/events`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });

describe('unauthenticated requests leave only a bounded record', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('20 posts of ~1 MiB each to an unknown department, and 20 with bad tokens, store under 1 KB each', async () => {
    const before = await storedBytes(gw);
    const body = bigBody();
    const sha = createHash('sha256').update(body).digest('hex');
    // A large header too: none of it may be kept.
    const junk = { 'X-Junk': 'j'.repeat(8 * 1024), 'User-Agent': `agent-${'u'.repeat(4000)}` };
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await post(gw, `nosuch${i}-${'d'.repeat(40)}`, body, { ...junk, 'X-Correlation-Id': `unk-${i}` })).status);
    for (let i = 0; i < 8; i++) statuses.push((await post(gw, 'scjg', body, { ...junk, Authorization: 'Bearer not-a-valid-token', 'X-Correlation-Id': `bad-${i}` })).status);
    for (let i = 0; i < 6; i++) statuses.push((await post(gw, 'scjg', body, { ...junk, 'X-Correlation-Id': `none-${i}` })).status);
    for (let i = 0; i < 6; i++) statuses.push((await post(gw, 'scjg', body, { ...junk, Authorization: `Bearer ${TOKENS.BDC}`, 'X-Correlation-Id': `other-${i}` })).status);
    expect(statuses).toEqual([...Array(20).fill(404), ...Array(14).fill(401), ...Array(6).fill(403)]);

    const grown = (await storedBytes(gw)) - before;
    // Before the fix: ~42 MB (every body and header kept).
    expect(grown).toBeLessThan(40 * 1024);

    // The record that is kept: enough to see who tried what, and no more.
    const rows = await gw.db.manager.find(InboundMessageEntity, { where: { outcome: 'REFUSED' } });
    expect(rows).toHaveLength(40);
    for (const row of rows) {
      expect(row.body).toBeNull();
      expect(row.bodySha256).toBe(sha);
      expect(row.department.length).toBeLessThanOrEqual(16);
      const headers = JSON.parse(row.headers!);
      expect(headers['x-junk']).toBeUndefined();
      expect(headers.authorization).toBeUndefined();
      expect(headers['user-agent'].length).toBeLessThanOrEqual(64);
      expect(headers['x-gateway-client-address']).toMatch(/127\.0\.0\.1/);
      expect(Number(headers['x-gateway-body-bytes'])).toBe(Buffer.byteLength(body));
    }
    expect(rows.filter((r) => r.errorCode === 'DEPARTMENT_UNKNOWN')).toHaveLength(20);
  });

  it('a batch file with a bad token is refused before a byte of it is spooled or stored', async () => {
    const before = await storedBytes(gw);
    const file = '\ufeff' + 'a,b,c\n'.repeat(200_000);
    const res = await fetch(`${gw.url}/api/v1/departments/ybj/batches`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv', Authorization: 'Bearer wrong-token', 'X-Batch-Id': 'b'.repeat(5000) },
      body: file,
    });
    expect(res.status).toBe(401);
    expect((await storedBytes(gw)) - before).toBeLessThan(1024);
  });

  it('a refused callback with a huge X-App-Id leaves a capped audit row and a capped answer', async () => {
    const before = await storedBytes(gw);
    // Node refuses headers over 16 KB itself (431): nothing reaches the gateway, nothing is kept.
    const huge = await fetch(`${gw.url}/api/v1/platform/callbacks`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-App-Id': 'A'.repeat(100 * 1024), 'X-Timestamp': String(Date.now()), 'X-Nonce': 'n'.repeat(16), 'X-Signature': '0'.repeat(64) },
      body: '{}',
    }).catch(() => null);
    expect(huge === null || huge.status === 431).toBe(true);
    // Just under Node's limit: it reaches the gateway, which records only the first 64 characters.
    const res = await fetch(`${gw.url}/api/v1/platform/callbacks`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-App-Id': `${CALLBACK_APP_ID}-${'A'.repeat(12 * 1024)}`, 'X-Timestamp': String(Date.now()), 'X-Nonce': 'n'.repeat(16), 'X-Signature': '0'.repeat(64) },
      body: JSON.stringify({ padding: 'p'.repeat(500_000) }),
    });
    const text = await res.text();
    expect(JSON.parse(text).code).toBe('1004');
    expect(text.length).toBeLessThan(1024);
    const audits = await gw.db.manager.find(AuditLogEntity, { where: { action: 'CALLBACK_REFUSED' } });
    expect(audits.length).toBeGreaterThanOrEqual(1);
    for (const a of audits) {
      expect(a.actor.length).toBeLessThanOrEqual(64);
      expect((a.detail ?? '').length).toBeLessThan(400);
    }
    expect((await storedBytes(gw)) - before).toBeLessThan(1024);
  });
});

describe('ingress rate limits answer 429 with Retry-After and store nothing', () => {
  const expect429 = async (res: Response) => {
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await res.json()) as any;
    expect(body.code).toBe('RATE_LIMITED');
    return body;
  };

  it('per department: over its rate, a department gets 429 and the event is not stored', async () => {
    const gw = await startTestGateway({ env: { INGRESS_RATE_PER_DEPARTMENT: '1' } });
    try {
      const sent: { status: number; cid: string; res: Response }[] = [];
      for (let i = 0; i < 10; i++) {
        const cid = `rate-dept-${i}`;
        const res = await post(gw, 'scjg', JSON.stringify(scjgEvent({ bizNo: `SCJG-RATE-${i}` })), { Authorization: `Bearer ${TOKENS.SCJG}`, 'X-Correlation-Id': cid });
        sent.push({ status: res.status, cid, res });
      }
      const limited = sent.filter((s) => s.status === 429);
      expect(limited.length).toBeGreaterThan(0);
      expect(sent.every((s) => s.status === 202 || s.status === 429)).toBe(true);
      await expect429(limited[0].res);
      for (const s of limited) expect(await gw.db.manager.countBy(InboundMessageEntity, { correlationId: s.cid })).toBe(0);
      // Another department is not held back by SCJG's rate.
      const bdc = await fetch(`${gw.url}/api/v1/departments/bdc/events`, { method: 'POST', headers: { Authorization: `Bearer ${TOKENS.BDC}`, 'Content-Type': 'text/xml' }, body: '<x/>' });
      expect(bdc.status).not.toBe(429);
    } finally {
      await gw.close();
    }
  });

  it('per address: refusals are limited much lower, after which the address waits and nothing more is kept', async () => {
    const gw = await startTestGateway({ env: { INGRESS_REFUSALS_PER_ADDRESS: '1', INGRESS_REFUSAL_BURST: '3' } });
    try {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 10; i++) {
        last = await post(gw, 'scjg', '{}', { Authorization: 'Bearer guess-' + i, 'X-Correlation-Id': `guess-${i}` });
        statuses.push(last.status);
        if (last.status === 429) break;
      }
      expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
      await expect429(last!);
      expect(await gw.db.manager.countBy(InboundMessageEntity, { outcome: 'REFUSED' })).toBeLessThanOrEqual(statuses.length - 1);
      // While the address waits, another guess — on the batch route too — answers 429 before anything is read…
      const guess = await fetch(`${gw.url}/api/v1/departments/ybj/batches`, { method: 'POST', headers: { 'Content-Type': 'text/csv', Authorization: 'Bearer guess-batch' }, body: 'x' });
      await expect429(guess);
      // …but a department with its own token at the same address (one NAT for a township) still gets through.
      const own = await post(gw, 'scjg', JSON.stringify(scjgEvent({ bizNo: 'SCJG-NAT-000001' })), { Authorization: `Bearer ${TOKENS.SCJG}` });
      expect(own.status).toBe(202);
    } finally {
      await gw.close();
    }
  });

  it('per address: all requests of one address are limited too', async () => {
    const gw = await startTestGateway({ env: { INGRESS_RATE_PER_ADDRESS: '1' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        const res = await post(gw, 'scjg', JSON.stringify(scjgEvent({ bizNo: `SCJG-ADDR-${i}` })), { Authorization: `Bearer ${TOKENS.SCJG}` });
        statuses.push(res.status);
        if (res.status === 429) {
          await expect429(res);
          break;
        }
      }
      expect(statuses).toContain(429);
    } finally {
      await gw.close();
    }
  });
});
