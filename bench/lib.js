// Shared pieces of the benchmark: a daemon child process, local receivers, percentiles.
import { fork, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync, readFileSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../bin/vidhook.js');

export function tempDir(name) {
  return mkdtempSync(join(tmpdir(), `vidhook-bench-${name}-`));
}

/** Starts `vidhook serve` with a config (and `args`, e.g. `--store <url>`); resolves once it listens. */
export function startDaemon(dir, config, { args = [] } = {}) {
  writeFileSync(join(dir, 'vidhook.config.json'), JSON.stringify(config));
  // BENCH_NODE_ARGS passes flags to the daemon's node, e.g. "--cpu-prof" or "--trace-gc"; BENCH_DAEMON_LOG
  // names a file for the daemon's standard output (where --trace-gc writes).
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--port', '0', '--quiet', ...args], {
    cwd: dir,
    env: { ...process.env, VIDHOOK_DATA_DIR: join(dir, 'data'), VIDHOOK_CONFIG_DIR: join(dir, 'user'), NO_COLOR: '1' },
    stdio: ['ignore', process.env.BENCH_DAEMON_LOG ? openSync(process.env.BENCH_DAEMON_LOG, 'w') : 'ignore', 'pipe'],
  });
  const startedAt = performance.now();
  return new Promise((resolvePromise, reject) => {
    let err = '';
    child.stderr.on('data', (d) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolvePromise({ url: m[1], child, startMs: performance.now() - startedAt });
    });
    child.on('exit', (code) => reject(new Error(`daemon exited ${code}: ${err}`)));
  });
}

export function stopDaemon(daemon) {
  return new Promise((r) => {
    if (daemon.child.exitCode !== null) return r();
    daemon.child.once('exit', () => r());
    daemon.child.kill('SIGTERM');
  });
}

/** CPU time (user + system, all threads) a process has used, in ms. */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Wall-clock ms with sub-ms resolution, comparable with another process's (bench/receivers.js). */
export const wallClockMs = () => performance.timeOrigin + performance.now();

/**
 * `count` receivers answering 200 at once, in a child process (bench/receivers.js). `until(total)`
 * resolves, once they have had `total` requests in all, with when the last came (wallClockMs).
 */
export async function startReceiverProcess(count) {
  const child = fork(resolve(import.meta.dirname, 'receivers.js'), [String(count)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = (kind) => new Promise((r) => child.on('message', function listener(m) {
    if (m.kind !== kind) return;
    child.off('message', listener);
    r(m);
  }));
  const { urls } = await next('ready');
  return {
    urls,
    pid: child.pid,
    async until(total) {
      const reply = next('until');
      child.send({ kind: 'until', total });
      return (await reply).lastAt;
    },
    /** From now on, note each request's webhook-id (the event id) and when it came. */
    record() {
      child.send({ kind: 'record' });
    },
    /** What was noted since `record()`: [webhook-id, arrival (wallClockMs)] per request. */
    async arrivals() {
      const reply = next('arrivals');
      child.send({ kind: 'arrivals' });
      return (await reply).arrivals;
    },
    /** The first request they had: its body (text) and headers, but those undici writes itself. */
    async firstRequest() {
      const reply = next('first');
      child.send({ kind: 'first' });
      return (await reply).request;
    },
    close: () => new Promise((r) => {
      child.once('exit', () => r());
      child.disconnect();
    }),
  };
}

export function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  return kb / 1024;
}

/** A receiver answering 200 at once, counting requests and noting when the last came; `onRequest` sees each body and its headers. */
export async function startReceiver(onRequest = () => {}) {
  let count = 0;
  let lastAt = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      count++;
      lastAt = performance.now();
      onRequest(Buffer.concat(chunks), req.headers);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    get count() {
      return count;
    },
    /** When the last request arrived (performance.now()). */
    get lastAt() {
      return lastAt;
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const sampleEvent = (i) => ({
  type: 'video.generated',
  id: `evt_bench_${i}`,
  data: { video: { id: `vid_${i}`, title: 'Bench video', model: 'gen-4' }, user: { id: `usr_${i % 1000}` } },
});

export const fmt = (n, digits = 0) => Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
