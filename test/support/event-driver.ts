import { scjgEvent } from './scjg-events';

/** One department event and what the driver learnt about it. */
export interface DrivenEvent {
  caseNo: string;
  /** 0-based position in its case's life. */
  index: number;
  stage: string;
  /** Stage time as posted (ISO with +08:00). */
  statusTime: string;
  body: Record<string, unknown>;
  /** 202 or 200 once acknowledged; undefined if never. */
  ackStatus?: number;
  /** Which target answered the acknowledgement. */
  ackBy?: string;
  attempts: number;
}

export const SCJG_STAGES = [
  { status: 10, stage: 'SUBMITTED' },
  { status: 20, stage: 'ACCEPTED' },
  { status: 30, stage: 'REVIEWED' },
  { status: 40, stage: 'APPROVED' },
  { status: 50, stage: 'COMPLETED' },
] as const;

/** A case's whole life as SCJG reports it: 申报, 受理, 审查, 核准, 办结 (with a business licence). */
export function scjgLifecycle(caseNo: string, caseIndex: number): DrivenEvent[] {
  // Different days and minutes per case, an hour between stages.
  const day = 1 + (caseIndex % 28);
  const minute = caseIndex % 60;
  return SCJG_STAGES.map(({ status, stage }, index) => {
    const statusTime = `2026-10-${String(day).padStart(2, '0')}T${String(8 + index).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00+08:00`;
    const body = scjgEvent({
      bizNo: caseNo,
      status,
      statusTime,
      result: status === 50 ? { decision: 'APPROVED', licenseNo: `91430626MA4Q${caseNo.replace(/\D/g, '').slice(-6).padStart(6, '0')}` } : null,
    });
    return { caseNo, index, stage, statusTime, body, attempts: 0 };
  });
}

export interface DriveOptions {
  /** Base URLs of the ingress processes; event n of a case goes to targets[(case + n + attempt) % length]. */
  targets: string[];
  token: string;
  /** Cases whose lives run at once (each posts its stages one after another). */
  concurrency: number;
  /** Give up on an event after this long (it stays unacknowledged). */
  giveUpAfterMs: number;
}

export interface DriveReport {
  posted: number;
  acknowledged: number;
  /** Attempts that failed on the connection (refused, reset, timed out) and were sent again. */
  connectionErrors: number;
  /** 503 answers (not stored, send again). */
  unavailable: number;
  /** Anything else: a department would not retry these; the suites expect none. */
  unexpected: { caseNo: string; stage: string; status: number; body: string }[];
  /** Acknowledged events, counted as they come (for kill points). */
  progress: () => number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Posts every case's life as a department system would: stages of a case in order, the next only
 * after the previous was acknowledged (202 accepted, or 200 duplicate of an earlier attempt that was
 * stored although its answer was lost); on a refused or broken connection or a 503, the same event
 * again after a short back-off. Returns once every case finished or gave up.
 */
export function driveCases(cases: DrivenEvent[][], options: DriveOptions): { report: DriveReport; done: Promise<DriveReport> } {
  let acked = 0;
  const report: DriveReport = { posted: 0, acknowledged: 0, connectionErrors: 0, unavailable: 0, unexpected: [], progress: () => acked };

  async function post(ev: DrivenEvent, caseIndex: number): Promise<boolean> {
    const started = Date.now();
    for (;;) {
      const target = options.targets[(caseIndex + ev.index + ev.attempts) % options.targets.length];
      ev.attempts++;
      report.posted++;
      let status = 0;
      let text = '';
      try {
        const r = await fetch(`${target}/api/v1/departments/scjg/events`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${options.token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(ev.body),
          signal: AbortSignal.timeout(15_000),
        });
        status = r.status;
        text = await r.text();
      } catch {
        report.connectionErrors++;
      }
      if (status === 202 || status === 200) {
        ev.ackStatus = status;
        ev.ackBy = target;
        acked++;
        report.acknowledged++;
        return true;
      }
      if (status === 503) report.unavailable++;
      else if (status !== 0) {
        report.unexpected.push({ caseNo: ev.caseNo, stage: ev.stage, status, body: text.slice(0, 500) });
        return false;
      }
      if (Date.now() - started > options.giveUpAfterMs) return false;
      await sleep(50 + Math.random() * Math.min(1000, 50 * ev.attempts));
    }
  }

  const queue = cases.map((events, i) => ({ events, i }));
  const lane = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      for (const ev of next.events) if (!(await post(ev, next.i))) break;
    }
  };
  const done = Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, lane)).then(() => report);
  return { report, done };
}
