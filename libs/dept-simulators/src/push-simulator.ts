import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Faults a push simulator can be told to show. `setFaults` replaces the whole set (`setFaults({})`
 * clears them), so a test never inherits a fault it did not ask for.
 */
export interface DepartmentFaults {
  /** Connection refused: the server stops listening until cleared, then listens again on the same port. */
  down?: boolean;
  /** Answer every request with this HTTP status (and a plain-text body). */
  status?: number;
  /** With `status`: a `Retry-After` header to send (seconds or an HTTP date), e.g. with 429. */
  retryAfter?: string;
  /** Wait this long before answering. */
  latencyMs?: number;
  /** Answer the next N requests with HTTP 500. */
  failNext?: number;
  /** Refuse readable requests at the business level: BDC `<CODE>` / RSJ `ERR:` / SCJG HTTP 422 `code`. */
  replyCode?: string;
}

export type InjectedFault = 'failNext' | 'status' | 'replyCode';

export interface SimulatorReply {
  status: number;
  contentType: string;
  retryAfter?: string;
  /** The bytes sent. */
  body: Buffer;
}

/** One request the department received, whatever became of it. */
export interface ReceivedRequest<P> {
  /** 1, 2, 3 … per simulator since it started (not reset by `reset()`). */
  seq: number;
  receivedAt: string;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  /** The body decoded the way the department decodes it. */
  text: string;
  /** The content, when readable. */
  parsed?: P;
  /** The platform's project number (申办号) it carried, when readable. */
  projectNo?: string;
  /** Why it was refused (unreadable, invalid, or an injected business refusal). */
  error?: string;
  /** The department's case number for it (BDC SLBH, SCJG bizNo, RSJ ywbh) when accepted. */
  caseNo?: string;
  accepted: boolean;
  /** An application with a project number this department already accepted (it got the same case number). */
  duplicate: boolean;
  /** The injected fault that answered, if one did. */
  fault?: InjectedFault;
  reply: { status: number; contentType: string; body: string };
}

/** What a department's reading of a request found. */
export interface ReadResult<P> {
  text: string;
  parsed?: P;
  projectNo?: string;
  /** Set when the department refuses the request as malformed. */
  error?: string;
  /** The HTTP status of that refusal, for departments that answer errors with a status (SCJG). */
  errorStatus?: number;
}

/** The department-specific part of a push simulator: its decoding, checks, numbering and replies. */
export interface DepartmentProtocol<P> {
  /** Lower-case code, as in the gateway's URLs: bdc, scjg, rsj. */
  code: string;
  /** The path its receiving endpoint listens on. */
  path: string;
  read(headers: IncomingHttpHeaders, body: Buffer): ReadResult<P>;
  /** A new case number; `seq` counts accepted applications since start. */
  newCaseNo(seq: number): string;
  accepted(caseNo: string): SimulatorReply;
  /** A refusal: `reason` for malformed input, `replyCode` for an injected business refusal. */
  refused(reason: string, options: { status?: number; replyCode?: string }): SimulatorReply;
}

export interface PushSimulatorOptions {
  /** 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Largest body accepted (default 5 MB). */
  maxBodyBytes?: number;
}

export class FaultsError extends Error {}

const text = (status: number, body: string): SimulatorReply => ({
  status,
  contentType: 'text/plain; charset=utf-8',
  body: Buffer.from(body, 'utf8'),
});

function checkFaults(faults: DepartmentFaults): DepartmentFaults {
  if (typeof faults !== 'object' || faults === null) throw new FaultsError('faults must be an object');
  const { down, status, latencyMs, failNext, replyCode, retryAfter } = faults;
  if (retryAfter !== undefined && (typeof retryAfter !== 'string' || status === undefined)) throw new FaultsError('retryAfter must be a string, given with status');
  if (down !== undefined && typeof down !== 'boolean') throw new FaultsError('down must be a boolean');
  if (status !== undefined && !(Number.isInteger(status) && status >= 200 && status <= 599))
    throw new FaultsError(`status must be an HTTP status 200-599, got ${String(status)}`);
  if (latencyMs !== undefined && !(typeof latencyMs === 'number' && latencyMs >= 0 && latencyMs <= 600_000))
    throw new FaultsError(`latencyMs must be 0-600000, got ${String(latencyMs)}`);
  if (failNext !== undefined && !(Number.isInteger(failNext) && failNext >= 0))
    throw new FaultsError(`failNext must be an integer >= 0, got ${String(failNext)}`);
  if (replyCode !== undefined && (typeof replyCode !== 'string' || replyCode === '' || replyCode === '0'))
    throw new FaultsError('replyCode must be a non-empty string other than "0" (0 means success)');
  return { ...faults };
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One department system's receiving endpoint over plain `node:http`: records every request, answers
 * as the department does, and shows the faults it is told to.
 */
export class PushSimulator<P> {
  private readonly server: Server;
  private readonly host: string;
  private readonly maxBodyBytes: number;
  private port: number;
  private listening = false;
  private faults: DepartmentFaults = {};
  private log: ReceivedRequest<P>[] = [];
  /** Project number → case number: a re-sent application gets the case it already has. */
  private byProjectNo = new Map<string, string>();
  private seq = 0;
  private caseSeq = 0;
  /** Serialises down/up switching so concurrent setFaults calls cannot interleave listen and close. */
  private switching: Promise<void> = Promise.resolve();

  constructor(
    private readonly protocol: DepartmentProtocol<P>,
    options: PushSimulatorOptions = {},
  ) {
    this.port = options.port ?? 0;
    this.host = options.host ?? '127.0.0.1';
    this.maxBodyBytes = options.maxBodyBytes ?? 5 * 1024 * 1024;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent && !res.destroyed) this.send(res, text(500, 'simulator error'));
      });
    });
  }

  /** Starts listening; resolves with the port. */
  async start(): Promise<number> {
    await this.listen();
    return this.port;
  }

  /** Where the gateway pushes (what `DEPT_<CODE>_URL` points at). */
  get url(): string {
    return `${this.origin}${this.protocol.path}`;
  }

  /** Scheme, host and port; `/health` hangs off it. */
  get origin(): string {
    const h =
      this.host === '0.0.0.0' || this.host === '::'
        ? '127.0.0.1'
        : this.host.includes(':')
          ? `[${this.host}]`
          : this.host;
    return `http://${h}:${this.port}`;
  }

  received(): ReceivedRequest<P>[] {
    return [...this.log];
  }

  /** The requests it accepted (received minus refusals and injected failures). */
  accepted(): ReceivedRequest<P>[] {
    return this.log.filter((r) => r.accepted);
  }

  currentFaults(): DepartmentFaults {
    return { ...this.faults };
  }

  /** Replaces the faults; resolves once the port is really closed (down) or open again. */
  async setFaults(faults: DepartmentFaults): Promise<void> {
    this.faults = checkFaults(faults);
    await this.applyDown();
  }

  /** No faults, nothing received, no known applications; case numbers keep counting so they never repeat. */
  async reset(): Promise<void> {
    this.log = [];
    this.byProjectNo.clear();
    await this.setFaults({});
  }

  async close(): Promise<void> {
    this.faults = {};
    await this.switching;
    await this.stopListening();
  }

  private applyDown(): Promise<void> {
    const next = this.switching.then(() => (this.faults.down ? this.stopListening() : this.listen()));
    this.switching = next.catch(() => undefined);
    return next;
  }

  private async listen(): Promise<void> {
    if (this.listening) return;
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.server.once('error', onError);
      this.server.listen(this.port, this.host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.listening = true;
  }

  private async stopListening(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      // Keep-alive and in-flight connections too: "down" means nothing gets through.
      this.server.closeAllConnections();
    });
  }

  private async readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > this.maxBodyBytes) return 'too-large';
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  private send(res: ServerResponse, reply: SimulatorReply): void {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(reply.status, { 'Content-Type': reply.contentType, 'Content-Length': reply.body.length, ...(reply.retryAfter ? { 'Retry-After': reply.retryAfter } : {}) });
    res.end(reply.body);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') return this.send(res, text(200, 'ok'));
    if (path !== this.protocol.path) return this.send(res, text(404, `not found; POST to ${this.protocol.path}`));
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return this.send(res, text(405, 'method not allowed'));
    }
    const body = await this.readBody(req);
    if (body === 'too-large') {
      this.send(res, text(413, 'payload too large'));
      req.destroy();
      return;
    }
    const faults = this.faults;
    if (faults.latencyMs) await delay(faults.latencyMs);

    const seq = ++this.seq;
    const read = this.protocol.read(req.headers, body);
    let reply: SimulatorReply;
    let fault: InjectedFault | undefined;
    let error = read.error;
    let caseNo: string | undefined;
    let duplicate = false;
    if (this.faults.failNext) {
      this.faults.failNext--;
      fault = 'failNext';
      error = 'simulated failure (failNext)';
      reply = text(500, error);
    } else if (this.faults.status !== undefined) {
      fault = 'status';
      error = `simulated status ${this.faults.status}`;
      reply = { ...text(this.faults.status, error), retryAfter: this.faults.retryAfter };
    } else if (read.error !== undefined) {
      reply = this.protocol.refused(read.error, { status: read.errorStatus });
    } else if (this.faults.replyCode !== undefined) {
      fault = 'replyCode';
      error = `simulated refusal ${this.faults.replyCode}`;
      reply = this.protocol.refused(error, { replyCode: this.faults.replyCode });
    } else {
      const known = read.projectNo ? this.byProjectNo.get(read.projectNo) : undefined;
      duplicate = known !== undefined;
      caseNo = known ?? this.protocol.newCaseNo(++this.caseSeq);
      if (read.projectNo) this.byProjectNo.set(read.projectNo, caseNo);
      reply = this.protocol.accepted(caseNo);
    }
    const accepted = caseNo !== undefined;
    this.log.push({
      seq,
      receivedAt: new Date().toISOString(),
      method: req.method,
      path,
      headers: req.headers,
      rawBody: body,
      text: read.text,
      parsed: read.parsed,
      projectNo: read.projectNo,
      error: accepted ? undefined : error,
      caseNo,
      accepted,
      duplicate,
      fault,
      reply: { status: reply.status, contentType: reply.contentType, body: decodeReply(reply) },
    });
    this.send(res, reply);
  }
}

/** The reply as text for inspection (GBK replies decoded). */
function decodeReply(reply: SimulatorReply): string {
  return /charset=(gbk|gb18030|gb2312)/i.test(reply.contentType)
    ? new TextDecoder('gb18030').decode(reply.body)
    : reply.body.toString('utf8');
}
