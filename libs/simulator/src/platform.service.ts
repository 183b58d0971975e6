import { Injectable } from '@nestjs/common';
import { formatBeijingDateTime } from '#gw/case';
import { FaultService, type CallFacts } from './fault.service';
import { fail, FORCED_BY_FAULT, ok, PLATFORM_CODES, validationFailed, type Envelope } from './platform-envelope';
import {
  ACCEPT_SCHEMA,
  LICENSE_SCHEMA,
  validate,
  validateCaseEvent,
  validateReconcileQuery,
  type CaseEventKind,
} from './platform-payload.validator';
import { SimulatorState, type SimulatedCase } from './simulator-state';

/** JSON with sorted keys, so that "the same content" does not depend on key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const asRecord = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The date part of the case's accept date, else of its apply date (both already validated). */
const businessDateOf = (accept: Record<string, unknown>): string =>
  String(accept.accept_date ?? accept.apply_date).slice(0, 10);

/** The platform's business rules (city-platform-api.md, "Endpoints"). No HTTP in here. */
@Injectable()
export class PlatformService {
  constructor(
    private readonly state: SimulatorState,
    private readonly faults: FaultService,
  ) {}

  accept(body: unknown, now = Date.now()): Envelope {
    const raw = asRecord(body);
    const forced = this.forced({
      endpoint: 'accept',
      sourceCaseId: asString(raw.source_case_id),
      taskCode: asString(raw.task_code),
    });
    if (forced) return forced;
    const { value, errors } = validate(body, ACCEPT_SCHEMA);
    if (errors.length) return validationFailed(errors);

    const orgCode = value.org_code as string;
    const sourceCaseId = value.source_case_id as string;
    const existing = this.state.findCaseBySource(orgCode, sourceCaseId);
    if (existing) {
      // Idempotent: same project_no. A repeat may move SUBMITTED to ACCEPTED; it never reopens a closed case.
      existing.acceptCalls++;
      if (!existing.closed) {
        existing.accept = value;
        existing.businessDate = businessDateOf(value);
        if (existing.lastSeq === 0) existing.status = value.status as string;
      }
      return ok({ project_no: existing.projectNo });
    }
    const created = this.state.createCase(
      {
        sourceCaseId,
        orgCode,
        taskCode: value.task_code as string,
        businessDate: businessDateOf(value),
        accept: value,
        status: value.status as string,
      },
      now,
    );
    return ok({ project_no: created.projectNo });
  }

  /** `/process`, `/special` and `/result` share one contiguous `seq` counter per case. */
  reportEvent(kind: CaseEventKind, projectNo: string, body: unknown, now = Date.now()): Envelope {
    const found = this.state.findCase(projectNo);
    const forced = this.forced({
      endpoint: kind,
      projectNo,
      sourceCaseId: found?.sourceCaseId,
      taskCode: found?.taskCode,
    });
    if (forced) return forced;
    const { value, errors } = validateCaseEvent(kind, body);
    if (errors.length) return validationFailed(errors);
    if (!found) return this.unknownProject(projectNo);

    const seq = value.seq as number;
    const fingerprint = canonicalJson({ kind, ...value });
    const previous = found.events.find((e) => e.seq === seq);
    if (previous) {
      return previous.fingerprint === fingerprint
        ? ok({ project_no: projectNo, seq }, 'success (already received)')
        : fail(PLATFORM_CODES.SEQ_CONFLICT, `seq ${seq} was already received with different content`, { seq });
    }
    if (found.closed)
      return fail(PLATFORM_CODES.CASE_CLOSED, `case ${projectNo} is closed (a result was received)`, {
        project_no: projectNo,
      });
    if (seq > found.lastSeq + 1) {
      return fail(PLATFORM_CODES.SEQ_GAP, `seq ${seq} arrived before seq ${found.lastSeq + 1}`, {
        last_seq: found.lastSeq,
      });
    }
    found.events.push({ seq, kind, content: value, fingerprint, receivedAt: formatBeijingDateTime(now) });
    found.lastSeq = seq;
    if (kind === 'process') found.status = value.event_name as string;
    if (kind === 'result') {
      found.closed = true;
      found.status = 'COMPLETED';
    }
    return ok({ project_no: projectNo, seq });
  }

  registerLicense(body: unknown, now = Date.now()): Envelope {
    const projectNo = asString(asRecord(body).project_no);
    const found = projectNo === undefined ? undefined : this.state.findCase(projectNo);
    const forced = this.forced({
      endpoint: 'licenses',
      projectNo,
      sourceCaseId: found?.sourceCaseId,
      taskCode: found?.taskCode,
    });
    if (forced) return forced;
    const { value, errors } = validate(body, LICENSE_SCHEMA);
    if (errors.length) return validationFailed(errors);
    if (!found) return this.unknownProject(value.project_no as string);
    this.state.registerLicense(value, now);
    return ok(null);
  }

  caseView(projectNo: string): Envelope {
    const found = this.state.findCase(projectNo);
    const forced = this.forced({
      endpoint: 'case',
      projectNo,
      sourceCaseId: found?.sourceCaseId,
      taskCode: found?.taskCode,
    });
    if (forced) return forced;
    if (!found) return this.unknownProject(projectNo);
    return ok({
      project_no: found.projectNo,
      source_case_id: found.sourceCaseId,
      org_code: found.orgCode,
      last_seq: found.lastSeq,
      status: found.status,
      closed: found.closed,
    });
  }

  /** Cases of an organisation filed under a date (accept_date, else apply_date). */
  reconcile(orgCode: unknown, date: unknown): Envelope {
    const forced = this.forced({ endpoint: 'reconcile' });
    if (forced) return forced;
    const errors = validateReconcileQuery(orgCode, date);
    if (errors.length) return validationFailed(errors);
    return ok(
      this.state.casesOf(orgCode as string, date as string).map((c: SimulatedCase) => ({
        project_no: c.projectNo,
        source_case_id: c.sourceCaseId,
        last_seq: c.lastSeq,
        closed: c.closed,
      })),
    );
  }

  private unknownProject(projectNo: string): Envelope {
    return fail(PLATFORM_CODES.UNKNOWN_PROJECT, `unknown project_no ${projectNo}`);
  }

  private forced(facts: CallFacts): Envelope | undefined {
    const code = this.faults.takeBusinessCode(facts);
    if (code === undefined) return undefined;
    const data =
      code === PLATFORM_CODES.VALIDATION_FAILED ? [{ field: '*', message: 'forced by a simulator fault' }] : null;
    return Object.assign(fail(code, `forced by a simulator fault (code ${code})`, data), { [FORCED_BY_FAULT]: true });
  }
}
