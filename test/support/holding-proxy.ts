import { IncomingMessage, Server, ServerResponse, createServer, request as httpRequest } from 'node:http';

/**
 * An HTTP proxy in front of the platform simulator that can hold calls to one path: either the
 * request before it reaches the platform (`'request'`), or the platform's answer after it was
 * handled (`'answer'`). A test kills the caller while a call is held, then drops it.
 */
export class HoldingProxy {
  private server?: Server;
  private hold?: { path: RegExp; what: 'request' | 'answer' };
  private waiting: { res: ServerResponse; release: () => void }[] = [];
  /** Calls held so far (with the platform's answer, when held after it). */
  readonly held: { path: string; status?: number; body?: string }[] = [];
  port = 0;

  constructor(private readonly targetOrigin: string) {}

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** From now on, hold calls whose path matches (`null`: hold nothing). */
  holdOn(path: RegExp | null, what: 'request' | 'answer' = 'answer'): void {
    this.hold = path ? { path, what } : undefined;
  }

  /** Drops every held call: its connection is closed without an answer. */
  dropHeld(): void {
    for (const w of this.waiting.splice(0)) {
      w.res.socket?.destroy();
      w.release();
    }
  }

  async close(): Promise<void> {
    this.dropHeld();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const path = req.url ?? '/';
    const hold = this.hold && this.hold.path.test(path) ? this.hold.what : undefined;
    const record: (typeof this.held)[number] = { path };
    if (hold === 'request') {
      this.held.push(record);
      await new Promise<void>((release) => this.waiting.push({ res, release }));
      return;
    }
    const answer = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
      const up = httpRequest(`${this.targetOrigin}${path}`, { method: req.method, headers: { ...req.headers, host: new URL(this.targetOrigin).host } }, (r) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(parts) }));
        r.on('error', reject);
      });
      up.on('error', reject);
      up.end(body);
    }).catch(() => null);
    if (!answer) {
      res.socket?.destroy();
      return;
    }
    if (hold === 'answer') {
      Object.assign(record, { status: answer.status, body: answer.body.toString('utf8') });
      this.held.push(record);
      await new Promise<void>((release) => this.waiting.push({ res, release }));
      return;
    }
    if (res.destroyed) return;
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }
}
