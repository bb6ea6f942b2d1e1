// Local receivers in a process of their own (bench/lib.js `startReceiverProcess`). On the bench's
// thread they would take CPU from the bare loop they are measured against, and flatter the ratio.
// Spoken to over IPC: `until` (answered once so many requests have come), `first` (the first request),
// `record` (note each request's webhook-id and arrival from now on) and `arrivals` (hand them over).
import { createServer } from 'node:http';

/** Headers undici writes itself; the rest of a captured request can be sent again as it was. */
const TRANSPORT_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/** Wall-clock ms with sub-ms resolution: the bench compares it with its own. */
const now = () => performance.timeOrigin + performance.now();

let total = 0;
let lastAt = 0;
let first;
let waiting;
/** [webhook-id, arrival] of each request while recording: the latency bench joins them with its send log. */
let arrivals;

function answered(req, body) {
  total++;
  lastAt = now();
  arrivals?.push([req.headers['webhook-id'], lastAt]);
  first ??= { body: body.toString(), headers: Object.fromEntries(Object.entries(req.headers).filter(([name]) => !TRANSPORT_HEADERS.has(name))) };
  if (waiting && total >= waiting) {
    waiting = undefined;
    process.send({ kind: 'until', total, lastAt });
  }
}

function receiver() {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      answered(req, Buffer.concat(chunks));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  server.keepAliveTimeout = 10_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}/hook`)));
}

process.on('message', (m) => {
  if (m.kind === 'until') {
    if (total >= m.total) process.send({ kind: 'until', total, lastAt });
    else waiting = m.total;
  } else if (m.kind === 'first') {
    process.send({ kind: 'first', request: first });
  } else if (m.kind === 'record') {
    arrivals = [];
  } else if (m.kind === 'arrivals') {
    process.send({ kind: 'arrivals', arrivals: arrivals ?? [] });
    arrivals = undefined;
  }
});
// The bench's end is this process's end.
process.on('disconnect', () => process.exit(0));

const urls = await Promise.all(Array.from({ length: Number(process.argv[2] ?? 1) }, receiver));
process.send({ kind: 'ready', urls });
