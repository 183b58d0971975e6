import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditRepository, ConfigurationRecord, compareConfigurations, configurationFingerprint, openDatabase, recordConfiguration } from '#gw/persistence';
import { freePort } from '../support/free-port';
import { AppProcess, APP_SCRIPTS, DATA_KEY, artifactsDir, ensureBuilt } from '../support/processes';
import { REPO_ROOT, TestGateway, startTestGateway } from '../support/test-gateway';
import { configurationRecord } from '#gw/runtime';

jest.setTimeout(300_000);

const OPERATOR_TOKEN_A = 'cfg-operator-A-7Hq2vK9pLz3xW8rT5mN1bC6dF4gJ0sYa';
const OPERATOR_TOKEN_B = 'cfg-operator-B-Qm4Rt7Yx2Kp9Lw3Nz6Bv1Cj8Hd5Fs0Ga';

interface AuditRow {
  seq: string;
  action: string;
  targetId: string | null;
  detail: string | null;
}

/**
 * 安全审计 · configuration changes: each start of the built gateway compares its effective
 * configuration (secrets only as fingerprints) and the catalogue's content with what it last
 * recorded, and audits CONFIG_CHANGED naming what changed — values for settings, names only for
 * secrets. An unchanged start writes nothing.
 */
describe('CONFIG_CHANGED: the configuration as it was at the last start, compared at each start', () => {
  const logs = artifactsDir('trust-config-changed');
  let dataDir: string;
  let catalogueFile: string;
  let port: number;
  let simulatorPort: number;
  let starts = 0;

  beforeAll(async () => {
    await ensureBuilt();
    dataDir = mkdtempSync(join(tmpdir(), 'gw-config-changed-'));
    catalogueFile = join(dataDir, 'catalogue.yaml');
    copyFileSync(join(REPO_ROOT, 'config/catalogue.yaml'), catalogueFile);
    copyFileSync(join(REPO_ROOT, 'config/holidays.yaml'), join(dataDir, 'holidays.yaml'));
    // One port each for every start: the record is kept per process kind and port.
    port = await freePort();
    simulatorPort = await freePort();
  }, 300_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Starts the built gateway with `env` over the same data folder, waits until it serves, stops it. */
  const startAndStop = async (env: Record<string, string>): Promise<string> => {
    const base = `http://127.0.0.1:${port}`;
    const proc = new AppProcess(
      `gateway-${++starts}`,
      APP_SCRIPTS.gateway,
      {
        GATEWAY_MODE: 'embedded',
        CATALOGUE_FILE: catalogueFile,
        DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        PORT: String(port),
        SIMULATOR_PORT: String(simulatorPort),
        WAKE_URL: 'none',
        RETENTION_INTERVAL: 'off',
        LOG_LEVEL: 'warn',
        GATEWAY_DATA_KEY: DATA_KEY,
        ...env,
      },
      join(logs, `gateway-${starts}.log`),
      `${base}/health/live`,
    );
    await proc.start(90_000);
    await proc.stop();
    return proc.log();
  };

  const configEntries = async (): Promise<AuditRow[]> => {
    const db = await openDatabase({ kind: 'sqlite', path: join(dataDir, 'gateway.sqlite'), busyTimeoutMs: 5000 });
    try {
      return await db.manager.query(`SELECT seq, action, target_id AS targetId, detail FROM audit_log WHERE action LIKE 'CONFIG_%' ORDER BY seq`);
    } finally {
      await db.close();
    }
  };

  const base = { GATEWAY_OPERATOR_TOKEN: OPERATOR_TOKEN_A, DISPATCH_POLL_MS: '1000', RETAIN_RAW_BODY_DAYS: '30d' };

  it('the first start records the configuration (CONFIG_RECORDED), nothing secret in clear', async () => {
    await startAndStop(base);
    const entries = await configEntries();
    expect(entries.map((e) => e.action)).toEqual(['CONFIG_RECORDED']);
    expect(entries[0].targetId).toBe(`config:gateway@${port}`);
    const db = await openDatabase({ kind: 'sqlite', path: join(dataDir, 'gateway.sqlite'), busyTimeoutMs: 5000 });
    try {
      const [state] = await db.manager.query(`SELECT value FROM gateway_state WHERE name = ?`, [`config:gateway@${port}`]);
      const record = JSON.parse(state.value) as ConfigurationRecord;
      expect(record.settings.DISPATCH_POLL_MS).toEqual({ v: '1000' });
      expect(record.settings.GATEWAY_OPERATOR_TOKEN).toEqual({ h: expect.stringMatching(/^[0-9a-f]{32}$/) });
      expect(record.settings.GATEWAY_DATA_KEY).toEqual({ h: expect.stringMatching(/^[0-9a-f]{32}$/) });
      expect(record.settings.catalogue.v).toMatch(/^sha256:[0-9a-f]{64}$/);
      // Generated secrets (embedded mode: secrets.json) are fingerprinted as the ones given.
      const generated = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { deptTokens: Record<string, string>; callbackSecret: string };
      expect(record.settings.GATEWAY_DEPT_TOKEN_SCJG).toEqual({ h: expect.any(String) });
      for (const secret of [OPERATOR_TOKEN_A, DATA_KEY, generated.callbackSecret, ...Object.values(generated.deptTokens)]) {
        expect(state.value).not.toContain(secret);
      }
    } finally {
      await db.close();
    }
  });

  it('a start with the same configuration writes no entry', async () => {
    await startAndStop(base);
    expect((await configEntries()).map((e) => e.action)).toEqual(['CONFIG_RECORDED']);
  });

  it('a start with changed settings writes one CONFIG_CHANGED naming them: values for settings, names only for secrets', async () => {
    const out = await startAndStop({ ...base, GATEWAY_OPERATOR_TOKEN: OPERATOR_TOKEN_B, DISPATCH_POLL_MS: '500', RETAIN_RAW_BODY_DAYS: '', DASHBOARD_SESSION_MINUTES: '20' });
    const entries = await configEntries();
    expect(entries.map((e) => e.action)).toEqual(['CONFIG_RECORDED', 'CONFIG_CHANGED']);
    const detail = JSON.parse(entries[1].detail!) as { process: string; changed: unknown[]; fingerprint: string; previousFingerprint: string };
    expect(detail.process).toBe('gateway');
    expect(detail.fingerprint).not.toBe(detail.previousFingerprint);
    expect(detail.changed).toEqual([
      { setting: 'DASHBOARD_SESSION_MINUTES', before: null, after: '20' },
      { setting: 'DISPATCH_POLL_MS', before: '1000', after: '500' },
      { setting: 'GATEWAY_OPERATOR_TOKEN', secret: true },
      { setting: 'RETAIN_RAW_BODY_DAYS', before: '30d', after: null },
    ]);
    expect(entries[1].detail).not.toContain(OPERATOR_TOKEN_A);
    expect(entries[1].detail).not.toContain(OPERATOR_TOKEN_B);
    // The start says so too (names only).
    expect(out).toMatch(/the configuration changed since the last start \(audited CONFIG_CHANGED\): DASHBOARD_SESSION_MINUTES, DISPATCH_POLL_MS, GATEWAY_OPERATOR_TOKEN, RETAIN_RAW_BODY_DAYS/);
    expect(out).not.toContain(OPERATOR_TOKEN_B);

    // Started again unchanged: no new entry.
    await startAndStop({ ...base, GATEWAY_OPERATOR_TOKEN: OPERATOR_TOKEN_B, DISPATCH_POLL_MS: '500', RETAIN_RAW_BODY_DAYS: '', DASHBOARD_SESSION_MINUTES: '20' });
    expect(await configEntries()).toHaveLength(2);
  });

  it('a changed catalogue (same file, other content) is named too; the audit chain still verifies', async () => {
    writeFileSync(catalogueFile, `${readFileSync(catalogueFile, 'utf8')}\n# edited by the test\n`);
    await startAndStop({ ...base, GATEWAY_OPERATOR_TOKEN: OPERATOR_TOKEN_B, DISPATCH_POLL_MS: '500', RETAIN_RAW_BODY_DAYS: '', DASHBOARD_SESSION_MINUTES: '20' });
    const entries = await configEntries();
    expect(entries.map((e) => e.action)).toEqual(['CONFIG_RECORDED', 'CONFIG_CHANGED', 'CONFIG_CHANGED']);
    const changed = (JSON.parse(entries[2].detail!) as { changed: { setting: string; before: string; after: string }[] }).changed;
    expect(changed.map((c) => c.setting)).toEqual(['catalogue']);
    expect(changed[0].before).not.toBe(changed[0].after);

    const db = await openDatabase({ kind: 'sqlite', path: join(dataDir, 'gateway.sqlite'), busyTimeoutMs: 5000 });
    try {
      const { auditKey } = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { auditKey?: string };
      const verification = await new AuditRepository(db, auditKey ?? DATA_KEY).verify();
      expect(verification.ok).toBe(true);
    } finally {
      await db.close();
    }
  });
});

describe('comparing two recorded configurations', () => {
  const record = (settings: ConfigurationRecord['settings'], keyCheck = 'k1'): ConfigurationRecord => ({ settings, keyCheck, fingerprint: configurationFingerprint(settings, keyCheck) });

  it('names added, removed and changed settings; a URL whose credentials changed is named with its masked value', () => {
    const before = record({ A: { v: '1' }, B: { v: 'x' }, S: { h: 'aa' }, DATABASE_URL: { v: 'mysql://***@db/gw', h: 'p1' } });
    const after = record({ A: { v: '2' }, C: { v: 'y' }, S: { h: 'aa' }, DATABASE_URL: { v: 'mysql://***@db/gw', h: 'p2' } });
    expect(compareConfigurations(before, after)).toEqual({
      secretsCompared: true,
      changes: [
        { setting: 'A', before: '1', after: '2' },
        { setting: 'B', before: 'x', after: null },
        { setting: 'C', before: null, after: 'y' },
        { setting: 'DATABASE_URL', before: 'mysql://***@db/gw', after: 'mysql://***@db/gw', secret: true },
      ],
    });
    expect(compareConfigurations(before, before).changes).toEqual([]);
  });

  it('another fingerprint key (GATEWAY_AUDIT_KEY changed): it is named, other secrets on both sides are not compared, and it says so', () => {
    const before = record({ S: { h: 'aa' }, GATEWAY_AUDIT_KEY: { h: 'k-old' } }, 'k1');
    const after = record({ S: { h: 'bb' }, GATEWAY_AUDIT_KEY: { h: 'k-new' } }, 'k2');
    expect(compareConfigurations(before, after)).toEqual({ secretsCompared: false, changes: [{ setting: 'GATEWAY_AUDIT_KEY', secret: true }] });
  });
});

describe('recording on the suites\' database (MariaDB when TEST_DATABASE_URL says so)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('records once when two processes of one key start together; unchanged writes nothing; a change is audited once', async () => {
    const audit = gw.app.get(AuditRepository);
    const record = configurationRecord(gw.ctx);
    const results = await Promise.all([recordConfiguration(gw.db, audit, 'config:test@1', record), recordConfiguration(gw.db, audit, 'config:test@1', record)]);
    expect(results.map((r) => r.action).sort()).toEqual(['CONFIG_RECORDED', null]);
    expect((await recordConfiguration(gw.db, audit, 'config:test@1', record)).action).toBeNull();
    const changed = configurationRecord({ ...gw.ctx, config: { ...gw.ctx.config, env: { ...gw.ctx.config.env, DISPATCH_POLL_MS: '250', CITY_PLATFORM_SECRET: 'another-secret-0123456789abcdef' } } });
    const result = await recordConfiguration(gw.db, audit, 'config:test@1', changed);
    expect(result.action).toBe('CONFIG_CHANGED');
    // The env's platform secret is not the one in effect (ctx.secrets): only DISPATCH_POLL_MS changed.
    expect(result.comparison!.changes).toEqual([{ setting: 'DISPATCH_POLL_MS', before: '200', after: '250' }]);
    const rows: { action: string }[] = await gw.db.manager.query(`SELECT action FROM audit_log WHERE target_id = ? ORDER BY seq`, ['config:test@1']);
    expect(rows.map((r) => r.action)).toEqual(['CONFIG_RECORDED', 'CONFIG_CHANGED']);
    expect((await audit.verify()).ok).toBe(true);
  });
});
