import {
  APPLY_CHANNELS,
  CanonicalEvent,
  PARTY_KINDS,
  STAGE_LABEL_ZH,
  Stage,
  specialProcedureKind,
  WorkingCalendar,
  formatBeijingDateTime,
  promiseDueDate,
} from '#gw/case';
import type { DepartmentEntry, MatterEntry } from '#gw/catalogue';
import type { LicenceToRegister, PlatformCase } from '../platform-port';

/** Canonical certificate types → the platform's applyer_page_type (organisations have no national code). */
const PAGE_TYPES: Record<string, string> = { USCC: '001' };

const time = (iso: string | undefined) => formatBeijingDateTime(Date.parse(iso ?? new Date().toISOString()));

/** What one canonical stage becomes on a platform of the national aggregation family. */
export type StagePlan =
  | { call: 'ACCEPT' }
  | { call: 'PROCESS' }
  | { call: 'SPECIAL' }
  | { call: 'RESULT'; resultType: number }
  | { call: 'NONE'; reason: string }
  /** A stage this platform's interface has no place for: parked under a clear code, never dropped. */
  | { call: 'PARK'; code: string; reason: string };

/**
 * Decides the call for a stage given what the platform already has. A case not yet on the
 * platform is opened by its first stage (accept, with that stage as status); a case that came in
 * online already has its project_no, so its stages are process steps and results of that case,
 * never a new accept.
 */
export function planStage(kase: PlatformCase, stage: Stage, event: CanonicalEvent): StagePlan {
  const opened = !!kase.platformProjectNo;
  switch (stage) {
    case 'SUBMITTED':
      return opened ? { call: 'NONE', reason: '案件已在平台建立，申报环节无需再报 the case is already on the platform' } : { call: 'ACCEPT' };
    case 'ACCEPTED':
      // A case we opened as SUBMITTED is accepted by repeating /cases/accept (idempotent per
      // org_code + source_case_id: same project_no) with status ACCEPTED, accept_date and
      // promise_date — as a process step they never reached the platform. A case opened online
      // has no source_case_id of ours there, so its acceptance can only be a process step.
      return opened && kase.online ? { call: 'PROCESS' } : { call: 'ACCEPT' };
    case 'NOT_ACCEPTED':
      return opened ? { call: 'RESULT', resultType: 6 } : { call: 'ACCEPT' };
    case 'SPECIAL_STARTED':
    case 'SPECIAL_ENDED':
      return { call: 'SPECIAL' };
    case 'COMPLETED':
      return { call: 'RESULT', resultType: event.result?.type ?? 0 };
    case 'WITHDRAWN':
      return { call: 'RESULT', resultType: 5 };
    case 'DELIVERED':
      // 领证/送达 always follows the completion (the stage machine refuses it before), and the
      // platform closes a case at its result (2003 after it): the delivery is recorded here.
      return { call: 'NONE', reason: '平台在办结时关闭案件，领证/送达仅在网关记录 the platform closes a case at its result' };
    case 'SUPPLEMENT_REQUESTED':
    case 'SUPPLEMENT_RECEIVED':
    case 'UNDERTAKEN':
    case 'REVIEWED':
    case 'APPROVED':
      return { call: 'PROCESS' };
    default:
      return {
        call: 'PARK',
        code: 'STAGE_NOT_IN_PLATFORM_SPEC',
        reason: `平台接口没有环节 ${String(stage)} 的报送方式 the platform interface has no call for stage ${String(stage)}`,
      };
  }
}

/** `calendar`: the working days promise_date is counted in (published schedule + config/holidays.yaml). */
export function acceptBody(kase: PlatformCase, dept: DepartmentEntry, matter: MatterEntry | undefined, e: CanonicalEvent, calendar?: WorkingCalendar) {
  const applicant = e.applicants[0];
  const contact = e.agent ?? applicant;
  const stageTime = time(e.stageTime);
  const accepted = e.stage === 'ACCEPTED';
  const due = accepted && matter?.timeLimit ? promiseDueDate(new Date(e.stageTime), matter.timeLimit, calendar) : undefined;
  return {
    source_case_id: kase.sourceCaseNo,
    task_code: e.matterCode,
    task_name: matter?.name ?? e.matterName,
    project_name: `${applicant.name}${matter?.name ?? e.matterName}`,
    project_type: matter?.projectType ?? 2,
    apply_type: APPLY_CHANNELS[e.applyChannel ?? 'WINDOW'],
    applyer_type: PARTY_KINDS[applicant.kind],
    applyer_name: applicant.name,
    applyer_page_type: PAGE_TYPES[applicant.certType] ?? applicant.certType,
    applyer_page_code: applicant.certNo,
    legal: applicant.legalRep,
    contact_name: contact.name,
    contact_mobile: contact.phone ?? applicant.phone,
    address: e.address,
    org_name: dept.name,
    org_code: dept.orgCode,
    area_code: (e.location ?? kase.location ?? '430626').slice(0, 9),
    handle_user_name: e.handler?.name,
    apply_date: stageTime,
    accept_date: accepted ? stageTime : undefined,
    promise_date: due ? formatBeijingDateTime(due.getTime()) : undefined,
    status: e.stage as 'SUBMITTED' | 'ACCEPTED' | 'NOT_ACCEPTED',
    materials: e.materials?.map((m) => ({ material_name: m.name, get_type: m.getType ?? '1', get_num: m.count ?? 1 })),
  };
}

export function processBody(seq: number, dept: DepartmentEntry, e: CanonicalEvent) {
  const t = time(e.stageTime);
  return {
    seq,
    event_name: e.stage,
    process_name: e.stageName ?? STAGE_LABEL_ZH[e.stage],
    handle_user_name: e.handler?.name ?? dept.name,
    handle_explain: e.opinion ?? e.stageName ?? STAGE_LABEL_ZH[e.stage],
    event_start_time: t,
    event_end_time: t,
  };
}

/**
 * `special_type` is the kind of procedure (听证 公示 核实/检验检测 专家评审 挂起); the start carries
 * `special_time`, the end also `end_time` and the outcome.
 */
export function specialBody(seq: number, e: CanonicalEvent) {
  const t = time(e.stageTime);
  const name = e.special?.name ?? e.stageName ?? STAGE_LABEL_ZH[e.stage];
  return {
    seq,
    // Validation refuses a special procedure of no known kind; 挂起 is only a last resort here.
    special_type: specialProcedureKind(e.special?.name) ?? specialProcedureKind(e.stageName) ?? '挂起',
    special_name: name,
    special_reason: e.special?.reason ?? e.opinion ?? name,
    special_time: t,
    end_time: e.stage === 'SPECIAL_ENDED' ? t : undefined,
    result: e.special?.result,
  };
}

export function resultBody(seq: number, resultType: number, e: CanonicalEvent, handedOver = false) {
  return {
    seq,
    result_date: time(e.stageTime),
    result_type: resultType,
    result_explain: e.result?.explain ?? e.opinion ?? (resultType === 5 ? '申请人撤回' : resultType === 6 ? '不予受理' : undefined),
    result_cetr_name: e.result?.certificateName,
    result_cetr_no: e.result?.certificateNo,
    // 1 when the department had already reported 领证/送达 (DELIVERED) by the time the result goes
    // out (a 即办 certificate handed over at the counter, or a backlog after an outage); a DELIVERED
    // that comes after the result is recorded at the gateway only: the platform has closed the case.
    is_delivery_results: handedOver && e.stage === 'COMPLETED' ? 1 : 0,
  };
}

/**
 * `/licenses`: the type code and number as the gateway stored them for this step (type from
 * config/licence-types.yaml; number the department's, or the GB/T 36904 identifier when its
 * system sends none), so every retry sends the same licence.
 */
export function licenseBody(projectNo: string, dept: DepartmentEntry, e: CanonicalEvent, licence: LicenceToRegister) {
  const holder = e.applicants[0];
  return {
    certificate_name: licence.typeName,
    certificate_number: licence.certificateNo,
    certificate_type_code: licence.typeCode,
    certificate_holder: holder.name,
    certificate_holder_code: holder.certNo,
    certificate_holder_type: holder.kind === 'PERSON' ? '1' : '2',
    issue_dept: dept.name,
    issue_dept_code: dept.orgCode,
    issue_date: licence.issueDate,
    certificate_area_code: (e.location ?? '430626').slice(0, 9),
    project_no: projectNo,
  };
}
