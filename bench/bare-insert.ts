/**
 * Child process: the "bare script" baseline. It writes the rows the gateway writes for one
 * accepted event — inbound_message (the raw body, same headers), gw_case, case_event, outbox —
 * one transaction per event, with the same driver and settings (better-sqlite3 with WAL +
 * synchronous=FULL, or mysql2 with the gateway's pool options), into the gateway's own schema.
 * It does the same per-event crypto as the gateway (SM4 of the parties and of the canonical event,
 * HMAC-SM3 lookup hash, SHA-256 of the body) unless `crypto: false`. It does not do HTTP, parsing,
 * validation, the duplicate check or the stage-machine reads: only the durable inserts.
 *
 * SQLite: one connection (as the gateway has), so the `concurrency` clients queue for it.
 * MySQL: `concurrency` connections, each its own client.
 *
 * Message `go` → runs → replies `go` with the figures.
 */
import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { CanonicalEvent } from '#gw/case';
import { validateCanonicalEvent } from '#gw/case';
import { PersonalDataCipher } from '#gw/common';
import { createGatewayContext } from '#gw/ingress';
import { orderKey } from '#gw/persistence';
import { DbSpec, gatewayEnv, peakRssMiB, scjgEventBody, serveMeasurement, summarise } from './lib';

interface Args {
  db: DbSpec;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  crypto: boolean;
  runId: string;
}

const INBOUND_COLS = [
  'id',
  'department',
  'channel',
  'received_at',
  'media_type',
  'headers',
  'body',
  'body_sha256',
  'source_event_id',
  'outcome',
  'http_status',
  'error_code',
  'errors',
  'event_id',
  'case_id',
  'correlation_id',
  'batch_id',
  'row_no',
  'replay_of',
  'resolved_at',
];
const CASE_COLS = [
  'id',
  'department',
  'source_case_no',
  'platform_project_no',
  'online',
  'matter_code',
  'matter_name',
  'location',
  'current_stage',
  'closed',
  'opened_at',
  'last_stage_time',
  'closed_at',
  'parties_enc',
  'applicant_id_hash',
  'warnings',
  'platform_last_seq',
  'created_at',
  'updated_at',
];
const EVENT_COLS = [
  'id',
  'case_id',
  'department',
  'source_event_id',
  'stage',
  'stage_name',
  'stage_time',
  'source_seq',
  'payload_enc',
  'warnings',
  'inbound_id',
  'created_at',
];
const OUTBOX_COLS = [
  'target',
  'kind',
  'case_id',
  'event_id',
  'order_time',
  'order_seq',
  'order_key',
  'status',
  'attempts',
  'next_attempt_at',
  'created_at',
  'updated_at',
];

function insertSql(table: string, cols: string[], q: string): string {
  return `INSERT INTO ${q}${table}${q} (${cols.map((c) => q + c + q).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
}

/** The canonical event the SCJG adapter makes of the bench body: what the gateway encrypts. */
function canonicalTemplate(): CanonicalEvent {
  const ctx = createGatewayContext(gatewayEnv({ kind: 'sqlite', dir: '/tmp', path: '/tmp/x' }));
  const adapter = ctx.adapters.get('SCJG')!;
  const parsed = adapter.parseEvent({
    department: 'SCJG',
    mediaType: 'application/json',
    headers: {},
    body: scjgEventBody(0, 'tmpl'),
    receivedAt: new Date(),
  } as never);
  if (!parsed.ok) throw new Error('the bench body does not parse');
  const v = validateCanonicalEvent(parsed.event.event);
  if (!v.event) throw new Error(`the bench body is invalid: ${JSON.stringify(v.errors)}`);
  return v.event;
}

async function run(a: Args) {
  const cipher = new PersonalDataCipher('0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');
  const template = canonicalTemplate();
  const sqlite = a.db.kind === 'sqlite';
  // Dates as each driver gets them from TypeORM: UTC text for SQLite, Date objects for mysql2 (timezone Z).
  const dt = (d: Date) => (sqlite ? d.toISOString().replace('T', ' ').replace('Z', '') : d);

  /** The four rows of one accepted event. */
  const rowsFor = (n: number) => {
    const body = scjgEventBody(n, a.runId);
    const now = new Date();
    const parsed = JSON.parse(body.toString('utf8')) as { eventId: string; bizNo: string };
    const event = { ...template, sourceEventId: parsed.eventId, sourceCaseNo: parsed.bizNo };
    const stageTime = new Date(event.stageTime);
    const caseId = randomUUID();
    const eventId = randomUUID();
    const inboundId = randomUUID();
    const partiesEnc = a.crypto
      ? cipher.encryptJson({ applicants: event.applicants, agent: event.agent ?? null })
      : 'x'.repeat(700);
    const payloadEnc = a.crypto ? cipher.encryptJson(event) : 'x'.repeat(1900);
    const sha = a.crypto ? createHash('sha256').update(body).digest('hex') : '0'.repeat(64);
    const idHash = a.crypto ? cipher.lookupHash(event.applicants[0].certNo) : '0'.repeat(64);
    const headers = JSON.stringify({
      host: '127.0.0.1:40000',
      'content-type': 'application/json',
      'content-length': String(body.length),
      connection: 'keep-alive',
    });
    const bool = (b: boolean) => (b ? 1 : 0);
    return {
      inbound: [
        inboundId,
        'SCJG',
        'event',
        dt(now),
        'application/json',
        headers,
        body,
        sha,
        event.sourceEventId,
        'ACCEPTED',
        202,
        null,
        null,
        eventId,
        caseId,
        randomUUID(),
        null,
        null,
        null,
        null,
      ],
      kase: [
        caseId,
        'SCJG',
        event.sourceCaseNo,
        null,
        bool(false),
        event.matterCode,
        event.matterName,
        event.location ?? null,
        event.stage,
        bool(false),
        dt(stageTime),
        dt(stageTime),
        null,
        partiesEnc,
        idHash,
        null,
        0,
        dt(now),
        dt(now),
      ],
      event: [
        eventId,
        caseId,
        'SCJG',
        event.sourceEventId,
        event.stage,
        event.stageName ?? null,
        dt(stageTime),
        event.sourceSeq ?? null,
        payloadEnc,
        null,
        inboundId,
        dt(now),
      ],
      outbox: [
        'PLATFORM',
        'STAGE',
        caseId,
        eventId,
        dt(stageTime),
        event.sourceSeq ?? null,
        orderKey(stageTime, event.sourceSeq),
        'PENDING',
        0,
        dt(now),
        dt(now),
        dt(now),
      ],
    };
  };

  const started = performance.now();
  const measureFrom = started + a.warmupMs;
  const measureTo = measureFrom + a.durationMs;
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const record = (t0: number, t1: number) => {
    if (t1 >= measureFrom && t1 <= measureTo) latencies.push(t1 - t0);
  };

  if (a.db.kind === 'sqlite') {
    const Database = (await import('better-sqlite3')).default;
    const conn = new Database(a.db.path);
    conn.pragma('journal_mode = WAL');
    conn.pragma('synchronous = FULL');
    conn.pragma('busy_timeout = 5000');
    conn.pragma('foreign_keys = ON');
    const ins = [
      insertSql('inbound_message', INBOUND_COLS, '"'),
      insertSql('gw_case', CASE_COLS, '"'),
      insertSql('case_event', EVENT_COLS, '"'),
      insertSql('outbox', OUTBOX_COLS, '"'),
    ].map((s) => conn.prepare(s));
    const tx = conn.transaction((r: ReturnType<typeof rowsFor>) => {
      ins[0].run(...r.inbound);
      ins[1].run(...r.kase);
      ins[2].run(...r.event);
      ins[3].run(...r.outbox);
    });
    // One connection: the clients take turns (each waits for the event loop, then commits).
    const worker = async () => {
      while (performance.now() < measureTo) {
        const t0 = performance.now();
        await new Promise((r) => setImmediate(r));
        try {
          tx(rowsFor(next++));
        } catch {
          errors++;
        }
        record(t0, performance.now());
      }
    };
    await Promise.all(Array.from({ length: a.concurrency }, worker));
    conn.close();
  } else {
    const mysql = await import('mysql2/promise');
    const pool = mysql.createPool({
      uri: a.db.url,
      connectionLimit: a.concurrency,
      timezone: 'Z',
      charset: 'utf8mb4_bin',
      supportBigNumbers: true,
      bigNumberStrings: true,
      enableKeepAlive: true,
    });
    const ins = [
      insertSql('inbound_message', INBOUND_COLS, '`'),
      insertSql('gw_case', CASE_COLS, '`'),
      insertSql('case_event', EVENT_COLS, '`'),
      insertSql('outbox', OUTBOX_COLS, '`'),
    ];
    const worker = async () => {
      const conn = await pool.getConnection();
      try {
        while (performance.now() < measureTo) {
          const t0 = performance.now();
          const r = rowsFor(next++);
          try {
            await conn.query('START TRANSACTION');
            await conn.query(ins[0], r.inbound);
            await conn.query(ins[1], r.kase);
            await conn.query(ins[2], r.event);
            await conn.query(ins[3], r.outbox);
            await conn.query('COMMIT');
          } catch {
            errors++;
            await conn.query('ROLLBACK').catch(() => undefined);
          }
          record(t0, performance.now());
        }
      } finally {
        conn.release();
      }
    };
    await Promise.all(Array.from({ length: a.concurrency }, worker));
    await pool.end();
  }

  return {
    windowMs: a.durationMs,
    committed: latencies.length,
    errors,
    perSec: latencies.length / (a.durationMs / 1000),
    latencyMs: summarise(latencies),
    peakRssMiB: peakRssMiB(),
  };
}

serveMeasurement<Args>(run);
