import { Worker } from 'node:worker_threads';
import { colorLevels, type GlobalOptions } from '../output.js';
import type { DoneMessage, ServeOptions, ServeThreadData, StopMessage } from '../serve-thread.js';

/**
 * The daemon's heap: small generations keep its memory flat however long the backlog is.
 * Heap flags given to node (NODE_OPTIONS) take precedence over these.
 */
const DAEMON_HEAP = { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 14 };

/**
 * A terminal's Ctrl-C reaches every process of its group, and a launcher such as `npm exec` passes
 * it on to its child once more: a stop signal this soon after the first is that same Ctrl-C.
 */
const SAME_STOP_MS = 1_000;

function stoppedUnexpectedly(err: (Error & { code?: string }) | undefined, code: number): Error {
  if (err?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    const message = `the daemon ran out of memory: raise its heap (${DAEMON_HEAP.maxOldGenerationSizeMb} MB unless set) with NODE_OPTIONS=--max-old-space-size=<MB>`;
    return Object.assign(new Error(message), { code: 'out_of_memory' });
  }
  // The thread's own stack, for --verbose: the place of the fault, not of this report.
  const crash = new Error(`the daemon stopped unexpectedly: ${err?.message ?? `exit code ${code}`}`);
  return Object.assign(crash, { code: 'daemon_crashed', stack: err?.stack ?? crash.stack });
}

/**
 * `vidhook serve`. The daemon runs on a thread of its own: a thread's heap can be capped when it
 * starts, the process's only by flags on node's command line. This thread passes it signals.
 */
export default function serve(_: string[], options: ServeOptions, globals: GlobalOptions): Promise<number> {
  const data: ServeThreadData = { options, globals, colors: colorLevels(globals) };
  const daemon = new Worker(new URL('../serve-thread.js', import.meta.url), { workerData: data, resourceLimits: DAEMON_HEAP });
  const forward = (signal: NodeJS.Signals) => daemon.postMessage({ signal } satisfies StopMessage);
  let stoppingSince: number | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (stoppingSince === undefined) {
      stoppingSince = Date.now();
      return forward(signal);
    }
    if (Date.now() - stoppingSince < SAME_STOP_MS) return;
    // A second Ctrl-C stops the process at once, as it would without a daemon thread.
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.kill(process.pid, signal);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // SIGHUP reloads the configuration, as many times as it comes.
  process.on('SIGHUP', forward);

  return new Promise((resolve, reject) => {
    let done: DoneMessage | undefined;
    let crash: Error | undefined;
    daemon.on('message', (m: DoneMessage) => (done = m));
    daemon.on('error', (err) => (crash = err));
    daemon.on('exit', (code) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGHUP', forward);
      if (done) resolve(done.exitCode);
      else reject(stoppedUnexpectedly(crash, code));
    });
  });
}
