import type { EndpointHealth } from '#gw/platform';
import type { KeyRotationStatus } from '#gw/persistence';
import type { DepartmentActivity, EndpointActivity } from './ops-read.repository';
import { FailureDiagnosis, diagnoseFailure } from './diagnosis';

/** green: nothing to do · amber: look soon · red: act now · grey: not in use. */
export type Level = 'green' | 'amber' | 'red' | 'grey';

/** One line of the overview: a light, what it is, what we see, and what to do about it. */
export interface StatusItem {
  key: string;
  name: string;
  nameEn: string;
  level: Level;
  /** What we see, in Chinese (numbers included). */
  summary: string;
  /** One line: what to do next, in Chinese. */
  hint: string;
  hintEn: string;
  facts?: Record<string, unknown>;
}

export interface OverviewInput {
  now: Date;
  startedAt: Date;
  database: { ok: boolean; latencyMs: number; dialect: string; error?: string };
  /** `yielding`: claiming nothing new while this process stores a department's batch file (see ForegroundWork). */
  dispatcher: { present: boolean; draining: boolean; blocked: boolean; yielding: boolean; activeDeliveries: number };
  /** `parked`: every parked message; `parkedByTarget`: PLATFORM, DEPT:<code>, INBOX:<code>. */
  outbox: { pending: number; inFlight: number; parked: number; oldestPendingAt: Date | null; parkedByTarget?: Record<string, number> } | null;
  quarantine: Record<string, number> | null;
  departments: {
    code: string;
    name: string;
    enabled: boolean;
    activity: DepartmentActivity | null;
    /** The breaker of deliveries to this department's system (callbacks pushed to it), when this process runs them. */
    delivery?: { state: 'CLOSED' | 'OPEN' | 'HALF_OPEN'; opens: number } | null;
  }[];
  endpoints: EndpointHealth[];
  endpointActivity: EndpointActivity[];
  /** Platform callbacks of the last 24 hours by type and status (null: unknown). */
  callbacks?: { type: string; status: string; n: number }[] | null;
  settings: { readyMaxOutboxAgeSeconds: number; deptSilentHours: number };
  /** The data-key rotation as this instance sees it (absent or `idle`: no line). */
  keyRotation?: KeyRotationStatus | null;
}

export interface Overview {
  generatedAt: string;
  level: Level;
  draining: boolean;
  services: StatusItem[];
  departments: StatusItem[];
  platform: StatusItem[];
  backlog: {
    pending: number;
    inFlight: number;
    parked: number;
    quarantine: number;
    oldestPendingAgeSeconds: number;
  } | null;
  /** The items that are not green, worst first: "what is wrong and what to do". */
  actions: { key: string; keys: string[]; level: Level; name: string; hint: string; hintEn: string }[];
}

const RANK: Record<Level, number> = { grey: 0, green: 1, amber: 2, red: 3 };
export const worst = (levels: Level[]): Level => levels.reduce<Level>((w, l) => (RANK[l] > RANK[w] ? l : w), 'green');

const OK_HINT = { hint: '无需处理', hintEn: 'nothing to do' };

export function formatAge(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} 秒`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} 分钟`;
  if (seconds < 48 * 3600) return `${Math.round(seconds / 360) / 10} 小时`;
  return `${Math.round(seconds / 86400)} 天`;
}

const ENDPOINT_NAMES: Record<string, string> = {
  accept: '受理上报',
  process: '过程上报',
  special: '特别程序',
  result: '办结上报',
  licenses: '电子证照',
  case: '办件查询',
};

const INGEST_ERROR_OUTCOMES = ['REJECTED', 'UNREADABLE', 'REFUSED'];

export function departmentItem(
  d: OverviewInput['departments'][number],
  quarantined: number,
  now: Date,
  silentHours: number,
): StatusItem {
  const base = { key: `dept:${d.code}`, name: d.name, nameEn: d.code };
  if (!d.enabled) {
    return {
      ...base,
      level: 'grey',
      summary: '未启用',
      hint: '需要接入时在目录 config/catalogue.yaml 中设 enabled: true 并重启网关',
      hintEn: 'not enabled in the catalogue',
    };
  }
  const a = d.activity;
  if (!a)
    return {
      ...base,
      level: 'grey',
      summary: '暂无数据（数据库不可用）',
      hint: '先恢复数据库',
      hintEn: 'database unavailable',
    };
  const total = a.lastHour.reduce((s, r) => s + r.n, 0);
  const errors = a.lastHour.filter((r) => INGEST_ERROR_OUTCOMES.includes(r.outcome));
  const errorCount = errors.reduce((s, r) => s + r.n, 0);
  const errorRate = total ? errorCount / total : 0;
  const facts = {
    lastSeenAt: a.lastSeenAt?.toISOString() ?? null,
    lastAcceptedAt: a.lastAcceptedAt?.toISOString() ?? null,
    lastHourTotal: total,
    lastHourErrors: errorCount,
    errorRate: Math.round(errorRate * 1000) / 1000,
    quarantined,
  };
  const seen = a.lastSeenAt
    ? `最近事件 ${formatAge((now.getTime() - a.lastSeenAt.getTime()) / 1000)}前`
    : '从未收到事件';
  const summary = `${seen}；近1小时 ${total} 条，错误率 ${Math.round(errorRate * 100)}%${quarantined ? `；隔离区 ${quarantined} 条` : ''}`;

  // The other direction: callbacks the gateway pushes to the department's system.
  if (d.delivery) Object.assign(facts, { deliveryBreaker: d.delivery.state, deliveryBreakerOpens: d.delivery.opens });
  // HALF_OPEN only follows OPEN: the light stays red while the breaker probes, green once a delivery goes through.
  if (d.delivery?.state === 'OPEN' || d.delivery?.state === 'HALF_OPEN') {
    return {
      ...base,
      level: 'red',
      summary: `${d.delivery.state === 'HALF_OPEN' ? '向部门系统投递正在试探恢复' : `向部门系统投递已熔断（累计 ${d.delivery.opens} 次）`}；${summary}`,
      hint: '部门系统连续无法接收投递（网上申请、补正、撤件等）：网关已暂停投递并定时试探，数据保存在网关中不会丢失；请确认部门系统在运行、网络畅通、接收地址未变（可点“测试连接”）',
      hintEn: "circuit open on deliveries to the department's system: paused and retried automatically, nothing is lost; check the system and the network",
      facts,
    };
  }
  if (errorCount) {
    const top = [...errors].sort((x, y) => y.n - x.n)[0];
    const level: Level = total >= 3 && errorRate >= 0.5 ? 'red' : 'amber';
    let hint: string;
    let hintEn: string;
    if (top.outcome === 'REFUSED' && /^TOKEN_/.test(top.errorCode ?? '')) {
      hint =
        top.errorCode === 'TOKEN_EXPIRED'
          ? `令牌已过期或已吊销（${top.errorCode}）：请确认该部门系统厂商已换用新令牌；在「部门令牌」页可查看或签发`
          : `令牌错误（${top.errorCode}）：请与该部门系统厂商核对令牌；在「部门令牌」页可查看各令牌的状态，或签发新令牌`;
      hintEn =
        top.errorCode === 'TOKEN_EXPIRED'
          ? 'an expired or revoked token: make sure the vendor uses the new one (see the Tokens page)'
          : 'bearer token refused: check the token configured in the department system (see the Tokens page)';
    } else if (top.outcome === 'REFUSED') {
      hint = `被拒收（${top.errorCode}）：涉密事项或未启用的部门不经网关，请与该部门核对推送的事项`;
      hintEn = 'refused: classified matter or disabled department';
    } else if (top.errorCode === 'STAGE_TRANSITION_INVALID') {
      hint = '环节顺序不对：请部门核对办件各环节的推送顺序与时间，修正后在「隔离区」重放';
      hintEn = 'impossible stage order: ask the department to check, then replay';
    } else if (top.outcome === 'UNREADABLE') {
      hint = `报文无法解析（${top.errorCode}）：在「隔离区」查看原因（格式、编码、内容类型），修正适配器后重放`;
      hintEn = 'unreadable payloads: see the quarantine, fix the adapter, replay';
    } else {
      hint = `数据校验未通过（${top.errorCode}）：在「隔离区」查看出错字段，请部门厂商修正数据，或修正映射后重放`;
      hintEn = 'invalid events: see the failing fields in the quarantine, fix, replay';
    }
    return { ...base, level, summary, hint, hintEn, facts };
  }
  if (!a.lastSeenAt) {
    return {
      ...base,
      level: 'amber',
      summary,
      hint: '尚未收到该部门的任何事件：请确认厂商已配置推送地址和令牌',
      hintEn: 'nothing received yet: check the vendor configured the URL and token',
      facts,
    };
  }
  const silentFor = (now.getTime() - a.lastSeenAt.getTime()) / 1000;
  if (silentFor > silentHours * 3600) {
    return {
      ...base,
      level: 'amber',
      summary,
      hint: `已 ${formatAge(silentFor)} 未收到该部门事件：请确认部门系统在运行、网络畅通、推送地址和令牌未变`,
      hintEn: `silent for over ${silentHours} h: check the department system and network`,
      facts,
    };
  }
  if (quarantined) {
    return {
      ...base,
      level: 'amber',
      summary,
      hint: `隔离区有 ${quarantined} 条该部门报文：查看原因，修正后重放`,
      hintEn: 'messages in the quarantine: inspect and replay',
      facts,
    };
  }
  return { ...base, level: 'green', summary, ...OK_HINT, facts };
}

/** What to check when the failure is on our side (so nobody phones the city about it). */
function oursHint(why: FailureDiagnosis): { hint: string; hintEn: string } {
  const check: Record<string, [string, string]> = {
    DNS: ['核对 CITY_PLATFORM_URL 中的域名和本机 DNS', 'check the host name in CITY_PLATFORM_URL and our DNS'],
    REFUSED: ['核对 CITY_PLATFORM_URL 的地址和端口', 'check the address and port in CITY_PLATFORM_URL'],
    UNREACHABLE: ['检查本机到市平台的路由、防火墙或政务外网专线', 'check the route, firewall or the e-government link'],
    CONNECT_TIMEOUT: ['检查防火墙是否放行、政务外网专线是否通', 'check the firewall and the e-government link'],
    TLS: ['核对证书：平台证书的签发机构是否已加入本机信任（NODE_EXTRA_CA_CERTS）、服务器时间是否正确', 'check the CA (NODE_EXTRA_CA_CERTS) and the clock'],
    WRONG_URL: ['核对 CITY_PLATFORM_URL 的路径（应为接口根地址）', 'check the path in CITY_PLATFORM_URL'],
    CREDENTIALS: ['核对 CITY_PLATFORM_APP_ID、CITY_PLATFORM_SECRET、签名算法与服务器时间', 'check app id, secret, algorithm and the clock'],
  };
  const [zh, en] = check[why.kind] ?? ['核对网关的市平台配置与网络', 'check our platform settings and network'];
  return {
    hint: `我方问题（${why.zh}）：${zh}；修正后网关自动恢复报送，数据不会丢失，无需联系市平台`,
    hintEn: `our side (${why.en}): ${en}; delivery resumes by itself once fixed`,
  };
}

export function endpointItem(e: EndpointHealth, act: EndpointActivity | undefined): StatusItem {
  const base = {
    key: `platform:${e.endpoint}`,
    name: `市平台 ${ENDPOINT_NAMES[e.endpoint] ?? e.endpoint}`,
    nameEn: e.endpoint,
  };
  const calls = act?.calls ?? 0;
  const failures = act?.failures ?? 0;
  const facts = {
    breaker: e.state,
    opens: e.opens,
    lastHourCalls: calls,
    lastHourFailures: failures,
    avgMs: act?.avgMs ?? null,
    lastError: act?.lastError ?? null,
  };
  const stats = calls ? `近1小时 ${calls} 次调用，失败 ${failures} 次，平均 ${act!.avgMs} ms` : '近1小时无调用';
  // Recovered: the latest call went through, whatever failed earlier in the hour.
  const recovered = !!act?.lastOkAt && (!act.lastFailedAt || act.lastOkAt.getTime() >= act.lastFailedAt.getTime());
  // Whose side the latest failure is on: the office must not phone the city about its own wrong URL.
  const why = act?.lastError ? diagnoseFailure(act.lastError) : null;
  const sideHint = why && why.side === 'ours' ? oursHint(why) : null;
  // While the breaker probes (HALF_OPEN) the light stays red until a call goes through: it does not
  // flip between red and amber with every probe.
  if (e.state === 'OPEN' || (e.state === 'HALF_OPEN' && !recovered)) {
    const probing = e.state === 'HALF_OPEN' ? '正在试探恢复' : `熔断已打开（累计 ${e.opens} 次）`;
    return {
      ...base,
      level: 'red',
      summary: `${probing}${why ? `；${why.zh}` : ''}；${stats}`,
      ...(sideHint ?? {
        hint:
          why?.side === 'theirs'
            ? `市平台侧故障（${why.zh}）：网关已暂停报送并定时试探恢复，数据保存在网关中不会丢失；超过30分钟未恢复请联系市平台运维`
            : '熔断：市平台该接口连续失败，网关已暂停报送并定时试探恢复，数据保存在网关中不会丢失；可点“测试连接”区分我方网络还是市平台；超过30分钟未恢复请联系市平台运维',
        hintEn:
          why?.side === 'theirs'
            ? `the platform's side (${why.en}): delivery paused and retried, nothing is lost; call the city platform if it lasts over 30 minutes`
            : 'circuit open: delivery paused and retried automatically, nothing is lost; run the connection test; call the city platform if it lasts over 30 minutes',
      }),
      facts: { ...facts, side: why?.side ?? null, cause: why?.kind ?? null },
    };
  }
  if (e.state === 'HALF_OPEN') {
    return { ...base, level: 'amber', summary: `正在试探恢复；${stats}`, hint: '网关正在试探市平台是否恢复，稍候自动继续报送', hintEn: 'probing the platform; delivery resumes by itself', facts };
  }
  if (act?.alerts && !recovered) {
    return {
      ...base,
      level: 'red',
      summary: stats,
      hint: '我方凭据被市平台拒绝（签名/时间/应用号）：核对 CITY_PLATFORM_APP_ID、CITY_PLATFORM_SECRET 与服务器时间',
      hintEn: 'ours: the platform refused our credentials: check app id, secret and the clock',
      facts: { ...facts, side: 'ours', cause: 'CREDENTIALS' },
    };
  }
  if (calls >= 5 && failures / calls >= 0.2 && !recovered) {
    return {
      ...base,
      level: 'amber',
      summary: `${stats}${why ? `；${why.zh}` : ''}`,
      ...(sideHint ?? { hint: '近1小时调用失败较多：网关会自动重试；若持续，请查看「滞留消息」并联系市平台', hintEn: 'many failed calls: retried automatically; see parked messages' }),
      facts: { ...facts, side: why?.side ?? null, cause: why?.kind ?? null },
    };
  }
  return {
    ...base,
    level: 'green',
    summary: `${failures && recovered ? '已恢复' : '正常'}；${stats}`,
    ...OK_HINT,
    facts,
  };
}

export function buildOverview(i: OverviewInput): Overview {
  const now = i.now;
  const services: StatusItem[] = [];
  const quarantineTotal = i.quarantine ? Object.values(i.quarantine).reduce((s, n) => s + n, 0) : 0;

  services.push(
    i.database.ok
      ? {
          key: 'database',
          name: '数据库',
          nameEn: 'database',
          level: i.database.latencyMs > 500 ? 'amber' : 'green',
          summary: `${i.database.dialect === 'sqlite' ? 'SQLite' : 'MySQL/MariaDB'}，响应 ${i.database.latencyMs} ms`,
          ...(i.database.latencyMs > 500
            ? { hint: '数据库响应慢：检查服务器磁盘与负载', hintEn: 'slow database: check disk and load' }
            : OK_HINT),
          facts: { dialect: i.database.dialect, latencyMs: i.database.latencyMs },
        }
      : {
          key: 'database',
          name: '数据库',
          nameEn: 'database',
          level: 'red',
          summary: `无法连接：${i.database.error ?? ''}`.slice(0, 200),
          hint: '检查数据库服务与磁盘空间；期间部门收到503会稍后重发，恢复后网关自动继续，无需重启',
          hintEn: 'database unreachable: check the service and disk; departments get 503 and resend; no restart needed',
          facts: { dialect: i.database.dialect },
        },
  );

  const uptime = (now.getTime() - i.startedAt.getTime()) / 1000;
  const deptItems = i.departments.map((d) =>
    departmentItem(d, i.quarantine?.[d.code] ?? 0, now, i.settings.deptSilentHours),
  );
  const badDepts = deptItems.filter((d) => d.level === 'red' || d.level === 'amber');
  const ingestTotal = i.departments.reduce((s, d) => s + (d.activity?.lastHour.reduce((x, r) => x + r.n, 0) ?? 0), 0);
  services.push({
    key: 'ingress',
    name: '部门接入',
    nameEn: 'ingress',
    level: deptItems.some((d) => d.level === 'red') ? 'red' : 'green',
    summary: `已运行 ${formatAge(uptime)}；近1小时收到 ${ingestTotal} 条事件`,
    ...(deptItems.some((d) => d.level === 'red')
      ? {
          hint: `有部门报送大量出错：见下方「部门」（${badDepts
            .filter((d) => d.level === 'red')
            .map((d) => d.name)
            .join('、')}）`,
          hintEn: 'some departments fail: see the departments below',
        }
      : OK_HINT),
    facts: { uptimeSeconds: Math.round(uptime), lastHourEvents: ingestTotal },
  });

  if (!i.dispatcher.present) {
    services.push({
      key: 'dispatcher',
      name: '报送调度',
      nameEn: 'dispatcher',
      level: 'grey',
      summary: '本进程不运行报送',
      hint: '报送由其他实例负责',
      hintEn: 'delivery runs in another process',
    });
  } else if (i.dispatcher.draining) {
    services.push({
      key: 'dispatcher',
      name: '报送调度',
      nameEn: 'dispatcher',
      level: 'amber',
      summary: `维护模式：已暂停报送（进行中 ${i.dispatcher.activeDeliveries} 条）`,
      hint: '升级或维护完成后点击右上角「恢复报送」；期间部门报送照常接收',
      hintEn: 'drained for maintenance: resume when done; ingest continues',
      facts: { draining: true, activeDeliveries: i.dispatcher.activeDeliveries },
    });
  } else if (i.dispatcher.blocked) {
    services.push({
      key: 'dispatcher',
      name: '报送调度',
      nameEn: 'dispatcher',
      level: 'amber',
      summary: '市平台熔断中，暂停报送',
      hint: '等待市平台恢复，网关会自动继续；见下方「市平台」',
      hintEn: 'waiting for the city platform; resumes by itself',
      facts: { blocked: true },
    });
  } else if (i.dispatcher.yielding) {
    services.push({
      key: 'dispatcher',
      name: '报送调度',
      nameEn: 'dispatcher',
      level: 'green',
      summary: `正在接收批量文件，报送稍后继续（进行中 ${i.dispatcher.activeDeliveries} 条）`,
      hint: '部门批量文件入库并应答后自动继续报送（最长连续等待 30 秒）',
      hintEn: "a department's batch file is being stored; deliveries resume with its answer (at most 30 s)",
      facts: { yielding: true, activeDeliveries: i.dispatcher.activeDeliveries },
    });
  } else {
    services.push({
      key: 'dispatcher',
      name: '报送调度',
      nameEn: 'dispatcher',
      level: 'green',
      summary: `运行中（进行中 ${i.dispatcher.activeDeliveries} 条）`,
      ...OK_HINT,
      facts: { activeDeliveries: i.dispatcher.activeDeliveries },
    });
  }

  let backlog: Overview['backlog'] = null;
  if (i.outbox) {
    const age = i.outbox.oldestPendingAt ? Math.max(0, (now.getTime() - i.outbox.oldestPendingAt.getTime()) / 1000) : 0;
    backlog = {
      pending: i.outbox.pending,
      inFlight: i.outbox.inFlight,
      parked: i.outbox.parked,
      quarantine: quarantineTotal,
      oldestPendingAgeSeconds: Math.round(age),
    };
    const max = i.settings.readyMaxOutboxAgeSeconds;
    const level: Level = age > 4 * max ? 'red' : age > max ? 'amber' : 'green';
    services.push({
      key: 'backlog',
      name: '待报送积压',
      nameEn: 'backlog',
      level,
      summary: `待报送 ${i.outbox.pending} 条，进行中 ${i.outbox.inFlight} 条${age ? `，最早已等待 ${formatAge(age)}` : ''}`,
      ...(level === 'green'
        ? OK_HINT
        : {
            hint: i.dispatcher.draining
              ? '处于维护模式，积压属正常；维护结束后「恢复报送」'
              : `最早一条已等待超过 ${formatAge(max)}：查看下方「市平台」状态；若市平台正常而积压不降，请查看网关日志`,
            hintEn: 'the oldest pending message is late: check the platform status below',
          }),
      facts: backlog,
    });
    const byTarget = i.outbox.parkedByTarget ?? { PLATFORM: i.outbox.parked };
    const toPlatform = byTarget.PLATFORM ?? 0;
    const toDepartments = i.outbox.parked - toPlatform;
    services.push({
      key: 'parked',
      name: '滞留消息',
      nameEn: 'parked',
      level: i.outbox.parked ? 'amber' : 'green',
      summary: i.outbox.parked
        ? [toPlatform ? `${toPlatform} 条被市平台拒收` : '', toDepartments ? `${toDepartments} 条未能送达部门系统` : ''].filter(Boolean).join('，')
        : '无',
      ...(i.outbox.parked
        ? {
            hint: toPlatform
              ? '打开「滞留消息」查看拒收原因，请部门修正数据后点「重发」；同一办件的后续环节在其后等待'
              : '打开「滞留消息」查看原因（部门系统拒收或地址有误），请部门处理后点「重发」',
            hintEn: toPlatform ? 'refused by the platform: see the reason, fix, rerun' : 'a department system did not take a delivery: see the reason, fix, rerun',
          }
        : OK_HINT),
      facts: { parked: i.outbox.parked, byTarget },
    });
  }
  if (i.quarantine) {
    services.push({
      key: 'quarantine',
      name: '隔离区',
      nameEn: 'quarantine',
      level: quarantineTotal ? 'amber' : 'green',
      summary: quarantineTotal ? `${quarantineTotal} 条部门报文未通过校验或无法解析` : '无',
      ...(quarantineTotal
        ? {
            hint: '打开「隔离区」查看出错字段，修正后「重放」（部门也可直接重发正确数据）',
            hintEn: 'invalid or unreadable messages: inspect, fix, replay',
          }
        : OK_HINT),
      facts: { quarantine: quarantineTotal },
    });
  }

  if (i.callbacks) {
    const total = i.callbacks.reduce((n, c) => n + c.n, 0);
    const unroutable = i.callbacks.filter((c) => c.status === 'UNROUTABLE').reduce((n, c) => n + c.n, 0);
    const urges = i.callbacks.filter((c) => c.type === 'URGE').reduce((n, c) => n + c.n, 0);
    services.push({
      key: 'callbacks',
      name: '市平台回调',
      nameEn: 'callbacks',
      level: unroutable ? 'amber' : 'green',
      summary: `近24小时 ${total} 条${urges ? `，其中督办 ${urges} 条` : ''}${unroutable ? `，${unroutable} 条无法分派` : ''}`,
      ...(unroutable
        ? {
            hint: '有回调无法分派到部门（事项不在目录、办件未知或部门未接入）：核对目录 config/catalogue.yaml 中的事项编码与部门',
            hintEn: 'callbacks that reach no department: check the matters and departments in the catalogue',
          }
        : OK_HINT),
      facts: { lastDay: total, unroutable, urges },
    });
  }

  const k = i.keyRotation;
  if (k && k.state !== 'idle') {
    const facts = { state: k.state, keyId: k.keyId, previousKeyId: k.previousKeyId, left: k.left, unreadable: k.unreadable, previousKeyNeeded: k.previousKeyNeeded };
    const base = { key: 'key-rotation', name: '数据密钥轮换', nameEn: 'data-key rotation', facts };
    if (k.state === 'done' && !k.unreadable) {
      services.push({ ...base, level: 'amber', summary: '重新加密完成，旧密钥已不再需要', hint: '从配置中删除 GATEWAY_DATA_KEY_PREVIOUS 后重启（内嵌模式：npm run operator -- rotate-data-key --finish）', hintEn: 'the previous key is no longer needed: remove GATEWAY_DATA_KEY_PREVIOUS and restart (embedded: rotate-data-key --finish)' });
    } else if (k.state === 'done') {
      services.push({ ...base, level: 'amber', summary: `重新加密完成；${k.unreadable} 条数据任一密钥都无法解开（${k.unreadableCode}）`, hint: '这些数据已原样保留；确认无需找回后删除旧密钥并重启', hintEn: `${k.unreadable} value(s) neither key opens were left as they are: once they need not be recovered, remove the previous key and restart` });
    } else if (k.state === 'failed' || k.state === 'off') {
      services.push({ ...base, level: 'amber', summary: k.state === 'off' ? '已设置旧密钥，但重新加密已关闭（KEY_ROTATION=off）' : `重新加密中断，稍后自动重试；剩余 ${k.left} 条`, hint: k.state === 'off' ? '在一个实例上开启重新加密，完成前保留旧密钥' : '查看网关日志中的数据库错误；旧密钥仍然需要', hintEn: k.state === 'off' ? 'enable re-encryption on one instance; keep the previous key until it is done' : 're-encryption was interrupted (see the log) and is retried; keep the previous key' });
    } else {
      services.push({ ...base, level: 'green', summary: k.state === 'elsewhere' ? '另一实例正在用新密钥重新加密' : `正在用新密钥重新加密，剩余 ${k.left} 条`, ...OK_HINT });
    }
  }

  const actByEndpoint = new Map(i.endpointActivity.map((a) => [a.endpoint, a]));
  const platform = i.endpoints.map((e) => endpointItem(e, actByEndpoint.get(e.endpoint)));

  const all = [...services, ...deptItems, ...platform];
  // Worst first; items with the same light and the same advice share one line.
  const groups = new Map<string, Overview['actions'][number] & { names: string[] }>();
  for (const s of all
    .filter((x) => x.level === 'red' || x.level === 'amber')
    .sort((a, b) => RANK[b.level] - RANK[a.level])) {
    const k = `${s.level}|${s.hint}`;
    const g = groups.get(k);
    if (g) {
      g.keys.push(s.key);
      g.names.push(s.name);
    } else
      groups.set(k, {
        key: s.key,
        keys: [s.key],
        level: s.level,
        name: s.name,
        names: [s.name],
        hint: s.hint,
        hintEn: s.hintEn,
      });
  }
  const actions = [...groups.values()].map(({ names, ...g }) => ({ ...g, name: names.join('、') }));
  return {
    generatedAt: now.toISOString(),
    level: worst(all.map((s) => s.level)),
    draining: i.dispatcher.draining,
    services,
    departments: deptItems,
    platform,
    backlog,
    actions,
  };
}
