/** Told when new outbox rows were committed, so the dispatcher need not wait for its next poll. */
export abstract class OutboxSignal {
  abstract notify(): void;
}

/** No dispatcher in this process, or it only polls. */
export class NoopOutboxSignal extends OutboxSignal {
  notify(): void {}
}
