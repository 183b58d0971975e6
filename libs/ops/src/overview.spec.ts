import { buildOverview, departmentItem, endpointItem, OverviewInput } from './overview';

const now = new Date('2026-10-23T02:00:00Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000);
const dept = (
  lastHour: { outcome: string; errorCode: string | null; n: number }[],
  lastSeen: Date | null = ago(60),
) => ({
  code: 'SCJG',
  name: '平江县市场监督管理局',
  enabled: true,
  activity: { lastSeenAt: lastSeen, lastAcceptedAt: lastSeen, lastHour },
});

/** A healthy process's overview input, with `overrides`. */
const input = (overrides: Partial<OverviewInput> = {}): OverviewInput => ({
  now,
  startedAt: ago(3600),
  database: { ok: true, latencyMs: 2, dialect: 'sqlite' },
  dispatcher: { present: true, draining: false, blocked: false, yielding: false, activeDeliveries: 0 },
  outbox: { pending: 0, inFlight: 0, parked: 0, oldestPendingAt: null },
  quarantine: {},
  departments: [],
  endpoints: [],
  endpointActivity: [],
  settings: { readyMaxOutboxAgeSeconds: 900, deptSilentHours: 24 },
  ...overrides,
});

describe('overview lights and hints', () => {
  it('departments: green when sending cleanly, amber when silent or never seen, red when most requests fail', () => {
    expect(departmentItem(dept([{ outcome: 'ACCEPTED', errorCode: null, n: 10 }]), 0, now, 24).level).toBe('green');
    const silent = departmentItem(dept([], ago(30 * 3600)), 0, now, 24);
    expect(silent).toMatchObject({ level: 'amber', hint: expect.stringContaining('未收到该部门事件') });
    expect(departmentItem(dept([], null), 0, now, 24)).toMatchObject({
      level: 'amber',
      hint: expect.stringContaining('尚未收到'),
    });
    const tokens = departmentItem(dept([{ outcome: 'REFUSED', errorCode: 'TOKEN_INVALID', n: 5 }]), 0, now, 24);
    expect(tokens).toMatchObject({ level: 'red', hint: expect.stringContaining('「部门令牌」页') });
    const invalid = departmentItem(
      dept([
        { outcome: 'ACCEPTED', errorCode: null, n: 9 },
        { outcome: 'REJECTED', errorCode: 'VALIDATION_FAILED', n: 1 },
      ]),
      1,
      now,
      24,
    );
    expect(invalid).toMatchObject({
      level: 'amber',
      hint: expect.stringContaining('隔离区'),
      facts: { errorRate: 0.1, quarantined: 1 },
    });
    expect(departmentItem({ ...dept([]), enabled: false }, 0, now, 24).level).toBe('grey');
  });

  it("departments: red while deliveries to the department's own system are circuit-broken, and while the breaker probes", () => {
    const sending = [{ outcome: 'ACCEPTED', errorCode: null, n: 10 }];
    const open = departmentItem({ ...dept(sending), delivery: { state: 'OPEN', opens: 2 } }, 0, now, 24);
    expect(open).toMatchObject({
      level: 'red',
      summary: expect.stringContaining('熔断'),
      hint: expect.stringContaining('不会丢失'),
      facts: { deliveryBreaker: 'OPEN', deliveryBreakerOpens: 2 },
    });
    // Probing keeps the light red (it does not flip with every probe).
    expect(departmentItem({ ...dept(sending), delivery: { state: 'HALF_OPEN', opens: 2 } }, 0, now, 24).level).toBe('red');
    const closed = departmentItem({ ...dept(sending), delivery: { state: 'CLOSED', opens: 2 } }, 0, now, 24);
    expect(closed).toMatchObject({ level: 'green', facts: { deliveryBreaker: 'CLOSED' } });
    // A department without pushed deliveries (or a process that does not run them) shows no breaker.
    expect(departmentItem(dept(sending), 0, now, 24).facts).not.toHaveProperty('deliveryBreaker');
  });

  it('platform endpoints: red while the breaker is open, green again once the latest call went through', () => {
    const open = endpointItem({ endpoint: 'accept', state: 'OPEN', opens: 1 }, undefined);
    expect(open).toMatchObject({ level: 'red', hint: expect.stringContaining('不会丢失') });
    // Probing after failures: still red until a call goes through.
    expect(endpointItem({ endpoint: 'accept', state: 'HALF_OPEN', opens: 1 }, undefined).level).toBe('red');
    const act = {
      endpoint: 'accept',
      calls: 10,
      failures: 6,
      alerts: 0,
      avgMs: 20,
      maxMs: 50,
      lastOkAt: ago(100),
      lastFailedAt: ago(50),
      lastError: null,
    };
    expect(endpointItem({ endpoint: 'accept', state: 'CLOSED', opens: 1 }, act).level).toBe('amber');
    expect(
      endpointItem({ endpoint: 'accept', state: 'CLOSED', opens: 1 }, { ...act, lastOkAt: ago(10) }),
    ).toMatchObject({ level: 'green', summary: expect.stringContaining('已恢复') });
    expect(
      endpointItem({ endpoint: 'accept', state: 'CLOSED', opens: 0 }, { ...act, alerts: 2, lastOkAt: null }).hint,
    ).toContain('CITY_PLATFORM_SECRET');
  });

  it('puts the worst first, groups the same advice on one line, and warns about a late backlog', () => {
    const late = input({
      dispatcher: { present: true, draining: false, blocked: true, yielding: false, activeDeliveries: 0 },
      outbox: { pending: 3, inFlight: 0, parked: 0, oldestPendingAt: ago(1000) },
      departments: [
        {
          code: 'BDC',
          name: '不动产',
          enabled: true,
          activity: { lastSeenAt: null, lastAcceptedAt: null, lastHour: [] },
        },
        {
          code: 'RSJ',
          name: '人社',
          enabled: true,
          activity: { lastSeenAt: null, lastAcceptedAt: null, lastHour: [] },
        },
      ],
      endpoints: [{ endpoint: 'accept', state: 'OPEN', opens: 1 }],
    });
    const o = buildOverview(late);
    expect(o.level).toBe('red');
    expect(o.actions[0]).toMatchObject({ key: 'platform:accept', level: 'red' });
    expect(o.actions.find((a) => a.keys.includes('dept:BDC'))).toMatchObject({
      name: '不动产、人社',
      keys: ['dept:BDC', 'dept:RSJ'],
    });
    expect(o.services.find((s) => s.key === 'backlog')).toMatchObject({
      level: 'amber',
      facts: { oldestPendingAgeSeconds: 1000 },
    });
    expect(
      buildOverview({
        ...late,
        database: { ok: false, latencyMs: 1000, dialect: 'mysql', error: 'timeout' },
        outbox: null,
        quarantine: null,
      }).services[0],
    ).toMatchObject({
      key: 'database',
      level: 'red',
    });
  });

  it('dispatcher: says it waits for a batch file being stored, as normal work', () => {
    const o = buildOverview(
      input({
        dispatcher: { present: true, draining: false, blocked: false, yielding: true, activeDeliveries: 2 },
        outbox: { pending: 40000, inFlight: 2, parked: 0, oldestPendingAt: ago(5) },
      }),
    );
    expect(o.services.find((s) => s.key === 'dispatcher')).toMatchObject({
      level: 'green',
      summary: '正在接收批量文件，报送稍后继续（进行中 2 条）',
      facts: { yielding: true, activeDeliveries: 2 },
    });
  });

  it('data-key rotation: no line without one; green while it runs; amber once the previous key can go, or values were unreadable', () => {
    const status = (state: string, left: number, unreadable = 0) =>
      ({ state, keyId: 'aaaaaaaa', previousKeyId: 'bbbbbbbb', tables: [], left, unreadable, unreadableCode: 'DATA_KEY_ROTATION_UNREADABLE', hashesUnmatched: 0, startedAt: null, finishedAt: null, previousKeyNeeded: state !== 'done', message: '' }) as never;
    const line = (k: unknown) => buildOverview(input({ keyRotation: k as never })).services.find((x) => x.key === 'key-rotation');
    expect(line(null)).toBeUndefined();
    expect(line(status('idle', 0))).toBeUndefined();
    expect(line(status('running', 120))).toMatchObject({ level: 'green', summary: '正在用新密钥重新加密，剩余 120 条' });
    expect(line(status('done', 0))).toMatchObject({ level: 'amber', summary: '重新加密完成，旧密钥已不再需要', hintEn: expect.stringContaining('remove GATEWAY_DATA_KEY_PREVIOUS') });
    expect(line(status('done', 2, 2))).toMatchObject({ level: 'amber', summary: expect.stringContaining('DATA_KEY_ROTATION_UNREADABLE') });
    expect(buildOverview(input({ keyRotation: status('failed', 5) })).actions.map((a) => a.key)).toContain('key-rotation');
  });
});
