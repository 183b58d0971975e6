import { DynamicModule, Global, Inject, Module, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AdapterRegistry } from '#gw/adapters';
import { Catalogue } from '#gw/catalogue';
import { ForegroundWork } from '#gw/common';
import { CatalogueVersionRepository } from '#gw/persistence';
import { CatalogueSync, cataloguePollMs } from './catalogue-sync';
import { DepartmentAuth } from './department-auth';
import { GATEWAY_CONTEXT, GatewayContext } from './gateway-context';
import { OperatorGuard } from './http/operator.guard';

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
 * tokens, the operator guard, and the process's foreground work (see `ForegroundWork`).
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(ctx: GatewayContext): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: GATEWAY_CONTEXT, useValue: ctx },
        { provide: Catalogue, useValue: ctx.catalogue },
        { provide: AdapterRegistry, useValue: ctx.adapters },
        { provide: DepartmentAuth, useValue: new DepartmentAuth(ctx.secrets.deptTokens) },
        {
          provide: CatalogueSync,
          useFactory: (auth: DepartmentAuth, repo?: CatalogueVersionRepository) =>
            new CatalogueSync(ctx.catalogue, ctx.adapters, auth, repo, cataloguePollMs(ctx.config.env)),
          inject: [DepartmentAuth, { token: CatalogueVersionRepository, optional: true }],
        },
        CatalogueLifecycle,
        OperatorGuard,
        { provide: ForegroundWork, useValue: new ForegroundWork() },
      ],
      exports: [GATEWAY_CONTEXT, Catalogue, AdapterRegistry, DepartmentAuth, CatalogueSync, OperatorGuard, ForegroundWork],
    };
  }
}
