import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { ConfigError } from '#gw/common';
import { CaseEntity, CaseEventEntity, InboundMessageEntity, checkSessionSqlMode } from '#gw/persistence';
import { OPERATOR_TOKEN, TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';
import { TestDatabase, createTestDatabase, usingMysql } from '../support/test-database';
import { scjgEvent } from '../support/scjg-events';

/**
 * Values reach MySQL written in place, escaped with backslashes (`mysqlLiteral`), so every
 * connection's sql_mode is pinned (`PINNED_SQL_MODE`). Quotes, backslashes and statement
 * terminators in every text field and header of an event must be stored exactly as sent, answered
 * 202, and never run as SQL — on SQLite and MariaDB, and on a MariaDB whose DBA set
 * NO_BACKSLASH_ESCAPES globally.
 */

const CANARY = 'gw_canary';

/**
 * A header value shaped to escape from the `headers` string of an `inbound_message` row if a
 * backslash-escaped literal were read under NO_BACKSLASH_ESCAPES: it tries to complete the row
 * with the columns that follow (no quotes: a hex literal for the outcome), then to drop a table,
 * the comment (`#`) eating the rest of the line. Written in place correctly it is just text.
 */
const ROW_BREAKER =
  `', NULL, 0, NULL, NULL, 0x52454655534544, 401, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL); DROP TABLE ${CANARY}; #`;

/** Texts that break a literal written in place when the quoting rules are not what the writer assumed. */
const HOSTILE = [
  `'`,
  `\\`,
  `\\'`,
  `''`,
  `O'Brien \\ 'x'`,
  `'); DROP TABLE ${CANARY}; --`,
  `\\'); DROP TABLE ${CANARY}; -- x`,
  `' OR '1'='1`,
  `"; SELECT 1; -- "`,
  '`x`?%s$1',
  ROW_BREAKER,
];

/** The SCJG example with `text` in every free-text field (the coded ones must stay valid to be accepted). */
function hostileEvent(i: number, text: string) {
  const base = scjgEvent();
  return scjgEvent({
    eventId: `inj-${i}-${text}`.slice(0, 128),
    bizNo: `SCJG-INJ-${i}-${text}`.slice(0, 64),
    itemName: `企业设立登记${text}`,
    // Names are at most 100 characters (the longest text is cut: its quote comes first anyway).
    operator: { name: `王五${text}`.slice(0, 100), unit: `登记注册股${text}` },
    applicant: { ...(base.applicant as object), name: `平江县某某公司${text}`, legalRep: `赵六${text}`.slice(0, 100) },
    agent: { ...(base.agent as object), name: `钱七${text}`.slice(0, 100) },
  });
}

async function postHostile(gw: TestGateway, i: number, text: string, token: string | null = TOKENS.SCJG) {
  const event = hostileEvent(i, text);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'X-Correlation-Id': `inj-${process.pid}-${i}-${token ? 't' : 'n'}`,
    'X-Vendor-Note': text,
    'User-Agent': `vendor ${text}`,
    'X-Batch-Id': text,
  };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${gw.url}/api/v1/departments/scjg/events`, { method: 'POST', headers, body: JSON.stringify(event) });
  return { event, status: res.status, body: (await res.json()) as any, correlationId: headers['X-Correlation-Id'] };
}

/** Posts every hostile text with SCJG's token and checks it was stored exactly, and read back exactly. */
async function expectStoredVerbatim(gw: TestGateway): Promise<void> {
  for (const [i, text] of HOSTILE.entries()) {
    const sent = await postHostile(gw, i, text);
    expect({ text, status: sent.status, errors: sent.body.errors }).toEqual({ text, status: 202, errors: undefined });

    const inbound = await gw.db.manager.findOneByOrFail(InboundMessageEntity, { correlationId: sent.correlationId });
    const headers = JSON.parse(inbound.headers!);
    // (HTTP itself trims a header value's surrounding spaces.)
    expect(headers['x-vendor-note']).toBe(text.trim());
    expect(headers['user-agent']).toBe(`vendor ${text}`.trim());
    expect(inbound.sourceEventId).toBe(sent.event.eventId);
    const kase = await gw.db.manager.findOneByOrFail(CaseEntity, { id: sent.body.caseId });
    expect(kase.sourceCaseNo).toBe(sent.event.bizNo);
    expect(await gw.db.manager.countBy(CaseEventEntity, { sourceEventId: sent.event.eventId as string })).toBe(1);

    // Read back through the case API: the organisation's name is public, so it comes back unmasked.
    const view = await fetch(`${gw.url}/api/v1/cases/${sent.body.caseId}`, { headers: { Authorization: `Bearer ${OPERATOR_TOKEN}` } });
    expect(view.status).toBe(200);
    const json = (await view.json()) as any;
    expect(json.deptCaseNo ?? json.sourceCaseNo).toBe(sent.event.bizNo);
    expect(JSON.stringify(json)).toContain(JSON.stringify(`平江县某某公司${text}`).slice(1, -1));
  }
  // Without a token: refused, and nothing of the header runs either.
  for (const [i, text] of HOSTILE.entries()) {
    const sent = await postHostile(gw, 100 + i, text, null);
    expect({ text, status: sent.status }).toEqual({ text, status: 401 });
  }
}

describe('SQL injection: quotes, backslashes and statements in every text field and header', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('stores each exactly as sent and answers 202 (401 without a token), never 503', async () => {
    await expectStoredVerbatim(gw);
  });
});

/** MariaDB with NO_BACKSLASH_ESCAPES set globally by a DBA: the gateway's sessions must not inherit it. */
const describeMysql = usingMysql() ? describe : describe.skip;

describeMysql('SQL injection on MariaDB with NO_BACKSLASH_ESCAPES set globally (MariaDB only)', () => {
  const root = { host: '127.0.0.1', port: 3306, user: 'root' };
  let original: string | undefined;
  let testDb: TestDatabase;
  let gw: TestGateway | undefined;

  const canaryExists = async () => {
    const admin = await createConnection(root);
    try {
      const [rows] = await admin.query('SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [testDb.mysql!.database, CANARY]);
      return Number((rows as any[])[0].n) === 1;
    } finally {
      await admin.end();
    }
  };

  beforeAll(async () => {
    testDb = await createTestDatabase();
    const admin = await createConnection(root);
    try {
      await admin.query(`CREATE TABLE \`${testDb.mysql!.database}\`.${CANARY} (id INT PRIMARY KEY)`);
      const [rows] = await admin.query('SELECT @@GLOBAL.sql_mode AS mode');
      original = String((rows as any[])[0].mode);
      // Other suites' gateways pin their sessions' mode too, so this window is safe for them; kept short anyway.
      await admin.query(`SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES')`);
    } finally {
      await admin.end();
    }
    gw = await startTestGateway({ testDb });
  });

  afterAll(async () => {
    try {
      await gw?.close();
    } finally {
      const admin = await createConnection(root);
      try {
        if (original !== undefined) await admin.query('SET GLOBAL sql_mode = ?', [original]);
      } finally {
        await admin.end();
      }
      await testDb?.drop();
    }
  });

  it('the server really has NO_BACKSLASH_ESCAPES for new sessions (the condition under test)', async () => {
    const c = await createConnection({ ...root, database: testDb.mysql!.database });
    try {
      const [rows] = await c.query('SELECT @@SESSION.sql_mode AS mode');
      expect(String((rows as any[])[0].mode)).toContain('NO_BACKSLASH_ESCAPES');
    } finally {
      await c.end();
    }
  });

  it('stores each hostile text exactly, answers 202 / 401, never 503, and runs none of it', async () => {
    await expectStoredVerbatim(gw!);
    expect(await canaryExists()).toBe(true);
  });

  it("the gateway's own sessions run in the pinned mode", async () => {
    const [{ mode }] = await gw!.db.dataSource.query('SELECT @@SESSION.sql_mode AS mode');
    expect(String(mode)).not.toContain('NO_BACKSLASH_ESCAPES');
  });

  it('refuses to start on a session whose mode would make in-place literals wrong', async () => {
    // A connection of its own, without the gateway's pin, put into the mode a DBA might choose.
    const ds = new DataSource({ type: 'mysql', url: testDb.env.DATABASE_URL, poolSize: 1 });
    await ds.initialize();
    try {
      await ds.query(`SET SESSION sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES'`);
      const refusal = await checkSessionSqlMode(ds).catch((e) => e);
      expect(refusal).toBeInstanceOf(ConfigError);
      expect(refusal.message).toContain('NO_BACKSLASH_ESCAPES');
      expect(refusal.message).toContain('ANSI_QUOTES');
    } finally {
      await ds.destroy();
    }
  });
});
