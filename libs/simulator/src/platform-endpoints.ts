/** The platform endpoints, named for statistics, inspection and fault matching. */
export const PLATFORM_BASE_PATH = '/zwfw/api/v1';

export const PLATFORM_ENDPOINTS = ['accept', 'process', 'special', 'result', 'licenses', 'case', 'reconcile'] as const;
export type PlatformEndpoint = (typeof PLATFORM_ENDPOINTS)[number];

export function isPlatformEndpoint(value: unknown): value is PlatformEndpoint {
  return typeof value === 'string' && (PLATFORM_ENDPOINTS as readonly string[]).includes(value);
}

const ROUTES: { method: string; pattern: RegExp; endpoint: PlatformEndpoint }[] = [
  { method: 'POST', pattern: /^\/cases\/accept$/, endpoint: 'accept' },
  { method: 'POST', pattern: /^\/cases\/([^/]+)\/process$/, endpoint: 'process' },
  { method: 'POST', pattern: /^\/cases\/([^/]+)\/special$/, endpoint: 'special' },
  { method: 'POST', pattern: /^\/cases\/([^/]+)\/result$/, endpoint: 'result' },
  { method: 'POST', pattern: /^\/licenses$/, endpoint: 'licenses' },
  { method: 'GET', pattern: /^\/cases\/([^/]+)$/, endpoint: 'case' },
  { method: 'GET', pattern: /^\/reconcile$/, endpoint: 'reconcile' },
];

/** Which endpoint a request is for, read from the URL before any routing (middleware runs first). */
export function classifyPlatformRequest(
  method: string,
  url: string,
): { endpoint: PlatformEndpoint | 'unknown'; projectNo?: string } {
  const path = url.split('?')[0].replace(/\/+$/, '');
  const relative = path.startsWith(PLATFORM_BASE_PATH) ? path.slice(PLATFORM_BASE_PATH.length) : path;
  for (const route of ROUTES) {
    const m = route.method === method.toUpperCase() ? route.pattern.exec(relative) : null;
    if (!m) continue;
    let projectNo: string | undefined;
    if (m[1] !== undefined) {
      try {
        projectNo = decodeURIComponent(m[1]);
      } catch {
        projectNo = m[1];
      }
    }
    return { endpoint: route.endpoint, projectNo };
  }
  return { endpoint: 'unknown' };
}
