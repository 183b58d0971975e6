import { AdapterRegistry } from '#gw/adapters';
import { dirname, join, resolve } from 'node:path';
import type { WorkingCalendar } from '#gw/case';
import { Catalogue, LicenceTypes, loadWorkingCalendar } from '#gw/catalogue';
import { GatewayConfig, GatewaySecrets, PersonalDataCipher, loadGatewayConfig, operatorTokenExpiry, resolveSecrets } from '#gw/common';

/** Everything decided once at start-up, before any module is built; a problem here stops the process. */
export interface GatewayContext {
  config: GatewayConfig;
  catalogue: Catalogue;
  adapters: AdapterRegistry;
  secrets: GatewaySecrets;
  cipher: PersonalDataCipher;
  /** Working days: the published holiday schedule plus `config/holidays.yaml` (HOLIDAYS_FILE). */
  calendar: WorkingCalendar;
  /** When GATEWAY_OPERATOR_TOKEN stops working (GATEWAY_OPERATOR_TOKEN_EXPIRES); null: never. */
  operatorTokenExpiresAt?: Date | null;
}

export function createGatewayContext(env: Record<string, string | undefined> = process.env): GatewayContext {
  const config = loadGatewayConfig(env);
  const operatorTokenExpiresAt = operatorTokenExpiry(env);
  const catalogue = Catalogue.fromFile(config.cataloguePath);
  // Beside the catalogue unless HOLIDAYS_FILE names one (which must then exist).
  const holidaysFile = config.env.HOLIDAYS_FILE;
  const calendar = loadWorkingCalendar(holidaysFile ? resolve(holidaysFile) : join(dirname(config.cataloguePath), 'holidays.yaml'), { required: !!holidaysFile });
  // The electronic licence types, beside the catalogue unless LICENCE_TYPES_FILE names one (which must then exist).
  const licenceFile = config.env.LICENCE_TYPES_FILE;
  catalogue.useLicenceTypes(LicenceTypes.fromFile(licenceFile ? resolve(licenceFile) : join(dirname(config.cataloguePath), 'licence-types.yaml'), catalogue, { required: !!licenceFile }));
  const adapters = new AdapterRegistry(catalogue);
  // Disabled departments keep their tokens so that posting with one is recognised (and refused) as theirs.
  const enabled = catalogue.departments.filter((d) => !d.restricted && d.enabled).map((d) => d.code);
  const disabled = catalogue.departments.filter((d) => !d.restricted && !d.enabled).map((d) => d.code);
  const secrets = resolveSecrets(config, enabled, disabled);
  const cipher = new PersonalDataCipher(secrets.personalDataKey, secrets.previousPersonalDataKey);
  return { config, catalogue, adapters, secrets, cipher, calendar, operatorTokenExpiresAt };
}

export const GATEWAY_CONTEXT = Symbol('GATEWAY_CONTEXT');
