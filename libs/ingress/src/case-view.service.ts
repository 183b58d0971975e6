import {
  CanonicalEvent,
  PartyDto,
  PINGJIANG_TOWNSHIPS,
  STAGE_LABEL_ZH,
  Stage,
  maskFreeText,
  maskIdNumber,
  maskName,
  maskPhone,
} from '#gw/case';
import { Catalogue } from '#gw/catalogue';
import { PersonalDataCipher } from '#gw/common';
import { CaseReadRepository, CaseRecord, DeliveryAttemptEntity, OutboxEntity } from '#gw/persistence';
import { licenceView } from './licence-view';

export interface MaskedParty {
  kind: string;
  name: string;
  certType: string;
  certNo: string;
  phone?: string;
  legalRep?: string;
}

/** Organisation names and codes are public; a person's are not. */
function maskParty(p: PartyDto | null | undefined): MaskedParty | null {
  if (!p) return null;
  const person = p.kind === 'PERSON';
  return {
    kind: p.kind,
    name: person ? maskName(p.name) : p.name,
    certType: p.certType,
    certNo: person ? maskIdNumber(p.certNo) : p.certNo,
    phone: p.phone ? maskPhone(p.phone) : undefined,
    legalRep: p.legalRep ? maskName(p.legalRep) : undefined,
  };
}

/** The canonical case as operators and APIs see it: history, delivery state, personal data masked. */
export class CaseViewService {
  constructor(
    private readonly cases: CaseReadRepository,
    private readonly cipher: PersonalDataCipher,
    private readonly catalogue: Catalogue,
  ) {}

  /** `department`: only a case of that department (a department reading its own); otherwise any. */
  async byId(id: string, department?: string) {
    const rec = await this.cases.byId(id, department);
    return rec ? this.view(rec) : null;
  }

  async bySourceCaseNo(dept: string, no: string) {
    const rec = await this.cases.bySourceCaseNo(dept.toUpperCase(), no);
    return rec ? this.view(rec) : null;
  }

  async byProjectNo(projectNo: string, department?: string) {
    const rec = await this.cases.byProjectNo(projectNo, department);
    return rec ? this.view(rec) : null;
  }

  view(rec: CaseRecord) {
    const { kase, events, outbox, attempts } = rec;
    const parties = this.cipher.decryptJson<{ applicants: PartyDto[]; agent: PartyDto | null }>(kase.partiesEnc);
    // A stage's own row; a licence it issued is a row of its own on the same event (kind LICENCE).
    const outboxByEvent = new Map(outbox.filter((o) => o.eventId && o.kind === 'STAGE').map((o) => [o.eventId!, o]));
    const licenceByEvent = new Map(outbox.filter((o) => o.eventId && o.kind === 'LICENCE').map((o) => [o.eventId!, o]));
    const counts = { pending: 0, inFlight: 0, delivered: 0, parked: 0, skipped: 0 };
    for (const o of outbox) {
      if (o.status === 'PENDING') counts.pending++;
      else if (o.status === 'IN_FLIGHT') counts.inFlight++;
      else if (o.status === 'DONE') counts.delivered++;
      else if (o.status === 'PARKED') counts.parked++;
      else if (o.status === 'SKIPPED') counts.skipped++;
    }
    const deliveryState = counts.parked ? 'PARKED' : counts.pending || counts.inFlight ? 'PENDING' : outbox.length ? 'DELIVERED' : 'NONE';
    return {
      caseId: kase.id,
      department: kase.department,
      departmentName: this.catalogue.department(kase.department)?.name ?? null,
      sourceCaseNo: kase.sourceCaseNo,
      platformProjectNo: kase.platformProjectNo,
      online: kase.online,
      matterCode: kase.matterCode,
      matterName: kase.matterName,
      location: kase.location,
      locationName: kase.location ? (PINGJIANG_TOWNSHIPS[kase.location.slice(0, 9)] ?? (kase.location === '430626' ? '平江县' : null)) : null,
      currentStage: kase.currentStage,
      currentStageLabel: STAGE_LABEL_ZH[kase.currentStage as Stage] ?? kase.currentStage,
      closed: kase.closed,
      openedAt: kase.openedAt.toISOString(),
      closedAt: kase.closedAt?.toISOString() ?? null,
      applicants: (parties.applicants ?? []).map(maskParty),
      agent: maskParty(parties.agent),
      warnings: kase.warnings ? JSON.parse(kase.warnings) : [],
      delivery: { state: deliveryState, ...counts, platformLastSeq: kase.platformLastSeq },
      // Electronic licences its completions issued: type, GB/T 36904 identifier, number, holder masked, registration.
      licences: (rec.licences ?? []).map((l) => {
        const step = outbox.find((o) => String(o.id) === String(l.outboxId));
        return licenceView({ licence: l, status: step?.status ?? 'MISSING', doneAt: step?.doneAt ?? null }, this.cipher, this.catalogue);
      }),
      stages: events.map((e) => {
        const ev = this.cipher.decryptJson<CanonicalEvent>(e.payloadEnc);
        const o = outboxByEvent.get(e.id);
        return {
          eventId: e.id,
          sourceEventId: e.sourceEventId,
          stage: e.stage,
          stageLabel: STAGE_LABEL_ZH[e.stage as Stage] ?? e.stage,
          stageName: e.stageName,
          stageTime: e.stageTime.toISOString(),
          sourceSeq: e.sourceSeq,
          receivedAt: e.createdAt.toISOString(),
          handler: ev.handler ? { name: ev.handler.name ? maskName(ev.handler.name) : undefined, unit: ev.handler.unit } : null,
          opinion: ev.opinion ? maskFreeText(ev.opinion) : null,
          result: ev.result ?? null,
          warnings: e.warnings ? JSON.parse(e.warnings) : [],
          delivery: o
            ? {
                outboxId: o.id,
                status: o.status,
                attempts: o.attempts,
                platformSeq: o.platformSeq,
                lastErrorCode: o.lastErrorCode,
                lastError: o.lastError,
                parkedReason: o.parkedReason,
                nextAttemptAt: o.status === 'PENDING' ? o.nextAttemptAt.toISOString() : null,
                doneAt: o.doneAt?.toISOString() ?? null,
                history: attempts
                  .filter((a) => a.outboxId === o.id)
                  .map((a) => ({
                    at: a.attemptedAt.toISOString(),
                    endpoint: a.endpoint,
                    durationMs: a.durationMs,
                    httpStatus: a.httpStatus,
                    businessCode: a.businessCode,
                    outcome: a.outcome,
                    message: a.message,
                  })),
              }
            : null,
          licence: licenceOf(licenceByEvent.get(e.id), attempts),
        };
      }),
    };
  }
}

/** The licence a stage issued, as its own delivery step: where it stands and what was tried. */
function licenceOf(o: OutboxEntity | undefined, attempts: DeliveryAttemptEntity[]) {
  if (!o) return undefined;
  return {
    outboxId: o.id,
    status: o.status,
    attempts: o.attempts,
    lastErrorCode: o.lastErrorCode,
    parkedReason: o.parkedReason,
    doneAt: o.doneAt?.toISOString() ?? null,
    history: attempts.filter((a) => a.outboxId === o.id).map((a) => ({ at: a.attemptedAt.toISOString(), endpoint: a.endpoint, httpStatus: a.httpStatus, businessCode: a.businessCode, outcome: a.outcome, message: a.message })),
  };
}
