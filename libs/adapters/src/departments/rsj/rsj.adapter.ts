import type { CanonicalEvent, CaseResultDto, FieldIssue, Stage } from '#gw/case';
import type { Catalogue, DepartmentEntry } from '#gw/catalogue';
import type {
  DeliveryReply,
  DepartmentAdapter,
  DepartmentAdapterFactory,
  DepartmentDelivery,
  HttpReply,
  IngestDecision,
  OutboundRequest,
  ParseResult,
  RawInbound,
} from '../../department-adapter';
import { decodeBody, fromDashedTime, issue, text } from '../../mapping-helpers';
import { maskSentValue, quoteSentValue } from '#gw/case';
import { formatRsjDelivery, parseRsjDeliveryReply } from './rsj-delivery';

/**
 * RSJ 人社局 (departments.md): an old Java servlet posting one event per request as
 * `application/x-www-form-urlencoded` UTF-8, letter status codes in `zt`, `yyyy-MM-dd HH:mm:ss`
 * times. The applicant is a person whose ID number is often the old 15-digit form: it is passed
 * on as sent; validateCanonicalEvent converts it and records the conversion as a warning.
 */
export const RSJ_STATUS: Readonly<Record<string, { stage: Stage; name: string }>> = {
  SB: { stage: 'SUBMITTED', name: '申报' },
  SL: { stage: 'ACCEPTED', name: '受理' },
  BYSL: { stage: 'NOT_ACCEPTED', name: '不予受理' },
  BL: { stage: 'UNDERTAKEN', name: '办理' },
  BZGZ: { stage: 'SUPPLEMENT_REQUESTED', name: '补正告知' },
  BZSL: { stage: 'SUPPLEMENT_RECEIVED', name: '补正受理' },
  BJ: { stage: 'COMPLETED', name: '办结' },
  CH: { stage: 'WITHDRAWN', name: '撤回' },
};

/** `bjjg` at BJ: 1 准予 → result 0, 2 不予 → result 1 (reason from `blyj`). */
export const RSJ_RESULTS: Readonly<Record<string, 0 | 1>> = { '1': 0, '2': 1 };

/** Every field RSJ sends; a body with none of them is not an RSJ form. */
export const RSJ_FIELDS = [
  'xxbh',
  'ywbh',
  'sbh',
  'sxbm',
  'sxmc',
  'zt',
  'ztsj',
  'sqrxm',
  'sqrsfzh',
  'sqrsjh',
  'jbr',
  'blyj',
  'bjjg',
  'xzqh',
] as const;

/** Canonical field paths → RSJ's own form field names. */
const SOURCE_FIELDS: Record<string, string> = {
  sourceEventId: 'xxbh',
  sourceCaseNo: 'ywbh',
  platformProjectNo: 'sbh',
  matterCode: 'sxbm',
  matterName: 'sxmc',
  stage: 'zt',
  stageName: 'zt',
  stageTime: 'ztsj',
  handler: 'jbr',
  'handler.name': 'jbr',
  opinion: 'blyj',
  applicants: 'sqrxm',
  'applicants[0]': 'sqrxm',
  'applicants[0].kind': 'sqrsfzh',
  'applicants[0].name': 'sqrxm',
  'applicants[0].certType': 'sqrsfzh',
  'applicants[0].certNo': 'sqrsfzh',
  'applicants[0].phone': 'sqrsjh',
  location: 'xzqh',
  result: 'bjjg',
  'result.type': 'bjjg',
  'result.explain': 'blyj',
};

function lookup<T>(table: Readonly<Record<string, T>>, key: string | undefined): T | undefined {
  return key !== undefined && Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

export class RsjAdapter implements DepartmentAdapter {
  readonly eventMediaTypes = ['application/x-www-form-urlencoded'] as const;

  constructor(
    readonly department: DepartmentEntry,
    private readonly catalogue?: Catalogue,
  ) {}

  parseEvent(raw: RawInbound): ParseResult {
    const charset = raw.charset ?? 'utf-8';
    const body = decodeBody(raw.body, charset);
    if (body === undefined)
      return { ok: false, code: 'PAYLOAD_ENCODING', message: `body is not valid ${maskSentValue(charset.toUpperCase())}` };
    const form = new URLSearchParams(body);
    // URLSearchParams decodes %XX as UTF-8 and turns bytes that are not UTF-8 (a GBK-encoding
    // servlet) into U+FFFD: such a form is unreadable rather than silently garbled.
    for (const [key, value] of form) {
      if (key.includes('\uFFFD') || value.includes('\uFFFD')) {
        return {
          ok: false,
          code: 'PAYLOAD_ENCODING',
          message: `form field ${key.includes('\uFFFD') ? 'name' : quoteSentValue(key)} is not percent-encoded UTF-8`,
        };
      }
    }
    if (!RSJ_FIELDS.some((k) => form.has(k))) {
      return {
        ok: false,
        code: 'PAYLOAD_NOT_FORM',
        message: `body holds none of the RSJ form fields (${RSJ_FIELDS.join(', ')})`,
      };
    }

    const issues: FieldIssue[] = [];
    const get = (name: (typeof RSJ_FIELDS)[number], field: string): string | undefined => {
      const all = form.getAll(name);
      if (all.length > 1 && new Set(all).size > 1) {
        issues.push(issue(field, 'VALUE_REPEATED', `${name} is sent ${all.length} times with different values`));
        return undefined;
      }
      return text(all[0]);
    };

    const zt = get('zt', 'stage');
    const status = lookup(RSJ_STATUS, zt);
    if (zt !== undefined && !status) {
      issues.push(issue('stage', 'STATUS_UNKNOWN', `zt ${quoteSentValue(zt)} is not one of ${Object.keys(RSJ_STATUS).join(' ')}`));
    }
    const ztsj = get('ztsj', 'stageTime');
    const stageTime = fromDashedTime(ztsj);
    if (ztsj !== undefined && !stageTime) {
      issues.push(
        issue('stageTime', 'DATE_INVALID', 'ztsj must be a real time as yyyy-MM-dd HH:mm:ss, e.g. 2026-10-23 09:30:00'),
      );
    }

    const blyj = get('blyj', 'opinion');
    let result: CaseResultDto | undefined;
    if (status?.stage === 'COMPLETED') {
      const bjjg = get('bjjg', 'result.type');
      const type = lookup(RSJ_RESULTS, bjjg);
      if (bjjg !== undefined && type === undefined) {
        issues.push(issue('result.type', 'VALUE_NOT_ALLOWED', `bjjg ${quoteSentValue(bjjg)} is not 1 (准予) or 2 (不予)`));
      }
      if (type === 0) result = { type: 0 };
      if (type === 1) result = { type: 1, explain: blyj };
    }

    const sbh = get('sbh', 'platformProjectNo');
    const jbr = get('jbr', 'handler.name');
    const name = get('sqrxm', 'applicants[0].name');
    const certNo = get('sqrsfzh', 'applicants[0].certNo');
    const phone = get('sqrsjh', 'applicants[0].phone');
    const hasApplicant = name !== undefined || certNo !== undefined || phone !== undefined;
    const sourceEventId = get('xxbh', 'sourceEventId');

    const event: Partial<CanonicalEvent> = {
      department: this.department.code,
      sourceEventId: sourceEventId!,
      sourceCaseNo: get('ywbh', 'sourceCaseNo')!,
      platformProjectNo: sbh,
      matterCode: get('sxbm', 'matterCode')!,
      matterName: get('sxmc', 'matterName')!,
      stage: status?.stage,
      stageName: status?.name,
      stageTime: stageTime ?? ztsj!,
      handler: jbr !== undefined ? { name: jbr } : undefined,
      opinion: blyj,
      // The raw ID number, 15 or 18 digits: conversion is the canonical validator's job.
      applicants: hasApplicant
        ? [{ kind: 'PERSON', name: name!, certType: '111', certNo: certNo!, phone }]
        : (undefined as any),
      location: get('xzqh', 'location'),
      applyChannel: sbh ? 'ONLINE' : 'WINDOW',
      result,
    };
    return { ok: true, event: { sourceEventId: sourceEventId ?? '', event, issues } };
  }

  sourceField(canonicalPath: string): string {
    return lookup(SOURCE_FIELDS, canonicalPath) ?? canonicalPath;
  }

  /** The servlet reads a text answer: `OK`, or `ERR:<code> <message>` on one line. */
  formatReply(decision: IngestDecision): HttpReply {
    const ok = decision.httpStatus >= 200 && decision.httpStatus < 300;
    let body = 'OK';
    if (!ok) {
      const details = (decision.errors ?? []).map((e) => `${e.field} ${e.code} ${e.message}`);
      body = `ERR:${decision.code} ${[decision.message, ...details].join('; ')}`.replace(/[\r\n]+/g, ' ');
    }
    return { status: decision.httpStatus, contentType: 'text/plain; charset=utf-8', body };
  }

  /** Online applications and their follow-ups are pushed to RSJ's servlet as a UTF-8 form (rsj-delivery.ts). */
  readonly deliveryMode = 'push' as const;

  formatDelivery(delivery: DepartmentDelivery): OutboundRequest {
    return formatRsjDelivery(delivery, { matterName: (code) => this.catalogue?.matter(code)?.name });
  }

  parseDeliveryReply(status: number, contentType: string | undefined, body: Buffer): DeliveryReply {
    return parseRsjDeliveryReply(status, contentType, body);
  }
}

export const createAdapter: DepartmentAdapterFactory = (department, catalogue) => new RsjAdapter(department, catalogue);
