import { bdcProtocol, sendBdcEvent } from './bdc-simulator';
import type { BdcDocument, BdcDocumentInput } from './bdc-xml';
import type { GatewayReply } from './gateway-client';
import { PushSimulator, type DepartmentProtocol, type PushSimulatorOptions } from './push-simulator';
import { rsjProtocol, sendRsjEvent, type RsjForm } from './rsj-simulator';
import { scjgProtocol, sendScjgEvent, type ScjgApplication, type ScjgEvent } from './scjg-simulator';
import { YbjInboxClient } from './ybj-inbox-client';

type Sender<E> = (gatewayUrl: string, token: string, event: E, timeoutMs?: number) => Promise<GatewayReply>;

/** A push department: receives online applications, and can post its own stage events to the gateway. */
export class DepartmentSimulator<P, E> extends PushSimulator<P> {
  constructor(
    protocol: DepartmentProtocol<P>,
    private readonly sender: Sender<E>,
    options?: PushSimulatorOptions,
  ) {
    super(protocol, options);
  }

  /** Posts a stage event in the department's own format to `{gatewayUrl}/api/v1/departments/{code}/events`. */
  sendEvent(gatewayUrl: string, token: string, event: E, timeoutMs?: number): Promise<GatewayReply> {
    return this.sender(gatewayUrl, token, event, timeoutMs);
  }
}

export type BdcSimulator = DepartmentSimulator<BdcDocument, BdcDocumentInput>;
export type ScjgSimulator = DepartmentSimulator<
  ScjgApplication,
  Partial<ScjgEvent> & Pick<ScjgEvent, 'bizNo' | 'status'>
>;
export type RsjSimulator = DepartmentSimulator<RsjForm, Partial<RsjForm> & { ywbh: string; zt: string }>;

export const createBdcSimulator = (options?: PushSimulatorOptions): BdcSimulator =>
  new DepartmentSimulator(bdcProtocol, sendBdcEvent, options);
export const createScjgSimulator = (options?: PushSimulatorOptions): ScjgSimulator =>
  new DepartmentSimulator(scjgProtocol, sendScjgEvent, options);
export const createRsjSimulator = (options?: PushSimulatorOptions): RsjSimulator =>
  new DepartmentSimulator(rsjProtocol, sendRsjEvent, options);

export interface DepartmentSimulatorsOptions {
  /** Ports of the push departments; 0 (the default) picks a free one. */
  bdcPort?: number;
  scjgPort?: number;
  rsjPort?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** The gateway's base URL, for YBJ's inbox polling. */
  gatewayUrl?: string;
  /** YBJ's department token. */
  ybjToken?: string;
  /** YBJ's pause between polls (default 5000 ms). */
  ybjPollIntervalMs?: number;
  /** Start YBJ's polling at once (default false: call `ybj.start()` or `ybj.pollOnce()`). */
  startYbjPolling?: boolean;
  onYbjError?: (error: Error) => void;
}

export interface RunningDepartmentSimulators {
  bdc: BdcSimulator;
  scjg: ScjgSimulator;
  rsj: RsjSimulator;
  ybj: YbjInboxClient;
  /** `DEPT_<CODE>_URL` for each push department. */
  urls: { BDC: string; SCJG: string; RSJ: string };
  close(): Promise<void>;
}

/** Starts BDC, SCJG and RSJ on their ports, and YBJ's inbox client (not polling unless asked). */
export async function startDepartmentSimulators(
  options: DepartmentSimulatorsOptions = {},
): Promise<RunningDepartmentSimulators> {
  const host = options.host;
  const bdc = createBdcSimulator({ port: options.bdcPort ?? 0, host });
  const scjg = createScjgSimulator({ port: options.scjgPort ?? 0, host });
  const rsj = createRsjSimulator({ port: options.rsjPort ?? 0, host });
  const ybj = new YbjInboxClient({
    gatewayUrl: options.gatewayUrl,
    token: options.ybjToken,
    pollIntervalMs: options.ybjPollIntervalMs,
    onError: options.onYbjError,
  });
  const push = [bdc, scjg, rsj];
  const close = async () => {
    await ybj.stop();
    await Promise.all(push.map((s) => s.close()));
  };
  try {
    for (const s of push) await s.start();
    if (options.startYbjPolling) ybj.start();
  } catch (e) {
    // A port in use must not leave the others listening.
    await close();
    throw e;
  }
  return { bdc, scjg, rsj, ybj, urls: { BDC: bdc.url, SCJG: scjg.url, RSJ: rsj.url }, close };
}
