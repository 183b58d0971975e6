/**
 * Child process: a closed-loop HTTP load generator. `concurrency` clients, each on its own
 * keep-alive connection, post one SCJG event (a new case each) and send the next as soon as the
 * answer is in. Only answers completed inside the measuring window count, after a warm-up.
 *
 * Message `go` → runs → replies `go` with the figures.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { peakRssMiB, scjgEventBody, serveMeasurement, summarise } from './lib';

interface Args {
  url: string;
  token: string;
  concurrency: number;
  warmupMs: number;
  /** Measure for this long (time-bound run) … */
  durationMs?: number;
  /** … or send exactly this many events (count-bound run, e.g. filling a backlog). */
  total?: number;
  runId: string;
  /**
   * Paced load: all clients together send at most this many requests per second (each client its
   * share, on a fixed schedule; a client that is behind sends at once). Without it: closed loop.
   */
  ratePerSec?: number;
}

function post(agent: Agent, url: URL, token: string, body: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        agent,
        method: 'POST',
        host: url.hostname,
        port: url.port,
        path: '/api/v1/departments/scjg/events',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          'Content-Length': body.length,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

async function run(a: Args) {
  const url = new URL(a.url);
  const agent = new Agent({ keepAlive: true, maxSockets: a.concurrency, maxFreeSockets: a.concurrency });
  const started = performance.now();
  const measureFrom = started + a.warmupMs;
  const measureTo = a.durationMs ? measureFrom + a.durationMs : Infinity;
  let next = 0;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let firstAt = Infinity;
  let lastAt = 0;

  const interval = a.ratePerSec ? (a.concurrency / a.ratePerSec) * 1000 : 0;
  const worker = async (index: number) => {
    // Clients start spread over one interval, so a paced load arrives evenly.
    let due = started + (interval * index) / a.concurrency;
    for (;;) {
      if (interval) {
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        due += interval;
      }
      if (performance.now() >= measureTo) return;
      const n = next++;
      if (a.total !== undefined && n >= a.total) return;
      const body = scjgEventBody(n, a.runId);
      const t0 = performance.now();
      const status = await post(agent, url, a.token, body);
      const t1 = performance.now();
      if (a.total !== undefined || (t1 >= measureFrom && t1 <= measureTo)) {
        latencies.push(t1 - t0);
        statuses[status] = (statuses[status] ?? 0) + 1;
        firstAt = Math.min(firstAt, t0);
        lastAt = Math.max(lastAt, t1);
      }
    }
  };
  await Promise.all(Array.from({ length: a.concurrency }, (_, i) => worker(i)));
  agent.destroy();
  const windowMs = a.total !== undefined ? lastAt - firstAt : a.durationMs!;
  const accepted = statuses['202'] ?? 0;
  return {
    windowMs,
    sent: latencies.length,
    /** Requests sent in all, warm-up included. */
    sentTotal: Math.min(next, a.total ?? Infinity),
    accepted,
    statuses,
    acceptedPerSec: accepted / (windowMs / 1000),
    latencyMs: summarise(latencies),
    clientPeakRssMiB: peakRssMiB(),
  };
}

serveMeasurement<Args>(run);
