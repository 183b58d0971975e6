import { Worker } from 'node:worker_threads';

/**
 * The worker's code, as a string: it needs no build step of its own, and runs the same way under
 * the compiled gateway and under the test runner. It opens its own connection to the database
 * file and runs a PASSIVE checkpoint when asked (one at a time; PASSIVE never waits for the
 * writer or readers, it copies what it can).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Sqlite = require(workerData.driver);
const db = new Sqlite(workerData.path, { timeout: workerData.busyTimeoutMs });
db.pragma('synchronous = FULL');
parentPort.on('message', (m) => {
  if (m !== 'checkpoint') return;
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, busy: r.busy, log: r.log, checkpointed: r.checkpointed });
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String(e && e.code || e && e.message || e) });
  }
});
`;

export interface CheckpointerOptions {
  path: string;
  busyTimeoutMs: number;
  /** How often to look whether anything was written since the last checkpoint. */
  intervalMs?: number;
  /** Called when the worker stops unexpectedly: the connection must checkpoint for itself again. */
  onFailure: (reason: string) => void;
}

/**
 * Copies the write-ahead log back into the database file on a worker thread.
 *
 * Why: SQLite's automatic checkpoint runs inside whichever COMMIT crosses 1,000 pages of log,
 * and better-sqlite3 is synchronous, so every eighth or so ingest commit stopped the event loop
 * for ~10 ms (copying pages and two fsyncs) — about a tenth of the ingest path's time and the
 * worst of its latency. The gateway's connection turns the automatic checkpoint off
 * (`wal_autocheckpoint = 0`) while this worker runs, and turns it back on if the worker fails.
 */
export class SqliteCheckpointer {
  private readonly worker: Worker;
  private readonly timer: NodeJS.Timeout;
  private written = false;
  private running = false;
  private stopped = false;
  readonly stats = { checkpoints: 0, errors: 0 };

  constructor(private readonly options: CheckpointerOptions) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: require.resolve('better-sqlite3'), path: options.path, busyTimeoutMs: options.busyTimeoutMs },
      // It only passes a few small messages: a tiny heap (V8's default young generation alone
      // may reach 48 MB per thread). Running out ends the worker, and SQLite checkpoints itself.
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 },
    });
    this.worker.unref();
    this.worker.on('message', (m: { ok: boolean; log?: number; checkpointed?: number }) => {
      this.running = false;
      if (m.ok) this.stats.checkpoints++;
      else this.stats.errors++;
      // Not all copied (a reader still needed old pages, or the file was locked): again next tick.
      if (!m.ok || (m.log ?? 0) > (m.checkpointed ?? 0)) this.written = true;
    });
    const fail = (reason: string) => {
      if (this.stopped) return;
      this.stopped = true;
      clearInterval(this.timer);
      this.options.onFailure(reason);
    };
    this.worker.on('error', (e) => fail(e.message));
    this.worker.on('exit', (code) => fail(`checkpoint worker exited (${code})`));
    this.timer = setInterval(() => this.tick(), options.intervalMs ?? 100);
    this.timer.unref();
  }

  /** Something was committed: the next tick checkpoints. */
  noteWrite(): void {
    this.written = true;
  }

  private tick(): void {
    if (!this.written || this.running || this.stopped) return;
    this.written = false;
    this.running = true;
    this.worker.postMessage('checkpoint');
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.worker.terminate();
  }
}
