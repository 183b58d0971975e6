import { Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { AdminTokenGuard } from './admin-token.guard';
import { AdminController } from './admin.controller';
import { CallbackService } from './callback.service';
import { FaultService } from './fault.service';
import { HealthController } from './health.controller';
import { PlatformRequestMiddleware } from './platform-request.middleware';
import { PlatformController } from './platform.controller';
import { PlatformService } from './platform.service';
import { RateLimitService } from './rate-limit.service';
import { SIMULATOR_OPTIONS, type ResolvedSimulatorOptions } from './simulator-options';
import { SimulatorState } from './simulator-state';

@Module({})
export class SimulatorModule implements NestModule {
  static forRoot(options: ResolvedSimulatorOptions): DynamicModule {
    return {
      module: SimulatorModule,
      controllers: [PlatformController, AdminController, HealthController],
      providers: [
        { provide: SIMULATOR_OPTIONS, useValue: options },
        SimulatorState,
        FaultService,
        RateLimitService,
        PlatformService,
        CallbackService,
        AdminTokenGuard,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(PlatformRequestMiddleware).forRoutes(PlatformController);
  }
}
