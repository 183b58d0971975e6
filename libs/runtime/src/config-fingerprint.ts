import { INestApplication, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { deptTokenEnvName } from '#gw/common';
import type { GatewayContext } from '#gw/ingress';
import { AuditRepository, ConfigurationRecord, Database, RecordedSetting, configurationFingerprint, recordConfiguration } from '#gw/persistence';

/**
 * The environment variables that are the gateway's configuration (of every process kind). Anything
 * else in the environment (PATH, HOME, a shell's own) is not recorded.
 */
const SETTING =
  /^(GATEWAY_|CITY_PLATFORM_|PLATFORM_|DEPT_|RETAIN_|RETENTION_|TLS_|INGRESS_|DISPATCH_|HTTP_|DASHBOARD_|PASSWORD_|READY_|REPORT_|RECONCILE_|METRICS_|SIMULATOR_|LOG_|DATABASE_|SQLITE_|MAX_|BATCH_|INBOX_|BREAKER_|WAKE_|HOLIDAYS_|CATALOGUE_)|^(DATA_DIR|HOST|NODE_ENV)$/;
/** Recorded only as a keyed fingerprint: never their values, not even in the database. */
const SECRET = /SECRET|TOKEN|KEY|PASSWORD/;
/** Named like a secret but not one: a date, a path. */
const NOT_SECRET = /_EXPIRES$|_FILE$/;
/** `scheme://user:password@host…`: shown with the credentials masked, the whole fingerprinted. */
const URL_WITH_CREDENTIALS = /^([a-z][a-z0-9+.-]*:\/\/)[^@/\s]*@/i;

/** The key the secrets' fingerprints are made with: from the audit key, with its own purpose label. */
function fingerprintKey(auditKeyHex: string): Buffer {
  return createHmac('sm3', Buffer.from(auditKeyHex, 'hex')).update('gw-config-fingerprint-v1').digest();
}

/**
 * A process's effective configuration as recorded at start-up: every setting of the environment
 * the gateway reads (PORT excepted: it is part of the record's key), the secrets in effect (those
 * generated into secrets.json in embedded mode included) as HMAC-SM3 fingerprints, and the
 * catalogue file's SHA-256. Nothing secret appears in clear.
 */
export function configurationRecord(ctx: GatewayContext): ConfigurationRecord {
  const key = fingerprintKey(ctx.secrets.auditKey);
  const mac = (name: string, value: string) => createHmac('sm3', key).update(`${name}\0${value}`).digest('hex').slice(0, 32);
  const settings: Record<string, RecordedSetting> = {};
  const put = (name: string, value: string) => {
    if (SECRET.test(name) && !NOT_SECRET.test(name)) settings[name] = { h: mac(name, value) };
    else if (URL_WITH_CREDENTIALS.test(value)) settings[name] = { v: value.replace(URL_WITH_CREDENTIALS, '$1***@'), h: mac(name, value) };
    else settings[name] = { v: value };
  };
  for (const [name, value] of Object.entries(ctx.config.env)) {
    if (value === undefined || value === '' || name === 'PORT' || !SETTING.test(name)) continue;
    put(name, value);
  }
  // The secrets in effect, whether given or generated.
  const s = ctx.secrets;
  put('GATEWAY_DATA_KEY', s.personalDataKey);
  if (s.previousPersonalDataKey) put('GATEWAY_DATA_KEY_PREVIOUS', s.previousPersonalDataKey);
  put('GATEWAY_AUDIT_KEY', s.auditKey);
  put('GATEWAY_OPERATOR_TOKEN', s.operatorToken);
  put('CITY_PLATFORM_SECRET', s.platformSecret);
  put('PLATFORM_CALLBACK_SECRET', s.callbackSecret);
  if (s.simulatorAdminToken) put('SIMULATOR_ADMIN_TOKEN', s.simulatorAdminToken);
  for (const [code, token] of Object.entries(s.deptTokens)) put(deptTokenEnvName(code), token);
  // The effective mode (GATEWAY_MODE, or NODE_ENV=production) and the catalogue's content.
  settings.mode = { v: ctx.config.mode };
  settings.catalogue = { v: `sha256:${catalogueDigest(ctx.config.cataloguePath)}` };
  const keyCheck = createHmac('sm3', key).update('key-check').digest('hex').slice(0, 16);
  return { fingerprint: configurationFingerprint(settings, keyCheck), keyCheck, settings };
}

function catalogueDigest(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The name a process's record is kept under: its kind and port (two ingress processes differ). */
export function configurationKey(processName: string, port: number): string {
  return `config:${processName}@${port}`;
}

/**
 * Start-up: records this process's configuration and audits what changed since its last start
 * (CONFIG_CHANGED; the first start CONFIG_RECORDED). A failure is logged, never fatal: the gateway
 * serves, and the next start compares again.
 */
export async function recordStartupConfiguration(app: INestApplication, ctx: GatewayContext, processName: string): Promise<void> {
  const log = new Logger('Configuration');
  try {
    const refs = app.get(ModuleRef);
    const db = refs.get(Database, { strict: false });
    const audit = refs.get(AuditRepository, { strict: false });
    const record = configurationRecord(ctx);
    const result = await recordConfiguration(db, audit, configurationKey(processName, ctx.config.port), record, { process: processName });
    if (result.action === 'CONFIG_CHANGED') {
      const names = result.comparison!.changes.map((c) => c.setting).join(', ');
      log.warn(`配置自上次启动以来已变更（已记入审计） the configuration changed since the last start (audited CONFIG_CHANGED): ${names}`);
    }
  } catch (e) {
    log.error(`无法记录配置指纹 could not record the configuration's fingerprint: ${(e as Error).message}`);
  }
}
