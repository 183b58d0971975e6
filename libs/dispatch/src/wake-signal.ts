import { Logger } from '@nestjs/common';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { OutboxSignal } from '#gw/ingress';

export const WAKE_PATTERN = 'outbox.wake';

export type WakeTransport = { kind: 'none' } | { kind: 'tcp'; host: string; port: number } | { kind: 'rmq'; url: string; queue: string };

export const DEFAULT_WAKE_QUEUE = 'gw_outbox_wake';

/**
 * `tcp://host:port`, `amqp://user:pass@host:5672[/vhost][?queue=name]`, or `none`. Deployments
 * sharing one RabbitMQ (vhost) keep their wake-ups apart with `?queue=` (default gw_outbox_wake).
 * Several dispatchers on one queue share the wake-ups between them (each goes to one of them).
 */
export function parseWakeUrl(url: string | undefined, fallbackTcpPort: number): WakeTransport {
  if (!url) return { kind: 'tcp', host: '127.0.0.1', port: fallbackTcpPort };
  if (url === 'none') return { kind: 'none' };
  const u = new URL(url);
  if (u.protocol === 'tcp:') return { kind: 'tcp', host: u.hostname, port: Number(u.port) };
  if (u.protocol === 'amqp:' || u.protocol === 'amqps:') {
    const queue = u.searchParams.get('queue') || DEFAULT_WAKE_QUEUE;
    u.searchParams.delete('queue');
    return { kind: 'rmq', url: u.toString(), queue };
  }
  throw new Error(`WAKE_URL "${url}": 只支持 tcp:// 或 amqp:// (use tcp://host:port, amqp://user:pass@host:5672 or none)`);
}

/** The server side, for the process that runs the dispatcher. */
export function wakeServerOptions(t: WakeTransport): MicroserviceOptions | null {
  if (t.kind === 'tcp') return { transport: Transport.TCP, options: { host: t.host, port: t.port } };
  if (t.kind === 'rmq') return { transport: Transport.RMQ, options: { urls: [t.url], queue: t.queue, queueOptions: { durable: false }, noAck: true } };
  return null;
}

/**
 * Tells the dispatcher (in this process or another) that new rows were committed. Emits are
 * coalesced to one per 20 ms: a burst of ingests needs one wake-up, not thousands. A lost
 * wake-up costs at most one poll interval, never a message.
 */
export class MicroserviceOutboxSignal extends OutboxSignal {
  private readonly logger = new Logger('OutboxSignal');
  private client?: ClientProxy;
  private pending = false;
  private lastError = 0;

  constructor(private readonly transport: WakeTransport) {
    super();
    if (transport.kind === 'tcp') this.client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: transport.host, port: transport.port } });
    if (transport.kind === 'rmq') this.client = ClientProxyFactory.create({ transport: Transport.RMQ, options: { urls: [transport.url], queue: transport.queue, queueOptions: { durable: false } } });
  }

  notify(): void {
    if (!this.client || this.pending) return;
    this.pending = true;
    setTimeout(() => {
      this.pending = false;
      this.client!.emit(WAKE_PATTERN, { at: Date.now() }).subscribe({
        error: (e: unknown) => {
          // Polling covers for a missed wake-up; say so once a minute, not per event.
          if (Date.now() - this.lastError > 60_000) {
            this.lastError = Date.now();
            const why = (e as Error)?.message ?? (e as { err?: Error })?.err?.message ?? String(e);
            this.logger.warn(`wake-up not delivered (${why}); the dispatcher will find the work at its next poll`);
          }
        },
      });
    }, 20).unref?.();
  }

  async close(): Promise<void> {
    await this.client?.close();
  }
}

/** Same process, no transport: call the dispatcher directly. */
export class DirectOutboxSignal extends OutboxSignal {
  constructor(private readonly target: { wake(): void }) {
    super();
  }
  notify(): void {
    this.target.wake();
  }
}
