import type { Database } from './database';

export interface AcceptedEvent {
  id: string;
  caseId: string;
  stage: string;
}

interface Waiting {
  sourceEventId: string;
  resolve(found: AcceptedEvent | null): void;
  reject(error: unknown): void;
}

/** Ids per query: well inside every driver's parameter limit and MySQL's packet size. */
const MAX_IDS_PER_QUERY = 500;

/**
 * "Was this department event accepted before?" — asked once per incoming event. The questions
 * asked in one turn of the event loop go to the database together, one indexed query per
 * department, instead of one round trip each: under load dozens arrive per turn, and on MySQL
 * each round trip cost more than the rest of the lookup.
 */
export class AcceptedEventLookup {
  private waiting = new Map<string, Waiting[]>();
  private scheduled = false;

  constructor(private readonly db: Database) {}

  find(department: string, sourceEventId: string): Promise<AcceptedEvent | null> {
    return new Promise((resolve, reject) => {
      let list = this.waiting.get(department);
      if (!list) this.waiting.set(department, (list = []));
      list.push({ sourceEventId, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.run());
      }
    });
  }

  private async run(): Promise<void> {
    this.scheduled = false;
    const batch = this.waiting;
    this.waiting = new Map();
    await Promise.all([...batch].map(([department, waiting]) => this.answer(department, waiting)));
  }

  private async answer(department: string, waiting: Waiting[]): Promise<void> {
    try {
      const ids = [...new Set(waiting.map((w) => w.sourceEventId))];
      const found = new Map<string, AcceptedEvent>();
      for (let at = 0; at < ids.length; at += MAX_IDS_PER_QUERY) {
        const part = ids.slice(at, at + MAX_IDS_PER_QUERY);
        const rows: { id: string; case_id: string; stage: string; source_event_id: string }[] = await this.db.manager.query(
          `SELECT id, case_id, stage, source_event_id FROM case_event WHERE department = ? AND source_event_id IN (${part.map(() => '?').join(', ')})`,
          [department, ...part],
        );
        // The first acceptance wins if a store ever held two (it cannot: the key is unique).
        for (const r of rows) if (!found.has(r.source_event_id)) found.set(r.source_event_id, { id: r.id, caseId: r.case_id, stage: r.stage });
      }
      // Answered in the order asked, so callers go on in arrival order.
      for (const w of waiting) w.resolve(found.get(w.sourceEventId) ?? null);
    } catch (e) {
      for (const w of waiting) w.reject(e);
    }
  }
}
