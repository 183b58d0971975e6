import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { DepartmentDispatcher } from '#gw/callbacks';
import { Dispatcher } from '#gw/dispatch';
import { CityPlatformPort } from '#gw/platform';

/**
 * The dispatcher, platform port and department dispatcher of this process, when it runs them (an
 * ingress-only app does not). Looked up lazily so the ops module does not depend on how delivery was composed.
 */
@Injectable()
export class DeliveryRuntime {
  private resolved = false;
  private d?: Dispatcher;
  private p?: CityPlatformPort;
  private dd?: DepartmentDispatcher;

  constructor(private readonly moduleRef: ModuleRef) {}

  private resolve(): void {
    if (this.resolved) return;
    this.resolved = true;
    this.d = this.optional(Dispatcher);
    this.p = this.optional(CityPlatformPort);
    this.dd = this.optional(DepartmentDispatcher);
  }

  private optional<T>(type: abstract new (...args: never[]) => T): T | undefined {
    try {
      return this.moduleRef.get(type, { strict: false });
    } catch {
      return undefined; // not composed into this process
    }
  }

  get dispatcher(): Dispatcher | undefined {
    this.resolve();
    return this.d;
  }

  get platform(): CityPlatformPort | undefined {
    this.resolve();
    return this.p;
  }

  /** Breakers of the deliveries to department systems (push departments only). */
  departmentBreakers(): { department: string; state: 'CLOSED' | 'OPEN' | 'HALF_OPEN'; opens: number }[] {
    this.resolve();
    return this.dd?.breakerStates() ?? [];
  }
}
