import request from 'supertest';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';
import { platformAdmin } from '../support/platform-admin';
import { postCallback } from '../support/callbacks';
import { scjgEvent } from '../support/scjg-events';
import { waitFor } from '../support/wait-for';

jest.setTimeout(60_000);

type Family = {
  name: string;
  help: string;
  type: string;
  metrics: {
    labels?: Record<string, string>;
    value?: string;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }[];
};

/**
 * Checks the text exposition format line by line (version 0.0.4), beyond what the parser checks:
 * one HELP and one TYPE per family, before its samples; valid names, labels and values; no series twice.
 */
function strictExpositionProblems(text: string): string[] {
  const problems: string[] = [];
  const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const labels = `\\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*")*,?)?\\}`;
  const value = '(?:[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?|[-+]?Inf|NaN)';
  const sample = new RegExp(`^(${name})(${labels})? ${value}(?: -?\\d+)?$`);
  const help = new RegExp(`^# HELP (${name}) .*$`);
  const type = new RegExp(`^# TYPE (${name}) (counter|gauge|histogram|summary|untyped)$`);
  const typed = new Map<string, string>();
  const helped = new Set<string>();
  const seen = new Set<string>();
  if (!text.endsWith('\n')) problems.push('does not end with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m: RegExpExecArray | null;
    if ((m = help.exec(line))) {
      if (helped.has(m[1])) problems.push(`HELP twice for ${m[1]}`);
      helped.add(m[1]);
    } else if ((m = type.exec(line))) {
      if (typed.has(m[1])) problems.push(`TYPE twice for ${m[1]}`);
      typed.set(m[1], m[2]);
    } else if (line.startsWith('#')) {
      problems.push(`unexpected comment: ${line}`);
    } else if ((m = sample.exec(line))) {
      const family = [...typed.keys()].find(
        (f) =>
          m![1] === f ||
          ((typed.get(f) === 'histogram' || typed.get(f) === 'summary') &&
            /^(_bucket|_sum|_count)$/.test(m![1].slice(f.length)) &&
            m![1].startsWith(f)),
      );
      if (!family) problems.push(`sample before its TYPE: ${line}`);
      const key = `${m[1]}${m[2] ?? ''}`;
      if (seen.has(key)) problems.push(`series twice: ${key}`);
      seen.add(key);
    } else {
      problems.push(`not a valid line: ${line}`);
    }
  }
  return problems;
}

/** The value of one series in the text, labels matched exactly (in any order). */
function series(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (
      Object.keys(got).length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => got[k] === v)
    )
      return Number(m[3]);
  }
  return NaN;
}

describe('/metrics (Prometheus text exposition, prom-client)', () => {
  let gw: TestGateway;
  const post = (body: unknown, token = TOKENS.SCJG) =>
    request(gw.url)
      .post('/api/v1/departments/scjg/events')
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(body));
  const scrape = async () => {
    const res = await request(gw.url).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4; charset=utf-8$/);
    return { text: res.text, families: parsePrometheusTextFormat(res.text) as Family[] };
  };
  const family = (fs: Family[], name: string) => {
    const f = fs.find((x) => x.name === name);
    if (!f) throw new Error(`no metric family ${name}`);
    return f;
  };
  const sampleValue = (f: Family, labels: Record<string, string>) =>
    Number(f.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? NaN);

  beforeAll(async () => {
    gw = await startTestGateway({ env: { BREAKER_RESET_MS: '60000', PLATFORM_TIMEOUT_MS: '1000' } });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('exposes ingest, delivery, backlog, breaker, parked, quarantine, callback and process metrics that a real parser reads', async () => {
    const sim = platformAdmin(gw.platform);
    await post(scjgEvent({ bizNo: 'SCJG-MET-000001' })).expect(202);
    await post(
      scjgEvent({
        bizNo: 'SCJG-MET-000002',
        agent: { name: '钱七', idNo: '430626200107081239', mobile: '13900000000' },
      }),
    ).expect(422);
    await post(scjgEvent(), 'wrong-token-0000000000').expect(401);
    await request(gw.url)
      .post('/api/v1/departments/nosuch/events')
      .set('Authorization', `Bearer ${TOKENS.SCJG}`)
      .set('Content-Type', 'application/json')
      .send('{}')
      .expect(404);
    // A platform callback for a case no department of the county has: stored as unroutable.
    const urge = {
      callback_id: 'urge-met-1',
      type: 'URGE',
      occurred_at: '2026-11-03 09:00:00',
      data: { project_no: 'NO-SUCH-PROJECT', message: '请加快办理', deadline: '2026-11-05 17:00:00' },
    };
    await postCallback(gw.url, urge).response.expect(200);
    await sim.setFaults({ businessCodes: [{ code: '2001', sourceCaseId: 'SCJG-MET-PARK01', endpoint: 'accept' }] });
    await post(scjgEvent({ bizNo: 'SCJG-MET-PARK01' })).expect(202);

    const { text, families } = await waitFor('delivery and parking counted', async () => {
      const s = await scrape();
      const attempts = s.families.find((f) => f.name === 'gw_delivery_attempts_total');
      const parked = s.families.find((f) => f.name === 'gw_parked_messages');
      return attempts && sampleValue(attempts, { outcome: 'done' }) >= 1 && Number(parked?.metrics[0]?.value) === 1
        ? s
        : null;
    });
    await sim.clearFaults();
    expect(strictExpositionProblems(text)).toEqual([]);

    const types = Object.fromEntries(families.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      gw_ingest_events_total: 'COUNTER',
      gw_platform_call_duration_seconds: 'HISTOGRAM',
      gw_delivery_latency_seconds: 'HISTOGRAM',
      gw_delivery_attempts_total: 'COUNTER',
      gw_outbox_messages: 'GAUGE',
      gw_outbox_oldest_pending_age_seconds: 'GAUGE',
      gw_platform_breaker_state: 'GAUGE',
      gw_platform_breaker_opens_total: 'COUNTER',
      gw_parked_messages: 'GAUGE',
      gw_quarantine_messages: 'GAUGE',
      gw_callbacks_total: 'COUNTER',
      gw_draining: 'GAUGE',
      gw_database_up: 'GAUGE',
      process_cpu_seconds_total: 'COUNTER',
      process_resident_memory_bytes: 'GAUGE',
      nodejs_heap_size_used_bytes: 'GAUGE',
      nodejs_eventloop_lag_seconds: 'GAUGE',
    });

    const ingest = family(families, 'gw_ingest_events_total');
    expect(sampleValue(ingest, { department: 'SCJG', outcome: 'accepted', status: '202' })).toBe(2);
    expect(sampleValue(ingest, { department: 'SCJG', outcome: 'rejected', status: '422' })).toBe(1);
    expect(sampleValue(ingest, { department: 'SCJG', outcome: 'refused', status: '401' })).toBe(1);
    // An unknown department in the URL does not become a label value of its own.
    expect(sampleValue(ingest, { department: 'UNKNOWN', outcome: 'refused', status: '404' })).toBe(1);
    expect(ingest.metrics.some((m) => m.labels?.department === 'NOSUCH')).toBe(false);

    // The parser folds a labelled histogram into one bucket set; the series themselves are read from the text.
    expect(family(families, 'gw_platform_call_duration_seconds').metrics[0].buckets).toHaveProperty('+Inf');
    expect(
      series(text, 'gw_platform_call_duration_seconds_count', { endpoint: 'accept', result: 'ok' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      series(text, 'gw_platform_call_duration_seconds_bucket', { endpoint: 'accept', result: 'ok', le: '+Inf' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      series(text, 'gw_platform_call_duration_seconds_count', { endpoint: 'accept', result: 'business_error' }),
    ).toBe(1);
    expect(series(text, 'gw_delivery_latency_seconds_count', { outcome: 'done' })).toBeGreaterThanOrEqual(1);

    expect(sampleValue(family(families, 'gw_delivery_attempts_total'), { outcome: 'park' })).toBe(1);
    expect(sampleValue(family(families, 'gw_outbox_messages'), { status: 'parked' })).toBe(1);
    expect(sampleValue(family(families, 'gw_quarantine_messages'), { department: 'SCJG' })).toBe(1);
    expect(sampleValue(family(families, 'gw_quarantine_messages'), { department: 'BDC' })).toBe(0);
    expect(sampleValue(family(families, 'gw_platform_breaker_state'), { endpoint: 'accept' })).toBe(0);
    expect(sampleValue(family(families, 'gw_database_up'), {})).toBe(1);
    expect(sampleValue(family(families, 'gw_callbacks_total'), { type: 'URGE', status: 'unroutable' })).toBe(1);
    expect(sampleValue(family(families, 'gw_draining'), {})).toBe(0);
  });

  it('shows an open breaker as 2 and counts the opening', async () => {
    const sim = platformAdmin(gw.platform);
    await sim.setFaults({ outage: '503' });
    try {
      for (let i = 0; i < 6; i++) await post(scjgEvent({ bizNo: `SCJG-METOUT-${i}` })).expect(202);
      const { text, families } = await waitFor('breaker open in metrics', async () => {
        const s = await scrape();
        return sampleValue(family(s.families, 'gw_platform_breaker_state'), { endpoint: 'accept' }) === 2 &&
          sampleValue(family(s.families, 'gw_outbox_messages'), { status: 'pending' }) >= 1
          ? s
          : null;
      });
      expect(sampleValue(family(families, 'gw_platform_breaker_opens_total'), { endpoint: 'accept' })).toBe(1);
      expect(sampleValue(family(families, 'gw_outbox_messages'), { status: 'pending' })).toBeGreaterThanOrEqual(1);
      expect(
        series(text, 'gw_platform_call_duration_seconds_count', { endpoint: 'accept', result: 'http_error' }),
      ).toBeGreaterThanOrEqual(1);
    } finally {
      await sim.clearFaults();
    }
  });

  it('survives a scrape storm with one backlog query per few seconds', async () => {
    const spy = jest.spyOn(gw.db.manager, 'createQueryBuilder');
    await new Promise((r) => setTimeout(r, 3100));
    spy.mockClear();
    const texts = await Promise.all(Array.from({ length: 20 }, () => request(gw.url).get('/metrics').expect(200)));
    expect(texts.every((t) => t.text.includes('gw_outbox_messages'))).toBe(true);
    // outbox stats + quarantine counts, once for all twenty scrapes.
    expect(spy.mock.calls.length).toBeLessThanOrEqual(4);
    spy.mockRestore();
  });
});
