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

/** 特别程序的种类 (canonical-case.md): what a platform's `special_type` carries. */
export const SPECIAL_PROCEDURE_KINDS = ['听证', '公示', '核实/检验检测', '专家评审', '挂起'] as const;
export type SpecialProcedureKind = (typeof SPECIAL_PROCEDURE_KINDS)[number];

/**
 * The kind of special procedure a department's name for it means (`听证会` → 听证, `现场核查` →
 * 核实/检验检测, `中止审查` → 挂起), or undefined when it names none of them.
 */
export function specialProcedureKind(name: string | null | undefined): SpecialProcedureKind | undefined {
  if (!name) return undefined;
  if (name.includes('听证')) return '听证';
  if (name.includes('公示') || name.includes('公告')) return '公示';
  if (/核实|核查|检验|检测|检疫|勘验|鉴定/.test(name)) return '核实/检验检测';
  if (name.includes('专家') || name.includes('评审') || name.includes('论证')) return '专家评审';
  if (/挂起|中止|暂停/.test(name)) return '挂起';
  return undefined;
}

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
