import { CLOSING_STAGES, FINAL_STAGES, Stage } from './stages';

/** One stage event as the stage machine sees it. */
export interface StageEntry {
  stage: Stage;
  /** When the stage happened, as reported by the department (ISO-8601). */
  stageTime: string;
  /** The department's own sequence number, when it has one. */
  sourceSeq?: number | null;
  /** Arrival order at the gateway; the last tie-breaker. */
  arrival?: number;
  /** Identifies the event in messages (the department's event id). */
  ref?: string;
}

export type TransitionCode =
  | 'STAGE_AFTER_FINAL'
  | 'STAGE_AFTER_COMPLETION'
  | 'STAGE_REQUIRES_ACCEPTANCE'
  | 'STAGE_REQUIRES_SUBMISSION'
  | 'STAGE_REPEATED'
  | 'SUPPLEMENT_NOT_REQUESTED'
  | 'SPECIAL_NOT_STARTED'
  | 'DELIVERY_WITHOUT_COMPLETION';

export interface TransitionIssue {
  code: TransitionCode;
  stage: Stage;
  previous: Stage | null;
  ref?: string;
  message: string;
}

function timeOf(stageTime: unknown): number {
  const t = typeof stageTime === 'string' ? Date.parse(stageTime) : NaN;
  return Number.isFinite(t) ? t : Number.POSITIVE_INFINITY;
}

/** Order of events within one case: stage time, then the department's sequence, then arrival. */
export function compareStageEntries(a: StageEntry, b: StageEntry): number {
  // An unreadable time sorts after every readable one (NaN would make the comparator
  // inconsistent and the order of the whole history arbitrary).
  const ta = timeOf(a.stageTime);
  const tb = timeOf(b.stageTime);
  if (ta !== tb) return ta < tb ? -1 : 1;
  const sa = a.sourceSeq ?? Number.MAX_SAFE_INTEGER;
  const sb = b.sourceSeq ?? Number.MAX_SAFE_INTEGER;
  if (sa !== sb) return sa - sb;
  return (a.arrival ?? 0) - (b.arrival ?? 0);
}

/** Histories up to this long are ordered by insertion; longer ones by `Array.prototype.sort`. */
const INSERTION_SORT_MAX = 16;

export function orderStageEntries<T extends StageEntry>(entries: readonly T[]): T[] {
  const ordered = entries.slice();
  if (ordered.length > INSERTION_SORT_MAX) return ordered.sort(compareStageEntries);
  // A case's history is a handful of entries, nearly always in order already: insertion (stable,
  // like `sort`) then makes n - 1 comparisons, where `sort` also builds a work array on every
  // call (twice per batch row, ~1 KB each on a 50,000-row file).
  for (let i = 1; i < ordered.length; i++) {
    const entry = ordered[i];
    let j = i - 1;
    while (j >= 0 && compareStageEntries(ordered[j], entry) > 0) {
      ordered[j + 1] = ordered[j];
      j--;
    }
    ordered[j + 1] = entry;
  }
  return ordered;
}

const NEEDS_ACCEPTANCE: ReadonlySet<Stage> = new Set<Stage>([
  'UNDERTAKEN',
  'REVIEWED',
  'APPROVED',
  'SPECIAL_STARTED',
  'SPECIAL_ENDED',
  'COMPLETED',
]);

const OPENING: ReadonlySet<Stage> = new Set<Stage>(['SUBMITTED', 'ACCEPTED', 'NOT_ACCEPTED']);

/**
 * Walks a case's history in stage order and returns the first impossible move, or null.
 * A department may skip stages; it may not go on after a terminal stage, complete
 * without acceptance, or close a supplement / special procedure that was never opened.
 */
export function findTransitionIssue(entries: readonly StageEntry[]): TransitionIssue | null {
  return findTransitionIssueInOrder(orderStageEntries(entries));
}

/** `findTransitionIssue` for a history already in stage order (`orderStageEntries`). */
export function findTransitionIssueInOrder(ordered: readonly StageEntry[]): TransitionIssue | null {
  let previous: Stage | null = null;
  let submitted = false;
  let accepted = false;
  let completed = false;
  let supplementOpen = false;
  let specialOpen = false;

  for (const entry of ordered) {
    const { stage } = entry;
    const issue = (code: TransitionCode, message: string): TransitionIssue => ({
      code,
      stage,
      previous,
      ref: entry.ref,
      message,
    });

    if (previous && FINAL_STAGES.has(previous)) {
      return issue('STAGE_AFTER_FINAL', `${stage} cannot follow the terminal stage ${previous}`);
    }
    if (completed && stage !== 'DELIVERED') {
      return issue('STAGE_AFTER_COMPLETION', `${stage} cannot follow COMPLETED; only DELIVERED may`);
    }
    if (stage === 'DELIVERED' && !completed) {
      return issue('DELIVERY_WITHOUT_COMPLETION', 'DELIVERED requires COMPLETED before it');
    }
    if (stage === 'SUBMITTED' && (submitted || accepted)) {
      return issue('STAGE_REPEATED', 'SUBMITTED must be the first stage of a case');
    }
    if (stage === 'ACCEPTED' && accepted) {
      return issue('STAGE_REPEATED', 'the case was already accepted');
    }
    if (stage === 'NOT_ACCEPTED' && accepted) {
      return issue('STAGE_REPEATED', 'NOT_ACCEPTED cannot follow ACCEPTED');
    }
    if (NEEDS_ACCEPTANCE.has(stage) && !accepted) {
      return issue('STAGE_REQUIRES_ACCEPTANCE', `${stage} requires ACCEPTED before it`);
    }
    if ((stage === 'SUPPLEMENT_REQUESTED' || stage === 'WITHDRAWN') && !submitted && !accepted) {
      return issue('STAGE_REQUIRES_SUBMISSION', `${stage} requires the case to have been opened`);
    }
    if (stage === 'SUPPLEMENT_RECEIVED' && !supplementOpen) {
      return issue('SUPPLEMENT_NOT_REQUESTED', 'SUPPLEMENT_RECEIVED without an open SUPPLEMENT_REQUESTED');
    }
    if (stage === 'SPECIAL_ENDED' && !specialOpen) {
      return issue('SPECIAL_NOT_STARTED', 'SPECIAL_ENDED without an open SPECIAL_STARTED');
    }

    if (OPENING.has(stage)) submitted = true;
    if (stage === 'ACCEPTED') accepted = true;
    if (stage === 'COMPLETED') completed = true;
    if (stage === 'SUPPLEMENT_REQUESTED') supplementOpen = true;
    if (stage === 'SUPPLEMENT_RECEIVED') supplementOpen = false;
    if (stage === 'SPECIAL_STARTED') specialOpen = true;
    if (stage === 'SPECIAL_ENDED') specialOpen = false;
    previous = stage;
  }
  return null;
}

/** Whether a case with this (ordered) history is closed for processing. */
export function isClosed(entries: readonly StageEntry[]): boolean {
  return entries.some((e) => CLOSING_STAGES.has(e.stage));
}

/** The latest stage in stage order, or null for an empty history. */
export function currentStage(entries: readonly StageEntry[]): Stage | null {
  const ordered = orderStageEntries(entries);
  return ordered.length ? ordered[ordered.length - 1].stage : null;
}
