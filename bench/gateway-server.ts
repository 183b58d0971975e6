/**
 * Child process: the embedded gateway exactly as `npm start` builds it (same Nest modules, same
 * ingest pipeline, same dispatcher), over the given database, on a free port.
 *
 * Messages: `stats` → peak RSS and group-commit/outbox figures; `dispatch` {on} → start or pause
 * the dispatcher; `groupCommit` {options} → reconfigure group commit; `fill` {n, runId} → ingest n
 * events through the ingest pipeline (IngestService, as the HTTP controller calls it) without
 * HTTP, 256 at a time — a fast way to build a backlog; `profile` {on, file} → start V8's CPU
 * profiler, or stop it and write the `.cpuprofile` (a phase alone, without the backlog's filling);
 * `stop`.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import type { AddressInfo } from 'node:net';
import { buildGatewayApp } from '../apps/gateway/src/gateway.app';
import { Dispatcher } from '#gw/dispatch';
import { IngestService, createGatewayContext } from '#gw/ingress';
import { IngestRepository, OutboxRepository, openDatabase } from '#gw/persistence';
import { SCJG_TOKEN, childArgs, onParentMessage, peakRssMiB, scjgEventBody, summarise } from './lib';

interface Args {
  env: Record<string, string>;
  platformUrl: string;
  /** Start with the dispatcher paused (ingest benchmarks measure the ingest path alone). */
  dispatcherPaused: boolean;
  /** Request logs through pino at LOG_LEVEL (to /dev/null by the parent), or none. */
  logs: boolean;
  groupCommit?: Record<string, number>;
}

async function main(): Promise<void> {
  const args = childArgs<Args>();
  const ctx = createGatewayContext(args.env);
  const db = await openDatabase(ctx.config.database);
  const app = await buildGatewayApp(ctx, { database: db, logs: args.logs, platformUrl: args.platformUrl });
  const dispatcher = app.get(Dispatcher);
  const ingest = app.get(IngestRepository);
  const outbox = app.get(OutboxRepository);
  if (args.groupCommit) ingest.configureGroupCommit(args.groupCommit);
  // BENCH_SLOW_SQL_MS: statements slower than this, summed by text (message `slowSql`), to find what holds the event loop.
  const slowSql = new Map<string, { n: number; ms: number }>();
  if (process.env.BENCH_SLOW_SQL_MS) {
    (db.dataSource.options as { maxQueryExecutionTime?: number }).maxQueryExecutionTime = Number(process.env.BENCH_SLOW_SQL_MS);
    const logger = db.dataSource.logger as unknown as { logQuerySlow: (time: number, query: string) => void };
    logger.logQuerySlow = (time, query) => {
      const key = query.slice(0, 160);
      const s = slowSql.get(key) ?? { n: 0, ms: 0 };
      slowSql.set(key, { n: s.n + 1, ms: s.ms + time });
    };
  }
  if (args.dispatcherPaused) dispatcher.setDraining(true);
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;

  let profiler: Session | undefined;
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) => profiler!.post(method, params ?? {}, (e, r) => (e ? reject(e) : resolve(r))));

  onParentMessage(async (m) => {
    switch (m.type) {
      case 'profile':
        if (m.on) {
          profiler = new Session();
          profiler.connect();
          await post('Profiler.enable');
          await post('Profiler.setSamplingInterval', { interval: 500 });
          await post('Profiler.start');
        } else if (profiler) {
          const { profile } = await post('Profiler.stop');
          writeFileSync(m.file, JSON.stringify(profile));
          profiler.disconnect();
          profiler = undefined;
        }
        return { ok: true };
      case 'stats':
        return {
          peakRssMiB: peakRssMiB(),
          cpuMs: (() => {
            const u = process.cpuUsage();
            return (u.user + u.system) / 1000;
          })(),
          rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
          ingest: ingest.stats,
          outbox: m.outbox ? await outbox.stats() : undefined,
          dispatcher: (dispatcher as unknown as { counters?: unknown }).counters,
          attemptsMs: m.attempts
            ? summarise(
                (await db.manager.query('SELECT duration_ms AS d FROM delivery_attempt')).map((r: { d: number }) =>
                  Number(r.d),
                ),
              )
            : undefined,
        };
      case 'dispatch':
        dispatcher.setDraining(!m.on);
        return { ok: true };
      case 'slowSql':
        return { slow: [...slowSql].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15) };
      case 'url':
        return { url: `http://127.0.0.1:${port}` };
      case 'fill': {
        const service = app.get(IngestService);
        let next = 0;
        const statuses: Record<string, number> = {};
        const started = Date.now();
        const worker = async () => {
          while (next < m.n) {
            const body = scjgEventBody(next++, m.runId);
            const reply = await service.receiveEvent({
              department: 'scjg',
              authorization: `Bearer ${SCJG_TOKEN}`,
              headers: { 'content-type': 'application/json' },
              contentType: 'application/json',
              body,
            });
            statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
          }
        };
        await Promise.all(Array.from({ length: 256 }, worker));
        return { statuses, ms: Date.now() - started };
      }
      case 'groupCommit':
        return { options: ingest.configureGroupCommit(m.options) };
      case 'stop':
        await app.close();
        await db.close();
        process.exit(0);
    }
    return undefined;
  });
  process.send!({ type: 'ready', port, url: `http://127.0.0.1:${port}` });
}

main().catch((e) => {
  process.stderr.write(`bench gateway failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
