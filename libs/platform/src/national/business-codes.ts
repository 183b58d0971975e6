/** How the gateway treats each business code of city-platform-api.md. */
export type CodeClass = 'DONE' | 'ALERT' | 'PARK' | 'RETRY_THEN_PARK' | 'GAP' | 'RETRY';

export const BUSINESS_CODES: Readonly<Record<string, { class: CodeClass; zh: string }>> = {
  '0': { class: 'DONE', zh: '成功' },
  '1001': { class: 'ALERT', zh: '签名无效，请核对 CITY_PLATFORM_SECRET 与签名算法' },
  '1002': { class: 'ALERT', zh: '时间戳超出窗口，请校准服务器时钟' },
  '1003': { class: 'ALERT', zh: '随机数重复' },
  '1004': { class: 'ALERT', zh: '应用未授权，请核对 CITY_PLATFORM_APP_ID' },
  '2001': { class: 'PARK', zh: '字段校验失败' },
  '2002': { class: 'PARK', zh: '序号冲突：同一序号内容不同' },
  '2003': { class: 'PARK', zh: '案件已办结' },
  '2004': { class: 'RETRY_THEN_PARK', zh: '平台无此办件编号' },
  '3001': { class: 'GAP', zh: '序号缺口：前序环节未到达' },
  '9999': { class: 'RETRY', zh: '平台繁忙' },
};

/** 2004 may be an accept still in flight: a few tries before it is parked. */
export const UNKNOWN_PROJECT_RETRIES = 5;
