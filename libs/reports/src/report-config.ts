import { ConfigError } from '#gw/common';

/** Settings of the reform's figures, read from the environment once at start-up. */
export interface ReportConfig {
  /** An open case with at most this many working days left is near-due (临期). */
  nearDueWorkingDays: number;
  /** The share of cases applied online the county is judged against (网办率目标). */
  onlineTarget: number;
}

export function loadReportConfig(env: Readonly<Record<string, string | undefined>>): ReportConfig {
  const problems: string[] = [];
  let nearDueWorkingDays = 1;
  let onlineTarget = 0.6;
  const days = env.REPORT_NEAR_DUE_WORKING_DAYS?.trim();
  if (days) {
    if (/^\d+$/.test(days) && +days <= 30) nearDueWorkingDays = +days;
    else problems.push(`REPORT_NEAR_DUE_WORKING_DAYS="${days}": 必须是 0–30 之间的整数 must be a whole number from 0 to 30`);
  }
  const target = env.REPORT_ONLINE_TARGET?.trim();
  if (target) {
    const n = Number(target.endsWith('%') ? target.slice(0, -1) : target) / (target.endsWith('%') ? 100 : 1);
    if (/^\d+(\.\d+)?%?$/.test(target) && n > 0 && n <= 1) onlineTarget = n;
    else problems.push(`REPORT_ONLINE_TARGET="${target}": 必须是 0 到 1 之间的小数或百分比 must be a fraction from 0 to 1 or a percentage, e.g. 0.6 or 60%`);
  }
  if (problems.length) throw new ConfigError(`配置有误 configuration is invalid:\n  - ${problems.join('\n  - ')}`);
  return { nearDueWorkingDays, onlineTarget };
}
