import { Inject, Injectable } from '@nestjs/common';
import { formatBeijingCompactDate, formatBeijingDateTime } from '#gw/case';
import type { PlatformEndpoint } from './platform-endpoints';
import type { CaseEventKind } from './platform-payload.validator';
import { SIMULATOR_OPTIONS, type ResolvedSimulatorOptions } from './simulator-options';

export interface CaseEvent {
  seq: number;
  kind: CaseEventKind;
  /** The validated, normalised body: what idempotency compares. */
  content: Record<string, unknown>;
  fingerprint: string;
  receivedAt: string;
}

export interface SimulatedCase {
  projectNo: string;
  sourceCaseId: string;
  orgCode: string;
  taskCode: string;
  /** The date reconciliation files the case under: accept_date, else apply_date (yyyy-MM-dd). */
  businessDate: string;
  createdAt: string;
  /** The latest accept body (a case may be reported as SUBMITTED, then again as ACCEPTED). */
  accept: Record<string, unknown>;
  acceptCalls: number;
  status: string;
  lastSeq: number;
  closed: boolean;
  events: CaseEvent[];
}

export interface RegisteredLicense {
  content: Record<string, unknown>;
  registeredAt: string;
  registrations: number;
}

export interface ReceivedCall {
  id: number;
  receivedAt: string;
  receivedAtMs: number;
  method: string;
  path: string;
  endpoint: PlatformEndpoint | 'unknown';
  appId?: string;
  projectNo?: string;
  sourceCaseId?: string;
  orgCode?: string;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body?: unknown;
  /** 0 when the connection was dropped without an answer. */
  httpStatus?: number;
  /** The business code of an HTTP 200 envelope. */
  code?: string;
  msg?: string;
  response?: unknown;
  /** Set when the answer came from an injected fault. */
  fault?: string;
  durationMs?: number;
}

export interface ReceivedFilter {
  projectNo?: string;
  sourceCaseId?: string;
  orgCode?: string;
  endpoint?: string;
  appId?: string;
}

interface Counter {
  total: number;
  byCode: Record<string, number>;
  byHttpStatus: Record<string, number>;
}

export interface SimulatorStatistics extends Counter {
  /** HTTP 429 answers. */
  rateLimited: number;
  /** Connections dropped without an answer (outage). */
  dropped: number;
  byEndpoint: Record<string, Counter>;
  cases: number;
  closedCases: number;
  licenses: number;
}

const newCounter = (): Counter => ({ total: 0, byCode: {}, byHttpStatus: {} });

function count(counter: Counter, call: ReceivedCall): void {
  counter.total++;
  const status = String(call.httpStatus ?? 0);
  counter.byHttpStatus[status] = (counter.byHttpStatus[status] ?? 0) + 1;
  if (call.code !== undefined) counter.byCode[call.code] = (counter.byCode[call.code] ?? 0) + 1;
}

/** Everything the simulator remembers, in memory: cases, their events, licences, and every call. */
@Injectable()
export class SimulatorState {
  private cases = new Map<string, SimulatedCase>();
  private bySource = new Map<string, string>();
  private projectSequences = new Map<string, number>();
  private licenses = new Map<string, RegisteredLicense>();
  private calls: ReceivedCall[] = [];
  private nextCallId = 1;
  private totals = newCounter();
  private perEndpoint = new Map<string, Counter>();
  private rateLimited = 0;
  private dropped = 0;

  constructor(@Inject(SIMULATOR_OPTIONS) private readonly options: ResolvedSimulatorOptions) {}

  reset(): void {
    this.cases = new Map();
    this.bySource = new Map();
    this.projectSequences = new Map();
    this.licenses = new Map();
    this.calls = [];
    this.nextCallId = 1;
    this.totals = newCounter();
    this.perEndpoint = new Map();
    this.rateLimited = 0;
    this.dropped = 0;
  }

  // ---- cases ----

  findCase(projectNo: string): SimulatedCase | undefined {
    return this.cases.get(projectNo);
  }

  findCaseBySource(orgCode: string, sourceCaseId: string): SimulatedCase | undefined {
    const projectNo = this.bySource.get(`${orgCode}\n${sourceCaseId}`);
    return projectNo === undefined ? undefined : this.cases.get(projectNo);
  }

  /** Opens a case under a new project_no: task_code + yyyyMMdd + a 4-digit daily sequence. */
  createCase(
    init: Omit<SimulatedCase, 'projectNo' | 'createdAt' | 'acceptCalls' | 'lastSeq' | 'closed' | 'events'>,
    now = Date.now(),
  ): SimulatedCase {
    const prefix = `${init.taskCode}${formatBeijingCompactDate(now)}`;
    const sequence = (this.projectSequences.get(prefix) ?? 0) + 1;
    this.projectSequences.set(prefix, sequence);
    const created: SimulatedCase = {
      ...init,
      projectNo: `${prefix}${String(sequence).padStart(4, '0')}`,
      createdAt: formatBeijingDateTime(now),
      acceptCalls: 1,
      lastSeq: 0,
      closed: false,
      events: [],
    };
    this.cases.set(created.projectNo, created);
    this.bySource.set(`${init.orgCode}\n${init.sourceCaseId}`, created.projectNo);
    return created;
  }

  /** Forgets one case (its events go with it), as a platform that lost it would: for reconciliation tests. */
  deleteCase(projectNo: string): SimulatedCase | undefined {
    const found = this.cases.get(projectNo);
    if (!found) return undefined;
    this.cases.delete(projectNo);
    this.bySource.delete(`${found.orgCode}\n${found.sourceCaseId}`);
    return found;
  }

  listCases(): SimulatedCase[] {
    return [...this.cases.values()];
  }

  casesOf(orgCode: string, businessDate: string): SimulatedCase[] {
    return this.listCases().filter((c) => c.orgCode === orgCode && c.businessDate === businessDate);
  }

  // ---- licences ----

  registerLicense(content: Record<string, unknown>, now = Date.now()): RegisteredLicense {
    const key = `${String(content.certificate_type_code)}\n${String(content.certificate_number)}`;
    const previous = this.licenses.get(key);
    const registered = {
      content,
      registeredAt: formatBeijingDateTime(now),
      registrations: (previous?.registrations ?? 0) + 1,
    };
    this.licenses.set(key, registered);
    return registered;
  }

  listLicenses(): RegisteredLicense[] {
    return [...this.licenses.values()];
  }

  // ---- received calls ----

  openCall(
    init: Pick<ReceivedCall, 'method' | 'path' | 'endpoint' | 'appId' | 'projectNo'>,
    now = Date.now(),
  ): ReceivedCall {
    const call: ReceivedCall = {
      id: this.nextCallId++,
      receivedAt: formatBeijingDateTime(now),
      receivedAtMs: now,
      ...init,
    };
    this.calls.push(call);
    if (this.calls.length > this.options.maxReceivedCalls)
      this.calls.splice(0, this.calls.length - this.options.maxReceivedCalls);
    return call;
  }

  /** Completes a call once answered (or dropped) and counts it. */
  closeCall(call: ReceivedCall, httpStatus: number, now = Date.now()): void {
    call.httpStatus = httpStatus;
    call.durationMs = now - call.receivedAtMs;
    const body = (call.body ?? {}) as Record<string, unknown>;
    if (call.endpoint === 'accept') {
      const data = (call.response as { data?: { project_no?: unknown } } | undefined)?.data;
      if (typeof data?.project_no === 'string') call.projectNo = data.project_no;
      if (typeof body.source_case_id === 'string') call.sourceCaseId = body.source_case_id;
      if (typeof body.org_code === 'string') call.orgCode = body.org_code;
    } else {
      if (call.endpoint === 'licenses' && typeof body.project_no === 'string') call.projectNo = body.project_no;
      const known = call.projectNo === undefined ? undefined : this.cases.get(call.projectNo);
      if (known) {
        call.sourceCaseId = known.sourceCaseId;
        call.orgCode = known.orgCode;
      }
    }
    count(this.totals, call);
    let endpointCounter = this.perEndpoint.get(call.endpoint);
    if (!endpointCounter) this.perEndpoint.set(call.endpoint, (endpointCounter = newCounter()));
    count(endpointCounter, call);
    if (httpStatus === 429) this.rateLimited++;
    if (httpStatus === 0) this.dropped++;
  }

  receivedCalls(filter: ReceivedFilter = {}): ReceivedCall[] {
    return this.calls.filter(
      (c) =>
        (filter.projectNo === undefined || c.projectNo === filter.projectNo) &&
        (filter.sourceCaseId === undefined || c.sourceCaseId === filter.sourceCaseId) &&
        (filter.orgCode === undefined || c.orgCode === filter.orgCode) &&
        (filter.endpoint === undefined || c.endpoint === filter.endpoint) &&
        (filter.appId === undefined || c.appId === filter.appId),
    );
  }

  statistics(): SimulatorStatistics {
    const cases = this.listCases();
    return {
      ...structuredClone(this.totals),
      rateLimited: this.rateLimited,
      dropped: this.dropped,
      byEndpoint: Object.fromEntries([...this.perEndpoint].map(([name, c]) => [name, structuredClone(c)])),
      cases: cases.length,
      closedCases: cases.filter((c) => c.closed).length,
      licenses: this.licenses.size,
    };
  }
}
