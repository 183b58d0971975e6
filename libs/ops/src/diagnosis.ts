import { lookup } from 'node:dns/promises';
import { isIP, connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/**
 * Whose problem a failed call is. The county office must not phone the city about its own wrong
 * URL, and must not hunt for a mistake of its own while the platform is down:
 *  - ours: the name does not resolve, the connection is refused or never made (firewall, wrong
 *    port), the certificate is not trusted, the URL answers 404 or a redirect, or the platform
 *    refuses our credentials (401/403, business codes 1001–1004);
 *  - theirs: the platform answered but failed (5xx, 9999 busy, 429 limits, no answer after connecting);
 *  - unknown: a timeout with nothing else known (the connection test tells them apart).
 */
export type FailureSide = 'ours' | 'theirs' | 'unknown';

export interface FailureDiagnosis {
  side: FailureSide;
  /** Stable kind, for the dashboard and tests. */
  kind: 'DNS' | 'REFUSED' | 'UNREACHABLE' | 'CONNECT_TIMEOUT' | 'TLS' | 'WRONG_URL' | 'CREDENTIALS' | 'SERVER_ERROR' | 'BUSY' | 'RATE_LIMITED' | 'ANSWER_TIMEOUT' | 'TIMEOUT' | 'OTHER';
  zh: string;
  en: string;
}

export interface FailedCall {
  httpStatus: number | null;
  businessCode: string | null;
  message: string | null;
}

const d = (side: FailureSide, kind: FailureDiagnosis['kind'], zh: string, en: string): FailureDiagnosis => ({ side, kind, zh, en });

/** Reads a failed call's status, business code and transport message. */
export function diagnoseFailure(call: FailedCall): FailureDiagnosis {
  const msg = call.message ?? '';
  const code = call.businessCode ?? '';
  if (/ENOTFOUND|EAI_AGAIN|getaddrinfo/i.test(msg)) return d('ours', 'DNS', '域名无法解析（地址写错或本机 DNS 不通）', 'the host name does not resolve (wrong URL or our DNS)');
  if (/ECONNREFUSED/.test(msg)) return d('ours', 'REFUSED', '连接被拒绝（地址或端口写错，或对方服务未在该端口）', 'connection refused (wrong address or port)');
  if (/EHOSTUNREACH|ENETUNREACH/.test(msg)) return d('ours', 'UNREACHABLE', '网络不通（路由或防火墙）', 'network unreachable (route or firewall)');
  if (/before connect|ECONNECT_TIMEOUT/i.test(msg)) return d('ours', 'CONNECT_TIMEOUT', '连接建立超时（防火墙或专线不通）', 'no connection within the time limit (firewall or link)');
  if (/certificate|CERT_|SSL|TLS|EPROTO|self[- ]signed/i.test(msg)) return d('ours', 'TLS', '证书不受信任、过期或与域名不符', 'certificate not trusted, expired or for another name');
  if (/redirect not followed/.test(msg) || call.httpStatus === 404) return d('ours', 'WRONG_URL', '地址不是市平台接口（404 或重定向）', 'the URL is not the platform interface (404 or redirect)');
  if (['1001', '1002', '1003', '1004'].includes(code) || call.httpStatus === 401 || call.httpStatus === 403) {
    return d('ours', 'CREDENTIALS', '凭据被拒（应用号、密钥、签名算法或服务器时间）', 'credentials refused (app id, secret, algorithm or clock)');
  }
  if (call.httpStatus === 429) return d('theirs', 'RATE_LIMITED', '市平台限流：网关按其要求放慢', 'platform: rate limit; the gateway slows down');
  if (code === '9999') return d('theirs', 'BUSY', '市平台繁忙（9999）', 'platform busy (9999)');
  if (call.httpStatus !== null && call.httpStatus >= 500) return d('theirs', 'SERVER_ERROR', `市平台故障（HTTP ${call.httpStatus}）`, `platform failure (HTTP ${call.httpStatus})`);
  if (/ECONNRESET|socket hang up|after connect/i.test(msg)) return d('theirs', 'ANSWER_TIMEOUT', '市平台连接后未应答或断开', 'platform: connected, then no answer');
  if (/timed out|timeout|ETIMEDOUT/i.test(msg)) return d('unknown', 'TIMEOUT', '调用超时（请点“测试连接”区分是网络还是市平台）', 'timed out (run the connection test to tell)');
  return d('unknown', 'OTHER', msg ? `调用失败：${msg.slice(0, 80)}` : '调用失败', 'call failed');
}

export interface ConnectionStep {
  step: 'DNS' | 'TCP' | 'TLS' | 'HTTP' | 'PLATFORM';
  ok: boolean;
  ms: number;
  /** 中文在前 · English beside. */
  detail: string;
}

export interface ConnectionTestResult {
  target: string;
  /** Scheme, host and port only: never a path with tokens, never credentials. */
  origin: string;
  ok: boolean;
  side: FailureSide | null;
  kind: FailureDiagnosis['kind'] | null;
  verdict: string;
  steps: ConnectionStep[];
  at: string;
}

const timed = async <T>(work: () => Promise<T>): Promise<{ value?: T; error?: NodeJS.ErrnoException; ms: number }> => {
  const started = Date.now();
  try {
    return { value: await work(), ms: Date.now() - started };
  } catch (e) {
    return { error: e as NodeJS.ErrnoException, ms: Date.now() - started };
  }
};

function withTimeout<T>(ms: number, start: (done: (e?: Error, v?: T) => void) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let cleanup: () => void = () => undefined;
    const timer = setTimeout(() => {
      cleanup();
      reject(Object.assign(new Error(`no connection within ${ms} ms (before connect)`), { code: 'ECONNECT_TIMEOUT' }));
    }, ms);
    cleanup = start((e, v) => {
      clearTimeout(timer);
      cleanup();
      if (e) reject(e);
      else resolve(v as T);
    });
  });
}

/**
 * The network steps to a URL, each on its own so the first that fails says whose side it is:
 * name resolution, the TCP connection, the TLS handshake (https, with the system's trusted CAs).
 * The HTTP step, which differs for the platform and a department, is the caller's.
 */
export async function probeNetwork(url: URL, timeoutMs = 5000): Promise<{ ok: boolean; steps: ConnectionStep[]; failure?: FailureDiagnosis }> {
  const steps: ConnectionStep[] = [];
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  let address = host;
  if (!isIP(host)) {
    const r = await timed(() => lookup(host));
    if (r.error) {
      const failure = diagnoseFailure({ httpStatus: null, businessCode: null, message: `getaddrinfo ${r.error.code ?? ''} ${host}` });
      steps.push({ step: 'DNS', ok: false, ms: r.ms, detail: `${failure.zh} · ${failure.en}` });
      return { ok: false, steps, failure };
    }
    address = r.value!.address;
    steps.push({ step: 'DNS', ok: true, ms: r.ms, detail: `${host} → ${address}` });
  }
  const tcp = await timed(() =>
    withTimeout<void>(timeoutMs, (done) => {
      const socket = netConnect({ host: address, port });
      socket.once('connect', () => done());
      socket.once('error', (e) => done(e));
      return () => socket.destroy();
    }),
  );
  if (tcp.error) {
    const failure = diagnoseFailure({ httpStatus: null, businessCode: null, message: `${tcp.error.code ?? ''} ${tcp.error.message}` });
    steps.push({ step: 'TCP', ok: false, ms: tcp.ms, detail: `${failure.zh} · ${failure.en} (${address}:${port})` });
    return { ok: false, steps, failure };
  }
  steps.push({ step: 'TCP', ok: true, ms: tcp.ms, detail: `已连接 connected ${address}:${port}` });
  if (url.protocol === 'https:') {
    const tls = await timed(() =>
      withTimeout<void>(timeoutMs, (done) => {
        const socket = tlsConnect({ host: address, port, servername: isIP(host) ? undefined : host });
        socket.once('secureConnect', () => done());
        socket.once('error', (e) => done(e));
        return () => socket.destroy();
      }),
    );
    if (tls.error) {
      const failure = diagnoseFailure({ httpStatus: null, businessCode: null, message: `TLS ${tls.error.code ?? ''} ${tls.error.message}` });
      steps.push({ step: 'TLS', ok: false, ms: tls.ms, detail: `${failure.zh} · ${failure.en} (${tls.error.code ?? tls.error.message})` });
      return { ok: false, steps, failure };
    }
    steps.push({ step: 'TLS', ok: true, ms: tls.ms, detail: '证书有效 certificate trusted' });
  }
  return { ok: true, steps };
}

export function originOf(url: URL): string {
  return `${url.protocol}//${url.host}`;
}
