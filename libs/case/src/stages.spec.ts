import { CLOSING_STAGES, FINAL_STAGES, isStage, reportKindOf, STAGE_LABEL_ZH, STAGES } from './stages';

describe('stages', () => {
  it('lists the 13 canonical stages of the spec in order', () => {
    expect(STAGES).toEqual([
      'SUBMITTED',
      'ACCEPTED',
      'NOT_ACCEPTED',
      'SUPPLEMENT_REQUESTED',
      'SUPPLEMENT_RECEIVED',
      'UNDERTAKEN',
      'REVIEWED',
      'APPROVED',
      'SPECIAL_STARTED',
      'SPECIAL_ENDED',
      'COMPLETED',
      'DELIVERED',
      'WITHDRAWN',
    ]);
  });

  it('has a Chinese label for every stage', () => {
    expect(Object.keys(STAGE_LABEL_ZH).sort()).toEqual([...STAGES].sort());
    expect(STAGE_LABEL_ZH.ACCEPTED).toBe('受理');
    expect(STAGE_LABEL_ZH.COMPLETED).toBe('办结');
    expect(STAGE_LABEL_ZH.WITHDRAWN).toBe('撤件');
  });

  it('final stages are NOT_ACCEPTED, WITHDRAWN and DELIVERED; closing ones add COMPLETED', () => {
    expect([...FINAL_STAGES].sort()).toEqual(['DELIVERED', 'NOT_ACCEPTED', 'WITHDRAWN']);
    expect([...CLOSING_STAGES].sort()).toEqual(['COMPLETED', 'DELIVERED', 'NOT_ACCEPTED', 'WITHDRAWN']);
  });

  it.each([
    ['ACCEPTED', true],
    ['DELIVERED', true],
    ['accepted', false],
    ['DONE', false],
    ['', false],
    [null, false],
    [1, false],
    [{}, false],
  ])('isStage(%p) → %s', (value, expected) => {
    expect(isStage(value)).toBe(expected);
  });

  it.each([
    ['SUBMITTED', 'OPEN'],
    ['ACCEPTED', 'OPEN'],
    ['NOT_ACCEPTED', 'OPEN'],
    ['SUPPLEMENT_REQUESTED', 'PROCESS'],
    ['SUPPLEMENT_RECEIVED', 'PROCESS'],
    ['UNDERTAKEN', 'PROCESS'],
    ['REVIEWED', 'PROCESS'],
    ['APPROVED', 'PROCESS'],
    ['SPECIAL_STARTED', 'SPECIAL'],
    ['SPECIAL_ENDED', 'SPECIAL'],
    ['COMPLETED', 'RESULT'],
    ['DELIVERED', 'PROCESS'],
    ['WITHDRAWN', 'RESULT'],
  ] as const)('reportKindOf(%s) → %s', (stage, kind) => {
    expect(reportKindOf(stage)).toBe(kind);
  });
});
