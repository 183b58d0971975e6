/** Canonical stages of a case (办件环节). See docs/departments.md, 1.9 标准环节 · Canonical stages. */
export const STAGES = [
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
] as const;

export type Stage = (typeof STAGES)[number];

export const STAGE_LABEL_ZH: Record<Stage, string> = {
  SUBMITTED: '申报/收件',
  ACCEPTED: '受理',
  NOT_ACCEPTED: '不予受理',
  SUPPLEMENT_REQUESTED: '补齐补正告知',
  SUPPLEMENT_RECEIVED: '补正受理',
  UNDERTAKEN: '承办',
  REVIEWED: '审核',
  APPROVED: '批准',
  SPECIAL_STARTED: '特别程序开始',
  SPECIAL_ENDED: '特别程序结束',
  COMPLETED: '办结',
  DELIVERED: '领证/送达',
  WITHDRAWN: '撤件',
};

/** Stages after which nothing at all may follow. */
export const FINAL_STAGES: ReadonlySet<Stage> = new Set<Stage>(['NOT_ACCEPTED', 'WITHDRAWN', 'DELIVERED']);

/** Stages that close processing; COMPLETED still allows DELIVERED. */
export const CLOSING_STAGES: ReadonlySet<Stage> = new Set<Stage>(['NOT_ACCEPTED', 'WITHDRAWN', 'COMPLETED', 'DELIVERED']);

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

/**
 * How a stage is reported to a platform of the national aggregation family:
 * the opening of a case, a process step, a special procedure, or the result.
 */
export type StageReportKind = 'OPEN' | 'PROCESS' | 'SPECIAL' | 'RESULT';

export function reportKindOf(stage: Stage): StageReportKind {
  switch (stage) {
    case 'SUBMITTED':
    case 'ACCEPTED':
    case 'NOT_ACCEPTED':
      return 'OPEN';
    case 'SPECIAL_STARTED':
    case 'SPECIAL_ENDED':
      return 'SPECIAL';
    case 'COMPLETED':
    case 'WITHDRAWN':
      return 'RESULT';
    default:
      return 'PROCESS';
  }
}
