/**
 * Child process: the "bare delivery script" baseline of the drain benchmark. Per stage it does only
 * what the platform spec requires: sign the body (HMAC-SM3 over `appId \n timestamp \n nonce \n
 * body`, the gateway's own `signedHeaders`), POST it over a kept-alive connection to the simulator,
 * and one UPDATE marking the outbox row delivered, with the same driver and settings as the
 * gateway's database (better-sqlite3 with WAL + synchronous=FULL, one connection; or mysql2 with
 * up to 20 connections, the gateway's default pool). It runs at most `concurrency` calls at once, paced to the rate limit.
 *
 * What it leaves out is the gateway's work around the call: claims and leases, reading the case and
 * the event, decrypting, mapping, the breaker, the attempt record, group commits. The body is the
 * gateway's own accept body of one row of the backlog (`template`), with each row's case number.
 *
 * Message `go` → delivers every PENDING row of the outbox → replies `go` with the figures.
 */
import * as http from 'node:http';
import { performance } from 'node:perf_hooks';
import { signedHeaders } from '#gw/platform';
import { DbSpec, PLATFORM_APP_ID, PLATFORM_SECRET, serveMeasurement } from './lib';

interface Args {
  db: DbSpec;
  platformUrl: string;
  rate: number;
  concurrency: number;
  /** The accept body the gateway builds for a row of this backlog; only source_case_id changes. */
  template: Record<string, unknown>;
}

interface Row {
  id: string;
  caseNo: string;
}

const PENDING_ROWS =
  "SELECT o.id AS id, c.source_case_no AS caseNo FROM outbox o JOIN gw_case c ON c.id = o.case_id WHERE o.status = 'PENDING' ORDER BY o.id";

serveMeasurement<Args>(async (a) => {
  const url = new URL(`${a.platformUrl.replace(/\/$/, '')}/cases/accept`);
  const agent = new http.Agent({ keepAlive: true });
  const post = (body: Buffer): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const headers = signedHeaders({ appId: PLATFORM_APP_ID, secret: PLATFORM_SECRET, alg: 'hmac-sm3', body });
      const req = http.request(
        {
          hostname: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent,
          headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(body.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  let rows: Row[];
  let markDone: (id: string) => Promise<void>;
  let close: () => Promise<void>;
  if (a.db.kind === 'sqlite') {
    const Database = (await import('better-sqlite3')).default;
    const conn = new Database(a.db.path);
    conn.pragma('journal_mode = WAL');
    conn.pragma('synchronous = FULL');
    conn.pragma('busy_timeout = 5000');
    rows = (conn.prepare(PENDING_ROWS).all() as { id: number | string; caseNo: string }[]).map((r) => ({ id: String(r.id), caseNo: r.caseNo }));
    const update = conn.prepare("UPDATE outbox SET status = 'DONE', done_at = ?, updated_at = ? WHERE id = ?");
    markDone = async (id) => {
      const now = new Date().toISOString().replace('T', ' ').slice(0, 23);
      update.run(now, now, id);
    };
    close = async () => {
      conn.close();
    };
  } else {
    const mysql = await import('mysql2/promise');
    const pool = mysql.createPool({
      uri: a.db.url,
      // At most the gateway's default pool (DATABASE_POOL_SIZE, 20); calls beyond it wait for a connection.
      connectionLimit: Math.min(a.concurrency, 20),
      timezone: 'Z',
      charset: 'utf8mb4_bin',
      supportBigNumbers: true,
      bigNumberStrings: true,
      enableKeepAlive: true,
    });
    rows = ((await pool.query(PENDING_ROWS))[0] as { id: string; caseNo: string }[]).map((r) => ({ id: String(r.id), caseNo: r.caseNo }));
    markDone = async (id) => {
      const now = new Date();
      await pool.query("UPDATE outbox SET status = 'DONE', done_at = ?, updated_at = ? WHERE id = ?", [now, now, id]);
    };
    close = () => pool.end();
  }

  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const statuses: Record<string, number> = {};
  let delivered = 0;
  let next = 0;
  // Paced: the i-th call leaves no earlier than started + i / rate (as the gateway's limiter allows).
  const worker = async () => {
    while (next < rows.length) {
      const i = next++;
      const due = started + (i * 1000) / a.rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const row = rows[i];
      const answer = await post(Buffer.from(JSON.stringify({ ...a.template, source_case_id: row.caseNo }), 'utf8'));
      const code = answer.status === 200 ? String((JSON.parse(answer.text) as { code?: unknown }).code) : `HTTP_${answer.status}`;
      statuses[code] = (statuses[code] ?? 0) + 1;
      if (code === '0') {
        await markDone(row.id);
        delivered++;
      }
    }
  };
  await Promise.all(Array.from({ length: a.concurrency }, worker));
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  await close();
  return { rows: rows.length, delivered, ms, cpuMs: (cpu.user + cpu.system) / 1000, statuses };
});
