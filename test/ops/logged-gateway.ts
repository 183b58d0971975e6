import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT, TestGateway, startTestGateway } from '../support/test-gateway';

export const ARTIFACTS = resolve(REPO_ROOT, 'test-artifacts');

/**
 * `startTestGateway` with the gateway's real logging switched on and written to `logFile`
 * (LOG_FILE), so a test can read what an operator's log would hold.
 */
export async function startLoggedGateway(options: { logFile: string; env?: Record<string, string> }): Promise<TestGateway> {
  mkdirSync(join(options.logFile, '..'), { recursive: true });
  return startTestGateway({ logs: true, env: { LOG_LEVEL: 'debug', LOG_FILE: options.logFile, ...options.env } });
}
