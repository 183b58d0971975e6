import { AddressInfo, createServer, Server } from 'node:net';
import { diagnoseFailure, probeNetwork } from './diagnosis';
import { endpointItem } from './overview';

const failed = (httpStatus: number | null, businessCode: string | null, message: string | null) => ({ httpStatus, businessCode, message });

describe('whose side a failed call is on', () => {
  it.each([
    [failed(null, null, 'getaddrinfo ENOTFOUND platform.example'), 'ours', 'DNS'],
    [failed(null, null, 'connect ECONNREFUSED 10.0.0.8:8443'), 'ours', 'REFUSED'],
    [failed(null, null, 'connect EHOSTUNREACH 10.0.0.8:8443'), 'ours', 'UNREACHABLE'],
    [failed(null, null, 'self-signed certificate in certificate chain'), 'ours', 'TLS'],
    [failed(null, null, 'certificate has expired'), 'ours', 'TLS'],
    [failed(404, null, 'HTTP 404: not a platform envelope'), 'ours', 'WRONG_URL'],
    [failed(302, null, 'HTTP 302: redirect not followed (check CITY_PLATFORM_URL)'), 'ours', 'WRONG_URL'],
    [failed(200, '1001', '签名无效'), 'ours', 'CREDENTIALS'],
    [failed(401, null, 'HTTP 401'), 'ours', 'CREDENTIALS'],
    [failed(503, null, 'HTTP 503'), 'theirs', 'SERVER_ERROR'],
    [failed(200, '9999', 'busy'), 'theirs', 'BUSY'],
    [failed(429, null, 'throttled'), 'theirs', 'RATE_LIMITED'],
    [failed(null, null, 'socket hang up'), 'theirs', 'ANSWER_TIMEOUT'],
    [failed(null, null, 'Timed out after 10000ms'), 'unknown', 'TIMEOUT'],
  ])('%j → %s %s', (call, side, kind) => {
    expect(diagnoseFailure(call)).toMatchObject({ side, kind });
  });

  it('tells the office not to phone the city about its own wrong URL, and to phone it when the platform fails', () => {
    const act = (message: string, httpStatus: number | null) => ({
      endpoint: 'accept', calls: 10, failures: 10, alerts: 0, avgMs: 5, maxMs: 9, lastOkAt: null, lastFailedAt: new Date(),
      lastError: { at: new Date(), outcome: 'RETRY', httpStatus, businessCode: null, message },
    });
    const ours = endpointItem({ endpoint: 'accept', state: 'OPEN', opens: 1 }, act('connect ECONNREFUSED 127.0.0.1:9', null));
    expect(ours).toMatchObject({ level: 'red', facts: { side: 'ours', cause: 'REFUSED' } });
    expect(ours.hint).toContain('我方问题');
    expect(ours.hint).toContain('CITY_PLATFORM_URL');
    expect(ours.hint).toContain('无需联系市平台');
    const theirs = endpointItem({ endpoint: 'accept', state: 'OPEN', opens: 1 }, act('HTTP 503', 503));
    expect(theirs).toMatchObject({ level: 'red', facts: { side: 'theirs' } });
    expect(theirs.hint).toContain('市平台侧');
    expect(theirs.hint).toContain('联系市平台');
    // The same while the breaker probes: the light does not change colour with each probe.
    expect(endpointItem({ endpoint: 'accept', state: 'HALF_OPEN', opens: 1 }, act('HTTP 503', 503)).level).toBe('red');
  });
});

describe('the connection test, step by step', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<import('node:net').Socket>();
  beforeAll(async () => {
    server = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(r));
  });

  it('connects to a listening port', async () => {
    const r = await probeNetwork(new URL(`http://127.0.0.1:${port}/zwfw`));
    expect(r.ok).toBe(true);
    expect(r.steps.map((s) => s.step)).toEqual(['TCP']);
  });

  it('names a refused connection as ours', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const free = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const r = await probeNetwork(new URL(`http://127.0.0.1:${free}/`));
    expect(r).toMatchObject({ ok: false, failure: { side: 'ours', kind: 'REFUSED' } });
  });

  it('names an unresolvable host as ours (DNS)', async () => {
    const r = await probeNetwork(new URL('http://no-such-host.invalid/'));
    expect(r).toMatchObject({ ok: false, failure: { side: 'ours', kind: 'DNS' } });
  });

  it('names a failed TLS handshake as ours', async () => {
    // A plain TCP server that closes at once: no TLS on the other end.
    const r = await probeNetwork(new URL(`https://127.0.0.1:${port}/`), 2000);
    expect(r.steps.map((s) => s.step)).toEqual(['TCP', 'TLS']);
    expect(r).toMatchObject({ ok: false, failure: { side: 'ours', kind: 'TLS' } });
  });
});
