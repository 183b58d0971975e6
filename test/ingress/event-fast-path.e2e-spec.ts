import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { InboundMessageEntity } from '#gw/persistence';
import { TOKENS, TestGateway, keptBody, startTestGateway } from '../support/test-gateway';
import { scjgEvent } from '../support/scjg-events';
import { waitFor } from '../support/wait-for';

/**
 * Department events are served ahead of Express and Nest (the hot path). These tests pin the
 * edges where that path must answer exactly as the framework did: limits, odd URLs, compressed
 * bodies (left to the full pipeline), correlation ids, and the request log. (A database outage
 * answering 503 on this path is database-outage.e2e-spec.ts.)
 */
describe('department events on the fast path', () => {
  let gw: TestGateway;
  const MAX_EVENT_BYTES = 4096;
  const logDir = mkdtempSync(join(tmpdir(), 'gw-fast-path-log-'));
  const logFile = () => join(logDir, 'gateway.log');
  const stored = () => gw.db.manager.count(InboundMessageEntity);

  beforeAll(async () => {
    gw = await startTestGateway({ logs: true, env: { MAX_EVENT_BYTES: String(MAX_EVENT_BYTES), LOG_LEVEL: 'info', LOG_FILE: logFile() } });
  });
  afterAll(async () => {
    await gw?.close();
    rmSync(logDir, { recursive: true, force: true });
  });

  /** A raw request, so the test controls framing (Content-Length or chunked) and encoding. */
  function rawPost(path: string, body: Buffer, headers: Record<string, string | number>, chunked = false): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    const url = new URL(gw.url);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, method: 'POST', path, headers: chunked ? headers : { ...headers, 'Content-Length': body.length } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      if (chunked) {
        // Several writes without a length: Node sends Transfer-Encoding: chunked.
        for (let i = 0; i < body.length; i += 1024) req.write(body.subarray(i, i + 1024));
        req.end();
      } else req.end(body);
    });
  }

  const auth = { Authorization: `Bearer ${TOKENS.SCJG}`, 'Content-Type': 'application/json' };

  it('accepts with any case of the department code and a trailing slash, echoing the correlation id', async () => {
    const res = await rawPost('/api/v1/departments/SCJG/events/', Buffer.from(JSON.stringify(scjgEvent({ bizNo: `FAST-${randomUUID()}` }))), { ...auth, 'X-Correlation-Id': 'fast-path-1' });
    expect(res.status).toBe(202);
    expect(res.headers['x-correlation-id']).toBe('fast-path-1');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.body)).toEqual({ eventId: expect.any(String), caseId: expect.any(String), status: 'ACCEPTED' });
  });

  it('answers 413 with a code for a body over MAX_EVENT_BYTES, declared or chunked, and stores nothing', async () => {
    const before = await stored();
    const big = Buffer.from(JSON.stringify(scjgEvent({ bizNo: `FAST-${randomUUID()}`, itemName: '企'.repeat(MAX_EVENT_BYTES) })));
    for (const chunked of [false, true]) {
      const res = await rawPost('/api/v1/departments/scjg/events', big, auth, chunked);
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', errors: [], correlationId: expect.any(String) });
    }
    expect(await stored()).toBe(before);
  });

  it('leaves a compressed body to the full pipeline, which inflates it and accepts the event', async () => {
    const event = scjgEvent({ bizNo: `FAST-${randomUUID()}` });
    const res = await rawPost('/api/v1/departments/scjg/events', gzipSync(Buffer.from(JSON.stringify(event))), { ...auth, 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(202);
    const row = await gw.db.manager.findOneByOrFail(InboundMessageEntity, { sourceEventId: String(event.eventId) });
    expect(JSON.parse(keptBody(row).toString('utf8'))).toEqual(event);
  });

  it('an unknown or badly encoded department is 404 with a code, and other methods still reach the router', async () => {
    const unknown = await rawPost('/api/v1/departments/%E0%A4%A/events', Buffer.from('{}'), auth);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ code: 'DEPARTMENT_UNKNOWN' });
    await request(gw.url).get('/api/v1/departments/scjg/events').expect(404);
  });

  it('logs one line per request with method, status and correlation id, and no personal data', async () => {
    const event = scjgEvent({ bizNo: `FAST-${randomUUID()}` });
    await rawPost('/api/v1/departments/scjg/events', Buffer.from(JSON.stringify(event)), { ...auth, 'X-Correlation-Id': 'fast-path-log' });
    const line = await waitFor('the request log line', async () =>
      readFileSync(logFile(), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .find((l) => l.correlationId === 'fast-path-log' && l.msg === 'request completed'),
    );
    expect(line).toMatchObject({ level: 30, req: { method: 'POST', url: '/api/v1/departments/scjg/events' }, res: { statusCode: 202 }, responseTime: expect.any(Number) });
    const log = readFileSync(logFile(), 'utf8');
    const agent = event.agent as Record<string, string>;
    for (const secret of [agent.idNo, agent.mobile, TOKENS.SCJG]) expect(log).not.toContain(secret);
  });
});
