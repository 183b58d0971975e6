/** Code tables of the canonical model (canonical-case.md). Provisional platform tables live in config. */

/** 证件类型 (public-security common codes), plus USCC for organisations. */
export const CERT_TYPES = {
  '111': '居民身份证',
  '112': '临时居民身份证',
  '113': '户口簿',
  '414': '普通护照',
  '511': '台湾居民来往大陆通行证',
  '516': '港澳同胞回乡证',
  '553': '外国人永久居留身份证',
  '990': '其他',
  USCC: '统一社会信用代码',
} as const;
export type CertType = keyof typeof CERT_TYPES;
export const CERT_TYPE_CODES = Object.keys(CERT_TYPES) as CertType[];

/** Certificate types whose number is a citizen ID number (GB 11643). */
export const ID_NUMBER_CERT_TYPES: ReadonlySet<CertType> = new Set<CertType>(['111', '112']);

/** 申请人类型 (好差评 userProp) as kinds of party. */
export const PARTY_KINDS = {
  PERSON: 1,
  ENTERPRISE: 2,
  INSTITUTION: 3,
  SOCIAL_ORG: 4,
  NON_LEGAL_ENTERPRISE: 5,
  GOVERNMENT: 6,
  OTHER: 9,
} as const;
export type PartyKind = keyof typeof PARTY_KINDS;
export const PARTY_KIND_NAMES = Object.keys(PARTY_KINDS) as PartyKind[];

/** 申请渠道. */
export const APPLY_CHANNELS = { WINDOW: 1, ONLINE: 2, MAIL: 3, EXPRESS: 4, OTHER: 9 } as const;
export type ApplyChannel = keyof typeof APPLY_CHANNELS;
export const APPLY_CHANNEL_NAMES = Object.keys(APPLY_CHANNELS) as ApplyChannel[];

/** 办结结果 (e-supervision DONERESULT). */
export const RESULT_TYPES = {
  0: '出证办结(准予)',
  1: '不予许可',
  2: '作废办结',
  3: '删除办结',
  4: '转报办结',
  5: '退件',
  6: '不予受理',
} as const;
export type ResultType = 0 | 1 | 2 | 3 | 4 | 5 | 6;

/** 事项类型. */
export const MATTER_TYPES = {
  '01': '行政许可',
  '02': '行政处罚',
  '03': '行政强制',
  '04': '行政征收',
  '05': '行政给付',
  '06': '行政检查',
  '07': '行政确认',
  '08': '行政奖励',
  '09': '行政裁决',
  '10': '其他行政权力',
  '20': '公共服务',
} as const;
export type MatterType = keyof typeof MATTER_TYPES;

/** 办件类型. */
export const PROJECT_TYPES = { 1: '即办件', 2: '承诺件', 3: '联办件', 4: '上报件' } as const;

/** 时限单位. */
export const TIME_LIMIT_UNITS = ['WORKING_DAY', 'NATURAL_DAY', 'HOUR'] as const;
export type TimeLimitUnit = (typeof TIME_LIMIT_UNITS)[number];
