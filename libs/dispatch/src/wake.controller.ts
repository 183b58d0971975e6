import { Controller, Inject } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { Dispatcher } from './dispatcher';
import { WAKE_PATTERN } from './wake-signal';

/** Receives wake-ups from ingress processes over the configured transport. */
@Controller()
export class WakeController {
  constructor(@Inject(Dispatcher) private readonly dispatcher: Dispatcher) {}

  @EventPattern<string>(WAKE_PATTERN)
  onWake(): void {
    this.dispatcher.wake();
  }
}
