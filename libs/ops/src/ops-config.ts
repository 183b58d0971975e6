import { ConfigError } from '#gw/common';
import { passwordProblem } from './password-policy';

/** Dashboard, metrics and readiness settings, read from the environment once at start-up. */
export interface OpsConfig {
  /** Minutes a dashboard session lasts without use (sliding). */
  sessionMinutes: number;
  /** Hours after sign-in a dashboard session ends however active it is (`DASHBOARD_SESSION_MAX_HOURS`, 12). */
  sessionMaxHours: number;
  /** Oldest pending outbox message older than this is a warning on /health/ready (never "down"). */
  readyMaxOutboxAgeSeconds: number;
  /** A department silent for longer than this shows amber on the overview. */
  deptSilentHours: number;
  /** The first admin, created at start-up when no admin exists yet. */
  firstAdmin?: { username: string; password: string };
  /** When set, `/metrics` needs `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /** A password older than this many days must be changed at sign-in (PASSWORD_MAX_AGE_DAYS, default 90). */
  passwordMaxAgeDays?: number;
}

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{1,31}$/;
export { MIN_PASSWORD_LENGTH, passwordProblem } from './password-policy';

export function usernameProblem(username: string): string | null {
  return USERNAME_PATTERN.test(username ?? '')
    ? null
    : '用户名须为2–32位小写字母、数字或 _ . - the user name must be 2–32 lower-case letters, digits, _ . or -';
}

function int(
  env: Record<string, string | undefined>,
  name: string,
  def: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const v = env[name];
  if (v === undefined || v === '') return def;
  if (!/^\d+$/.test(v.trim()) || +v < min || +v > max) {
    problems.push(`${name}="${v}": 必须是 ${min}–${max} 之间的整数 must be a whole number from ${min} to ${max}`);
    return def;
  }
  return Number(v);
}

/** A number of hours, fractions allowed (down to about a second), at most a week. */
function hours(env: Record<string, string | undefined>, name: string, def: number, problems: string[]): number {
  const v = env[name];
  if (v === undefined || v === '') return def;
  if (!/^\d+(\.\d+)?$/.test(v.trim()) || +v < 0.0002 || +v > 24 * 7) {
    problems.push(`${name}="${v}": 必须是 0.0002–168 之间的小时数 must be a number of hours from 0.0002 to 168`);
    return def;
  }
  return Number(v);
}

export function loadOpsConfig(env: Readonly<Record<string, string | undefined>>): OpsConfig {
  const problems: string[] = [];
  const sessionMinutes = int(env, 'DASHBOARD_SESSION_MINUTES', 30, 1, 24 * 60, problems);
  const sessionMaxHours = hours(env, 'DASHBOARD_SESSION_MAX_HOURS', 12, problems);
  const readyMaxOutboxAgeSeconds = int(env, 'READY_MAX_OUTBOX_AGE_SECONDS', 900, 1, 7 * 24 * 3600, problems);
  const deptSilentHours = int(env, 'DASHBOARD_DEPT_SILENT_HOURS', 24, 1, 24 * 30, problems);
  let firstAdmin: OpsConfig['firstAdmin'];
  const user = env.GATEWAY_ADMIN_USER?.trim();
  const password = env.GATEWAY_ADMIN_PASSWORD;
  if (user || password) {
    if (!user) problems.push('GATEWAY_ADMIN_PASSWORD 已设置但缺少 GATEWAY_ADMIN_USER (set GATEWAY_ADMIN_USER too)');
    else if (usernameProblem(user.toLowerCase()))
      problems.push(`GATEWAY_ADMIN_USER="${user}": ${usernameProblem(user.toLowerCase())}`);
    if (!password)
      problems.push(
        'GATEWAY_ADMIN_USER 已设置但缺少 GATEWAY_ADMIN_PASSWORD (set GATEWAY_ADMIN_PASSWORD too, at least 12 characters, three of upper/lower/digit/symbol)',
      );
    else {
      const p = passwordProblem(password, user);
      if (p) problems.push(`GATEWAY_ADMIN_PASSWORD=(hidden): ${p}`);
    }
    if (user && password) firstAdmin = { username: user.toLowerCase(), password };
  }
  const passwordMaxAgeDays = int(env, 'PASSWORD_MAX_AGE_DAYS', 90, 1, 3650, problems);
  const metricsToken = env.METRICS_TOKEN || undefined;
  if (metricsToken && metricsToken.length < 16)
    problems.push('METRICS_TOKEN=(hidden): 至少16个字符 must be at least 16 characters');
  if (problems.length) {
    throw new ConfigError(
      `运维看板配置有误，网关未启动 dashboard configuration is invalid, the gateway did not start:\n  - ${problems.join('\n  - ')}`,
    );
  }
  return { sessionMinutes, sessionMaxHours, readyMaxOutboxAgeSeconds, deptSilentHours, firstAdmin, metricsToken, passwordMaxAgeDays };
}
