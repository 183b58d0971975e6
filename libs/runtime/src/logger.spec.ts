import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prettyLogLine } from '#gw/common';
import { GatewayLogger } from './logger';

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('GatewayLogger (Nest LoggerService over pino)', () => {
  const logFile = () => join(mkdtempSync(join(tmpdir(), 'gw-log-')), 'gateway.log');

  it("moves Nest's module and route lines to debug, keeps the others at their level with their context", () => {
    const file = logFile();
    const logger = new GatewayLogger({ level: 'info', env: { LOG_FILE: file } });
    logger.log('Mapped {/api/v1/parked, GET} route', 'RouterExplorer');
    logger.log('OpsModule dependencies initialized', 'InstanceLoader');
    logger.log('dispatcher started', 'Dispatch');
    logger.warn('breaker open', 'Platform');
    logger.error('delivery failed', 'Error: boom\n    at x', 'Dispatch');
    expect(lines(file).map((l) => [l.level, l.context, l.msg])).toEqual([
      [30, 'Dispatch', 'dispatcher started'],
      [40, 'Platform', 'breaker open'],
      [50, 'Dispatch', 'delivery failed'],
    ]);
    expect(lines(file)[2].err.stack).toContain('Error: boom');
  });

  it('writes the quiet lines at debug', () => {
    const file = logFile();
    new GatewayLogger({ level: 'debug', env: { LOG_FILE: file } }).log('Mapped {/x, GET} route', 'RouterExplorer');
    expect(lines(file)).toEqual([expect.objectContaining({ level: 20, context: 'RouterExplorer' })]);
  });

  it('masks ID numbers in messages, as before', () => {
    const file = logFile();
    new GatewayLogger({ level: 'info', env: { LOG_FILE: file } }).log('applicant 430626198503120040 refused', 'Ingest');
    expect(lines(file)[0].msg).not.toContain('430626198503120040');
  });
});

describe('prettyLogLine', () => {
  it('shows Beijing time, level, context, message and the other fields on one line', () => {
    const line = prettyLogLine(JSON.stringify({ level: 40, time: Date.UTC(2026, 11, 4, 21, 5, 9), pid: 1, hostname: 'h', context: 'Platform', msg: 'breaker open', endpoint: 'accept' }));
    expect(line).toBe('05:05:09 WARN  [Platform] breaker open endpoint=accept\n');
  });

  it('shows a request as method, path, status and time', () => {
    const line = prettyLogLine(JSON.stringify({ level: 30, time: Date.UTC(2026, 11, 4, 1, 0, 0), req: { method: 'GET', url: '/x', id: 'c1' }, res: { statusCode: 404 }, responseTime: 3, correlationId: 'c1', msg: 'request completed' }));
    expect(line).toBe('09:00:00 INFO  GET /x 404 3ms\n');
  });
});
