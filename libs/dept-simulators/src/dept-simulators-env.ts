import type { DepartmentSimulatorsOptions } from './dept-simulators';

export class DeptSimulatorsEnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid department simulators configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number, problems: string[]): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) > 65535) {
    problems.push(`${name} must be a port number 0-65535, got "${value}"`);
    return fallback;
  }
  return Number(value);
}

/**
 * Reads the department simulators' environment; throws DeptSimulatorsEnvError listing every problem.
 * YBJ polls only when GATEWAY_URL is set, and then needs GATEWAY_DEPT_TOKEN_YBJ.
 */
export function deptSimulatorsOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): DepartmentSimulatorsOptions {
  const problems: string[] = [];
  const options: DepartmentSimulatorsOptions = {
    bdcPort: port(env, 'DEPT_SIM_BDC_PORT', 3201, problems),
    scjgPort: port(env, 'DEPT_SIM_SCJG_PORT', 3202, problems),
    rsjPort: port(env, 'DEPT_SIM_RSJ_PORT', 3203, problems),
    host: env.DEPT_SIM_HOST || '0.0.0.0',
  };
  const fixed = (['bdcPort', 'scjgPort', 'rsjPort'] as const).map((k) => options[k]).filter((p) => p !== 0);
  if (new Set(fixed).size !== fixed.length)
    problems.push('DEPT_SIM_BDC_PORT, DEPT_SIM_SCJG_PORT and DEPT_SIM_RSJ_PORT must differ');

  if (env.GATEWAY_URL) {
    let url: URL | undefined;
    try {
      url = new URL(env.GATEWAY_URL);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      problems.push(`GATEWAY_URL must be an http(s) URL such as http://127.0.0.1:3000, got "${env.GATEWAY_URL}"`);
    else options.gatewayUrl = env.GATEWAY_URL;
    if (!env.GATEWAY_DEPT_TOKEN_YBJ)
      problems.push('GATEWAY_DEPT_TOKEN_YBJ is required with GATEWAY_URL (YBJ polls its inbox with it)');
    else options.ybjToken = env.GATEWAY_DEPT_TOKEN_YBJ;
    options.startYbjPolling = true;
  }
  if (env.DEPT_SIM_YBJ_POLL_MS) {
    const ms = Number(env.DEPT_SIM_YBJ_POLL_MS);
    if (!/^\d+$/.test(env.DEPT_SIM_YBJ_POLL_MS) || ms < 100)
      problems.push(`DEPT_SIM_YBJ_POLL_MS must be a number of milliseconds >= 100, got "${env.DEPT_SIM_YBJ_POLL_MS}"`);
    else options.ybjPollIntervalMs = ms;
  }
  if (problems.length) throw new DeptSimulatorsEnvError(problems);
  return options;
}
