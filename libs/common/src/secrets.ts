import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from './errors';
import { ensurePrivateDir, restrictFile } from './private-files';
import type { GatewayConfig } from './gateway-config';

export interface GatewaySecrets {
  personalDataKey: string;
  /** Department code → its bearer token. */
  deptTokens: Record<string, string>;
  /** Secret shared with the platform (the embedded simulator uses it when no platform URL is set). */
  platformSecret: string;
  /** Secret the platform signs its callbacks with (PLATFORM_CALLBACK_SECRET). */
  callbackSecret: string;
  /** Bearer token for the operators' API (rerun, replay) until operator accounts sign in. */
  operatorToken: string;
  /**
   * Bearer token of the built-in platform simulator's admin API (embedded mode only; the simulator
   * can sign callbacks with the real callback secret). SIMULATOR_ADMIN_TOKEN, or generated.
   */
  simulatorAdminToken?: string;
  /** Where generated secrets were written (embedded mode), for the start-up message. */
  generatedFile?: string;
}

export const deptTokenEnvName = (code: string) => `GATEWAY_DEPT_TOKEN_${code.toUpperCase()}`;

/**
 * Resolves secrets. Environment variables always win. In embedded mode whatever is missing is
 * generated once into `<DATA_DIR>/secrets.json` (mode 600) so a fresh machine starts with no setup;
 * in production mode a missing secret stops start-up.
 */
export function resolveSecrets(config: GatewayConfig, departmentCodes: string[], optionalCodes: string[] = []): GatewaySecrets {
  const env = config.env;
  const file = join(config.dataDir, 'secrets.json');
  let stored: Partial<GatewaySecrets> = {};
  if (config.mode === 'embedded' && existsSync(file)) {
    // Written 0644 (in a 0755 folder) by older versions: made the owner's only whenever it is read.
    ensurePrivateDir(dirname(file));
    restrictFile(file);
    try {
      stored = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      throw new ConfigError(`无法读取 ${file} (not valid JSON); fix or delete it to regenerate`);
    }
  }

  const missing: string[] = [];
  let changed = false;
  const generate = (bytes: number) => {
    changed = true;
    return randomBytes(bytes).toString('hex');
  };

  let personalDataKey = config.personalDataKey ?? stored.personalDataKey;
  if (!personalDataKey) {
    if (config.mode === 'production') missing.push('GATEWAY_DATA_KEY');
    else personalDataKey = generate(32);
  }

  const deptTokens: Record<string, string> = {};
  const storedTokens = stored.deptTokens ?? {};
  for (const code of [...departmentCodes, ...optionalCodes]) {
    const optional = !departmentCodes.includes(code);
    const fromEnv = env[deptTokenEnvName(code)];
    if (fromEnv) {
      if (fromEnv.length < 16) throw new ConfigError(`${deptTokenEnvName(code)}: 令牌至少16个字符 token must be at least 16 characters`);
      deptTokens[code] = fromEnv;
    } else if (storedTokens[code]) {
      deptTokens[code] = storedTokens[code];
    } else if (config.mode === 'production') {
      if (!optional) missing.push(deptTokenEnvName(code));
    } else {
      deptTokens[code] = generate(24);
    }
  }

  let platformSecret = config.platform.secret ?? stored.platformSecret;
  if (!platformSecret) {
    if (config.mode === 'production' && config.platform.url) missing.push('CITY_PLATFORM_SECRET');
    platformSecret = generate(24);
  }

  let callbackSecret = env.PLATFORM_CALLBACK_SECRET ?? stored.callbackSecret;
  if (!callbackSecret) {
    if (config.mode === 'production') missing.push('PLATFORM_CALLBACK_SECRET');
    else callbackSecret = generate(24);
  }

  let operatorToken = env.GATEWAY_OPERATOR_TOKEN ?? stored.operatorToken;
  if (!operatorToken) {
    if (config.mode === 'production') missing.push('GATEWAY_OPERATOR_TOKEN');
    else operatorToken = generate(24);
  }

  // Production mode never runs the simulator: no token for it there.
  let simulatorAdminToken = config.mode === 'embedded' ? (env.SIMULATOR_ADMIN_TOKEN ?? stored.simulatorAdminToken) : undefined;
  if (config.mode === 'embedded' && !simulatorAdminToken) simulatorAdminToken = generate(24);

  if (missing.length) {
    throw new ConfigError(`生产模式缺少密钥 production mode is missing secrets:\n  - ${missing.join('\n  - ')}`);
  }

  let generatedFile: string | undefined;
  if (config.mode === 'embedded' && changed) {
    ensurePrivateDir(dirname(file));
    const toStore = { personalDataKey, deptTokens: { ...storedTokens, ...deptTokens }, platformSecret, callbackSecret, operatorToken, simulatorAdminToken };
    writeFileSync(file, JSON.stringify(toStore, null, 2) + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    generatedFile = file;
  }
  return { personalDataKey: personalDataKey!, deptTokens, platformSecret, callbackSecret: callbackSecret!, operatorToken: operatorToken!, simulatorAdminToken, generatedFile };
}

/** Compares two secrets in constant time (hashing first so lengths do not leak either). */
export function secretsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
