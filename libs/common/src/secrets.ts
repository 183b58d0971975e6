import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from './errors';
import { ensurePrivateDir, restrictFile } from './private-files';
import type { GatewayConfig } from './gateway-config';

export interface GatewaySecrets {
  personalDataKey: string;
  /**
   * The data key before a rotation (`GATEWAY_DATA_KEY_PREVIOUS`, or in embedded mode
   * `previousPersonalDataKey` in secrets.json, written by `operator -- rotate-data-key`): read
   * with until the re-encryption job has rewritten everything, never written with.
   */
  previousPersonalDataKey?: string;
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
  /**
   * Key of the audit log's HMAC-SM3 chain (64 hex): `GATEWAY_AUDIT_KEY`, else the data key's
   * value (remembered in secrets.json in embedded mode, so a later data-key rotation does not
   * break the chain). The chain derives its own key from it with a purpose label.
   */
  auditKey: string;
  /** Where generated secrets were written (embedded mode), for the start-up message. */
  generatedFile?: string;
}

export const deptTokenEnvName = (code: string) => `GATEWAY_DEPT_TOKEN_${code.toUpperCase()}`;

/** Fewest characters of a secret or token in production mode (e.g. `openssl rand -hex 32` gives 64). */
export const MIN_SECRET_LENGTH = 32;
/** Fewest different characters in a production secret: `aaaa…` or `1212…` are not secrets. */
export const MIN_SECRET_DISTINCT_CHARS = 10;

/**
 * Why a production secret is too weak to use, or null: shorter than 32 characters, fewer than
 * 10 different characters, or one short piece repeated (`abcdefghij` × 4). Random output of
 * `openssl rand -hex 32` or `-base64 32` always passes. Never quotes the value.
 */
export function secretWeakness(value: string, minLength = MIN_SECRET_LENGTH): string | null {
  if (value.length < minLength) return `太短，至少${minLength}个字符 too short: at least ${minLength} characters (e.g. openssl rand -hex 32)`;
  if (new Set(value).size < MIN_SECRET_DISTINCT_CHARS)
    return `字符种类太少，至少${MIN_SECRET_DISTINCT_CHARS}种 too few different characters: at least ${MIN_SECRET_DISTINCT_CHARS} (use a random value: openssl rand -hex 32)`;
  if (/^([\s\S]{1,16}?)\1+$/.test(value)) return '由重复片段组成 a short piece repeated (use a random value: openssl rand -hex 32)';
  return null;
}

/**
 * Every missing or weak secret of a production start, at once (a refused start used to name
 * them one group at a time). `departmentCodes` need a token; `optionalCodes` (disabled
 * departments) are checked only when set. The data key's format (64 hex) is the configuration
 * check's; here it must also not be repetitive. Two purposes sharing one value are reported too.
 */
export function productionSecretProblems(
  env: Readonly<Record<string, string | undefined>>,
  departmentCodes: string[],
  optionalCodes: string[] = [],
  options: { platformSecret?: boolean } = {},
): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const check = (name: string, required: boolean, minLength = MIN_SECRET_LENGTH, hint = '') => {
    const value = env[name];
    if (!value) {
      if (required) problems.push(`${name}: 缺少 missing${hint ? ` (${hint})` : ''}`);
      return;
    }
    const weak = secretWeakness(value, minLength);
    if (weak) problems.push(`${name}=(hidden): ${weak}`);
    const other = seen.get(value);
    if (other) problems.push(`${name}=(hidden): 与 ${other} 相同，每个用途须用不同的值 same value as ${other}; use a different one for each purpose`);
    else seen.set(value, name);
  };
  check('GATEWAY_DATA_KEY', true, 64, '64位十六进制 64 hex characters: openssl rand -hex 32');
  check('GATEWAY_DATA_KEY_PREVIOUS', false, 64);
  check('GATEWAY_OPERATOR_TOKEN', true, MIN_SECRET_LENGTH, '运维接口令牌 the operators\' bearer token');
  check('PLATFORM_CALLBACK_SECRET', true, MIN_SECRET_LENGTH, '市平台回调签名密钥 the secret the city platform signs callbacks with');
  check('CITY_PLATFORM_SECRET', options.platformSecret ?? true, MIN_SECRET_LENGTH, '市平台分配的密钥 issued by the city platform');
  for (const code of departmentCodes) check(deptTokenEnvName(code), true, MIN_SECRET_LENGTH, `部门 ${code} 的令牌 department ${code}'s token`);
  for (const code of optionalCodes) check(deptTokenEnvName(code), false);
  check('METRICS_TOKEN', false);
  return problems;
}

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

  // The old key of a rotation: from the environment, or kept beside the new one (embedded mode).
  // Never one that is the current key: a value "rotated" to the same key would never be rewritten.
  let previousPersonalDataKey = config.previousPersonalDataKey ?? (config.personalDataKey ? undefined : stored.previousPersonalDataKey);
  if (previousPersonalDataKey && personalDataKey && previousPersonalDataKey.toLowerCase() === personalDataKey.toLowerCase()) {
    if (config.previousPersonalDataKey) throw new ConfigError('GATEWAY_DATA_KEY_PREVIOUS=(hidden): 与当前数据密钥相同 same value as the current data key; during a rotation it is the old key');
    previousPersonalDataKey = undefined;
  }

  const deptTokens: Record<string, string> = {};
  const storedTokens = stored.deptTokens ?? {};
  for (const code of [...departmentCodes, ...optionalCodes]) {
    const optional = !departmentCodes.includes(code);
    const fromEnv = env[deptTokenEnvName(code)];
    if (fromEnv) {
      // Production: checked with every other secret below (at least 32 characters).
      if (fromEnv.length < 16 && config.mode !== 'production') throw new ConfigError(`${deptTokenEnvName(code)}: 令牌至少16个字符 token must be at least 16 characters`);
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

  // The audit chain must stay verifiable for years, across data-key rotations: its key is pinned
  // once (embedded: stored beside the others; production: GATEWAY_AUDIT_KEY, or the data key).
  // During a rotation with neither pinned, the chain so far was keyed with the old data key: it
  // stays so (embedded: pinned in secrets.json now, so the start with the new key alone keeps it;
  // production: GATEWAY_AUDIT_KEY must say so, as nothing is written there).
  const chainFromPrevious = !env.GATEWAY_AUDIT_KEY && !stored.auditKey && !!previousPersonalDataKey;
  if (chainFromPrevious && config.mode === 'production') {
    missing.push('GATEWAY_AUDIT_KEY: 轮换数据密钥时须设置为旧的数据密钥（审计链由它签名） during a data-key rotation, set it to the old data key (the audit chain is keyed with it)');
  }
  const auditKey = env.GATEWAY_AUDIT_KEY ?? stored.auditKey ?? (chainFromPrevious ? previousPersonalDataKey : personalDataKey);
  if (auditKey && !/^[0-9a-fA-F]{64}$/.test(auditKey)) missing.push('GATEWAY_AUDIT_KEY: 须为64位十六进制 must be 64 hex characters (openssl rand -hex 32)');
  // Pinned in secrets.json where the data key itself lives there (not given by the environment), or a rotation would change it.
  const pinAuditKey = config.mode === 'embedded' && !env.GATEWAY_AUDIT_KEY && !stored.auditKey && (!config.personalDataKey || chainFromPrevious);
  if (pinAuditKey) changed = true;

  if (config.mode === 'production') {
    // Missing and weak ones together, each named once.
    const named = new Set(missing);
    const problems = productionSecretProblems(env, departmentCodes, optionalCodes, { platformSecret: !!config.platform.url });
    for (const p of problems) named.delete(p.split(/[:=]/)[0]);
    missing.splice(0, missing.length, ...named, ...problems);
  }

  // Production mode never runs the simulator: no token for it there.
  let simulatorAdminToken = config.mode === 'embedded' ? (env.SIMULATOR_ADMIN_TOKEN ?? stored.simulatorAdminToken) : undefined;
  if (config.mode === 'embedded' && !simulatorAdminToken) simulatorAdminToken = generate(24);

  if (missing.length) {
    throw new ConfigError(`生产模式缺少密钥或密钥太弱 production mode is missing secrets, or they are too weak:\n  - ${missing.join('\n  - ')}`);
  }

  let generatedFile: string | undefined;
  if (config.mode === 'embedded' && changed) {
    ensurePrivateDir(dirname(file));
    const keepPrevious = !config.personalDataKey && stored.previousPersonalDataKey ? { previousPersonalDataKey: stored.previousPersonalDataKey } : {};
    const toStore = { personalDataKey, ...keepPrevious, deptTokens: { ...storedTokens, ...deptTokens }, platformSecret, callbackSecret, operatorToken, simulatorAdminToken, ...(stored.auditKey || pinAuditKey ? { auditKey: stored.auditKey ?? auditKey } : {}) };
    writeFileSync(file, JSON.stringify(toStore, null, 2) + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    generatedFile = file;
  }
  return { personalDataKey: personalDataKey!, previousPersonalDataKey, deptTokens, platformSecret, callbackSecret: callbackSecret!, operatorToken: operatorToken!, simulatorAdminToken, auditKey: auditKey!, generatedFile };
}

/** Compares two secrets in constant time (hashing first so lengths do not leak either). */
export function secretsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
