import { isSignAlg } from '#gw/platform';
import { isHttpUrl, type SimulatorOptions } from './simulator-options';
import type { StartSimulatorOptions } from './platform-simulator.factory';

export class SimulatorEnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid simulator configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** `id1:secret1,id2:secret2`; a secret may itself contain ':'. */
function parseApps(value: string, problems: string[]): Record<string, string> {
  const apps: Record<string, string> = {};
  for (const entry of value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const colon = entry.indexOf(':');
    const appId = colon < 0 ? '' : entry.slice(0, colon).trim();
    const secret = colon < 0 ? '' : entry.slice(colon + 1);
    if (!appId || !secret) problems.push(`SIMULATOR_APPS entry "${entry.split(':')[0]}" must be appId:secret`);
    else if (Object.hasOwn(apps, appId)) problems.push(`SIMULATOR_APPS lists ${appId} twice`);
    else apps[appId] = secret;
  }
  if (Object.keys(apps).length === 0 && problems.length === 0)
    problems.push('SIMULATOR_APPS must list at least one appId:secret');
  return apps;
}

/** Reads and checks the simulator's environment; throws SimulatorEnvError listing every problem. */
export function simulatorOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): StartSimulatorOptions {
  const problems: string[] = [];
  const options: SimulatorOptions & { port: number; host: string } = {
    apps: {},
    port: 3100,
    host: env.SIMULATOR_HOST || '0.0.0.0',
    logger: true,
  };

  if (env.SIMULATOR_PORT !== undefined && env.SIMULATOR_PORT !== '') {
    const port = Number(env.SIMULATOR_PORT);
    if (!/^\d+$/.test(env.SIMULATOR_PORT) || port > 65535)
      problems.push(`SIMULATOR_PORT must be a port number 0-65535, got "${env.SIMULATOR_PORT}"`);
    else options.port = port;
  }
  if (!env.SIMULATOR_APPS) problems.push('SIMULATOR_APPS is required, e.g. 430626-gateway:secret1,other:secret2');
  else options.apps = parseApps(env.SIMULATOR_APPS, problems);

  if (env.CITY_PLATFORM_SIGN_ALG) {
    const alg = env.CITY_PLATFORM_SIGN_ALG.trim().toLowerCase();
    if (!isSignAlg(alg))
      problems.push(`CITY_PLATFORM_SIGN_ALG must be hmac-sm3 or hmac-sha256, got "${env.CITY_PLATFORM_SIGN_ALG}"`);
    else options.signAlg = alg;
  }
  if (env.SIMULATOR_RATE_LIMIT) {
    const rate = Number(env.SIMULATOR_RATE_LIMIT);
    if (!Number.isFinite(rate) || rate <= 0)
      problems.push(
        `SIMULATOR_RATE_LIMIT must be a positive number of requests per second, got "${env.SIMULATOR_RATE_LIMIT}"`,
      );
    else options.rateLimitPerSecond = rate;
  }
  if (env.SIMULATOR_CALLBACK_URL) {
    if (!isHttpUrl(env.SIMULATOR_CALLBACK_URL))
      problems.push(`SIMULATOR_CALLBACK_URL must be an http(s) URL, got "${env.SIMULATOR_CALLBACK_URL}"`);
    else options.callbackUrl = env.SIMULATOR_CALLBACK_URL;
    if (!env.PLATFORM_CALLBACK_SECRET)
      problems.push('PLATFORM_CALLBACK_SECRET is required with SIMULATOR_CALLBACK_URL (callbacks are signed)');
  }
  if (env.PLATFORM_CALLBACK_APP_ID) options.callbackAppId = env.PLATFORM_CALLBACK_APP_ID.trim();
  if (env.PLATFORM_CALLBACK_SECRET) options.callbackSecret = env.PLATFORM_CALLBACK_SECRET;
  if (env.SIMULATOR_ADMIN_TOKEN) options.adminToken = env.SIMULATOR_ADMIN_TOKEN;
  if (env.SIMULATOR_LOG) {
    const log = env.SIMULATOR_LOG.toLowerCase();
    if (!['on', 'off', 'true', 'false', '1', '0'].includes(log))
      problems.push(`SIMULATOR_LOG must be on or off, got "${env.SIMULATOR_LOG}"`);
    else options.logger = ['on', 'true', '1'].includes(log);
  }

  if (problems.length) throw new SimulatorEnvError(problems);
  return options;
}
