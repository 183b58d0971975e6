'use strict';
/**
 * The load side of hostile-payloads.e2e-spec.ts, in a worker thread so that it runs on the other
 * core while the gateway (in the test's own thread) answers. Posts every request with at most
 * `concurrency` under way over keep-alive connections and reports, per request, the status, the
 * error code of the answer (JSON `code`, or one named in a text / XML answer), the JSON answer
 * when `keepJson` is set, and how long it took. A connection dropped without an answer is status 0.
 *
 * Plain JavaScript on purpose: the worker is loaded by Node itself, not through Jest.
 */
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');

const { url, concurrency, requests, keepJson } = workerData;
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const CODE_IN_TEXT = /(MATTER_RESTRICTED|DEPARTMENT_RESTRICTED|PAYLOAD_TOO_LARGE|TOKEN_[A-Z_]+|MEDIA_TYPE_UNSUPPORTED)/;

function post(req) {
  return new Promise((resolve) => {
    const started = Date.now();
    let answered = false;
    const body = Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength);
    const r = http.request(
      { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { ...req.headers, 'Content-Length': String(body.length) } },
      (res) => {
        answered = true;
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', () => resolve({ status: 0, code: 'RESPONSE_ABORTED', ms: Date.now() - started }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          const code = (json && typeof json.code === 'string' && json.code) || (CODE_IN_TEXT.exec(text) || [])[1] || '';
          resolve({ status: res.statusCode, code, json: keepJson ? json : undefined, ms: Date.now() - started });
        });
      },
    );
    // The gateway may answer (413) before it has read the whole body and close the connection:
    // the write then fails, but the answer counts.
    r.on('error', (e) => {
      if (!answered) resolve({ status: 0, code: `CLIENT_ERROR ${e.code || e.message}`, ms: Date.now() - started });
    });
    r.end(body);
  });
}

async function main() {
  const results = new Array(requests.length);
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < requests.length) {
      const i = next++;
      results[i] = await post(requests[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
  agent.destroy();
  parentPort.postMessage({ results, elapsedMs: Date.now() - started });
}

main().catch((e) => parentPort.postMessage({ error: String((e && e.stack) || e) }));
