import { AdapterRegistry } from '#gw/adapters';
import { Catalogue } from '#gw/catalogue';
import { GatewayConfig, GatewaySecrets, PersonalDataCipher, loadGatewayConfig, operatorTokenExpiry, resolveSecrets } from '#gw/common';

/** Everything decided once at start-up, before any module is built; a problem here stops the process. */
export interface GatewayContext {
  config: GatewayConfig;
  catalogue: Catalogue;
  adapters: AdapterRegistry;
  secrets: GatewaySecrets;
  cipher: PersonalDataCipher;
  /** When GATEWAY_OPERATOR_TOKEN stops working (GATEWAY_OPERATOR_TOKEN_EXPIRES); null: never. */
  operatorTokenExpiresAt?: Date | null;
}

export function createGatewayContext(env: Record<string, string | undefined> = process.env): GatewayContext {
  const config = loadGatewayConfig(env);
  const operatorTokenExpiresAt = operatorTokenExpiry(env);
  const catalogue = Catalogue.fromFile(config.cataloguePath);
  const adapters = new AdapterRegistry(catalogue);
  // Disabled departments keep their tokens so that posting with one is recognised (and refused) as theirs.
  const enabled = catalogue.departments.filter((d) => !d.restricted && d.enabled).map((d) => d.code);
  const disabled = catalogue.departments.filter((d) => !d.restricted && !d.enabled).map((d) => d.code);
  const secrets = resolveSecrets(config, enabled, disabled);
  const cipher = new PersonalDataCipher(secrets.personalDataKey);
  return { config, catalogue, adapters, secrets, cipher, operatorTokenExpiresAt };
}

export const GATEWAY_CONTEXT = Symbol('GATEWAY_CONTEXT');
