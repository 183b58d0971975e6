import * as http from 'node:http';
import * as https from 'node:https';
import { Catalogue } from '#gw/catalogue';
import { ErrorCodes, GatewayError } from '#gw/common';
import { AuditRepository } from '#gw/persistence';
import { DeliveryRuntime } from './delivery-runtime';
import { ConnectionStep, ConnectionTestResult, FailureDiagnosis, diagnoseFailure, originOf, probeNetwork } from './diagnosis';

const HTTP_TIMEOUT_MS = 8000;

/**
 * The overview's "测试连接" buttons: the platform or a department's system tried now, step by
 * step (name, connection, certificate, answer), so the office sees at once whether to check its
 * own settings or to phone the other side. Audited: it makes calls out of the county's network.
 */
export class ConnectionTestService {
  constructor(
    private readonly runtime: DeliveryRuntime,
    private readonly catalogue: Catalogue,
    private readonly audit: AuditRepository,
    private readonly departmentUrl: (code: string) => string | undefined,
  ) {}

  async testPlatform(actor: string, address?: string): Promise<ConnectionTestResult> {
    const platform = this.runtime.platform;
    if (!platform) {
      throw new GatewayError('NOT_SUPPORTED', 409, '本实例不向市平台报送，请在报送实例（dispatcher）上测试 this instance does not deliver to the platform: test on a dispatcher');
    }
    const base = platform.baseUrl();
    if (!base) throw new GatewayError('NOT_SUPPORTED', 409, '该平台接口不支持连接测试 this platform interface offers no connection test');
    const url = new URL(base);
    const net = await probeNetwork(url);
    let result: ConnectionTestResult;
    if (!net.ok) {
      result = this.result('platform', url, net.steps, net.failure!);
    } else {
      // The network is fine: the signed read.
      const check = await platform.checkConnection();
      if (!check) throw new GatewayError('NOT_SUPPORTED', 409, '该平台接口不支持连接测试 this platform interface offers no connection test');
      if (check.ok) {
        const step: ConnectionStep = { step: 'PLATFORM', ok: true, ms: 0, detail: '市平台已应答并接受网关的签名 the platform answered and accepted our signature' };
        result = this.result('platform', url, [...net.steps, step]);
      } else {
        const failure = diagnoseFailure({ httpStatus: check.httpStatus, businessCode: check.businessCode, message: check.message });
        const code = check.businessCode ? `（业务码 ${check.businessCode}）` : check.httpStatus ? `（HTTP ${check.httpStatus}）` : '';
        const step: ConnectionStep = { step: 'PLATFORM', ok: false, ms: 0, detail: `${failure.zh} · ${failure.en}${code}` };
        result = this.result('platform', url, [...net.steps, step], failure);
      }
    }
    await this.record(result, actor, address);
    return result;
  }

  async testDepartment(code: string, actor: string, address?: string): Promise<ConnectionTestResult> {
    const dept = this.catalogue.department(code.toUpperCase());
    if (!dept) throw new GatewayError(ErrorCodes.DEPARTMENT_UNKNOWN, 404, `未知部门 unknown department ${code}`);
    const target = this.departmentUrl(dept.code);
    if (!target) {
      throw new GatewayError('NOT_SUPPORTED', 409, `${dept.name} 未配置接收地址（从收件箱取件），无需测试连接 no receiving URL: the department fetches from its inbox`);
    }
    const url = new URL(target);
    const net = await probeNetwork(url);
    let result: ConnectionTestResult;
    if (!net.ok) {
      result = this.result(`dept:${dept.code}`, url, net.steps, net.failure!);
    } else {
      const answer = await headOf(url);
      if (answer.status !== null && answer.status < 500) {
        const detail = `部门系统已应答（HTTP ${answer.status}；投递用 POST，此处只探测可达）the system answered (HTTP ${answer.status})`;
        result = this.result(`dept:${dept.code}`, url, [...net.steps, { step: 'HTTP', ok: true, ms: answer.ms, detail }]);
      } else {
        const failure = diagnoseFailure({ httpStatus: answer.status, businessCode: null, message: answer.error ?? null });
        const theirs: FailureDiagnosis = { ...failure, zh: failure.zh.replace('市平台', '部门系统'), en: failure.en.replace('platform', "department's system") };
        result = this.result(`dept:${dept.code}`, url, [...net.steps, { step: 'HTTP', ok: false, ms: answer.ms, detail: `${theirs.zh} · ${theirs.en}` }], theirs);
      }
    }
    await this.record(result, actor, address);
    return result;
  }

  private result(target: string, url: URL, steps: ConnectionStep[], failure?: FailureDiagnosis): ConnectionTestResult {
    const verdict = !failure
      ? '连接正常 · connection fine'
      : failure.side === 'ours'
        ? `我方配置或网络问题，无需联系对方：${failure.zh} · ours: ${failure.en}`
        : failure.side === 'theirs'
          ? `对方的问题：${failure.zh}；网关会自动重试，持续请联系对方运维 · theirs: ${failure.en}`
          : `${failure.zh} · ${failure.en}`;
    return {
      target,
      origin: originOf(url),
      ok: !failure,
      side: failure?.side ?? null,
      kind: failure?.kind ?? null,
      verdict,
      steps,
      at: new Date().toISOString(),
    };
  }

  private record(r: ConnectionTestResult, actor: string, address?: string): Promise<unknown> {
    return this.audit.append({
      actor,
      action: 'CONNECTION_TESTED',
      targetType: 'route',
      targetId: r.target,
      detail: { origin: r.origin, side: r.side ?? undefined, kind: r.kind ?? undefined },
      address,
      outcome: r.ok ? 'success' : 'failure',
    });
  }
}

/** A GET of the department's URL, any status an answer (no redirect followed, nothing read beyond the status). */
function headOf(url: URL): Promise<{ status: number | null; ms: number; error?: string }> {
  const started = Date.now();
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? null, ms: Date.now() - started });
      req.destroy();
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
      resolve({ status: null, ms: Date.now() - started, error: timedOut ? `no answer within ${HTTP_TIMEOUT_MS} ms after connect` : `${e.code ?? ''} ${e.message}` });
    });
    req.end();
  });
}
