import fc from 'fast-check';
import {
  compareStageEntries,
  currentStage,
  findTransitionIssue,
  isClosed,
  orderStageEntries,
  StageEntry,
  TransitionCode,
} from './stage-machine';
import { Stage } from './stages';

/** Builds a history from stages one minute apart, each with a ref `e1`, `e2`, … */
function history(...stages: Stage[]): StageEntry[] {
  return stages.map((stage, i) => ({
    stage,
    stageTime: new Date(Date.parse('2026-10-23T09:00:00+08:00') + i * 60_000).toISOString(),
    ref: `e${i + 1}`,
  }));
}

const at = (stage: Stage, time: string, extra: Partial<StageEntry> = {}): StageEntry => ({
  stage,
  stageTime: `2026-10-23T${time}:00+08:00`,
  ...extra,
});

describe('findTransitionIssue: allowed sequences', () => {
  it.each<[string, Stage[]]>([
    ['即办件 SUBMITTED → ACCEPTED → COMPLETED', ['SUBMITTED', 'ACCEPTED', 'COMPLETED']],
    [
      'the full path with supplement and special procedure',
      [
        'SUBMITTED',
        'SUPPLEMENT_REQUESTED',
        'SUPPLEMENT_RECEIVED',
        'ACCEPTED',
        'UNDERTAKEN',
        'SUPPLEMENT_REQUESTED',
        'SUPPLEMENT_RECEIVED',
        'REVIEWED',
        'SPECIAL_STARTED',
        'SPECIAL_ENDED',
        'APPROVED',
        'COMPLETED',
        'DELIVERED',
      ],
    ],
    ['COMPLETED → DELIVERED', ['SUBMITTED', 'ACCEPTED', 'COMPLETED', 'DELIVERED']],
    ['NOT_ACCEPTED as the first event', ['NOT_ACCEPTED']],
    ['SUBMITTED → NOT_ACCEPTED', ['SUBMITTED', 'NOT_ACCEPTED']],
    ['WITHDRAWN after ACCEPTED', ['SUBMITTED', 'ACCEPTED', 'WITHDRAWN']],
    ['WITHDRAWN right after SUBMITTED', ['SUBMITTED', 'WITHDRAWN']],
    ['ACCEPTED as the first event (SUBMITTED skipped)', ['ACCEPTED', 'COMPLETED']],
    ['skipping process steps', ['SUBMITTED', 'ACCEPTED', 'APPROVED', 'COMPLETED']],
    ['completing while a supplement is still open (退件)', ['SUBMITTED', 'ACCEPTED', 'SUPPLEMENT_REQUESTED', 'COMPLETED']],
    ['a single SUBMITTED', ['SUBMITTED']],
  ])('%s', (_name, stages) => {
    expect(findTransitionIssue(history(...stages))).toBeNull();
  });

  it('an empty history has no issue', () => {
    expect(findTransitionIssue([])).toBeNull();
  });
});

describe('findTransitionIssue: refused moves', () => {
  it.each<[string, Stage[], TransitionCode, Stage, Stage | null]>([
    ['ACCEPTED after NOT_ACCEPTED', ['SUBMITTED', 'NOT_ACCEPTED', 'ACCEPTED'], 'STAGE_AFTER_FINAL', 'ACCEPTED', 'NOT_ACCEPTED'],
    ['COMPLETED after NOT_ACCEPTED', ['NOT_ACCEPTED', 'COMPLETED'], 'STAGE_AFTER_FINAL', 'COMPLETED', 'NOT_ACCEPTED'],
    ['SUBMITTED after NOT_ACCEPTED', ['SUBMITTED', 'NOT_ACCEPTED', 'SUBMITTED'], 'STAGE_AFTER_FINAL', 'SUBMITTED', 'NOT_ACCEPTED'],
    ['NOT_ACCEPTED twice', ['NOT_ACCEPTED', 'NOT_ACCEPTED'], 'STAGE_AFTER_FINAL', 'NOT_ACCEPTED', 'NOT_ACCEPTED'],
    ['COMPLETED after WITHDRAWN', ['SUBMITTED', 'ACCEPTED', 'WITHDRAWN', 'COMPLETED'], 'STAGE_AFTER_FINAL', 'COMPLETED', 'WITHDRAWN'],
    ['UNDERTAKEN after WITHDRAWN', ['SUBMITTED', 'ACCEPTED', 'WITHDRAWN', 'UNDERTAKEN'], 'STAGE_AFTER_FINAL', 'UNDERTAKEN', 'WITHDRAWN'],
    ['WITHDRAWN after DELIVERED', ['ACCEPTED', 'COMPLETED', 'DELIVERED', 'WITHDRAWN'], 'STAGE_AFTER_FINAL', 'WITHDRAWN', 'DELIVERED'],
    ['DELIVERED twice', ['ACCEPTED', 'COMPLETED', 'DELIVERED', 'DELIVERED'], 'STAGE_AFTER_FINAL', 'DELIVERED', 'DELIVERED'],
    ['COMPLETED without ACCEPTED', ['SUBMITTED', 'COMPLETED'], 'STAGE_REQUIRES_ACCEPTANCE', 'COMPLETED', 'SUBMITTED'],
    ['COMPLETED as the first event', ['COMPLETED'], 'STAGE_REQUIRES_ACCEPTANCE', 'COMPLETED', null],
    ['UNDERTAKEN without ACCEPTED', ['SUBMITTED', 'UNDERTAKEN'], 'STAGE_REQUIRES_ACCEPTANCE', 'UNDERTAKEN', 'SUBMITTED'],
    ['SPECIAL_STARTED without ACCEPTED', ['SUBMITTED', 'SPECIAL_STARTED'], 'STAGE_REQUIRES_ACCEPTANCE', 'SPECIAL_STARTED', 'SUBMITTED'],
    ['APPROVED after COMPLETED', ['SUBMITTED', 'ACCEPTED', 'COMPLETED', 'APPROVED'], 'STAGE_AFTER_COMPLETION', 'APPROVED', 'COMPLETED'],
    ['WITHDRAWN after COMPLETED', ['ACCEPTED', 'COMPLETED', 'WITHDRAWN'], 'STAGE_AFTER_COMPLETION', 'WITHDRAWN', 'COMPLETED'],
    ['COMPLETED twice', ['ACCEPTED', 'COMPLETED', 'COMPLETED'], 'STAGE_AFTER_COMPLETION', 'COMPLETED', 'COMPLETED'],
    [
      'SUPPLEMENT_RECEIVED without a request',
      ['SUBMITTED', 'ACCEPTED', 'SUPPLEMENT_RECEIVED'],
      'SUPPLEMENT_NOT_REQUESTED',
      'SUPPLEMENT_RECEIVED',
      'ACCEPTED',
    ],
    [
      'a second SUPPLEMENT_RECEIVED for one request',
      ['SUBMITTED', 'SUPPLEMENT_REQUESTED', 'SUPPLEMENT_RECEIVED', 'SUPPLEMENT_RECEIVED'],
      'SUPPLEMENT_NOT_REQUESTED',
      'SUPPLEMENT_RECEIVED',
      'SUPPLEMENT_RECEIVED',
    ],
    ['SPECIAL_ENDED without a start', ['SUBMITTED', 'ACCEPTED', 'SPECIAL_ENDED'], 'SPECIAL_NOT_STARTED', 'SPECIAL_ENDED', 'ACCEPTED'],
    [
      'a second SPECIAL_ENDED for one start',
      ['ACCEPTED', 'SPECIAL_STARTED', 'SPECIAL_ENDED', 'SPECIAL_ENDED'],
      'SPECIAL_NOT_STARTED',
      'SPECIAL_ENDED',
      'SPECIAL_ENDED',
    ],
    ['DELIVERED without COMPLETED', ['SUBMITTED', 'ACCEPTED', 'DELIVERED'], 'DELIVERY_WITHOUT_COMPLETION', 'DELIVERED', 'ACCEPTED'],
    ['DELIVERED as the first event', ['DELIVERED'], 'DELIVERY_WITHOUT_COMPLETION', 'DELIVERED', null],
    ['a second ACCEPTED', ['SUBMITTED', 'ACCEPTED', 'ACCEPTED'], 'STAGE_REPEATED', 'ACCEPTED', 'ACCEPTED'],
    ['a second SUBMITTED', ['SUBMITTED', 'SUBMITTED'], 'STAGE_REPEATED', 'SUBMITTED', 'SUBMITTED'],
    ['SUBMITTED after ACCEPTED', ['ACCEPTED', 'SUBMITTED'], 'STAGE_REPEATED', 'SUBMITTED', 'ACCEPTED'],
    ['NOT_ACCEPTED after ACCEPTED', ['SUBMITTED', 'ACCEPTED', 'NOT_ACCEPTED'], 'STAGE_REPEATED', 'NOT_ACCEPTED', 'ACCEPTED'],
    ['WITHDRAWN as the first event', ['WITHDRAWN'], 'STAGE_REQUIRES_SUBMISSION', 'WITHDRAWN', null],
    ['SUPPLEMENT_REQUESTED as the first event', ['SUPPLEMENT_REQUESTED'], 'STAGE_REQUIRES_SUBMISSION', 'SUPPLEMENT_REQUESTED', null],
  ])('%s', (_name, stages, code, stage, previous) => {
    const entries = history(...stages);
    const issue = findTransitionIssue(entries);
    expect(issue).toEqual({ code, stage, previous, ref: `e${stages.length}`, message: expect.any(String) });
    expect(issue!.message.length).toBeGreaterThan(0);
  });

  it('reports the first impossible move, not a later one', () => {
    const issue = findTransitionIssue(history('SUBMITTED', 'COMPLETED', 'ACCEPTED', 'ACCEPTED'));
    expect(issue).toMatchObject({ code: 'STAGE_REQUIRES_ACCEPTANCE', stage: 'COMPLETED', previous: 'SUBMITTED', ref: 'e2' });
  });

  it('walks the history in stage order, not in the order given', () => {
    const entries = history('SUBMITTED', 'NOT_ACCEPTED', 'ACCEPTED');
    const issue = findTransitionIssue([entries[2], entries[0], entries[1]]);
    expect(issue).toMatchObject({ code: 'STAGE_AFTER_FINAL', stage: 'ACCEPTED', previous: 'NOT_ACCEPTED', ref: 'e3' });
  });
});

describe('out-of-order arrival', () => {
  it('[COMPLETED@10:05, ACCEPTED@10:00, SUBMITTED@09:00] is a valid history', () => {
    const entries = [at('COMPLETED', '10:05', { ref: 'c' }), at('ACCEPTED', '10:00', { ref: 'a' }), at('SUBMITTED', '09:00', { ref: 's' })];
    expect(findTransitionIssue(entries)).toBeNull();
    expect(orderStageEntries(entries).map((e) => e.ref)).toEqual(['s', 'a', 'c']);
    expect(currentStage(entries)).toBe('COMPLETED');
  });

  it('does not reorder the array it was given', () => {
    const entries = [at('COMPLETED', '10:05'), at('ACCEPTED', '10:00'), at('SUBMITTED', '09:00')];
    const before = entries.map((e) => e.stage);
    const ordered = orderStageEntries(entries);
    expect(ordered).not.toBe(entries);
    expect(entries.map((e) => e.stage)).toEqual(before);
  });

  it('orders by the instant, whatever the offset', () => {
    // 09:30+08:00 is 01:30Z, before 02:00Z.
    const later: StageEntry = { stage: 'ACCEPTED', stageTime: '2026-10-23T02:00:00Z', ref: 'later' };
    const earlier: StageEntry = { stage: 'SUBMITTED', stageTime: '2026-10-23T09:30:00+08:00', ref: 'earlier' };
    expect(orderStageEntries([later, earlier]).map((e) => e.ref)).toEqual(['earlier', 'later']);
  });

  it('breaks equal stage times by the department sequence', () => {
    const entries = [
      at('COMPLETED', '10:00', { sourceSeq: 3, arrival: 1 }),
      at('SUBMITTED', '10:00', { sourceSeq: 1, arrival: 2 }),
      at('ACCEPTED', '10:00', { sourceSeq: 2, arrival: 3 }),
    ];
    expect(orderStageEntries(entries).map((e) => e.stage)).toEqual(['SUBMITTED', 'ACCEPTED', 'COMPLETED']);
    expect(findTransitionIssue(entries)).toBeNull();
  });

  it('then by arrival', () => {
    const entries = [at('COMPLETED', '10:00', { arrival: 3 }), at('SUBMITTED', '10:00', { arrival: 1 }), at('ACCEPTED', '10:00', { arrival: 2 })];
    expect(orderStageEntries(entries).map((e) => e.stage)).toEqual(['SUBMITTED', 'ACCEPTED', 'COMPLETED']);
    expect(findTransitionIssue(entries)).toBeNull();
  });

  it('the stage time wins over the sequence and the sequence over arrival', () => {
    const entries = [
      at('ACCEPTED', '10:01', { sourceSeq: 1, arrival: 1, ref: 'x' }),
      at('SUBMITTED', '10:00', { sourceSeq: 9, arrival: 9, ref: 'y' }),
      at('UNDERTAKEN', '10:01', { sourceSeq: 2, arrival: 0, ref: 'z' }),
    ];
    expect(orderStageEntries(entries).map((e) => e.ref)).toEqual(['y', 'x', 'z']);
  });

  it('puts entries without a sequence after those with one at the same time', () => {
    const entries = [at('ACCEPTED', '10:00', { arrival: 0, ref: 'none' }), at('SUBMITTED', '10:00', { sourceSeq: 5, arrival: 1, ref: 'seq' })];
    expect(orderStageEntries(entries).map((e) => e.ref)).toEqual(['seq', 'none']);
    const withNull = [at('ACCEPTED', '10:00', { sourceSeq: null, arrival: 0, ref: 'null' }), at('SUBMITTED', '10:00', { sourceSeq: 0, arrival: 1, ref: 'zero' })];
    expect(orderStageEntries(withNull).map((e) => e.ref)).toEqual(['zero', 'null']);
  });

  it('keeps the given order when everything is equal (stable)', () => {
    const entries = [at('SUBMITTED', '10:00', { ref: 'a' }), at('SUBMITTED', '10:00', { ref: 'b' }), at('SUBMITTED', '10:00', { ref: 'c' })];
    expect(orderStageEntries(entries).map((e) => e.ref)).toEqual(['a', 'b', 'c']);
  });

  it('sorts an unreadable stage time after every readable one, consistently', () => {
    const bad: StageEntry = { stage: 'APPROVED', stageTime: 'not a time', ref: 'bad' };
    const entries = [at('COMPLETED', '10:05', { ref: 'c' }), bad, at('SUBMITTED', '09:00', { ref: 's' }), at('ACCEPTED', '10:00', { ref: 'a' })];
    expect(orderStageEntries(entries).map((e) => e.ref)).toEqual(['s', 'a', 'c', 'bad']);
    expect(orderStageEntries([...entries].reverse()).map((e) => e.ref)).toEqual(['s', 'a', 'c', 'bad']);
    expect(compareStageEntries(bad, entries[0])).toBeGreaterThan(0);
    expect(compareStageEntries(entries[0], bad)).toBeLessThan(0);
  });

  it('orders any history as a stable sort by compareStageEntries would, without changing its input', () => {
    const entry = fc.record({
      stage: fc.constantFrom<Stage>('SUBMITTED', 'ACCEPTED', 'UNDERTAKEN', 'COMPLETED', 'DELIVERED'),
      stageTime: fc.oneof(
        fc.constantFrom('2026-10-23T09:00:00+08:00', '2026-10-23T01:00:00Z', '2026-10-23T09:00:00.500+08:00', 'not a time'),
        fc.integer({ min: 0, max: 5 }).map((m) => `2026-10-23T09:0${m}:00+08:00`),
      ),
      sourceSeq: fc.option(fc.integer({ min: 0, max: 3 })),
      arrival: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      ref: fc.string({ maxLength: 3 }),
    });
    // Up to 40 entries: both the insertion path (≤ 16) and the long-history path.
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 40 }), (entries) => {
        const before = [...entries];
        const tagged = entries.map((e, i) => ({ ...e, ref: `${i}` }));
        expect(orderStageEntries(tagged)).toEqual([...tagged].sort(compareStageEntries));
        expect(orderStageEntries(entries)).toHaveLength(entries.length);
        expect(entries).toEqual(before);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('compareStageEntries', () => {
  it('is negative, zero or positive as the first entry comes before, with or after the second', () => {
    const a = at('SUBMITTED', '09:00');
    const b = at('ACCEPTED', '10:00');
    expect(compareStageEntries(a, b)).toBeLessThan(0);
    expect(compareStageEntries(b, a)).toBeGreaterThan(0);
    expect(compareStageEntries(a, { ...a })).toBe(0);
  });
});

describe('isClosed', () => {
  it.each<[Stage[], boolean]>([
    [[], false],
    [['SUBMITTED'], false],
    [['SUBMITTED', 'ACCEPTED', 'UNDERTAKEN', 'SPECIAL_STARTED'], false],
    [['SUBMITTED', 'ACCEPTED', 'COMPLETED'], true],
    [['SUBMITTED', 'ACCEPTED', 'COMPLETED', 'DELIVERED'], true],
    [['NOT_ACCEPTED'], true],
    [['SUBMITTED', 'WITHDRAWN'], true],
  ])('%j → %s', (stages, closed) => {
    expect(isClosed(history(...stages))).toBe(closed);
  });

  it('does not depend on the order of the entries', () => {
    const entries = history('SUBMITTED', 'ACCEPTED', 'COMPLETED');
    expect(isClosed([entries[2], entries[0], entries[1]])).toBe(true);
  });
});

describe('currentStage', () => {
  it('is null for an empty history', () => {
    expect(currentStage([])).toBeNull();
  });

  it('is the latest stage in stage order, not the last one given', () => {
    const entries = history('SUBMITTED', 'ACCEPTED', 'REVIEWED');
    expect(currentStage([entries[2], entries[0], entries[1]])).toBe('REVIEWED');
    expect(currentStage([entries[1], entries[2], entries[0]])).toBe('REVIEWED');
    expect(currentStage(entries.slice(0, 2))).toBe('ACCEPTED');
  });
});
