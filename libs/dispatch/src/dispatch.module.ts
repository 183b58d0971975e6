import { DynamicModule, Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Catalogue } from '#gw/catalogue';
import { ForegroundWork, PersonalDataCipher } from '#gw/common';
import { GatewayContext, OutboxSignal } from '#gw/ingress';
import { OutboxRepository } from '#gw/persistence';
import { CityPlatformPort, NationalPlatformAdapter } from '#gw/platform';
import type { BreakerSettings } from '#gw/resilience';
import { DEFAULT_DISPATCHER_SETTINGS, DELIVERY_OBSERVER, DeliveryObserver, Dispatcher, DispatcherSettings } from './dispatcher';
import { DispatchStatusController } from './dispatch-status.controller';
import { DispatchWaker } from './dispatch-waker';
import { ParkedController } from './parked.controller';
import { WakeController } from './wake.controller';

export interface DispatchModuleOptions {
  /** Base URL of the city platform (the embedded simulator's when none is configured). */
  platformUrl: string;
  dispatcher?: Partial<DispatcherSettings>;
  breaker?: Partial<BreakerSettings>;
  /** Run the dispatch loop in this process (false: e.g. an ingress-only app, where a rerun wakes the dispatchers through `signal`). */
  run?: boolean;
  /**
   * The HTTP and wake-up endpoints this process serves (default all): `parked` the parked-message API,
   * `status` the delivery status, `wake` the wake-up listener. An ingress-only app serves `parked`;
   * a dispatcher app `status` and `wake`.
   */
  apis?: DispatchApi[];
  /** Where a parked rerun sends its wake-up when the loop runs in another process. */
  signal?: OutboxSignal;
}

export type DispatchApi = 'parked' | 'status' | 'wake';

const API_CONTROLLERS = { parked: ParkedController, status: DispatchStatusController, wake: WakeController } as const;

class DispatcherLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(Dispatcher) private readonly dispatcher: Dispatcher,
    @Inject(CityPlatformPort) private readonly platform: CityPlatformPort,
    @Inject('DISPATCH_RUN') private readonly run: boolean,
  ) {}
  onApplicationBootstrap(): void {
    if (this.run) this.dispatcher.start();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.stop();
    this.platform.close();
  }
}

/** Delivery to the city platform: the platform port, the dispatcher loop, the parked-message API. */
@Module({})
export class DispatchModule {
  static forRoot(ctx: GatewayContext, options: DispatchModuleOptions): DynamicModule {
    const logger = new Logger('Dispatcher');
    const c = ctx.config;
    const dispatcherSettings: DispatcherSettings = { ...DEFAULT_DISPATCHER_SETTINGS, ...c.dispatch, ...options.dispatcher };
    const breaker = { timeoutMs: c.breaker.timeoutMs, resetTimeoutMs: c.breaker.resetTimeoutMs, ...options.breaker };
    const run = options.run !== false;
    const apis = options.apis ?? (Object.keys(API_CONTROLLERS) as DispatchApi[]);
    return {
      module: DispatchModule,
      controllers: apis.map((a) => API_CONTROLLERS[a]),
      providers: [
        { provide: 'DISPATCH_RUN', useValue: run },
        {
          provide: DispatchWaker,
          useFactory: (dispatcher: Dispatcher): DispatchWaker => (run || !options.signal ? dispatcher : { wake: () => options.signal!.notify() }),
          inject: [Dispatcher],
        },
        {
          provide: CityPlatformPort,
          useFactory: () =>
            new NationalPlatformAdapter({
              baseUrl: options.platformUrl,
              appId: ctx.config.platform.appId,
              secret: ctx.secrets.platformSecret,
              signAlg: ctx.config.platform.signAlg,
              rateLimitPerSecond: ctx.config.platform.rateLimitPerSecond,
              calendar: ctx.calendar,
              breaker,
              onBreakerStateChange: (endpoint, state) =>
                (state === 'OPEN' ? logger.warn.bind(logger) : logger.log.bind(logger))(`city platform endpoint ${endpoint}: breaker ${state}`),
            }),
        },
        {
          provide: Dispatcher,
          useFactory: (outbox: OutboxRepository, platform: CityPlatformPort, catalogue: Catalogue, cipher: PersonalDataCipher, observer?: DeliveryObserver, foreground?: ForegroundWork) =>
            new Dispatcher(
              outbox,
              platform,
              catalogue,
              cipher,
              dispatcherSettings,
              {
                log: (m) => logger.log(m),
                warn: (m) => logger.warn(m),
                error: (m, e) => logger.error({ err: e }, m),
              },
              observer,
              foreground,
            ),
          inject: [OutboxRepository, CityPlatformPort, Catalogue, PersonalDataCipher, { token: DELIVERY_OBSERVER, optional: true }, { token: ForegroundWork, optional: true }],
        },
        DispatcherLifecycle,
      ],
      exports: [Dispatcher, CityPlatformPort, DispatchWaker],
    };
  }
}
