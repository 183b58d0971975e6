import { DynamicModule, Global, Inject, Module, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { AdapterRegistry } from '#gw/adapters';
import { Catalogue } from '#gw/catalogue';
import { ConfigError, ForegroundWork } from '#gw/common';
import { AccessCredentialRepository, CatalogueVersionRepository } from '#gw/persistence';
import { CatalogueSync, cataloguePollMs } from './catalogue-sync';
import { CREDENTIAL_REFRESH_MS, CredentialRegistry } from './credential-registry';
import { DepartmentAuth } from './department-auth';
import { GATEWAY_CONTEXT, GatewayContext } from './gateway-context';
import { OperatorGuard } from './http/operator.guard';

/** The platform's callback secrets (configured and issued from the dashboard), owner `PLATFORM`. */
export const CALLBACK_SECRETS = Symbol('CALLBACK_SECRETS');
export const CALLBACK_SECRET_OWNER = 'PLATFORM';

/**
 * `TOKEN_REFRESH_SECONDS` (1–300, default 30): how often each instance re-reads the tokens and
 * callback secrets, so how long a revocation made on another instance may take to reach it.
 */
export function credentialRefreshMs(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.TOKEN_REFRESH_SECONDS;
  if (raw === undefined || raw === '') return CREDENTIAL_REFRESH_MS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 300) throw new ConfigError(`TOKEN_REFRESH_SECONDS=${raw.slice(0, 16)}: 须为1到300的整数（秒） must be a whole number of seconds from 1 to 300`);
  return n * 1000;
}

/** Builds the callback-secret registry of a gateway context. */
export function callbackSecretRegistry(ctx: GatewayContext): CredentialRegistry {
  const value = ctx.secrets.callbackSecret;
  return new CredentialRegistry('CALLBACK', [{ owner: CALLBACK_SECRET_OWNER, value, source: ctx.config.env.PLATFORM_CALLBACK_SECRET === value ? 'env' : 'stored' }], {
    production: ctx.config.mode === 'production',
    refreshMs: credentialRefreshMs(ctx.config.env),
    unseal: (sealed) => ctx.cipher.decrypt(sealed),
  });
}

/**
 * Once the database is open (when the app has one): the credential registries record the
 * configured values, read the table and keep it fresh; at shutdown they write the last-used times.
 */
class CredentialsLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(DepartmentAuth) private readonly departments: DepartmentAuth,
    @Inject(CALLBACK_SECRETS) private readonly callbacks: CredentialRegistry,
    @Optional() @Inject(AccessCredentialRepository) private readonly repo?: AccessCredentialRepository,
  ) {}
  async onModuleInit(): Promise<void> {
    if (!this.repo) return;
    await this.departments.attach(this.repo);
    await this.callbacks.attach(this.repo);
  }
  async onApplicationShutdown(): Promise<void> {
    await this.departments.registry.stop();
    await this.callbacks.stop();
  }
}

/**
 * The catalogue's life in the process: the newest stored version replaces the file's once the
 * database is open (before the app listens), then polling picks up versions saved elsewhere.
 */
class CatalogueLifecycle implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(CatalogueSync) private readonly sync: CatalogueSync) {}
  onModuleInit(): Promise<void> {
    return this.sync.load();
  }
  onApplicationBootstrap(): void {
    this.sync.start();
  }
  onApplicationShutdown(): void {
    this.sync.stop();
  }
}

/**
 * What every gateway app shares: the start-up context, the catalogue, the adapters, department
 * tokens and callback secrets, the operator guard, and the process's foreground work (see `ForegroundWork`).
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(ctx: GatewayContext): DynamicModule {
    const production = ctx.config.mode === 'production';
    const refreshMs = credentialRefreshMs(ctx.config.env);
    return {
      module: CoreModule,
      providers: [
        { provide: GATEWAY_CONTEXT, useValue: ctx },
        { provide: Catalogue, useValue: ctx.catalogue },
        { provide: AdapterRegistry, useValue: ctx.adapters },
        { provide: DepartmentAuth, useValue: new DepartmentAuth(ctx.secrets.deptTokens, { env: ctx.config.env, production, refreshMs }) },
        { provide: CALLBACK_SECRETS, useFactory: () => callbackSecretRegistry(ctx) },
        CredentialsLifecycle,
        {
          provide: CatalogueSync,
          useFactory: (repo?: CatalogueVersionRepository) => new CatalogueSync(ctx.catalogue, ctx.adapters, repo, cataloguePollMs(ctx.config.env)),
          inject: [{ token: CatalogueVersionRepository, optional: true }],
        },
        CatalogueLifecycle,
        OperatorGuard,
        { provide: ForegroundWork, useValue: new ForegroundWork() },
      ],
      exports: [GATEWAY_CONTEXT, Catalogue, AdapterRegistry, DepartmentAuth, CALLBACK_SECRETS, CatalogueSync, OperatorGuard, ForegroundWork],
    };
  }
}
