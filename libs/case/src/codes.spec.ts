import {
  APPLY_CHANNEL_NAMES,
  CERT_TYPE_CODES,
  CERT_TYPES,
  ID_NUMBER_CERT_TYPES,
  MATTER_TYPES,
  PARTY_KIND_NAMES,
  PARTY_KINDS,
  PROJECT_TYPES,
  RESULT_TYPES,
  TIME_LIMIT_UNITS,
} from './codes';

describe('code tables (canonical-case.md)', () => {
  it('certificate types are the public-security codes plus USCC', () => {
    expect(CERT_TYPES).toEqual({
      '111': '居民身份证',
      '112': '临时居民身份证',
      '113': '户口簿',
      '414': '普通护照',
      '511': '台湾居民来往大陆通行证',
      '516': '港澳同胞回乡证',
      '553': '外国人永久居留身份证',
      '990': '其他',
      USCC: '统一社会信用代码',
    });
    expect([...CERT_TYPE_CODES].sort()).toEqual(['111', '112', '113', '414', '511', '516', '553', '990', 'USCC']);
  });

  it('only 居民身份证 and 临时居民身份证 carry a GB 11643 ID number', () => {
    expect([...ID_NUMBER_CERT_TYPES].sort()).toEqual(['111', '112']);
  });

  it('party kinds follow the 好差评 userProp codes', () => {
    expect(PARTY_KINDS).toEqual({
      PERSON: 1,
      ENTERPRISE: 2,
      INSTITUTION: 3,
      SOCIAL_ORG: 4,
      NON_LEGAL_ENTERPRISE: 5,
      GOVERNMENT: 6,
      OTHER: 9,
    });
    expect(PARTY_KIND_NAMES).toHaveLength(7);
  });

  it('apply channels: 窗口 网上 信函 快递 其他', () => {
    expect(APPLY_CHANNEL_NAMES).toEqual(['WINDOW', 'ONLINE', 'MAIL', 'EXPRESS', 'OTHER']);
  });

  it('result types 0–6 (DONERESULT)', () => {
    expect(Object.keys(RESULT_TYPES)).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    expect(RESULT_TYPES[0]).toBe('出证办结(准予)');
    expect(RESULT_TYPES[6]).toBe('不予受理');
  });

  it('matter types 01–10 and 20', () => {
    expect(Object.keys(MATTER_TYPES).sort()).toEqual(['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '20']);
    expect(MATTER_TYPES['01']).toBe('行政许可');
    expect(MATTER_TYPES['20']).toBe('公共服务');
  });

  it('project types 1–4 and time-limit units', () => {
    expect(PROJECT_TYPES).toEqual({ 1: '即办件', 2: '承诺件', 3: '联办件', 4: '上报件' });
    expect(TIME_LIMIT_UNITS).toEqual(['WORKING_DAY', 'NATURAL_DAY', 'HOUR']);
  });
});
