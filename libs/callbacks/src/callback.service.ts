import type { AdapterRegistry, DeliveryType } from '#gw/adapters';
import type { Catalogue } from '#gw/catalogue';
import type { PersonalDataCipher } from '#gw/common';
import { AuditRepository, CallbackRepository, CallbackStatus, DeliveryTarget } from '#gw/persistence';
import { NONCE_TTL_MS, SignAlg, verifySignedRequest, type HeaderBag } from '#gw/platform';

export const CALLBACK_TYPES = ['ONLINE_APPLICATION', 'SUPPLEMENT_SUBMITTED', 'WITHDRAWN', 'URGE', 'EVALUATION'] as const;
export type CallbackType = (typeof CALLBACK_TYPES)[number];

/**
 * The gateway's answers to the platform. `0` = stored; anything else makes the platform retry later.
 * A callback stored but not routable (unknown or classified matter, unknown project, department not
 * connected) is answered `0` too, as the spec asks of anything stored — a 4xxx only made the
 * platform retry what retrying cannot fix. It waits for an operator (GET /api/v1/callbacks, state
 * UNROUTABLE or REFUSED); the message says why, after the stable reason code in brackets.
 */
export const CALLBACK_ANSWERS = {
  OK: { code: '0', msg: '成功' },
  INVALID: { code: '2001', msg: '字段校验失败' },
  UNKNOWN_MATTER: { code: '0', reason: 'UNKNOWN_MATTER', msg: '已保存，待人工处理 stored, waiting for an operator [UNKNOWN_MATTER]: 事项不在本县目录中 task_code is not a matter of this county' },
  UNKNOWN_PROJECT: { code: '0', reason: 'UNKNOWN_PROJECT', msg: '已保存，待人工处理 stored, waiting for an operator [UNKNOWN_PROJECT]: 本县没有这个办件 no department of this county handles this project_no' },
  RESTRICTED_MATTER: { code: '0', reason: 'RESTRICTED_MATTER', msg: '已记录，不经网关 recorded, handled outside the gateway [RESTRICTED_MATTER]: 涉密或上级系统办理的事项 classified matter' },
  DEPARTMENT_OFFLINE: { code: '0', reason: 'DEPARTMENT_OFFLINE', msg: '已保存，待人工处理 stored, waiting for an operator [DEPARTMENT_OFFLINE]: 承办部门未接入网关 the implementing department is not connected' },
} as const;

export interface CallbackSettings {
  appId: string;
  /** A single secret, or the secrets valid now (during a rotation's overlap, the old and the new). */
  secret: string | (() => string[]);
  signAlg: SignAlg;
  /** Re-reads the secrets when a signature fails (one issued on another instance a moment ago); whether it did. */
  refreshSecrets?: () => Promise<boolean>;
}

export interface CallbackAnswer {
  code: string;
  msg: string;
  data?: unknown;
}

interface Routed {
  status: CallbackStatus;
  answer: { code: string; msg: string; reason?: string };
  department: string | null;
  delivery: DeliveryTarget | null;
  keepData: boolean;
}

/** A caller-supplied text as kept from an unauthenticated request: at most `max` characters. */
function capCallerText(text: string, max = 64): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Platform → gateway callbacks: verified (signature, ±300 s, nonce never reused on any
 * instance), stored durably with the delivery they cause in one transaction, then answered.
 * A repeated callback_id gets the first answer and causes nothing new.
 */
export class CallbackService {
  constructor(
    private readonly callbacks: CallbackRepository,
    private readonly catalogue: Catalogue,
    private readonly adapters: AdapterRegistry,
    private readonly cipher: PersonalDataCipher,
    private readonly audit: AuditRepository,
    private readonly settings: CallbackSettings,
    private readonly onRouted: () => void = () => undefined,
  ) {}

  /**
   * The signature checked with each secret valid now (one, or two during a rotation's overlap):
   * the first that verifies wins; otherwise the answer for the first secret (1001 signature invalid).
   */
  private verify(headers: HeaderBag, rawBody: Buffer) {
    const s = this.settings.secret;
    const secrets = typeof s === 'string' ? [s] : s();
    let first: ReturnType<typeof verifySignedRequest> | undefined;
    for (const secret of secrets.length ? secrets : ['']) {
      const check = verifySignedRequest({
        headers,
        rawBody,
        secretFor: (id) => (id === this.settings.appId && secret ? secret : undefined),
        alg: this.settings.signAlg,
        nonceSeen: () => false,
      });
      if (check.ok) return check;
      first ??= check;
      if (check.code !== '1001') break; // not the secret's fault (app id, clock, nonce shape): the same with any
    }
    return first!;
  }

  async receive(headers: HeaderBag, rawBody: Buffer, correlationId?: string, address?: string): Promise<CallbackAnswer> {
    let check = this.verify(headers, rawBody);
    if (!check.ok && check.code === '1001' && (await this.settings.refreshSecrets?.().catch(() => false))) check = this.verify(headers, rawBody);
    if (!check.ok) {
      // Unauthenticated: every value the caller chose (its X-App-Id, echoed in the reason) is cut
      // short before it is recorded or answered — a 100 KB X-App-Id made a 100 KB audit row.
      const appId = capCallerText(check.appId ?? '?');
      const reason = capCallerText(check.message, 200);
      await this.audit.append({ actor: `platform:${appId}`, action: 'CALLBACK_REFUSED', detail: { code: check.code, reason }, correlationId, outcome: 'failure', address });
      return { code: check.code, msg: reason };
    }
    const nonce = String(headers['x-nonce'] ?? headers['X-Nonce'] ?? '');
    if (!(await this.callbacks.rememberNonce(check.appId, nonce, NONCE_TTL_MS))) {
      await this.audit.append({ actor: `platform:${check.appId}`, action: 'CALLBACK_REFUSED', detail: { code: '1003', reason: 'nonce replayed' }, correlationId, outcome: 'failure', address });
      return { code: '1003', msg: 'X-Nonce was already used' };
    }

    let body: any;
    try {
      body = JSON.parse(rawBody.toString('utf8'));
    } catch {
      return { ...CALLBACK_ANSWERS.INVALID, data: [{ field: 'body', message: 'not JSON' }] };
    }
    const problems: { field: string; message: string }[] = [];
    if (!body || typeof body !== 'object') problems.push({ field: 'body', message: 'must be an object' });
    else {
      if (typeof body.callback_id !== 'string' || !/^[\w.:-]{1,100}$/.test(body.callback_id)) problems.push({ field: 'callback_id', message: 'required, 1–100 of [A-Za-z0-9_.:-]' });
      if (!(CALLBACK_TYPES as readonly string[]).includes(body.type)) problems.push({ field: 'type', message: `one of ${CALLBACK_TYPES.join(', ')}` });
      if (!body.data || typeof body.data !== 'object' || Array.isArray(body.data)) problems.push({ field: 'data', message: 'must be an object' });
      else if (typeof body.data.project_no !== 'string' || !body.data.project_no) problems.push({ field: 'data.project_no', message: 'required' });
      if (body?.type === 'EVALUATION' && ![1, 2, 3, 4, 5].includes(Number(body?.data?.level))) problems.push({ field: 'data.level', message: '1–5' });
    }
    if (problems.length) return { ...CALLBACK_ANSWERS.INVALID, data: problems };

    const prior = await this.callbacks.findByCallbackId(body.callback_id);
    if (prior) return { code: prior.answerCode, msg: prior.answerMsg ?? '' };

    const type = body.type as CallbackType;
    const data = body.data as Record<string, unknown>;
    const projectNo = String(data.project_no);
    const taskCode = typeof data.task_code === 'string' ? data.task_code.slice(0, 36) : null;
    const routed = await this.route(type, projectNo, taskCode);
    const { record } = await this.callbacks.store(
      {
        callbackId: body.callback_id,
        type,
        occurredAt: typeof body.occurred_at === 'string' ? body.occurred_at.slice(0, 32) : null,
        projectNo: projectNo.slice(0, 64),
        taskCode,
        department: routed.department,
        status: routed.status,
        answerCode: routed.answer.code,
        answerMsg: routed.answer.msg,
        evaluationLevel: type === 'EVALUATION' ? Number(data.level) : null,
        // Classified data is never kept: only that it came.
        dataEnc: routed.keepData ? this.cipher.encryptJson(data) : null,
      },
      routed.delivery,
    );
    if (routed.status === 'UNROUTABLE' || routed.status === 'REFUSED') {
      await this.audit.append({ actor: `platform:${check.appId}`, action: `CALLBACK_${routed.status}`, targetType: 'callback', targetId: body.callback_id, detail: { type, projectNo, taskCode, code: routed.answer.code, reason: 'reason' in routed.answer ? routed.answer.reason : null }, correlationId, outcome: 'failure', address });
    }
    if (routed.delivery) this.onRouted();
    return { code: record.answerCode, msg: record.answerMsg ?? '' };
  }

  private target(department: string): DeliveryTarget | null {
    const adapter = this.adapters.get(department);
    if (!adapter) return null;
    return { target: `${adapter.deliveryMode === 'inbox' ? 'INBOX' : 'DEPT'}:${department}`, kind: '', groupKey: null };
  }

  private async route(type: CallbackType, projectNo: string, taskCode: string | null): Promise<Routed> {
    if (type === 'ONLINE_APPLICATION') {
      const matter = taskCode ? this.catalogue.matter(taskCode) : undefined;
      if (!matter) return { status: 'UNROUTABLE', answer: CALLBACK_ANSWERS.UNKNOWN_MATTER, department: null, delivery: null, keepData: true };
      if (matter.restriction) return { status: 'REFUSED', answer: CALLBACK_ANSWERS.RESTRICTED_MATTER, department: matter.department, delivery: null, keepData: false };
      const t = this.target(matter.department);
      if (!t) return { status: 'UNROUTABLE', answer: CALLBACK_ANSWERS.DEPARTMENT_OFFLINE, department: matter.department, delivery: null, keepData: true };
      return { status: 'ROUTED', answer: CALLBACK_ANSWERS.OK, department: matter.department, delivery: { ...t, kind: type, groupKey: projectNo }, keepData: true };
    }
    const route = await this.callbacks.routeOfProject(projectNo);
    if (type === 'EVALUATION') {
      // 好差评 is kept against the case whether or not a department is known yet.
      return { status: 'STORED', answer: CALLBACK_ANSWERS.OK, department: route?.department ?? null, delivery: null, keepData: true };
    }
    if (!route) return { status: 'UNROUTABLE', answer: CALLBACK_ANSWERS.UNKNOWN_PROJECT, department: null, delivery: null, keepData: true };
    const t = this.target(route.department);
    if (!t) return { status: 'UNROUTABLE', answer: CALLBACK_ANSWERS.DEPARTMENT_OFFLINE, department: route.department, delivery: null, keepData: true };
    return { status: 'ROUTED', answer: CALLBACK_ANSWERS.OK, department: route.department, delivery: { ...t, kind: type as DeliveryType, groupKey: projectNo }, keepData: true };
  }
}
