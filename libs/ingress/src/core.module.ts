import { DynamicModule, Global, Module } from '@nestjs/common';
import { AdapterRegistry } from '#gw/adapters';
import { Catalogue } from '#gw/catalogue';
import { ForegroundWork } from '#gw/common';
import { DepartmentAuth } from './department-auth';
import { GATEWAY_CONTEXT, GatewayContext } from './gateway-context';
import { OperatorGuard } from './http/operator.guard';

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
        OperatorGuard,
        { provide: ForegroundWork, useValue: new ForegroundWork() },
      ],
      exports: [GATEWAY_CONTEXT, Catalogue, AdapterRegistry, DepartmentAuth, OperatorGuard, ForegroundWork],
    };
  }
}
