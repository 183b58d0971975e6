import { ErrorCodes, GatewayConfig } from '#gw/common';
import { KeyedTokenBuckets } from '#gw/resilience';

/** A request over a limit: answered 429 with `Retry-After`, and nothing of it is stored. */
export interface Throttled {
  httpStatus: 429;
  code: string;
  message: string;
  retryAfterSeconds: number;
}

/**
 * Rate limits of department ingress (events and batch files): per client address before anything
 * is read, per department once its token is verified, and — much lower — per address for requests
 * refused without a valid token (each of those leaves a small record).
 *
 * Why here and not @nestjs/throttler: the event route is served ahead of Nest (`EventFastPath`),
 * so a guard would never see it, and the refusal limit depends on the outcome of the token check,
 * which only the pipeline knows. A token bucket per key in memory (`KeyedTokenBuckets`, bounded)
 * is all it takes; with several ingress instances each holds its own, so the limits are per
 * instance. The address is the TCP peer's: a forwarded-for header is the caller's to invent.
 */
export class IngressThrottle {
  private readonly departments: KeyedTokenBuckets;
  private readonly addresses: KeyedTokenBuckets;
  private readonly refusals: KeyedTokenBuckets;

  constructor(limits: GatewayConfig['ingressLimits']) {
    this.departments = new KeyedTokenBuckets(limits.perDepartment, 1_000);
    this.addresses = new KeyedTokenBuckets(limits.perAddress);
    this.refusals = new KeyedTokenBuckets(limits.refusalsPerAddress);
  }

  /**
   * Before a request is read: the address's own rate, and — for a request without a valid token —
   * whether the address has used up its refusals (then it waits: token guessing gets nowhere and
   * costs nothing). A department's own token still passes: a township office behind one NAT
   * address must not be shut out by a misconfigured or hostile neighbour's failures.
   */
  beforeRequest(address: string, hasValidToken = false): Throttled | null {
    const refusalWait = hasValidToken ? 0 : this.refusals.peek(address);
    if (refusalWait) return throttled(refusalWait, `该地址被拒绝的请求过多，请 ${refusalWait} 秒后重试 too many refused requests from this address; retry after ${refusalWait} s`);
    const wait = this.addresses.take(address);
    return wait ? throttled(wait, `该地址请求过于频繁，请 ${wait} 秒后重试 too many requests from this address; retry after ${wait} s`) : null;
  }

  /** Once the department's token is verified: its own rate. */
  forDepartment(department: string): Throttled | null {
    const wait = this.departments.take(department);
    return wait ? throttled(wait, `部门 ${department} 请求过于频繁，请 ${wait} 秒后重试 department ${department} is over its request rate; retry after ${wait} s`) : null;
  }

  /** A request refused without a valid token: counted; over the limit it is not even recorded. */
  onRefusal(address: string): Throttled | null {
    const wait = this.refusals.take(address);
    return wait ? throttled(wait, `该地址被拒绝的请求过多，请 ${wait} 秒后重试 too many refused requests from this address; retry after ${wait} s`) : null;
  }
}

function throttled(retryAfterSeconds: number, message: string): Throttled {
  return { httpStatus: 429, code: ErrorCodes.RATE_LIMITED, message, retryAfterSeconds };
}

/** Where a request came from, as the throttle keys it: the TCP peer, never a header. */
export function clientAddressOf(req: { socket?: { remoteAddress?: string } }): string {
  return (req.socket?.remoteAddress ?? 'unknown').slice(0, 64);
}
